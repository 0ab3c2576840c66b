"""Pages that add up more than one app's data: the region and organisation rollups (the
answers' figures with the follow-up calls of the same accounts and period), the
follow-up discipline page, the account's page and its owner change, and `/`, which sends
each role to its home. Thin: they call the selectors of the apps below and render their
partials; anything outside the user's scope answers 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from feedback import drivers as feedback_drivers
from feedback import revenue as feedback_revenue
from feedback import rollups
from feedback import selectors as feedback_selectors
from feedback import services as feedback_services
from feedback.forms import OwnerForm, RollupPeriodForm
from feedback.periods import rollup_previous, rollup_since
from followups import selectors as followup_selectors
from followups.root_causes import root_causes_by_theme
from surveys.models import Program, Region, User
from surveys.selectors import accounts_visible_to, regions_visible_to

from . import at_risk
from .forms import DriversFilterForm

# Detractors nobody has called yet, listed on a rollup page (most overdue first).
UNCALLED_SHOWN = 8


def home(request):
    """Where `/` sends a user (DESIGN §4): signed out, to sign in; an AM to their inbox, an
    RM to their region, directors and administrators to the organisation."""
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    if user.is_account_manager:
        return redirect("feedback:inbox")
    if user.is_regional_manager:
        return redirect("reports:region_home")
    return redirect("reports:org_home")


# --- Rollups ---------------------------------------------------------------------------

def _period(request) -> str:
    form = RollupPeriodForm(request.GET or None)
    period = form.cleaned_data.get("period") if form.is_valid() else None
    return period or "12m"


def _period_param(period: str) -> dict:
    return {"period": period} if period != "all" else {}


def _rollup_context(user: User, *, period: str, region: Region | None = None, regions: bool = False) -> dict:
    """A rollup page: the answers' figures of the user's scope (of one region on a region
    page), and the follow-up figures of the same accounts and period beside them."""
    accounts = accounts_visible_to(user)
    if region is not None:
        accounts = accounts.filter(region=region)
    now = timezone.now()
    since = rollup_since(period, now)
    rollup = rollups.rollup(user, region=region, period=period, regions=regions, now=now)
    followup_by_am = followup_selectors.discipline_by_am(accounts, since=since)
    uncalled = followup_selectors.uncalled_detractor_calls(accounts, since=since)
    return {
        "period": period,
        "periods": RollupPeriodForm.base_fields["period"].choices,
        "rollup": rollup,
        "drivers": feedback_drivers.rollup_drivers(user, region=region, period=period, now=now,
                                                   total=rollup.figures, trend=rollup.trend),
        # (rollups.Compared of an account manager, their follow-up figures or None), by standing
        "am_rows": [(row, followup_by_am.get(row.key)) for row in rollup.owners],
        "discipline": followup_selectors.discipline_figures(accounts, since=since, by_am=followup_by_am),
        "uncalled_detractors": list(uncalled[:UNCALLED_SHOWN]),
        "currency": Program.current().currency,
        "revenue": _revenue_figures(accounts, period=period),
        "at_risk": at_risk.accounts_at_risk(accounts, period=period, baseline=rollup.figures.detractor_share,
                                            since=since),
        # The RM's overdue calls, on their region's page.
        "rm_overdue": (followup_selectors.overdue_for_rm_context(user, region=region)
                    if region is not None and user.is_regional_manager else None),
    }


def _revenue_figures(accounts, *, period: str) -> dict:
    """The revenue section of a rollup page. Coverage first: it also says whether any
    account in view has a known revenue; without one there is nothing more to ask."""
    coverage = feedback_revenue.revenue_coverage(accounts)
    if not coverage.total.accounts_with_revenue:
        return {"coverage": coverage, "weighted": None, "at_risk": None, "at_risk_share": None}
    risk = at_risk.revenue_at_risk(accounts)
    return {
        "coverage": coverage,
        "weighted": feedback_revenue.revenue_weighted_nps(accounts, period=period),
        "at_risk": risk,
        "at_risk_share": float(risk.revenue / coverage.total.revenue) if coverage.total.revenue else None,
    }


@login_required
def region_home(request):
    user = request.user
    if user.sees_everything:
        return redirect("reports:org_home")
    if not user.is_regional_manager:
        raise Http404
    regions = list(regions_visible_to(user))
    if len(regions) == 1:
        return region_detail(request, regions[0].pk)
    return render(request, "reports/region_list.html", {"regions": regions})


@login_required
def region_detail(request, pk):
    region = feedback_selectors.region_for(request.user, pk)
    if region is None:
        raise Http404
    period = _period(request)
    return render(request, "reports/region_home.html", {
        "region": region,
        "base": {"region": region.pk, **_period_param(period)},
        **_rollup_context(request.user, period=period, region=region),
    })


@login_required
def org_home(request):
    if not request.user.sees_everything:
        raise Http404
    period = _period(request)
    return render(request, "reports/org_home.html", {
        "base": _period_param(period),
        **_rollup_context(request.user, period=period, regions=True),
    })


@login_required
def drivers(request):
    """Why customers stay and why they leave, for the user's scope narrowed to one region
    and one account manager (the drill from a rollup's per-AM table); an AM sees their own
    customers'. A region or owner outside the scope answers 404."""
    user = request.user
    region = owner = None
    form = DriversFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid() and {"region", "owner"} & set(form.errors):
        raise Http404  # as the page of a region or an account manager one may not see would
    data = form.cleaned_data if form.is_bound else {}
    period = data.get("period") or "12m"
    if data.get("region"):
        region = feedback_selectors.region_for(user, data["region"])
        if region is None:
            raise Http404
    if data.get("owner"):
        owner = feedback_selectors.owner_in_scope(user, data["owner"], region=region)
        if owner is None:
            raise Http404
    now = timezone.now()
    base = {**({"region": region.pk} if region else {}), **({"owner": owner.pk} if owner else {}),
            **_period_param(period)}
    return render(request, "reports/drivers.html", {
        "region": region,
        "owner": owner,
        "period": period,
        "periods": RollupPeriodForm.base_fields["period"].choices,
        "period_query": urlencode({k: v for k, v in base.items() if k != "period"}),
        "as_of": now,
        "drivers": feedback_drivers.rollup_drivers(user, region=region, owner=owner, period=period, now=now),
        "base": base,
    })


@login_required
def discipline(request):
    """Follow-up discipline of the user's scope: overall, by category, per region, per AM."""
    user = request.user
    accounts = accounts_visible_to(user)
    by_am = followup_selectors.discipline_by_am(accounts, delays=True)
    people = {u.pk: u for u in User.objects.filter(pk__in=by_am.keys())}
    am_rows = sorted(((people[pk], row) for pk, row in by_am.items()), key=lambda r: str(r[0]))
    region_rows = []
    if regions_visible_to(user).count() > 1:  # one region: its row would repeat the summary
        by_region = followup_selectors.discipline_by_region(accounts, delays=True)
        names = {r.pk: r for r in Region.objects.filter(pk__in=by_region.keys())}
        region_rows = sorted(((names[pk], row) for pk, row in by_region.items()), key=lambda r: r[0].name)
    return render(request, "reports/discipline.html", {
        "discipline": followup_selectors.discipline_figures(accounts, delays=True, by_am=by_am),
        "causes_by_theme": root_causes_by_theme(accounts),
        "am_rows": am_rows,
        "region_rows": region_rows,
    })


# --- The account's page and its owner ---------------------------------------------------

def _account_or_404(user, pk):
    account = feedback_selectors.account_for(user, pk)
    if account is None:
        raise Http404
    return account


@login_required
def account_detail(request, pk):
    account = _account_or_404(request.user, pk)
    period = _period(request)
    now = timezone.now()
    figures, change = rollups.account_period_figures(account, period=period, now=now)
    return render(request, "reports/account_detail.html", {
        "account": account,
        "as_of": now,
        "period": period,
        "periods": RollupPeriodForm.base_fields["period"].choices,
        "figures": figures,
        "change": change,
        "compared_with": rollup_previous(period, now),
        "currency": Program.current().currency,
        "trend": rollups.account_trend(account, months=24, now=now),
        "drivers": feedback_drivers.account_drivers(account, period=period, now=now),
        "levels": feedback_selectors.account_contacts_by_level(account),
        "recent": feedback_selectors.account_recent_answers(account),
        "ownership": feedback_selectors.ownership_history(account),
        "can_change_owner": feedback_selectors.can_change_owner(request.user, account),
        # Download or erase a contact's personal data (reports.views_personal_data).
        "personal_data_actions": request.user.is_administrator,
        "base": {"account": account.pk, **_period_param(period)},
    })


@login_required
def account_owner(request, pk):
    account = _account_or_404(request.user, pk)
    if not feedback_selectors.can_change_owner(request.user, account):
        raise PermissionDenied
    form = OwnerForm(request.POST or None, candidates=feedback_selectors.owner_candidates(account))
    if request.method == "POST" and form.is_valid():
        new_owner = form.cleaned_data["new_owner"]
        try:
            feedback_services.account_owner_change(account=account, new_owner=new_owner, by=request.user)
        except ValidationError as error:
            form.add_error("new_owner", error)
        else:
            messages.success(
                request, _("%(account)s now belongs to %(owner)s.") % {"account": account.name, "owner": new_owner}
            )
            return redirect("account_detail", pk=account.pk)
    return render(request, "reports/account_owner.html", {"account": account, "form": form},
                  status=400 if form.errors else 200)
