"""Every rollup figure against an independent calculation, on random answer sets."""

import math
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.answer_lists import AnswerFilter
from feedback.models import Response
from feedback.rollups import filter_figures, rollup
from feedback.summaries import summary_rebuild
from surveys.models import Account, Contact, Invitation, Wave
from surveys.months import month_add, month_of
from surveys.tokens import token_fields_new
from tests import factories

LEVELS = ["executive", "manager", "operational"]

answer = st.fixed_dictionaries({
    "am": st.integers(0, 2),
    "account": st.integers(0, 2),
    "level": st.sampled_from(LEVELS),
    "months_back": st.integers(0, 17),
    "status": st.sampled_from(["sent", "sent", "sent", "sent", "bounced", "failed"]),
    "answered": st.booleans(),
    "score": st.integers(0, 10),
    "suspect": st.integers(0, 5).map(lambda x: x == 0),
})


def expected(rows):
    """The textbook figures, computed here without the app's code."""
    counted = [r for r in rows if r["status"] == "sent" and r["answered"] and not r["suspect"]]
    n = len(counted)
    p = sum(1 for r in counted if r["score"] >= 9)
    d = sum(1 for r in counted if r["score"] <= 6)
    delivered = sum(1 for r in rows if r["status"] == "sent")
    out = {"n": n, "promoters": p, "detractors": d, "passives": n - p - d, "delivered": delivered,
           "answered": n, "nps": None, "margin": None, "rate": (n / delivered) if delivered else None}
    if n:
        ps, ds = p / n, d / n
        out["nps"] = 100 * (ps - ds)
        out["margin"] = 100 * 1.96 * math.sqrt((ps + ds - (ps - ds) ** 2) / n)
        out["shares"] = (ps, (n - p - d) / n, ds)
    return out


def same(fig, exp):
    assert (fig.n, fig.promoters, fig.passives, fig.detractors) == (
        exp["n"], exp["promoters"], exp["passives"], exp["detractors"])
    assert fig.delivered == exp["delivered"]
    for got, want in ((fig.nps, exp["nps"]), (fig.margin, exp["margin"]), (fig.response_rate, exp["rate"])):
        assert (got is None) == (want is None)
        if want is not None:
            assert math.isclose(got, want, abs_tol=1e-9)
    if exp["n"]:
        for got, want in zip((fig.promoter_share, fig.passive_share, fig.detractor_share), exp["shares"], strict=True):
            assert math.isclose(got, want)
    assert fig.confident == (exp["n"] >= 10)


@pytest.fixture
def staff(db, director):
    rms = [factories.UserFactory(role="rm") for _ in range(2)]
    regions = [factories.RegionFactory(name=f"P{i}", manager=rm) for i, rm in enumerate(rms)]
    ams = [factories.UserFactory(role="am") for _ in range(3)]
    return {"director": director, "regions": regions, "ams": ams}


def build(staff, rows):
    for model in (Response, Invitation, Contact, Account, Wave):
        model.objects.all().delete()
    today = timezone.localdate()
    accounts = {}
    for i, row in enumerate(rows):
        key = (row["am"], row["account"])
        if key not in accounts:
            accounts[key] = Account.objects.create(
                external_id=f"P-{key[0]}-{key[1]}", name=f"Account {key}", owner=staff["ams"][row["am"]],
                region=staff["regions"][row["am"] % 2],
            )
        account = accounts[key]
        row["account_obj"] = account
        contact = Contact.objects.create(account=account, email=f"c{i}@x.test", name=f"C {i}", level=row["level"])
        month = month_add(month_of(today), -row["months_back"])
        wave, _ = Wave.objects.get_or_create(month=month)
        sent_at = timezone.make_aware(datetime(month.year, month.month, 1, 9)) + timedelta(minutes=i)
        inv = Invitation.objects.create(
            wave=wave, contact=contact, account=account, status=row["status"], sent_at=sent_at, **token_fields_new()
        )
        if row["answered"] and row["status"] == "sent":
            Response.objects.create(
                invitation=inv, contact=contact, account=account, score=row["score"],
                category="promoter" if row["score"] >= 9 else "passive" if row["score"] >= 7 else "detractor",
                answered_at=sent_at + timedelta(minutes=30), suspect=row["suspect"],
            )
    summary_rebuild()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(answer, max_size=30))
def test_rollup_figures_match_an_independent_calculation(staff, rows):
    build(staff, rows)
    director = staff["director"]
    for period, keep in (("all", lambda r: True), ("12m", lambda r: r["months_back"] <= 11),
                         ("3m", lambda r: r["months_back"] <= 2)):
        in_period = [r for r in rows if keep(r)]
        result = rollup(director, period=period, regions=True)
        same(result.figures, expected(in_period))
        same(filter_figures(director, AnswerFilter(period=period)), expected(in_period))
        # per AM: every AM with data, and nobody else
        by_owner = {owner.pk: fig for owner, fig in result.by_owner}
        for i, am in enumerate(staff["ams"]):
            mine = [r for r in in_period if r["am"] == i]
            if any(r["status"] == "sent" for r in mine):  # a summary row needs a delivery or an answer
                same(by_owner.pop(am.pk), expected(mine))
        assert not by_owner
        for region, fig in result.by_region:
            same(fig, expected([r for r in in_period if staff["regions"][r["am"] % 2] == region]))
        for level, _label, fig in result.by_level:
            same(fig, expected([r for r in in_period if r["level"] == level]))
        # the RM sees their region only, with the same figures as the director's region row
        for region in staff["regions"]:
            mine = [r for r in in_period if staff["regions"][r["am"] % 2] == region]
            same(rollup(region.manager, region=region, period=period).figures, expected(mine))
    trend = rollup(director, period="12m").trend
    assert len(trend) == 12
    for back, (month, fig) in zip(range(11, -1, -1), trend, strict=True):
        assert month == month_add(month_of(timezone.localdate()), -back)
        same(fig, expected([r for r in rows if r["months_back"] == back]))
