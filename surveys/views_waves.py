"""Staff pages of the survey program: the program and the waves. (The next wave's page,
where AMs hold contacts out, shows answers and calls too: an app above serves it.)

Thin views: parse, check scope (404 outside it), call one service, render.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from . import personal_data, selectors
from .forms import ProgramForm
from .models import Program, Wave
from .months import MonthError, month_parse
from .program import program_update


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
