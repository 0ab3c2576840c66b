"""The answer page's preview on the program page (administrators): the page a contact
sees, rendered with a sample contact of the book. It records nothing and takes no answer."""

from datetime import timedelta

from csp.decorators import csp_update
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import Program
from surveys.previews import PREVIEW_LANGUAGES, preview_contact

from . import answering
from .views_public import CSS_HASH, answer_page_preview


# The page (an iframe's srcdoc, which inherits this page's CSP) carries its own small
# stylesheet inline, allowed by its hash as on the answer page itself.
@login_required
@csp_update({"style-src": [f"'sha256-{CSS_HASH}'"]})
def answer_preview(request, language: str):
    if not request.user.is_administrator or language not in dict(PREVIEW_LANGUAGES):
        raise Http404
    if request.method != "GET":
        response = HttpResponseNotAllowed(["GET"], content=_("This is a preview: it takes no answer."))
        response["Content-Type"] = "text/plain; charset=utf-8"
        return response
    program = Program.current()
    contact, made_up = preview_contact(language)
    html = answer_page_preview(
        lang=answering.answer_language(language), program=program,
        contact_first_name=contact.first_name if contact.name.strip() else "",
        selected=answering.score_from_query(request.GET.get("score")),
        expires_at=timezone.now() + timedelta(days=program.link_valid_days),
        action=request.path,
    )
    return render(request, "surveys/program_preview.html", {
        "kind": "answer", "language": language, "languages": PREVIEW_LANGUAGES,
        "contact": contact, "made_up": made_up, "html": html,
    })
