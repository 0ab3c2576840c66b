"""Answers in bulk in a chosen month (a few queries however many), for the tests of
change, standing and the trend: `answers_in_month(account, months_back=14, promoters=80,
passives=60, detractors=60)`. Call summary_rebuild() after the last one."""

import secrets
from datetime import datetime, timedelta

from django.utils import timezone

from feedback.models import Response, category_for_score
from surveys.models import Contact, Invitation, Wave
from surveys.months import month_add, month_of

SCORES = {"promoters": 10, "passives": 8, "detractors": 3}


def month_back(months_back: int, now=None):
    return month_add(month_of(timezone.localdate(now or timezone.now())), -months_back)


def answers_in_month(account, months_back: int, *, promoters=0, passives=0, detractors=0, unanswered=0,
                     level="manager", now=None) -> list[Response]:
    """Answers by new contacts of `account`, given on the 3rd of the month `months_back`
    months before this one (earlier today when that is still to come), plus `unanswered`
    delivered invitations."""
    now = now or timezone.now()
    month = month_back(months_back, now)
    at = min(timezone.make_aware(datetime(month.year, month.month, 3, 10)), now - timedelta(minutes=5))
    wave, _ = Wave.objects.get_or_create(month=month, defaults={"status": Wave.Status.SENT})
    scores = [SCORES[k] for k, n in (("promoters", promoters), ("passives", passives), ("detractors", detractors))
              for _ in range(n)]
    tag = secrets.token_hex(4)
    contacts = Contact.objects.bulk_create(
        Contact(account=account, email=f"m{tag}-{i}@customer.test", name=f"Contact {tag} {i}", level=level)
        for i in range(len(scores) + unanswered)
    )
    invitations = Invitation.objects.bulk_create(
        Invitation(wave=wave, contact=c, account=account, status="sent", sent_at=at,
                   token_nonce=secrets.token_hex(16), token_hash=secrets.token_hex(32))
        for c in contacts
    )
    return Response.objects.bulk_create(
        Response(invitation=inv, contact=inv.contact, account=account, owner_id=account.owner_id, score=score,
                 category=category_for_score(score), answered_at=at, changed_at=at)
        for inv, score in zip(invitations, scores, strict=False)
    )


def a_clear_and_an_unclear_change(region):
    """Two AMs of `region` with answers 14 months ago, then 2 and 1 months ago (in the last
    3 and 12 months; the 12 months before hold the first answers, the 3 months before none):
    - Anna Clear: NPS 10 then 40, 200 answers each: significant;
    - Otto Unclear: NPS 10 then 14, 50 answers each: within noise.
    Returns {"clear": (am, account), "unclear": (am, account)}."""
    from feedback.summaries import summary_rebuild
    from tests import factories

    out = {}
    for key, name, answers in (
        ("clear", "Anna Clear", {14: (80, 60, 60), 2: (55, 30, 15), 1: (55, 30, 15)}),
        ("unclear", "Otto Unclear", {14: (20, 15, 15), 2: (22, 13, 15)}),
    ):
        am = factories.UserFactory(role="am", full_name=name)
        account = factories.AccountFactory(owner=am, region=region, name=f"{name}'s Customer")
        for months_back, (p, pa, d) in answers.items():
            answers_in_month(account, months_back, promoters=p, passives=pa, detractors=d, unanswered=10)
        out[key] = (am, account)
    summary_rebuild()
    return out
