"""Why an AM might hold a contact out of the next wave: the contact answered lately, or
a follow-up call on a detractor answer of theirs is still open.

The next wave's page shows surveys' invitations with feedback's answers and this app's
calls, so it lives here, in the lowest app that may read all three (a lower app never
names a higher one; STYLE: a page of two apps' data lives in the higher one). Two reads
for a page of any length.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet
from django.utils import timezone

from feedback.models import Category
from feedback.periods import period_bounds
from feedback.selectors import responses_visible_to
from surveys.models import Invitation, User

from .models import Call
from .selectors import calls_visible_to

# "Lately": the answers list's "Last 90 days", the quarter revenue coverage counts too.
RECENT_PERIOD = "90d"


@dataclass(frozen=True)
class RecentAnswer:
    response_id: int
    score: int
    category: str
    answered_at: datetime
    days_ago: int


@dataclass(frozen=True)
class OpenDetractorCall:
    call_id: int
    due_on: date
    overdue: bool


def hold_reasons_attach(user: User, rows: list[Invitation], contacts: QuerySet, *, now: datetime) -> list[Invitation]:
    """Set `recent_answer` (the latest counted answer of the last 90 days, or None) and
    `open_call` (the open detractor call due first, or None) on each invitation of `rows`,
    whose contact ids `contacts` selects (a subquery: no list of ids however many rows),
    each within what `user` may read. Returns `rows`."""
    since, _ = period_bounds(RECENT_PERIOD, now=now)
    today = timezone.localdate(now)
    answers: dict[int, RecentAnswer] = {}
    recent = (
        responses_visible_to(user)
        .filter(contact_id__in=contacts, suspect=False, answered_at__gte=since)
        .order_by("contact_id", "-answered_at", "-pk")
        .values_list("contact_id", "pk", "score", "category", "answered_at")
    )
    for contact_id, pk, score, category, answered_at in recent:
        if contact_id not in answers:  # the latest comes first
            days_ago = (today - timezone.localdate(answered_at)).days
            answers[contact_id] = RecentAnswer(pk, score, category, answered_at, max(days_ago, 0))
    calls: dict[int, OpenDetractorCall] = {}
    open_calls = (
        calls_visible_to(user)
        .filter(contact_id__in=contacts, state=Call.State.OPEN, category=Category.DETRACTOR)
        .order_by("contact_id", "due_on", "pk")
        .values_list("contact_id", "pk", "due_on")
    )
    for contact_id, pk, due_on in open_calls:
        calls.setdefault(contact_id, OpenDetractorCall(pk, due_on, due_on < today))
    for row in rows:
        row.recent_answer = answers.get(row.contact_id)
        row.open_call = calls.get(row.contact_id)
        row.has_hold_reason = bool(row.recent_answer or row.open_call)
    return rows
