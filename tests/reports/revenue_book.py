"""A random book for the revenue and at-risk figures, and those figures counted directly
from its answers and calls, the slow and obvious way, to check the fast ones against."""

import math
import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from feedback.models import AccountSummary, Response
from feedback.summaries import summary_rebuild
from followups.models import Call, RootCause
from followups.services import attempt_log, call_queue_for_response
from surveys.models import Account
from surveys.months import month_add, month_begins, month_of
from tests import factories

Z = 1.96


@dataclass
class Book:
    north: object
    south: object
    rm: object
    south_rm: object
    ams: list
    accounts: list


def revenue_book(*, seed: int, rm, am) -> Book:
    """Two regions, four account managers, 28 accounts: revenue unknown, zero or
    anything up to 5 million with cents; some inactive; 0 to 7 answers each over 15
    months, some suspect; every counted answer with its call, some called, some not."""
    rnd = random.Random(seed)
    north = factories.RegionFactory(name="North", manager=rm)
    south_rm = factories.UserFactory(role="rm", full_name="Sigrid South")
    south = factories.RegionFactory(name="South", manager=south_rm)
    ams = [am, *(factories.UserFactory(role="am", full_name=name) for name in ("Bo Berg", "Cai Carl", "Dan Dahl"))]
    cause = RootCause.objects.first()
    now = timezone.now()
    accounts = []
    for i in range(28):
        owner = ams[i % 4]
        kind = rnd.random()
        revenue = None if kind < 0.2 else Decimal(0) if kind < 0.25 else Decimal(rnd.randrange(1, 500_000_000)) / 100
        account = factories.AccountFactory(
            name=f"Account {i:02d}", owner=owner, region=south if owner == ams[3] else north,
            annual_revenue=revenue, active=rnd.random() > 0.1,
        )
        accounts.append(account)
        contacts = [factories.ContactFactory(account=account, level=rnd.choice(["executive", "manager", "operational"]))
                    for _ in range(rnd.randint(1, 4))]
        asked = set()  # (contact, wave month): once per wave
        for _ in range(rnd.choice([0, 1, 1, 2, 2, 3, 5, 7])):
            answered_at = now - timedelta(days=rnd.randrange(0, 450), minutes=rnd.randrange(1440))
            contact, month = rnd.choice(contacts), month_of(timezone.localdate(answered_at))
            if (contact.pk, month) in asked:
                continue
            asked.add((contact.pk, month))
            response = factories.ResponseFactory(
                invitation__contact=contact, invitation__wave=factories.WaveFactory(month=month),
                invitation__sent_at=answered_at - timedelta(hours=2),
                score=rnd.choice([0, 2, 4, 5, 6, 6, 7, 8, 9, 10, 10]), answered_at=answered_at,
                suspect=rnd.random() < 0.08,
            )
            call = call_queue_for_response(response_id=response.pk)
            if call is not None and not response.suspect and rnd.random() < 0.5:
                outcome = rnd.choice(["reached", "no_answer", "voicemail", "declined"])
                attempt_log(call_id=call.pk, by=account.owner, outcome=outcome,
                            **({"root_cause_id": cause.pk, "agreed": "Agreed"} if outcome == "reached" else {}))
        executives = [c for c in contacts if c.level == "executive"]
        if executives and rnd.random() < 0.5:  # executives asked lately who did not answer
            for back in range(rnd.randint(1, 3)):
                month = month_add(month_of(timezone.localdate()), -back)
                if (executives[0].pk, month) in asked:
                    continue
                factories.InvitationFactory(contact=executives[0], wave=factories.WaveFactory(month=month),
                                            sent_at=now - timedelta(days=30 * back, hours=1))
    summary_rebuild()
    return Book(north=north, south=south, rm=rm, south_rm=south_rm, ams=ams, accounts=accounts)


def counted_answers(account, since=None) -> list:
    answers = [r for r in Response.objects.filter(account=account, suspect=False)]
    return [r for r in answers if since is None or r.answered_at >= since]


def direct_weighted_nps(accounts, since) -> dict | None:
    """Σ revenue·NPS / Σ revenue over accounts with a revenue and answers; the margin
    from every answer with its weight (its account's revenue over its answers)."""
    weights, total, weighted = [], 0.0, 0.0
    for account in accounts:
        if account.annual_revenue is None:
            continue
        answers = counted_answers(account, since)
        if not answers:
            continue
        revenue = float(account.annual_revenue)
        values = [100 if r.score >= 9 else 0 if r.score >= 7 else -100 for r in answers]
        total += revenue
        weighted += revenue * sum(values) / len(values)
        weights += [(revenue / len(values), x) for x in values]
    if not total:
        return None
    nps = weighted / total
    variance = sum(w * w * (x - nps) ** 2 for w, x in weights) / total ** 2
    return {"nps": nps, "margin": Z * math.sqrt(variance),
            "effective_n": total ** 2 / sum(w * w for w, _ in weights)}


def direct_coverage(accounts, now) -> dict:
    """{known revenue, heard revenue, accounts with revenue, accounts heard} of the active
    accounts; heard: a counted answer this calendar month or in the two before it."""
    since = month_begins(month_add(month_of(timezone.localdate(now)), -2))
    out = {"revenue": Decimal(0), "heard": Decimal(0), "with_revenue": 0, "heard_accounts": 0}
    for account in accounts:
        if not account.active or account.annual_revenue is None:
            continue
        out["revenue"] += account.annual_revenue
        out["with_revenue"] += 1
        if counted_answers(account, since):
            out["heard"] += account.annual_revenue
            out["heard_accounts"] += 1
    return out


def latest_not_called(account) -> bool:
    answers = sorted(counted_answers(account), key=lambda r: (r.answered_at, r.pk))
    if not answers:
        return False
    call = Call.objects.filter(response=answers[-1]).first()
    return (answers[-1].category == "detractor" and call is not None and call.state == "open"
            and call.first_attempt_at is None)


def direct_revenue_at_risk(accounts) -> tuple[Decimal, int]:
    at_risk = [a for a in accounts if a.active and a.annual_revenue is not None and latest_not_called(a)]
    return sum((a.annual_revenue for a in at_risk), Decimal(0)), len(at_risk)


def wilson_low(d, n) -> float:
    """The textbook formula, written out again."""
    p = d / n
    return (p + Z * Z / (2 * n) - Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))) / (1 + Z * Z / n)


def direct_at_risk(accounts, since, baseline) -> list[dict]:
    """Every active account at risk, in the page's order, with its numbers."""
    rows = []
    for account in accounts:
        if not account.active:
            continue
        answers = counted_answers(account, since)
        n, d = len(answers), sum(1 for r in answers if r.score <= 6)
        low = wilson_low(d, n) if n else 0.0
        not_called = sum(1 for c in Call.objects.filter(account=account, state="open", category="detractor",
                                                        first_attempt_at__isnull=True)
                         if since is None or c.answered_at >= since)
        latest = latest_not_called(account)
        silent = AccountSummary.objects.get(account=account).executive_waves_unanswered
        unhappy = (n and baseline is not None and low > baseline) or not_called or latest
        if not (unhappy or silent >= 2):
            continue
        rows.append({"account": account.pk, "answers": n, "detractors": d, "not_called": not_called,
                     "latest_not_called": latest, "above": bool(n and low > baseline),
                     "key": (not unhappy, account.annual_revenue is None, -(account.annual_revenue or 0), -low,
                             -silent, account.pk)})
    return sorted(rows, key=lambda r: r["key"])


def accounts_of(book: Book, *, region=None) -> list:
    ids = [a.pk for a in book.accounts if region is None or a.region_id == region.pk]
    return list(Account.objects.filter(pk__in=ids).order_by("pk"))


def detractor_share(accounts, since) -> float | None:
    answers = [r for a in accounts for r in counted_answers(a, since)]
    return sum(1 for r in answers if r.score <= 6) / len(answers) if answers else None

