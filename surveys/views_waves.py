"""Staff pages of the survey program: the program and the waves. (The next wave's page,
where AMs hold contacts out, shows answers and calls too: an app above serves it.)

Thin views: parse, check scope (404 outside it), call one service, render.
"""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from . import personal_data, planning, previews, selectors
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
    # The figure for the frequency on the form: the one just chosen when the form came back.
    frequency = _frequency_parse(form["frequency"].value()) or program.frequency
    return render(request, "surveys/program_form.html", {
        "form": form, "program": program, "upcoming": upcoming, "retention_due": retention_due,
        "monthly": _monthly_context(frequency), "preview_languages": previews.PREVIEW_LANGUAGES,
    })


def _frequency_parse(value) -> int | None:
    """A frequency the program allows, from a form or query value; None otherwise."""
    try:
        frequency = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return frequency if frequency in dict(Program.FREQUENCIES) else None


def _monthly_context(frequency: int) -> dict:
    return {"frequency": frequency, "count": planning.monthly_slice_size(frequency=frequency)}


@login_required
def program_monthly(request):
    """The "about N contacts a month" figure for a candidate frequency (?frequency=N)."""
    if not request.user.is_administrator:
        raise Http404
    frequency = _frequency_parse(request.GET.get("frequency"))
    if frequency is None:
        choices = ", ".join(str(f) for f, _label in Program.FREQUENCIES)
        error = _("Choose how many times a year each contact is asked: one of %(choices)s.") % {"choices": choices}
        return render(request, "surveys/_program_monthly.html", {"monthly": {"error": error}}, status=400)
    return render(request, "surveys/_program_monthly.html", {"monthly": _monthly_context(frequency)})


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


def _preview_language(request, language: str) -> str:
    if not request.user.is_administrator or language not in dict(previews.PREVIEW_LANGUAGES):
        raise Http404
    return language


# The email (an iframe's srcdoc, which inherits this page's CSP) is styled by style
# attributes, as emails are: style-src allows inline styles on this page only.
@login_required
@csp_update({"style-src": [UNSAFE_INLINE]})
def program_invitation_preview(request, language: str):
    """The invitation as a sample contact would get it in `language`: built, never sent."""
    language = _preview_language(request, language)
    message, contact, made_up = previews.invitation_preview(language=language, program=Program.current())
    html = next((content for content, mimetype in message.alternatives if mimetype == "text/html"), "")
    return render(request, "surveys/program_preview.html", {
        "kind": "invitation", "language": language, "languages": previews.PREVIEW_LANGUAGES,
        "contact": contact, "made_up": made_up, "html": html,
        "mail": {"subject": message.subject, "sender": message.from_email, "to": ", ".join(message.to),
                 "text": message.body},
    })
