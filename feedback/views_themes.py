"""The taxonomy page (administrators only; anyone else gets 404): the themes, what the
classifier measured of itself, and the groups of reasons no theme covers, each made a
theme in one step or dismissed. The themes themselves are edited in the admin."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import theme_candidates
from .models import ThemeCandidate
from .theme_overview import taxonomy_overview


def _administrator_or_404(request) -> None:
    if not request.user.is_administrator:
        raise Http404


def _open_candidate_or_404(request, pk: int) -> ThemeCandidate:
    _administrator_or_404(request)
    return get_object_or_404(ThemeCandidate, pk=pk, status=ThemeCandidate.Status.OPEN)


@login_required
def themes(request):
    _administrator_or_404(request)
    return render(request, "feedback/themes.html", {"overview": taxonomy_overview(), "months": theme_candidates.MONTHS})


@login_required
@require_POST
def candidate_theme(request, pk: int):
    candidate = _open_candidate_or_404(request, pk)
    theme = theme_candidates.candidate_theme_create(candidate=candidate, by=request.user)
    messages.success(request, _("The theme “%(name)s” is made, switched off: check its signals and switch it on.")
                     % {"name": theme.name_en})
    return redirect("admin:feedback_theme_change", theme.pk)


@login_required
@require_POST
def candidate_dismiss(request, pk: int):
    candidate = _open_candidate_or_404(request, pk)
    theme_candidates.candidate_dismiss(candidate=candidate, by=request.user)
    messages.success(request, _("Group dismissed: it will not be suggested again."))
    return redirect("feedback:themes")
