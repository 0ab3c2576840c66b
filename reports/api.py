"""The rollup figures in the REST API: `GET /api/v1/figures` of the user's scope, of a
region, of an account manager (in a region or across the scope) or of an account, over a
rollup period. The figures are those the pages show, from the functions they call (not a
second computation): the region and organisation pages' `feedback.rollups.rollup` with the
follow-up figures beside it (`followups.selectors.discipline_figures`), their per-AM row
(`Rollup.owners`, `discipline_by_am`), and the account page's `account_period_figures`.
It spans two apps, hence here. Outside the scope: 404."""

from fractions import Fraction

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response as ApiResponse

from feedback import rollups
from feedback.api import SIGNED_IN, person, problem_if_invalid
from feedback.figures import Change, Figures
from feedback.forms import ID_MAX, RollupPeriodForm
from feedback.periods import rollup_previous, rollup_since
from feedback.selectors import account_for, owner_in_scope, region_for
from followups import selectors as followup_selectors
from surveys.selectors import accounts_visible_to

# The rollup pages' periods (3m, 12m, all), and their default.
PERIODS = [value for value, _label in RollupPeriodForm.base_fields["period"].choices]
DEFAULT_PERIOD = "12m"

# The follow-up figures a rollup page shows beside the answers' (followups.selectors).
FOLLOWUP_FIELDS = (
    "answers", "with_call", "without_call", "due", "reached", "closed_unreached", "not_due", "missed",
    "done_share", "detractor_due", "detractor_on_time", "detractor_on_time_share", "detractor_on_time_ok",
    "overdue_now", "detractors_overdue_now",
)


def figures_data(fig: Figures) -> dict:
    """Exact values: shares in 0..1, NPS and its margin in points; rounding is the reader's."""
    return {
        "n": fig.n, "promoters": fig.promoters, "passives": fig.passives, "detractors": fig.detractors,
        "promoter_share": fig.promoter_share, "passive_share": fig.passive_share,
        "detractor_share": fig.detractor_share,
        "nps": fig.nps, "margin": fig.margin, "low": fig.low, "high": fig.high, "confident": fig.confident,
        "delivered": fig.delivered, "answered": fig.answered, "response_rate": fig.response_rate,
    }


def change_data(change: Change | None) -> dict | None:
    if change is None:
        return None
    return {"previous": figures_data(change.previous), "delta": change.delta, "z": change.z,
            "significant": change.significant, "comparable": change.comparable}


def followup_data(row: dict | None) -> dict | None:
    if row is None:
        return None
    return {name: float(row[name]) if isinstance(row[name], Fraction) else row[name] for name in FOLLOWUP_FIELDS}


class FiguresQuery(serializers.Serializer):
    region = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)
    owner = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX,
                                     help_text="An account manager (a user id); with region, their accounts there.")
    account = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX, help_text="Alone.")
    period = serializers.ChoiceField(choices=PERIODS, default=DEFAULT_PERIOD,
                                     help_text="Whole months: 3m, 12m (the default) or all.")

    def validate(self, attrs):
        if attrs.get("account") and (attrs.get("region") or attrs.get("owner")):
            raise serializers.ValidationError(
                {"account": [_("Ask for an account alone, or for a region and/or an account manager.")]})
        return attrs


FIGURES = inline_serializer("RollupFigures", {
    name: serializers.FloatField(allow_null=True) for name in (
        "n", "promoters", "passives", "detractors", "promoter_share", "passive_share", "detractor_share", "nps",
        "margin", "low", "high", "delivered", "answered", "response_rate")
})


class FiguresView(GenericAPIView):
    permission_classes = SIGNED_IN
    serializer_class = FiguresQuery

    @extend_schema(parameters=[FiguresQuery], operation_id="figures_retrieve", responses=inline_serializer(
        "FiguresOfAScope", {
            "period": serializers.CharField(), "as_of": serializers.DateTimeField(),
            "compared_with": serializers.ListField(child=serializers.DateField(), allow_null=True),
            "region": serializers.DictField(allow_null=True), "owner": serializers.DictField(allow_null=True),
            "account": serializers.DictField(allow_null=True), "figures": FIGURES,
            "change": serializers.DictField(allow_null=True), "followups": serializers.DictField(allow_null=True),
        }))
    def get(self, request):
        """NPS with its margin, the categories' counts and shares, the response rate, the
        change against the previous period and the follow-up figures, as the pages show them."""
        user = request.user
        data = problem_if_invalid(FiguresQuery(data=request.query_params))
        period, now = data["period"], timezone.now()
        previous = rollup_previous(period, now)
        body = {"period": period, "as_of": now.isoformat(),
                "compared_with": [m.isoformat() for m in previous] if previous else None,
                "region": None, "owner": None, "account": None}
        if data.get("account"):
            account = account_for(user, data["account"])
            if account is None:
                raise Http404
            figures, change = rollups.account_period_figures(account, period=period, now=now)
            body["account"] = {"id": account.pk, "external_id": account.external_id, "name": account.name}
            # The account's page shows no follow-up figures (they are kept per owner and region).
            return ApiResponse({**body, "figures": figures_data(figures), "change": change_data(change),
                                "followups": None})
        region = owner = None
        if data.get("region"):
            region = region_for(user, data["region"])
            if region is None:
                raise Http404
            body["region"] = {"id": region.pk, "name": region.name}
        if data.get("owner"):
            owner = owner_in_scope(user, data["owner"], region=region)
            if owner is None:
                raise Http404
            body["owner"] = person(owner)
        accounts = accounts_visible_to(user)
        if region is not None:
            accounts = accounts.filter(region=region)
        since = rollup_since(period, now)
        rollup = rollups.rollup(user, region=region, period=period, now=now)
        if owner is None:
            figures, change = rollup.figures, rollup.change
            followups = followup_selectors.discipline_figures(accounts, since=since)
        else:
            # The owner's row of the page's per-AM table; no row: nothing in the period.
            row = next((row for row in rollup.owners if row.key == owner.pk), None)
            figures = row.figures if row else rollups.NO_FIGURES
            change = row.change if row else None
            followups = followup_selectors.discipline_by_am(accounts, since=since).get(owner.pk)
        return ApiResponse({**body, "figures": figures_data(figures), "change": change_data(change),
                            "followups": followup_data(followups)})
