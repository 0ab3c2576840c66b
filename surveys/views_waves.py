"""Staff pages of the survey program: the program, the hold window, the waves.

Thin views: parse, check scope (404 outside it), call one service, render.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import personal_data, planning, selectors
from .forms import HoldForm, ProgramForm
from .models import Invitation, Program, Wave
from .months import MonthError, month_parse
from .program import WaveError, program_update


@login_required
def program_edit(request):
    if not request.user.is_administrator:
        raise Http404
    program = Program.current()
    # The form gets its own copy: a form that fails validation leaves `program` as saved.
    form = ProgramForm(request.POST or None, instance=Program.current())
    if request.method == "POST":
        if form.is_valid():
            program_update(fields=form.cleaned_data)
            messages.success(request, _("Survey program saved. It applies from the next wave planned."))
            return redirect("surveys:program")
        messages.error(request, _("Nothing was saved: please correct the fields marked below."))
    upcoming = selectors.wave_upcoming()
    # As of now, under the saved program: what the nightly run would erase.
    retention_due = personal_data.retention_due(now=timezone.now(), program=program).count()
    return render(request, "surveys/program_form.html", {
        "form": form, "program": program, "upcoming": upcoming, "retention_due": retention_due,
    })


@login_required
def wave_next(request):
    """The hold window: an AM's contacts in the planned wave; holds in the user's scope."""
    wave = selectors.wave_upcoming()
    rows = holds = []
    if wave is not None:
        rows = list(selectors.wave_hold_rows(request.user, wave))
        if not request.user.is_account_manager:
            holds = list(selectors.wave_holds_visible_to(request.user, wave)[:500])
    program = Program.current()
    return render(
        request,
        "surveys/wave_next.html",
        {"wave": wave, "rows": rows, "holds": holds, "program": program,
         "held_count": sum(1 for row in rows if row.status == Invitation.Status.HELD)},
    )


def _holdable_invitation(request, pk: int) -> Invitation:
    """An invitation the user may hold or put back: 404 outside their scope, 403 for a
    reader only (the director)."""
    invitation = selectors.invitation_visible_to(request.user, pk)
    if invitation is None:
        raise Http404
    if not selectors.may_hold(request.user):
        raise PermissionDenied
    return invitation


@login_required
@require_POST
def invitation_hold(request, pk: int):
    invitation = _holdable_invitation(request, pk)
    form = HoldForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why you hold %(name)s out (up to 300 characters).")
                       % {"name": invitation.contact.name})
        return redirect("surveys:wave_next")
    try:
        planning.invitation_hold(invitation=invitation, user=request.user, reason=form.cleaned_data["reason"])
    except WaveError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(name)s is held out of this wave and rolls over to the next one.")
                         % {"name": invitation.contact.name})
    return redirect("surveys:wave_next")


@login_required
@require_POST
def invitation_release(request, pk: int):
    invitation = _holdable_invitation(request, pk)
    try:
        planning.invitation_release(invitation=invitation, user=request.user)
    except WaveError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(name)s is back in this wave.") % {"name": invitation.contact.name})
    return redirect("surveys:wave_next")


def _wave_reader(user) -> None:
    if not (user.is_regional_manager or user.sees_everything):
        raise Http404


@login_required
def wave_list(request):
    _wave_reader(request.user)
    return render(request, "surveys/wave_list.html", {"waves": selectors.waves_with_figures(request.user)})


@login_required
def wave_detail(request, month: str):
    _wave_reader(request.user)
    try:
        wave_month = month_parse(month)
    except MonthError:
        raise Http404
    wave = selectors.wave_for_month(wave_month)
    if wave is None:
        raise Http404
    context = {
        "wave": wave,
        "figures": selectors.wave_figures(request.user, wave),
        "regions": selectors.wave_figures_by_region(request.user, wave),
        "undelivered": selectors.wave_undelivered_visible_to(request.user, wave),
        "sending": wave.status == Wave.Status.SENDING,
    }
    template = "surveys/_wave_figures.html" if request.htmx else "surveys/wave_detail.html"
    return render(request, template, context)
