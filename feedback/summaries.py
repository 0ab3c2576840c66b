"""The rollup summaries' repair, from feedback's side.

The summaries live in surveys (surveys.models; surveys.tallies keeps them exact in each
event's own transaction) and count from each invitation's answer fields, which the
answer's own transaction writes (feedback.answering). `summary_rebuild` first sets right
any invitation that does not mirror its answer (data written around the services: a
loader, a fixture, SQL by hand), then rebuilds the summaries from the invitations, and
the theme summary from the answers' themes (feedback.theme_tallies). Beat runs it
nightly; `manage.py rebuild_summaries --check` only reports.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from surveys.models import Invitation
from surveys.tallies import accounts_locked
from surveys.tallies_rebuild import tallies_rebuild

from .models import Response
from .response_owners import response_owners_rebuild
from .theme_tallies import theme_summaries_rebuild

MIRROR_SCAN = 50_000


def answers_not_mirrored(invitations: QuerySet[Invitation]) -> QuerySet[Invitation]:
    """Those of `invitations` whose answer fields disagree with their Response, annotated
    with what they should hold (`want_category`, `want_answered_at`)."""
    counted = Response.objects.filter(invitation_id=OuterRef("pk"), suspect=False)
    return invitations.annotate(
        want_category=Coalesce(Subquery(counted.values("category")[:1]), Value("")),
        want_answered_at=Subquery(counted.values("answered_at")[:1]),
    ).filter(
        ~Q(answer_category=F("want_category"))
        | Q(answered_at__isnull=True, want_answered_at__isnull=False)
        | Q(answered_at__isnull=False, want_answered_at__isnull=True)
        | (Q(answered_at__isnull=False) & ~Q(answered_at=F("want_answered_at")))
    )


def answers_mirror() -> int:
    """Set right every invitation that does not mirror its answer; returns how many."""
    fixed = 0
    last = Invitation.objects.aggregate(last=Max("pk"))["last"] or 0
    for start in range(0, last + 1, MIRROR_SCAN):
        scanned = Invitation.objects.filter(pk__gte=start, pk__lt=start + MIRROR_SCAN)
        wrong = list(answers_not_mirrored(scanned).values_list("pk", flat=True))
        if wrong:
            fixed += _answers_mirror_fix(wrong)
    return fixed


@transaction.atomic
def _answers_mirror_fix(invitation_ids: list[int]) -> int:
    # Locks in an answer's own order (the invitation, then its account), then read again.
    rows = Invitation.objects.select_for_update().filter(pk__in=invitation_ids).order_by("pk")
    accounts_locked(rows.values_list("account_id", flat=True))
    fixed = 0
    for pk, category, answered_at in answers_not_mirrored(Invitation.objects.filter(pk__in=invitation_ids)).values_list(
        "pk", "want_category", "want_answered_at"
    ):
        fixed += Invitation.objects.filter(pk=pk).update(answer_category=category, answered_at=answered_at)
    return fixed


def summary_rebuild(*, now: datetime | None = None) -> int:
    """The repair: invitations mirror their answers, then every summary is recomputed (the
    themes' too). Returns the number of accounts."""
    answers_mirror()
    accounts = tallies_rebuild(now=now)
    theme_summaries_rebuild()
    response_owners_rebuild()
    return accounts
