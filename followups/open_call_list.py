"""The assignee's list of open calls, read one page at a time however long the queue.

The list runs overdue, due today, later (selectors.URGENCY_GROUPS); within each group
detractors come first, then the rest, each by due date, answer time and id
(selectors.urgency_order). That is six segments, each an index range of its own (the
partial indexes call_open_detractor_list and call_open_other_list), and how many calls
each holds is a sum of the assignee's OpenCallSummary rows, kept exact with every call
(followups.tallies). So a page reads the counts and its own rows, never the whole queue.
"""

from datetime import date

from django.db.models import F, Q, QuerySet, Sum

from feedback.models import Category
from surveys.models import User

from .models import Call, OpenCallSummary
from .selectors import LIST_RELATED, URGENCY_GROUPS, calls_assigned_to

# (group, detractors?) in list order.
SEGMENTS = tuple((group, detractors) for group in URGENCY_GROUPS for detractors in (True, False))


def _due(group: str, today: date) -> Q:
    return {"overdue": Q(due_on__lt=today), "today": Q(due_on=today), "later": Q(due_on__gt=today)}[group]


def _category(detractors: bool) -> Q:
    return Q(category=Category.DETRACTOR) if detractors else ~Q(category=Category.DETRACTOR)


def segment_counts(user: User, today: date) -> dict[tuple[str, bool], int]:
    """{(group, detractors?): open calls} of the user's own list, in one read of the
    summary: its rows for this assignee where the account's owner is whom the calls are
    for (the calls still theirs, as selectors.calls_assigned_to)."""
    if not user.is_authenticated or not user.is_active:
        return dict.fromkeys(SEGMENTS, 0)
    sums = {
        f"{group}_{int(detractors)}": Sum("open", filter=_due(group, today) & _category(detractors))
        for group, detractors in SEGMENTS
    }
    totals = OpenCallSummary.objects.filter(assignee=user, owner_id=F("assigned_for_id")).aggregate(**sums)
    return {(group, detractors): totals[f"{group}_{int(detractors)}"] or 0 for group, detractors in SEGMENTS}


def _segment(user: User, today: date, group: str, detractors: bool) -> QuerySet[Call]:
    return (
        calls_assigned_to(user).filter(Q(state=Call.State.OPEN) & _category(detractors) & _due(group, today))
        .order_by("due_on", "answered_at", "pk")
    )


class OpenCallIds:
    """The ids of the user's open calls in list order, for a Paginator: it counts them
    from the summary and slices one page from the segments the page spans."""

    def __init__(self, user: User, today: date):
        self.user, self.today = user, today
        self.counts = segment_counts(user, today)

    def count(self) -> int:
        return sum(self.counts.values())

    def group_counts(self) -> dict[str, int]:
        """{group: open calls on all pages}."""
        return {group: self.counts[(group, True)] + self.counts[(group, False)] for group in URGENCY_GROUPS}

    def __getitem__(self, page: slice) -> list[int]:
        ids, first = [], 0
        for segment in SEGMENTS:
            size = self.counts[segment]
            start, stop = max(page.start - first, 0), min(page.stop - first, size)
            if start < stop:
                ids += _segment(self.user, self.today, *segment).values_list("pk", flat=True)[start:stop]
            first += size
        return ids


def calls_listed(ids: list[int]) -> list[Call]:
    """The page's calls, with what the list shows of them, in the order of `ids`."""
    by_id = Call.objects.select_related(*LIST_RELATED).in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]
