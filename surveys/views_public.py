"""Unsubscribe: the link in every survey email, and the RFC 8058 one-click POST.

GET only shows a confirmation page (mail scanners open every link). A POST from that
page (with its CSRF token), or a one-click POST from the mail client
(`List-Unsubscribe=One-Click`, form-encoded, no cookies, hence no CSRF token), opts
the contact out. The page then offers an undo: a POST of `action=resubscribe` from its
own form, always with the CSRF token (never from a one-click POST). Repeat calls are
harmless. The pages carry the company's name, never the product's.
"""

from django.http import Http404
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import selectors
from .invitation_email import email_language
from .models import Invitation, Program
from .unsubscribe import contact_resubscribe, contact_unsubscribe

RESUBSCRIBE = "resubscribe"


def _one_click(request) -> bool:
    content_type = request.content_type or ""
    return (
        content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
        and request.POST.get("List-Unsubscribe") == "One-Click"
    )


def _csrf_rejection(request):
    """The CSRF check the middleware would have made, for the page's own form."""
    check = CsrfViewMiddleware(lambda req: None)
    return check.process_view(request, None, (), {})


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    invitation = selectors.invitation_by_token(token)
    if invitation is None:
        raise Http404
    language = email_language(invitation.contact)
    with translation.override(language):
        if request.method == "POST":
            resubscribe = request.POST.get("action") == RESUBSCRIBE
            if resubscribe or not _one_click(request):
                rejection = _csrf_rejection(request)
                if rejection is not None:
                    return rejection
            if resubscribe:
                contact_resubscribe(invitation=invitation)
                state = "resubscribed"
            else:
                contact_unsubscribe(invitation=invitation)
                state = "unsubscribed"
        else:
            state = "unsubscribed" if invitation.contact.opted_out_at is not None else "ask"
        return render(request, "surveys/unsubscribe.html", {
            "invitation": invitation, "language": language, "state": state,
            "company": Program.current().company_name, "resubscribe": RESUBSCRIBE,
            "answer_url": reverse("answer:answer", args=[token]) if _takes_answers(invitation) else "",
        })


def _takes_answers(invitation: Invitation) -> bool:
    """Whether the link's answer page is open (for a contact who subscribed again)."""
    return (
        invitation.status == Invitation.Status.SENT
        and invitation.expires_at is not None and invitation.expires_at > timezone.now()
    )
