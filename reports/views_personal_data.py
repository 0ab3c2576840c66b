"""An administrator's pages for one contact's personal data (DESIGN §3): download
everything Pulse holds about them, and erase it. Thin: the rules are in
reports.personal_data; anyone but an administrator gets 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import ngettext

from surveys.audit import audit_record
from surveys.models import Contact

from . import personal_data


def _contact_for_administrator(request, pk: int) -> Contact:
    """404 for anyone but an administrator, whatever the method (before the method's 405)."""
    if not request.user.is_administrator:
        raise Http404
    return get_object_or_404(Contact.objects.select_related("account"), pk=pk)


@login_required
def contact_data(request, pk):
    """Everything about the person as a JSON file (an access request), in one click."""
    contact = _contact_for_administrator(request, pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    response = JsonResponse(personal_data.person_record(contact), json_dumps_params={"indent": 2,
                                                                                   "ensure_ascii": False})
    audit_record("contact_data_downloaded", by=request.user, target=contact.account, details={"contact": contact.pk})
    response["Content-Disposition"] = f'attachment; filename="pulse-contact-{contact.pk}.json"'
    response["Cache-Control"] = "no-store"  # kept by no cache, shared or the browser's
    return response


@login_required
def contact_erase(request, pk):
    """GET: what erasing them means, and the button; POST: erase."""
    contact = _contact_for_administrator(request, pk)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    if contact.erased_at is not None:
        return redirect("account_detail", pk=contact.account_id)
    if request.method == "POST":
        erased = personal_data.person_erase(email=contact.email, by=request.user)
        # No name in the message: it is kept in the session until shown.
        messages.success(request, ngettext(
            "The contact's personal data was erased; their %(answers)d answer stays in the figures as an "
            "anonymous answer. They will never be imported or surveyed again.",
            "The contact's personal data was erased; their %(answers)d answers stay in the figures as "
            "anonymous answers. They will never be imported or surveyed again.",
            erased.answers_kept,
        ) % {"answers": erased.answers_kept})
        return redirect("account_detail", pk=contact.account_id)
    others = personal_data.person_rows(contact).exclude(pk=contact.pk).select_related("account")
    return render(request, "reports/contact_erase.html", {"contact": contact, "others": list(others)})
