"""The assignee's list of open calls, read one page at a time however long the queue.

The list runs overdue, due today, later (selectors.URGENCY_GROUPS); within each group
detractors come first, then the rest, each by due date, answer time and id
(selectors.urgency_order). That is six segments, each an index range of its own (the
partial indexes call_open_detractor_list and call_open_other_list), and how many calls
each holds is a sum of the assignee's OpenCallSummary rows, kept exact with every call
(followups.tallies). So a page reads the counts and its own rows, never the whole queue.

"Still theirs" (selectors.calls_assigned_to) compares each call with its account's owner,
a join whose selectivity PostgreSQL cannot estimate: it then sorts every call of the
range. The summary says when the assignee holds no call that is not theirs any more (the
usual case: such calls exist only between an owner change and the outbox moving them),
and then the ranges are read without the join. The page's rows are checked again as they
are loaded, so a call not theirs is never listed.
"""

from datetime import date

from django.db.models import F, Q, QuerySet, Sum

from feedback.models import Category
from surveys.models import User

from .models import OPEN_DETRACTOR, OPEN_NOT_DETRACTOR, Call, OpenCallSummary
from .selectors import LIST_RELATED, URGENCY_GROUPS, calls_assigned_to

# (group, detractors?) in list order.
SEGMENTS = tuple((group, detractors) for group in URGENCY_GROUPS for detractors in (True, False))


def _due(group: str, today: date) -> Q:
    return {"overdue": Q(due_on__lt=today), "today": Q(due_on=today), "later": Q(due_on__gt=today)}[group]


def _category(detractors: bool) -> Q:
    """Of the summary's rows (the calls' own split is the indexes' OPEN_DETRACTOR / OPEN_NOT_DETRACTOR)."""
    return Q(category=Category.DETRACTOR) if detractors else ~Q(category=Category.DETRACTOR)


def segment_counts(user: User, today: date) -> tuple[dict[tuple[str, bool], int], int]:
    """({(group, detractors?): open calls} of the user's own list, open calls assigned to
    them that are not theirs any more), in one read of the summary: its rows for this
    assignee, theirs where the account's owner is whom the calls are for."""
    if not user.is_authenticated or not user.is_active:
        return dict.fromkeys(SEGMENTS, 0), 0
    theirs = Q(owner_id=F("assigned_for_id"))
    sums = {
        f"{group}_{int(detractors)}": Sum("open", filter=theirs & _due(group, today) & _category(detractors))
        for group, detractors in SEGMENTS
    }
    totals = OpenCallSummary.objects.filter(assignee=user).aggregate(not_theirs=Sum("open", filter=~theirs), **sums)
    counts = {(group, detractors): totals[f"{group}_{int(detractors)}"] or 0 for group, detractors in SEGMENTS}
    return counts, totals["not_theirs"] or 0


def _segment(user: User, today: date, group: str, detractors: bool, *, all_theirs: bool) -> QuerySet[Call]:
    calls = Call.objects.filter(assignee=user) if all_theirs else calls_assigned_to(user)
    return (
        calls.filter((OPEN_DETRACTOR if detractors else OPEN_NOT_DETRACTOR) & _due(group, today))
        .order_by("due_on", "answered_at", "pk")
    )


class OpenCallIds:
    """The ids of the user's open calls in list order, for a Paginator: it counts them
    from the summary and slices one page from the segments the page spans."""

    def __init__(self, user: User, today: date):
        self.user, self.today = user, today
        self.counts, not_theirs = segment_counts(user, today)
        self.all_theirs = not_theirs == 0

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
                calls = _segment(self.user, self.today, *segment, all_theirs=self.all_theirs)
                ids += calls.values_list("pk", flat=True)[start:stop]
            first += size
        return ids


def calls_listed(ids: list[int]) -> list[Call]:
    """The page's calls, with what the list shows of them, in the order of `ids`: those
    still their assignee's (a call moved or closed since the ids were read drops out)."""
    by_id = Call.objects.select_related(*LIST_RELATED).filter(state=Call.State.OPEN).in_bulk(ids)
    calls = (by_id.get(pk) for pk in ids)
    return [call for call in calls if call is not None and call.assigned_for_id == call.account.owner_id]
