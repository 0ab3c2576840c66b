"""The next wave's page (surveys' hold window): an AM's contacts planned for the wave,
each with what may be a reason to hold them out (a recent answer, an open detractor
call: followups.hold_reasons), and the hold and put-back of one contact. It reads answers
and calls, so it lives here above surveys and feedback; its names are project-wide
(config/urls.py), like the answer's page. Holding and putting back swap the contact's
row in place with htmx, and without JavaScript come back to the row (#invitation-<id>).
Anything outside the user's scope answers 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from surveys import planning
from surveys import selectors as survey_selectors
from surveys.forms import HoldForm
from surveys.models import Invitation, Program
from surveys.program import WaveError

from .hold_reasons import hold_reasons_attach

# ?show=reasons: only the contacts with a reason to hold them out.
SHOW_REASONS = "reasons"


@login_required
def wave_next(request):
    """The hold window: an AM's contacts in the planned wave, those with a reason to hold
    them out first; holds in the user's scope."""
    wave = survey_selectors.wave_upcoming()
    only_reasons = request.GET.get("show") == SHOW_REASONS
    rows = holds = []
    if wave is not None:
        planned = survey_selectors.wave_hold_rows(request.user, wave)
        rows = hold_reasons_attach(request.user, list(planned), planned.values("contact_id"), now=timezone.now())
        rows.sort(key=lambda row: not row.has_hold_reason)  # stable: by account and contact within
        if not request.user.is_account_manager:
            holds = list(survey_selectors.wave_holds_visible_to(request.user, wave)[:500])
    return render(request, "followups/wave_next.html", {
        "wave": wave, "rows": [row for row in rows if row.has_hold_reason] if only_reasons else rows,
        "all_count": len(rows), "reason_count": sum(1 for row in rows if row.has_hold_reason),
        "held_count": sum(1 for row in rows if row.status == Invitation.Status.HELD),
        "only_reasons": only_reasons, "holds": holds, "program": Program.current(),
    })


def _holdable_invitation(request, pk: int) -> Invitation:
    """An invitation the user may hold or put back: 404 outside their scope, 403 for a
    reader only (the director)."""
    invitation = survey_selectors.invitation_visible_to(request.user, pk)
    if invitation is None:
        raise Http404
    if not survey_selectors.may_hold(request.user):
        raise PermissionDenied
    return invitation


def _done(request, invitation: Invitation, *, error: str = "", success: str = ""):
    """With htmx, the contact's row as it is now, saying what happened; without, back to
    the page at that row (a message on top)."""
    if request.htmx:
        row = survey_selectors.invitation_visible_to(request.user, invitation.pk)
        contacts = Invitation.objects.filter(pk=row.pk).values("contact_id")
        hold_reasons_attach(request.user, [row], contacts, now=timezone.now())
        # The page's "N held out" comes along (out of band), so it agrees with the rows.
        held_count = survey_selectors.wave_hold_rows(request.user, row.wave).filter(
            status=Invitation.Status.HELD).count()
        return render(request, "followups/_wave_row.html", {
            "row": row, "wave": row.wave, "only_reasons": request.POST.get("show") == SHOW_REASONS,
            "error": error, "success": success, "focus": True, "oob": True, "held_count": held_count,
        })
    if error:
        messages.error(request, error)
    else:
        messages.success(request, success)
    query = "?show=reasons" if request.POST.get("show") == SHOW_REASONS else ""
    return redirect(f"{reverse('wave_next')}{query}#invitation-{invitation.pk}")


@login_required
@require_POST
def invitation_hold(request, pk: int):
    invitation = _holdable_invitation(request, pk)
    name = invitation.contact.name
    form = HoldForm(request.POST)
    if not form.is_valid():
        return _done(request, invitation, error=_("Say why you hold %(name)s out (up to 300 characters).")
                     % {"name": name})
    try:
        planning.invitation_hold(invitation=invitation, user=request.user, reason=form.cleaned_data["reason"])
    except WaveError as error:
        return _done(request, invitation, error=str(error))
    return _done(request, invitation, success=_("%(name)s is held out of this wave and rolls over to the next one.")
                 % {"name": name})


@login_required
@require_POST
def invitation_release(request, pk: int):
    invitation = _holdable_invitation(request, pk)
    try:
        planning.invitation_release(invitation=invitation, user=request.user)
    except WaveError as error:
        return _done(request, invitation, error=str(error))
    return _done(request, invitation, success=_("%(name)s is back in this wave.") % {"name": invitation.contact.name})
