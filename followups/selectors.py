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

from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from feedback.models import Category, Response
from surveys.models import Account, Region, Role, User
from surveys.selectors import accounts_visible_to

from .models import Absence, Call, RecoveryRequest

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

def call_list_for(user: User, *, state: str = Call.State.OPEN) -> QuerySet[Call]:
    """The user's own calls. Open: today's and overdue first (oldest due first), then by due date."""
    calls = calls_assigned_to(user).filter(state=state).select_related(*LIST_RELATED)
    if state == Call.State.OPEN:
        return calls.order_by("due_on", "answered_at", "pk")
    return calls.order_by("-closed_at", "-pk")


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
        Call.objects.filter(overdue_q(today), account_id__in=accounts_qs.values("pk"))
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


def calls_overdue_for_user(user: User, *, region: Region | None = None, today: date | None = None) -> QuerySet[Call]:
    """The overdue page's calls: `calls_overdue` of the user's `overdue_scope`."""
    return calls_overdue(overdue_scope(user, region=region), today=today)


def overdue_summary(accounts_qs: QuerySet[Account], *, today: date | None = None) -> dict:
    """How many calls of these accounts are overdue now, how many of them more than
    LONG_OVERDUE_DAYS, and how late the oldest are (all of them, and the detractors'), in
    one aggregate over the (state, due_on) index."""
    today = today or timezone.localdate()
    detractor = Q(category=Category.DETRACTOR)
    row = calls_overdue(accounts_qs, today=today).order_by().aggregate(
        count=Count("pk"),
        long=Count("pk", filter=Q(due_on__lt=today - timedelta(days=LONG_OVERDUE_DAYS))),
        oldest_due_on=Min("due_on"),
        detractors=Count("pk", filter=detractor),
        oldest_detractor_due_on=Min("due_on", filter=detractor),
    )
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


# --- Discipline figures (SQL) ------------------------------------------------------

def _answers(accounts_qs: QuerySet[Account], since=None, until=None) -> QuerySet[Response]:
    answers = Response.objects.filter(account__in=accounts_qs, suspect=False)
    if since:
        answers = answers.filter(answered_at__gte=since)
    if until:
        answers = answers.filter(answered_at__lt=until)
    return answers


def _calls(accounts_qs: QuerySet[Account], since=None, until=None) -> QuerySet[Call]:
    calls = Call.objects.filter(account__in=accounts_qs).exclude(state=Call.State.CANCELLED)
    if since:
        calls = calls.filter(answered_at__gte=since)
    if until:
        calls = calls.filter(answered_at__lt=until)
    return calls


def _call_counts(today: date) -> dict:
    """Aggregates over Call rows (one per answer that is not suspect; cancelled ones excluded).
    Counting calls on their own table, not joined to the answers, keeps it to index scans
    of the scope's accounts. Each call is one of: reached, closed without reaching
    (unreachable, declined), not due yet, missed (overdue)."""
    detractor = Q(category=Category.DETRACTOR)
    detractor_due = detractor & (Q(due_on__lt=today) | Q(first_attempt_on__isnull=False))
    return {
        "with_call": Count("pk"),
        "attempted": Count("pk", filter=Q(first_attempt_at__isnull=False)),
        "reached": Count("pk", filter=Q(state=Call.State.REACHED)),
        "closed_unreached": Count("pk", filter=Q(state__in=[Call.State.UNREACHABLE, Call.State.DECLINED])),
        "not_due": Count("pk", filter=not_due_q(today)),
        "missed": Count("pk", filter=overdue_q(today)),
        "detractor_due": Count("pk", filter=detractor_due),
        # On time: first attempt by the due date, and not still open past it (a call tried
        # once on time and left open for a year is late).
        "detractor_on_time": Count(
            "pk", filter=detractor_due & Q(first_attempt_on__lte=F("due_on")) & ~overdue_q(today)
        ),
        "detractor_missed": Count("pk", filter=detractor & overdue_q(today)),
    }


ZERO_CALLS = {"with_call": 0, "attempted": 0, "reached": 0, "closed_unreached": 0, "not_due": 0, "missed": 0,
              "detractor_due": 0, "detractor_on_time": 0, "detractor_missed": 0}

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


def _medians(calls: QuerySet[Call], field: str, group: tuple[str, ...]) -> dict:
    """Median of an integer column per group, in SQL: number the rows in each group by
    value and keep the middle one or two (window functions; PostgreSQL and SQLite)."""
    partition = [F(g) for g in group] or None
    ranked = (
        calls.filter(**{f"{field}__isnull": False})
        .annotate(
            rn=Window(RowNumber(), partition_by=partition, order_by=[F(field).asc(), F("pk").asc()]),
            n=Window(Count("pk"), partition_by=partition),
        )
        .filter(Q(rn=(F("n") + 1) / 2) | Q(rn=(F("n") + 2) / 2))
        .values(*group, field)
    )
    middles = defaultdict(list)
    for row in ranked:
        middles[tuple(row[g] for g in group)].append(row[field])
    return {key: Fraction(sum(values), len(values)) for key, values in middles.items()}


def _hours(seconds: Fraction | None) -> Fraction | None:
    return None if seconds is None else seconds / 3600


def discipline_figures(accounts_qs: QuerySet[Account], *, since=None, until=None, today: date | None = None) -> dict:
    """Follow-up discipline over the answers of `accounts_qs` (already scoped by the caller)
    answered in [since, until).

    answers; their calls reached, closed without reaching, not due yet, missed (overdue);
    done_share (reached, of the calls due); detractor_on_time_share (detractor calls due or
    attempted: first attempt by the due date and not open past it) against the standard;
    medians by category in hours; top root causes; and `overdue`, the calls overdue now
    whatever their answer's date (`overdue_summary`), the same count as the overdue page's.
    Shares are exact fractions.
    """
    today = today or timezone.localdate()
    calls = _calls(accounts_qs, since, until)
    totals = calls.aggregate(**_call_counts(today))
    totals["answers"] = _answers(accounts_qs, since, until).count()
    overdue = overdue_summary(accounts_qs, today=today)
    figures = _shares(totals, detractors_overdue_now=overdue["detractors"])
    figures["period_limited"] = since is not None or until is not None
    figures["overdue"] = overdue
    first = _medians(calls, "seconds_to_first_attempt", ("category",))
    reached = _medians(calls, "seconds_to_reached", ("category",))
    figures["by_category"] = [
        {
            "category": category,
            "label": label,
            "median_hours_to_first_attempt": _hours(first.get((category,))),
            "median_hours_to_reached": _hours(reached.get((category,))),
        }
        for category, label in Category.choices
    ]
    figures["root_causes"] = top_root_causes(accounts_qs, since=since, until=until)
    figures["recovery"] = recovery_figures(accounts_qs)
    return figures


def _grouped(accounts_qs, key: str, since, until, today) -> dict:
    """Figures per `key` ("account__owner" or "account__region"): answers counted on the
    answers, call figures on the calls, each one grouped query; medians by window."""
    today = today or timezone.localdate()
    answers = dict(
        _answers(accounts_qs, since, until).values(key).annotate(n=Count("pk")).order_by().values_list(key, "n")
    )
    calls = _calls(accounts_qs, since, until)
    call_rows = {row.pop(key): row for row in calls.values(key).annotate(**_call_counts(today)).order_by()}
    overdue_now = {
        row.pop(key): row
        for row in calls_overdue(accounts_qs, today=today).values(key).annotate(
            count=Count("pk"), detractors=Count("pk", filter=Q(category=Category.DETRACTOR))
        ).order_by()
    }
    first = _medians(calls, "seconds_to_first_attempt", (key,))
    reached = _medians(calls, "seconds_to_reached", (key,))
    result = {}
    for group_id in sorted(set(answers) | set(call_rows) | set(overdue_now), key=lambda g: (g is None, g)):
        late = overdue_now.get(group_id, {"count": 0, "detractors": 0})
        row = _shares({"answers": answers.get(group_id, 0), **call_rows.get(group_id, ZERO_CALLS)},
                      detractors_overdue_now=late["detractors"])
        row["overdue_now"] = late["count"]
        row["median_hours_to_first_attempt"] = _hours(first.get((group_id,)))
        row["median_hours_to_reached"] = _hours(reached.get((group_id,)))
        result[group_id] = row
    return result


def discipline_by_am(accounts_qs: QuerySet[Account], *, since=None, until=None, today=None) -> dict[int, dict]:
    """{account owner id: figures} for the rollups' per-AM table ("follow-up done" is
    `done_share`, with `not_due` and `missed` beside it). Keyed by the account's owner, as
    the per-AM answers are."""
    return _grouped(accounts_qs, "account__owner", since, until, today)


def discipline_by_region(accounts_qs: QuerySet[Account], *, since=None, until=None, today=None) -> dict[int, dict]:
    return _grouped(accounts_qs, "account__region", since, until, today)


def top_root_causes(accounts_qs: QuerySet[Account], *, since=None, until=None, limit: int = 3) -> list[dict]:
    """Per category, the most frequent root causes of reached calls: [{category, label, causes: [(name, n)]}]."""
    rows = (
        _calls(accounts_qs, since, until)
        .filter(state=Call.State.REACHED, root_cause__isnull=False)
        .values("category", "root_cause__name")
        .annotate(n=Count("pk"))
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
    return RecoveryRequest.objects.filter(account__in=accounts_qs).aggregate(
        requested=Count("pk"),
        answered_again=Count("pk", filter=Exists(later)),
        recovered=Count("pk", filter=Exists(later.filter(score__gt=OuterRef("original_score")))),
    )


def absences_covered_by(user: User) -> QuerySet[Absence]:
    return Absence.objects.filter(cover=user, ends_on__gte=timezone.localdate()).select_related("user")


def uncalled_detractor_calls(accounts_qs: QuerySet[Account], *, since=None) -> QuerySet[Call]:
    """Detractors nobody has tried to call yet (open, no attempt), most overdue first."""
    calls = Call.objects.filter(
        account__in=accounts_qs, state=Call.State.OPEN, category=Category.DETRACTOR, first_attempt_at__isnull=True
    )
    if since:
        calls = calls.filter(answered_at__gte=since)
    return calls.select_related("contact", "account", "assignee", "response").order_by("due_on", "pk")
