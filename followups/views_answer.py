"""The answer's page: one answer with its follow-up call, the contact's earlier answers,
the account's contacts by level and the internal notes. It shows a call, so it lives here
above feedback; feedback's inbox, alerts and digests link to it by its project-wide name
`response_detail` (config/urls.py). Anything outside the user's scope answers 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from feedback import selectors as feedback_selectors
from feedback import services as feedback_services
from feedback.forms import NoteForm
from feedback.models import Response

from . import selectors


def _response_or_404(user, pk) -> Response:
    response = feedback_selectors.response_for(user, pk)
    if response is None:
        raise Http404
    return response


def _context(request, response: Response, note_form: NoteForm) -> dict:
    prefetch_related_objects([response], feedback_selectors.themes_prefetch())
    return {
        "r": response,
        "call": selectors.call_for_response(request.user, response),
        "history": feedback_selectors.contact_history(response),
        "levels": feedback_selectors.account_contacts_by_level(response.account),
        "notes": feedback_selectors.notes_for(response),
        "note_form": note_form,
        "can_triage": feedback_selectors.can_triage(request.user, response),
        "themes_offered": feedback_selectors.themes_offered(),
        "here": request.get_full_path(),
    }


@login_required
def response_detail(request, pk):
    response = _response_or_404(request.user, pk)
    feedback_services.response_mark_seen(response=response, by=request.user)
    return render(request, "followups/response_detail.html", _context(request, response, NoteForm()))


@login_required
@require_POST
def note_add(request, pk):
    response = _response_or_404(request.user, pk)
    form = NoteForm(request.POST)
    saved = False
    if form.is_valid():
        try:
            feedback_services.note_add(response=response, author=request.user, text=form.cleaned_data["text"])
            saved = True
        except ValidationError as error:
            form.add_error("text", error)
    if not saved:
        template = "followups/_notes.html" if request.htmx else "followups/response_detail.html"
        return render(request, template, _context(request, response, form), status=400)
    if request.htmx:
        return render(request, "followups/_notes.html", _context(request, response, NoteForm()))
    messages.success(request, _("Note added."))
    return redirect(reverse("response_detail", args=[pk]) + "#notes")
