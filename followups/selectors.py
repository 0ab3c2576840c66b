"""Reads of the follow-up calls.

Who sees a call is decided here, once (DESIGN §3), and every page, fragment and list of
calls reads through it: whoever may read the call's account (its current owner, the
region's RM, directors and administrators), and its assignee while they still work it for
the account's current owner (a cover, or a colleague it was handed to). When an account
changes hands its open calls move to the new owner; the closed ones stay readable by the
new owner and by nobody who worked them for the former owner.
"""

from collections import defaultdict
from datetime import date, timedelta
from fractions import Fraction

from django.db.models import Case, Count, Exists, F, Min, OuterRef, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from feedback.models import Category, Response, Theme
from surveys.models import Account, OwnerMonthSummary, Region, Role, User
from surveys.months import month_begins, month_of_moment
from surveys.selectors import accounts_in_scope, accounts_visible_to, pairs_in_scope

from .delays import half_within
from .models import (
    Absence,
    Call,
    CallDelaySummary,
    CallMonthSummary,
    OpenCallSummary,
    RecoveryRequest,
    RootCauseSummary,
)

LIST_RELATED = ("response", "contact", "account", "assignee")


# --- Scope ---------------------------------------------------------------------

def _assigned_to(user: User) -> Q:
    """Calls given to `user` for the account's current owner (see Call.assigned_for)."""
    return Q(assignee=user, assigned_for=F("account__owner"))


def calls_visible_to(user: User) -> QuerySet[Call]:
    if not user.is_authenticated or not user.is_active:
        return Call.objects.none()
    if user.sees_everything:
        return Call.objects.all()
    return Call.objects.filter(Q(account__in=accounts_visible_to(user)) | _assigned_to(user))


def calls_assigned_to(user: User) -> QuerySet[Call]:
    """The user's own calls to make (their list): assigned to them and still theirs."""
    if not user.is_authenticated or not user.is_active:
        return Call.objects.none()
    return Call.objects.filter(_assigned_to(user))


def call_get_for(user: User, call_id: int) -> Call | None:
    """The call, when `user` may see it; None otherwise (the view answers 404)."""
    return (
        calls_visible_to(user)
        .select_related("response", "contact", "account__owner", "account__region__manager", "assignee",
                        "root_cause")
        .filter(pk=call_id)
        .first()
    )


def call_can_work(user: User, call: Call) -> bool:
    """Log attempts, email the customer, ask for a recovery survey: the account's current
    owner, the assignee while the call is still theirs, or an administrator. Others in
    scope (RM, director) read."""
    if user.is_administrator or call.account.owner_id == user.pk:
        return True
    return call.assignee_id == user.pk and call.assigned_for_id == call.account.owner_id


def call_can_reassign(user: User, call: Call) -> bool:
    """The assignee or owner hands it to a colleague; the region's RM reassigns within the region."""
    if not call.is_open:
        return False
    if call_can_work(user, call):
        return True
    return user.is_regional_manager and call.account.region.manager_id == user.pk


def reassign_candidates(call: Call) -> QuerySet[User]:
    """Colleagues in the call's region: AMs owning an active account there and its RM."""
    region_id = call.account.region_id
    return (
        User.objects.filter(is_active=True, role__in=[Role.ACCOUNT_MANAGER, Role.REGIONAL_MANAGER])
        .filter(Q(owned_accounts__region_id=region_id, owned_accounts__active=True)
                | Q(managed_regions__id=region_id))
        .exclude(pk=call.assignee_id)
        .distinct()
        .order_by("full_name", "email")
    )


# --- Lists ---------------------------------------------------------------------

# The AM's open calls fall in three groups, shown in this order under their own heading.
URGENCY_GROUPS = ("overdue", "today", "later")


def urgency_order(today: date) -> tuple:
    """Most urgent first: overdue, due today, later; within each, detractors before the
    rest (an unhappy customer waits least), then the earliest due. So two fresh detractors
    are never buried under a year-old backlog of promoters."""
    return (
        Case(When(due_on__lt=today, then=Value(0)), When(due_on=today, then=Value(1)), default=Value(2)).asc(),
        Case(When(category=Category.DETRACTOR, then=Value(0)), default=Value(1)).asc(),
        "due_on", "answered_at", "pk",
    )


def call_list_for(user: User, *, state: str = Call.State.OPEN, today: date | None = None) -> QuerySet[Call]:
    """The user's own calls. Open: by urgency (`urgency_order`); closed: latest first."""
    calls = calls_assigned_to(user).filter(state=state).select_related(*LIST_RELATED)
    if state == Call.State.OPEN:
        return calls.order_by(*urgency_order(today or timezone.localdate()))
    return calls.order_by("-closed_at", "-pk")


def urgency_of(call: Call, today: date) -> str:
    if call.due_on < today:
        return "overdue"
    return "today" if call.due_on == today else "later"


def calls_by_urgency(calls: list[Call], today: date, counts: dict[str, int] | None = None) -> list[tuple]:
    """[(group, its calls, its count on all pages)] for the groups on this page, in
    URGENCY_GROUPS order, each call with `days_late` set. `calls` come in `urgency_order`,
    so each group keeps it."""
    groups: dict[str, list[Call]] = {name: [] for name in URGENCY_GROUPS}
    for call in with_days_late(calls, today):
        groups[urgency_of(call, today)].append(call)
    counts = counts or {}
    return [(name, rows, counts.get(name, len(rows))) for name, rows in groups.items() if rows]


def calls_closed_recently_for(user: User, *, days: int = 14) -> QuerySet[Call]:
    since = timezone.now() - timedelta(days=days)
    return (
        calls_assigned_to(user).filter(closed_at__gte=since)
        .exclude(state=Call.State.OPEN)
        .select_related(*LIST_RELATED)
        .order_by("-closed_at", "-pk")
    )


def call_for_response(user: User, response: Response) -> Call | None:
    """The call of an answer, when `user` may see it, with its number of attempts (the
    answer's page, `followups/_call_for_response.html`)."""
    return (
        calls_visible_to(user).filter(response_id=response.pk)
        .select_related("assignee", "root_cause")
        .annotate(attempt_count=Count("attempts"))
        .first()
    )


def call_themes(call: Call) -> list[Theme]:
    """The themes of the call's answer as they stand (tagged, and corrected by people), in
    the taxonomy's order."""
    return list(Theme.objects.filter(response_themes__response_id=call.response_id).order_by("position", "key"))


# --- Overdue: one definition -------------------------------------------------------
# A call is overdue when it is still open and its due date has passed (due before today).
# Every count, list and email of overdue calls reads through `overdue_q`, so a page, its
# neighbour and the morning email give one number for one scope. Being overdue is a state
# of now: an overdue call counts whatever the date of its answer.

# "More than a week late": the RM's box and the email name it wherever they use it.
LONG_OVERDUE_DAYS = 7


def overdue_q(today: date) -> Q:
    return Q(state=Call.State.OPEN, due_on__lt=today)


def not_due_q(today: date) -> Q:
    """Open and due today or later: neither done nor missed yet."""
    return Q(state=Call.State.OPEN, due_on__gte=today)


def calls_overdue(accounts_qs: QuerySet[Account], *, today: date | None = None) -> QuerySet[Call]:
    """The overdue calls of these accounts (already scoped by the caller), oldest due first."""
    today = today or timezone.localdate()
    return (
        Call.objects.filter(overdue_q(today), accounts_in_scope(accounts_qs))
        .select_related(*LIST_RELATED, "account__region")
        .order_by("due_on", "pk")
    )


def overdue_scope(user: User, *, region: Region | None = None) -> QuerySet[Account]:
    """Whose overdue calls a user follows up: an RM those of the accounts they may read
    (their regions', and any they own), directors and administrators everybody's, of one
    `region` when given. AMs: none here (their own list shows theirs)."""
    if not user.is_authenticated or not user.is_active or not (user.is_regional_manager or user.sees_everything):
        return Account.objects.none()
    accounts = accounts_visible_to(user)
    return accounts.filter(region=region) if region is not None else accounts


# The overdue page's orders: by days overdue, most (the default) or least first.
OVERDUE_ORDERS = {"most_late": ("due_on", "pk"), "least_late": ("-due_on", "-pk")}


def _overdue_rows(accounts_qs: QuerySet[Account], today: date) -> QuerySet[OpenCallSummary]:
    return _scoped(OpenCallSummary, accounts_qs).filter(due_on__lt=today, open__gt=0)


def overdue_assignees(accounts_qs: QuerySet[Account], *, today: date) -> QuerySet[User]:
    """Who the overdue calls of these accounts (already scoped) are assigned to: the overdue
    page's choice of person, from the open calls' summary rows by assignee, not the calls."""
    ids = _overdue_rows(accounts_qs, today).values("assignee_id")
    return User.objects.filter(pk__in=ids).order_by("full_name", "email")


def overdue_count(accounts_qs: QuerySet[Account], *, today: date, assignee_id: int | None = None,
                  category: str | None = None) -> int:
    """How many overdue calls `overdue_filtered` lists for these filters, from the same rows."""
    rows = _overdue_rows(accounts_qs, today)
    if assignee_id is not None:
        rows = rows.filter(assignee_id=assignee_id)
    if category is not None:
        rows = rows.filter(category=category)
    return _zero(rows.aggregate(n=Sum("open"))["n"])


def overdue_filtered(calls: QuerySet[Call], *, assignee_id: int | None = None, category: str | None = None,
                     sort: str = "most_late") -> QuerySet[Call]:
    """The overdue `calls` of one assignee and/or category, by days overdue (`OVERDUE_ORDERS`)."""
    if assignee_id is not None:
        calls = calls.filter(assignee_id=assignee_id)
    if category is not None:
        calls = calls.filter(category=category)
    return calls.order_by(*OVERDUE_ORDERS[sort])


def overdue_summary(accounts_qs: QuerySet[Account], *, today: date | None = None) -> dict:
    """How many calls of these accounts are overdue now, how many of them more than
    LONG_OVERDUE_DAYS, and how late the oldest are (all of them, and the detractors'), in
    one aggregate over the open calls' summary rows (followups.tallies)."""
    today = today or timezone.localdate()
    detractor = Q(category=Category.DETRACTOR)
    row = _overdue_rows(accounts_qs, today).aggregate(
        count=Sum("open"),
        long=Sum("open", filter=Q(due_on__lt=today - timedelta(days=LONG_OVERDUE_DAYS))),
        oldest_due_on=Min("due_on"),
        detractors=Sum("open", filter=detractor),
        oldest_detractor_due_on=Min("due_on", filter=detractor),
    )
    for name in ("count", "long", "detractors"):
        row[name] = _zero(row[name])
    row["long_days"] = LONG_OVERDUE_DAYS
    row["oldest_days_late"] = days_late(row["oldest_due_on"], today)
    row["oldest_detractor_days_late"] = days_late(row["oldest_detractor_due_on"], today)
    return row


def days_late(due_on: date | None, today: date) -> int | None:
    """Calendar days past the due date (None when there is no date)."""
    return None if due_on is None else (today - due_on).days


def with_days_late(calls: list[Call], today: date) -> list[Call]:
    """Each call with `days_late` set, for lists that say how late."""
    for call in calls:
        call.days_late = days_late(call.due_on, today)
    return calls


def overdue_for_rm_context(user: User, *, region: Region | None = None, limit: int = 20,
                           today: date | None = None) -> dict:
    """Context for `followups/_overdue_for_rm.html` on the RM's region page: the overdue
    calls of the region (the oldest `limit` of them) and their summary."""
    today = today or timezone.localdate()
    accounts = overdue_scope(user, region=region)
    return {
        "overdue_calls": with_days_late(list(calls_overdue(accounts, today=today)[:limit]), today),
        "overdue": overdue_summary(accounts, today=today),
        "overdue_region": region,
        "today": today,
    }


def absences_of(user: User) -> QuerySet[Absence]:
    return Absence.objects.filter(user=user, ends_on__gte=timezone.localdate()).select_related("cover")


def cover_candidates(user: User) -> QuerySet[User]:
    """Colleagues who can cover: active AMs and RMs sharing a region with the user, else all."""
    regions = Region.objects.filter(Q(accounts__owner=user) | Q(manager=user)).values("pk")
    colleagues = (
        User.objects.filter(is_active=True, role__in=[Role.ACCOUNT_MANAGER, Role.REGIONAL_MANAGER])
        .exclude(pk=user.pk)
    )
    near = colleagues.filter(Q(owned_accounts__region__in=regions) | Q(managed_regions__in=regions)).distinct()
    return near if near.exists() else colleagues


# --- Discipline figures (from the call summaries) ---------------------------------------
# The figures read followups.tallies' summary rows, a few per owner, region and month
# (and, for open calls, due date), never the calls themselves: a page costs the same at
# a thousand answers and at ten million. The rows are kept exact in each event's own
# transaction; "not due yet", "missed" and the detractor figures, which depend on today,
# are sums of the open calls' rows with a condition on their due date.

def _scoped(model, accounts_qs: QuerySet[Account]) -> QuerySet:
    """Summary rows of the (owner, region) pairs of `accounts_qs` (already scoped by the
    caller). Exact: every scope (surveys.selectors.accounts_visible_to: an AM's own
    accounts, an RM's regions' and own ones, everything; optionally of one region) holds
    either all the accounts of an owner in a region or none of them, so a row, which adds
    up exactly those accounts, is either wholly in the scope or wholly out."""
    return model.objects.filter(pairs_in_scope(accounts_qs))


def _month(moment) -> date:
    """The month a period bound starts. The summaries count whole local months, and the
    periods are whole local months (feedback.periods.rollup_since)."""
    month = month_of_moment(moment)
    if month_begins(month) != moment:
        raise ValueError(f"discipline periods start at a month's first moment, not {moment}")
    return month


def _in_period(rows: QuerySet, since, until) -> QuerySet:
    if since:
        rows = rows.filter(month__gte=_month(since))
    if until:
        rows = rows.filter(month__lt=_month(until))
    return rows


def _period_q(since, until) -> Q:
    q = Q()
    if since:
        q &= Q(month__gte=_month(since))
    if until:
        q &= Q(month__lt=_month(until))
    return q


def _zero(value) -> int:
    return value or 0


def _sums(rows: QuerySet, group: tuple[str, ...], **sums) -> list[dict]:
    """One row of sums per group, or the one total row when `group` is empty."""
    if not group:
        return [rows.aggregate(**sums)]
    return list(rows.values(*group).annotate(**sums).order_by())


def _answers(accounts_qs: QuerySet[Account], since, until, group: tuple[str, ...]) -> dict:
    """{group: counted answers} from the answers' own summary (surveys.OwnerMonthSummary:
    answers not suspect, by the month they were given), as the rollups count them."""
    rows = _sums(_in_period(_scoped(OwnerMonthSummary, accounts_qs), since, until), group,
                 n=Sum(F("promoters") + F("passives") + F("detractors")))
    return {tuple(row[g] for g in group): _zero(row["n"]) for row in rows}


def _call_counts(accounts_qs: QuerySet[Account], since, until, today: date, group: tuple[str, ...]) -> dict:
    """{group: figures}, each call one of: reached, closed without reaching (unreachable,
    declined), not due yet, missed (overdue); cancelled ones count nowhere. With
    `overdue_now` and `detractors_overdue_now`: open past the due date whatever the
    period. Two grouped reads: the calls' months, and the open calls by due date."""
    detractor = Q(category=Category.DETRACTOR)
    months = _sums(
        _in_period(_scoped(CallMonthSummary, accounts_qs), since, until), group,
        with_call=Sum("calls"), attempted=Sum("attempted"), reached=Sum("reached"),
        closed_unreached=Sum("closed_unreached"), detractor_calls=Sum("calls", filter=detractor),
        detractor_first_on_time=Sum("on_time", filter=detractor),
    )
    period = _period_q(since, until)
    not_due, late = Q(due_on__gte=today), Q(due_on__lt=today)
    opens = _sums(
        _scoped(OpenCallSummary, accounts_qs), group,
        not_due=Sum("open", filter=period & not_due),
        missed=Sum("open", filter=period & late),
        # Detractor calls neither tried nor past their due date are not due yet.
        detractor_untried_not_due=Sum(F("open") - F("attempted"), filter=period & detractor & not_due),
        # Tried on time, but still open past the due date: late after all.
        detractor_on_time_late=Sum("on_time", filter=period & detractor & late),
        detractor_missed=Sum("open", filter=period & detractor & late),
        overdue_now=Sum("open", filter=late),
        detractors_overdue_now=Sum("open", filter=detractor & late),
    )
    result: dict = defaultdict(lambda: dict.fromkeys(_COUNTED, 0))
    for query in (months, opens):
        for row in query:
            counts = result[tuple(row.pop(g) for g in group)]
            for name, value in row.items():
                counts[name] = _zero(value)
    for counts in result.values():
        counts["detractor_due"] = counts.pop("detractor_calls") - counts.pop("detractor_untried_not_due")
        counts["detractor_on_time"] = counts.pop("detractor_first_on_time") - counts.pop("detractor_on_time_late")
    return result


_COUNTED = ("with_call", "attempted", "reached", "closed_unreached", "detractor_calls", "detractor_first_on_time",
            "not_due", "missed", "detractor_untried_not_due", "detractor_on_time_late", "detractor_missed",
            "overdue_now", "detractors_overdue_now")
ZERO_CALLS = {"with_call": 0, "attempted": 0, "reached": 0, "closed_unreached": 0, "not_due": 0, "missed": 0,
              "detractor_due": 0, "detractor_on_time": 0, "detractor_missed": 0, "overdue_now": 0,
              "detractors_overdue_now": 0}

# Detractor calls on time: the standard (80% or better, and none left open past its due date).
ON_TIME_STANDARD = Fraction(4, 5)


def _share(part: int, whole: int) -> Fraction | None:
    """Exact; rounded once, where it is shown (surveys.display)."""
    return Fraction(part, whole) if whole else None


def _shares(row: dict, *, detractors_overdue_now: int) -> dict:
    """Follow-up done = reached, of the calls that are due (closed, or open past the due
    date): calls not due yet count as neither done nor missed. `detractors_overdue_now`:
    the scope's detractor calls open past their due date, whatever the period."""
    row["due"] = row["with_call"] - row["not_due"]
    row["without_call"] = max(row["answers"] - row["with_call"], 0)
    row["done_share"] = _share(row["reached"], row["due"])
    row["detractor_on_time_share"] = share = _share(row["detractor_on_time"], row["detractor_due"])
    row["detractors_overdue_now"] = detractors_overdue_now
    # Good only when the standard is met and no detractor is left waiting past the due
    # date, not even one answered before the period.
    row["detractor_on_time_ok"] = (
        None if share is None else share >= ON_TIME_STANDARD and detractors_overdue_now == 0
    )
    return row


def _delays(accounts_qs: QuerySet[Account], group: tuple[str, ...]) -> dict:
    """{(*group, kind): HalfWithin} of all time: half of the calls were tried (reached)
    within it (followups.delays), from the calls' delay buckets."""
    buckets: dict = defaultdict(dict)
    rows = _scoped(CallDelaySummary, accounts_qs).values_list(*group, "kind", "bucket").annotate(
        n=Sum("calls")
    ).order_by()
    for *key, bucket, n in rows:
        buckets[tuple(key)][bucket] = n
    return {key: half_within(counts) for key, counts in buckets.items()}


def discipline_figures(accounts_qs: QuerySet[Account], *, since=None, until=None, today: date | None = None,
                       delays: bool = False, by_am: dict | None = None) -> dict:
    """Follow-up discipline over the answers of `accounts_qs` (already scoped by the caller)
    answered in [since, until) (starts of local months).

    answers; their calls reached, closed without reaching, not due yet, missed (overdue);
    done_share (reached, of the calls due); detractor_on_time_share (detractor calls due or
    attempted: first attempt by the due date and not open past it) against the standard;
    top root causes; and `overdue`, the calls overdue now whatever their answer's date
    (`overdue_summary`), the same count as the overdue page's. With `delays` (the
    discipline page; all time): by category, half of the calls tried / reached within.
    Shares are exact fractions. `by_am`: `discipline_by_am` of the same scope, period and
    today, read already by the page; the totals are then its sums (every summary row is one
    owner's), not a second read of the same rows.
    """
    today = today or timezone.localdate()
    if by_am is None:
        totals = {**ZERO_CALLS, **_call_counts(accounts_qs, since, until, today, ()).get((), {})}
        totals["answers"] = _answers(accounts_qs, since, until, ()).get((), 0)
    else:
        totals = {name: sum(row[name] for row in by_am.values()) for name in (*ZERO_CALLS, "answers")}
    overdue = overdue_summary(accounts_qs, today=today)
    figures = _shares(totals, detractors_overdue_now=overdue["detractors"])
    figures["period_limited"] = since is not None or until is not None
    figures["overdue"] = overdue
    half = _delays(accounts_qs, ("category",)) if delays else {}
    figures["by_category"] = [
        {
            "category": category,
            "label": label,
            "half_tried_within": half.get((category, "first_attempt")),
            "half_reached_within": half.get((category, "reached")),
        }
        for category, label in Category.choices
    ]
    figures["root_causes"] = top_root_causes(accounts_qs, since=since, until=until)
    figures["recovery"] = recovery_figures(accounts_qs)
    return figures


def _grouped(accounts_qs, key: str, since, until, today, delays: bool) -> dict:
    """Figures per `key` ("owner_id" or "region_id" of the account now): answers from the
    answers' summary, call figures from the calls' summaries, each one grouped read."""
    today = today or timezone.localdate()
    answers = _answers(accounts_qs, since, until, (key,))
    calls = _call_counts(accounts_qs, since, until, today, (key,))
    half = _delays(accounts_qs, (key,)) if delays else {}
    result = {}
    groups = {g for g, n in answers.items() if n} | {
        g for g, c in calls.items() if c["with_call"] or c["overdue_now"]
    }
    for group in sorted(groups):
        counted = {**ZERO_CALLS, **calls.get(group, {})}
        row = _shares({"answers": answers.get(group, 0), **counted},
                      detractors_overdue_now=counted["detractors_overdue_now"])
        row["half_tried_within"] = half.get((*group, "first_attempt"))
        row["half_reached_within"] = half.get((*group, "reached"))
        result[group[0]] = row
    return result


def discipline_by_am(accounts_qs: QuerySet[Account], *, since=None, until=None, today=None,
                     delays: bool = False) -> dict[int, dict]:
    """{account owner id: figures} for the rollups' per-AM table ("follow-up done" is
    `done_share`, with `not_due` and `missed` beside it). Keyed by the account's owner, as
    the per-AM answers are."""
    return _grouped(accounts_qs, "owner_id", since, until, today, delays)


def discipline_by_region(accounts_qs: QuerySet[Account], *, since=None, until=None, today=None,
                         delays: bool = False) -> dict[int, dict]:
    return _grouped(accounts_qs, "region_id", since, until, today, delays)


def top_root_causes(accounts_qs: QuerySet[Account], *, since=None, until=None, limit: int = 3) -> list[dict]:
    """Per category, the most frequent root causes of reached calls: [{category, label, causes: [(name, n)]}]."""
    rows = (
        _in_period(_scoped(RootCauseSummary, accounts_qs), since, until)
        .values("category", "root_cause__name")
        .annotate(n=Sum("reached"))
        .filter(n__gt=0)
        .order_by("category", "-n", "root_cause__name")
    )
    by_category = defaultdict(list)
    for row in rows:
        if len(by_category[row["category"]]) < limit:
            by_category[row["category"]].append((row["root_cause__name"], row["n"]))
    return [
        {"category": category, "label": label, "causes": by_category.get(category, [])}
        for category, label in Category.choices
    ]


def recovery_figures(accounts_qs: QuerySet[Account]) -> dict:
    """Recovery surveys asked for, answered again, and recovered (answered again higher)."""
    later = Response.objects.filter(
        contact_id=OuterRef("contact_id"), suspect=False, answered_at__gt=OuterRef("requested_at")
    )
    return RecoveryRequest.objects.filter(accounts_in_scope(accounts_qs)).aggregate(
        requested=Count("pk"),
        answered_again=Count("pk", filter=Exists(later)),
        recovered=Count("pk", filter=Exists(later.filter(score__gt=OuterRef("original_score")))),
    )


def absences_covered_by(user: User) -> QuerySet[Absence]:
    return Absence.objects.filter(cover=user, ends_on__gte=timezone.localdate()).select_related("user")


def uncalled_detractor_calls(accounts_qs: QuerySet[Account], *, since=None) -> QuerySet[Call]:
    """Detractors nobody has tried to call yet (open, no attempt), most overdue first."""
    calls = Call.objects.filter(
        accounts_in_scope(accounts_qs), state=Call.State.OPEN, category=Category.DETRACTOR,
        first_attempt_at__isnull=True
    )
    if since:
        # A call is never due before the day of its answer: the second condition says
        # nothing new, but lets the (due_on, id) index start at the period instead of
        # stepping over every older call not made yet.
        calls = calls.filter(answered_at__gte=since, due_on__gte=timezone.localdate(since))
    return calls.select_related("contact", "account", "assignee", "response").order_by("due_on", "pk")
