"""The customer-facing pages: no login, reached from the emailed link.

Made to be fast and plain: no session, no messages, no context processors, no
transaction around a GET, one query for the link (plus the program's texts, cached
for a few seconds, and the account's owner on the thank-you page);
rendered in the contact's language, under a strict CSP with no script at all.
"""

import base64
import hashlib
from functools import lru_cache, wraps
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotAllowed
from django.middleware.csrf import get_token
from django.template import engines
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.csrf import csrf_failure as django_csrf_failure

from surveys.throttle import client_address, throttle_exceeded

from . import answering
from .answering import LinkState

# The pages' own small stylesheet, inlined (no extra request) and allowed by its hash.
_CSS = (settings.BASE_DIR / "static" / "answer.css").read_text(encoding="utf-8")
CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'self'; style-src 'sha256-{CSS_HASH}'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
HONEYPOT_FIELD = "notes_extra"
STAMP_FIELD = "served"


class AnswerForm(forms.Form):
    score = forms.TypedChoiceField(
        choices=[(str(n), str(n)) for n in answering.SCORES], coerce=int,
        error_messages={
            "required": _("Please choose a number from 0 to 10."),
            "invalid_choice": _("Please choose a number from 0 to 10."),
        },
    )
    reason = forms.CharField(
        required=False, max_length=answering.REASON_MAX_CHARS,
        error_messages={
            "max_length": _("Please keep your reasons to 5,000 characters or fewer (you wrote %(show_value)s)."),
            "null_characters_not_allowed": _("Your reasons contain a character we cannot store. "
                                             "Please remove it and try again."),
        },
    )


def _customer_page(view):
    """Security headers for every customer page: tokens are in the URL, so the URL never
    leaves our origin as a referrer, no caching, no framing, a CSP that allows no script.

    Referrer-Policy is same-origin, not no-referrer: under no-referrer the browser
    sends `Origin: null` with the form's own POST, and Django's CSRF check (and its
    Referer check over HTTPS) refuses every answer. same-origin sends nothing to
    any other site, which is what keeps the token private."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response["Referrer-Policy"] = "same-origin"
        response["X-Frame-Options"] = "DENY"
        response["X-Content-Type-Options"] = "nosniff"
        add_never_cache_headers(response)
        return response

    return wrapped


def _render(
    request, template: str, context: dict, *, status: int = 200, lang: str | None = None, form: bool = False
) -> HttpResponse:
    lang = lang or translation.get_language() or settings.LANGUAGE_CODE
    # Rendered without a request: no context processors (no user, session or messages).
    context = {"lang": lang, "css": mark_safe(_CSS), **context}  # noqa: S308 - our own stylesheet
    if form:
        context["csrf_token"] = get_token(request)
    with translation.override(lang):
        body = _template(template).render(context)
    response = HttpResponse(body, status=status)
    response["Content-Language"] = lang
    return response


def _template(name: str):
    """templates/feedback/answer/<name>.jinja (see config/jinja2.py)."""
    return engines["jinja2"].get_template(f"feedback/answer/{name}.jinja")


@lru_cache(maxsize=64)
def _scale_options(lang: str, selected: int | None) -> str:
    """The eleven radio buttons: the same for every contact of a language and a selected
    score, so rendered once per process (24 variants per language)."""
    with translation.override(lang):
        html = _template("_scale_options").render({"scores": answering.SCORES, "selected": selected})
    return mark_safe(html)  # noqa: S308 - our own template's output


@transaction.non_atomic_requests
@_customer_page
def answer(request, token):
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    if throttle_exceeded(
        ("token", token[:128], settings.ANSWER_RATE_PER_TOKEN),
        ("addr", client_address(request), settings.ANSWER_RATE_PER_ADDRESS),
    ):
        response = _render(request, "too_many", {"company": answering.answer_program().company_name},
                           status=429)
        response["Retry-After"] = "60"
        return response

    link = answering.answer_link_for_token(token)
    if link is None:
        return _not_found(request)
    lang = answering.answer_language(link.contact_language)
    program = answering.answer_program()
    state = answering.answer_link_state(link)
    if state != LinkState.OPEN:
        return _closed(request, state, link, program, lang, token)

    if request.method == "POST":
        return _answer_post(request, token, link, program, lang)
    selected = answering.score_from_query(request.GET.get("score"))
    if selected is None:
        selected = link.score
    return _form_page(request, token, link, program, lang, selected=selected, reason=link.reason or "")


def _answer_post(request, token, link, program, lang):
    with translation.override(lang):
        form = AnswerForm(request.POST)
        if not form.is_valid():
            reason = request.POST.get("reason", "")
            return _form_page(
                request, token, link, program, lang, form=form, status=400,
                selected=answering.score_from_query(request.POST.get("score")),
                # Give a person's text back to shorten; not a megabyte of it.
                reason=reason[: answering.REASON_MAX_CHARS * 2],
            )
    suspect_reason = answering.answer_suspect_reason(
        invitation_id=link.invitation_id, honeypot=request.POST.get(HONEYPOT_FIELD, ""),
        stamp=request.POST.get(STAMP_FIELD, ""),
    )
    try:
        result = answering.response_submit(
            token=token, score=form.cleaned_data["score"], reason=form.cleaned_data["reason"],
            suspect_reason=suspect_reason, link=link,
        )
    except answering.AnswerRefused as refused:  # expired or opted out since the page was served
        if refused.state is None:
            return _not_found(request)
        return _closed(request, refused.state, link, program, lang, token)
    return _render(request, "thanks", {
        **_page_context(token, link, program, lang),
        "score": result.response.score,
        "reason": result.response.reason,
        "am_first_name": answering.answer_owner_first_name(link.account_id),
        "changed": not result.created and result.changed,
    }, lang=lang, form=not result.response.reason)  # the page asks for reasons only when there are none


def _page_context(token, link, program, lang) -> dict:
    return {
        "action": reverse("answer:answer", args=[token]),
        "company": program.company_name,
        # A contact without a name is greeted without one, never by their address.
        "contact_first_name": link.contact_first_name if link.contact_name.strip() else "",
        "expires_at": answering.answer_expires_at(link),
        "stamp": answering.answer_form_stamp(link.invitation_id),
        "honeypot_field": HONEYPOT_FIELD,
        "stamp_field": STAMP_FIELD,
        "reason_max": answering.REASON_MAX_CHARS,
    }


def _form_page(request, token, link, program, lang, *, selected, reason, form=None, status=200):
    errors = form.errors if form is not None else {}
    return _render(request, "form", {
        **_page_context(token, link, program, lang),
        "question": program.question(lang),
        "reason_question": program.reason_question(lang),
        "scale_options": _scale_options(lang, selected),
        "selected": selected,
        "reason": reason,
        "current_score": link.score,
        "score_error": errors.get("score", [""])[0] if errors else "",
        "reason_error": errors.get("reason", [""])[0] if errors else "",
    }, status=status, lang=lang, form=True)


def answer_page_preview(*, lang: str, program, contact_first_name: str, selected: int | None,
                        expires_at, action: str) -> str:
    """The answer page's HTML as a contact would see it, for the program page's preview:
    no link behind it, no CSRF token, and its form posts to `action` (the preview, which
    takes no answer)."""
    return _render(None, "form", {
        "action": action,
        "company": program.company_name,
        "contact_first_name": contact_first_name,
        "expires_at": expires_at,
        "stamp": "",
        "csrf_token": "",
        "honeypot_field": HONEYPOT_FIELD,
        "stamp_field": STAMP_FIELD,
        "reason_max": answering.REASON_MAX_CHARS,
        "question": program.question(lang),
        "reason_question": program.reason_question(lang),
        "scale_options": _scale_options(lang, selected),
        "selected": selected,
        "reason": "",
        "current_score": None,
        "score_error": "",
        "reason_error": "",
    }, lang=lang).content.decode()


def _closed(request, state, link, program, lang, token):
    template, status = {
        LinkState.EXPIRED: ("expired", 410),
        LinkState.OPTED_OUT: ("opted_out", 403),
    }[state]
    with translation.override(lang):
        subject = gettext("Feedback for %(company)s") % {"company": program.company_name}
    return _render(request, template, {
        "company": program.company_name,
        "sender_email": program.sender_email,
        "mailto": f"mailto:{program.sender_email}?subject={quote(subject)}",
        "expires_at": answering.answer_expires_at(link),
        # The unsubscribe page, which offers to subscribe again (an opt-out by mistake).
        "unsubscribe_url": reverse("surveys:unsubscribe", args=[token]),
    }, status=status, lang=lang)


def _not_found(request):
    """The same page for a forged, mistyped, unsent or unknown link: no hint which."""
    return _render(request, "not_found", {"company": answering.answer_program().company_name}, status=404)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a friendly page on the answer link (cookies blocked, a page
    kept open for days), Django's own page everywhere else. Nothing was saved."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    if match is None or match.view_name != "answer:answer":
        return django_csrf_failure(request, reason=reason)
    link = answering.answer_link_for_token(match.kwargs.get("token", ""))
    lang = answering.answer_language(link.contact_language) if link else None
    response = _render(request, "csrf_failure", {
        "company": answering.answer_program().company_name,
        "retry_url": request.path if link else "",
    }, status=403, lang=lang)
    return _customer_page(lambda r: response)(request)

