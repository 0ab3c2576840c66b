"""Reads of the answers: inboxes, the answers list and its filters, rollups.

Every read starts from the user's scope (`surveys.selectors.accounts_visible_to`).
Rollups aggregate in SQL (one grouped query per table); only the arithmetic on the
resulting counts (NPS, margin of error) happens in Python. Suspect answers never
count in a figure; they are listed (marked) in inboxes and the answers list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from surveys.models import Account, Contact, Level, Region, Role, User
from surveys.selectors import accounts_visible_to, regions_visible_to

from .models import (
    AccountSummary,
    Category,
    Digest,
    MonthSummary,
    Note,
    NotificationSettings,
    OwnerMonthSummary,
    OwnershipChange,
    Response,
)

# Below this many answers a figure is shown as "too few answers", not as a number.
MIN_N = 10
Z95 = 1.96


# --- Figures -------------------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    """Counts of one group of (non-suspect) answers, and what follows from them."""

    n: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    delivered: int | None = None  # delivered invitations, when the rate is known
    answered: int | None = None  # of those, answered (non-suspect)

    @classmethod
    def from_row(cls, row: dict, *, delivered=None, answered=None) -> Figures:
        return cls(
            n=row.get("n") or 0,
            promoters=row.get("promoters") or 0,
            passives=row.get("passives") or 0,
            detractors=row.get("detractors") or 0,
            delivered=delivered,
            answered=answered,
        )

    @property
    def confident(self) -> bool:
        return self.n >= MIN_N

    def _share(self, count: int) -> float | None:
        return count / self.n if self.n else None

    @property
    def promoter_share(self) -> float | None:
        return self._share(self.promoters)

    @property
    def passive_share(self) -> float | None:
        return self._share(self.passives)

    @property
    def detractor_share(self) -> float | None:
        return self._share(self.detractors)

    @property
    def nps(self) -> float | None:
        """Percentage points, -100..100."""
        if not self.n:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.n

    @property
    def margin(self) -> float | None:
        """95% margin of error of the NPS, in percentage points."""
        if not self.n:
            return None
        p, d = self.promoters / self.n, self.detractors / self.n
        variance = max(p + d - (p - d) ** 2, 0.0)
        return 100.0 * Z95 * math.sqrt(variance / self.n)

    @property
    def response_rate(self) -> float | None:
        if not self.delivered:
            return None
        return (self.answered or 0) / self.delivered


COUNTS = {
    "n": Count("pk"),
    "promoters": Count("pk", filter=Q(category=Category.PROMOTER)),
    "passives": Count("pk", filter=Q(category=Category.PASSIVE)),
    "detractors": Count("pk", filter=Q(category=Category.DETRACTOR)),
}


# --- Scope ---------------------------------------------------------------------------

def responses_visible_to(user: User) -> QuerySet[Response]:
    """Answers `user` may read (DESIGN §3)."""
    if user.is_authenticated and user.is_active and user.sees_everything:
        return Response.objects.all()
    return Response.objects.filter(account__in=accounts_visible_to(user))


def response_for(user: User, pk: int) -> Response | None:
    return (
        responses_visible_to(user)
        .select_related("contact", "account__owner", "account__region", "invitation__wave", "triaged_by")
        .filter(pk=pk)
        .first()
    )


def account_for(user: User, pk: int) -> Account | None:
    return accounts_visible_to(user).select_related("owner", "region__manager").filter(pk=pk).first()


def region_for(user: User, pk: int) -> Region | None:
    return regions_visible_to(user).select_related("manager").filter(pk=pk).first()


def can_triage(user: User, response: Response) -> bool:
    """The owning AM triages; administrators may too (DESIGN §3)."""
    return response.account.owner_id == user.pk or user.is_administrator


def can_change_owner(user: User, account: Account) -> bool:
    """Administrators anywhere; a regional manager within their region."""
    if user.is_administrator:
        return True
    return user.is_regional_manager and account.region.manager_id == user.pk


def owner_candidates(account: Account) -> QuerySet[User]:
    """Who may own an account: active account managers and regional managers."""
    return User.objects.filter(is_active=True, role__in=[Role.ACCOUNT_MANAGER, Role.REGIONAL_MANAGER]).exclude(
        pk=account.owner_id
    )


# --- Periods and filters -------------------------------------------------------------

PERIODS = {
    "all": "All time",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "3m": "This and the last 2 months",
    "12m": "Last 12 months",
}


def month_start(d: date, back: int = 0) -> date:
    """First day of the month `back` months before d's month."""
    index = d.year * 12 + (d.month - 1) - back
    return date(index // 12, index % 12 + 1, 1)


def _aware(d: date) -> datetime:
    return timezone.make_aware(datetime(d.year, d.month, d.day))


def period_bounds(period: str, month: date | None = None, now: datetime | None = None):
    """(start, end) datetimes, either may be None (open)."""
    now = now or timezone.now()
    if month is not None:
        return _aware(month), _aware(month_start(month, -1))
    if period == "7d":
        return now - timedelta(days=7), None
    if period == "30d":
        return now - timedelta(days=30), None
    if period == "90d":
        return now - timedelta(days=90), None
    if period == "3m":
        return _aware(month_start(timezone.localdate(now), 2)), None
    if period == "12m":
        return _aware(month_start(timezone.localdate(now), 11)), None
    return None, None


@dataclass
class AnswerFilter:
    """What the answers list, the inbox and the export show; parsed from the query string
    by `feedback.forms.AnswerFilterForm`, and written back into links by `querystring()`."""

    category: str = ""
    triage: str = ""
    period: str = "all"
    month: date | None = None
    region: int | None = None
    owner: int | None = None
    account: int | None = None
    level: str = ""
    reason: str = ""  # "with" / "without"
    suspect: str = ""  # "" all, "no" counted only, "yes" suspect only
    extra: dict = field(default_factory=dict)

    def apply(self, qs: QuerySet[Response]) -> QuerySet[Response]:
        if self.category:
            qs = qs.filter(category=self.category)
        if self.triage:
            qs = qs.filter(triage=self.triage)
        start, end = period_bounds(self.period, self.month)
        if start is not None:
            qs = qs.filter(answered_at__gte=start)
        if end is not None:
            qs = qs.filter(answered_at__lt=end)
        if self.region:
            qs = qs.filter(account__region_id=self.region)
        if self.owner:
            qs = qs.filter(account__owner_id=self.owner)
        if self.account:
            qs = qs.filter(account_id=self.account)
        if self.level:
            qs = qs.filter(contact__level=self.level)
        if self.reason == "with":
            qs = qs.exclude(reason="")
        elif self.reason == "without":
            qs = qs.filter(reason="")
        if self.suspect == "no":
            qs = qs.filter(suspect=False)
        elif self.suspect == "yes":
            qs = qs.filter(suspect=True)
        return qs

    def params(self) -> dict:
        out = {}
        for name in ("category", "triage", "level", "reason", "suspect", "region", "owner", "account"):
            value = getattr(self, name)
            if value:
                out[name] = value
        if self.month:
            out["month"] = self.month.strftime("%Y-%m")
        elif self.period and self.period != "all":
            out["period"] = self.period
        return out

    @property
    def active(self) -> bool:
        return bool(self.params())


OPEN_DETRACTOR = Q(category=Category.DETRACTOR, triage__in=[Response.Triage.NEW, Response.Triage.SEEN])
PINNED_MAX = 30


def inbox_pinned(user: User, flt: AnswerFilter) -> QuerySet[Response]:
    """The user's detractors not yet handled: on top of the inbox, newest first."""
    qs = Response.objects.filter(account__owner=user).filter(OPEN_DETRACTOR)
    return flt.apply(qs).select_related("contact", "account").order_by("-answered_at", "-pk")


def inbox_responses(user: User, flt: AnswerFilter) -> QuerySet[Response]:
    """The rest of the user's own accounts' answers, newest first."""
    qs = Response.objects.filter(account__owner=user).exclude(OPEN_DETRACTOR)
    return flt.apply(qs).select_related("contact", "account").order_by("-answered_at", "-pk")


def answers_list(user: User, flt: AnswerFilter) -> QuerySet[Response]:
    return (
        flt.apply(responses_visible_to(user))
        .select_related("contact", "account__owner", "account__region")
        .order_by("-answered_at", "-pk")
    )


def new_answers_count(user: User) -> int:
    """For the navigation: one cheap query (partial index on new answers)."""
    return Response.objects.filter(account__owner=user, triage=Response.Triage.NEW).count()


def export_rows(user: User, flt: AnswerFilter):
    """Tuples for the CSV export, streamed from the database in chunks."""
    qs = flt.apply(responses_visible_to(user)).order_by("-answered_at", "-pk")
    return qs.values_list(
        "pk", "answered_at", "changed_at", "score", "category", "reason", "language", "suspect", "suspect_reason",
        "triage", "contact__name", "contact__email", "contact__level", "account__external_id", "account__name",
        "account__region__name", "account__owner__email",
    ).iterator(chunk_size=2000)


EXPORT_HEADER = [
    "response_id", "answered_at", "changed_at", "score", "category", "reason", "language", "suspect",
    "suspect_reason", "triage", "contact_name", "contact_email", "contact_level", "account_id", "account_name",
    "region", "account_manager_email",
]


# --- The answer's page and the account's page ----------------------------------------

def contact_history(response: Response) -> list[Response]:
    """This contact's other answers, newest first."""
    return list(
        Response.objects.filter(contact_id=response.contact_id)
        .exclude(pk=response.pk)
        .select_related("invitation__wave")
        .order_by("-answered_at")[:20]
    )


def notes_for(response: Response) -> list[Note]:
    return list(Note.objects.filter(response=response).select_related("author"))


@dataclass
class LevelRow:
    level: str
    label: str
    contacts: list = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return any(c.last_answer_id for c in self.contacts)


def account_contacts_by_level(account: Account) -> list[LevelRow]:
    """Every level, its contacts, and each contact's last answer (one query)."""
    last = Response.objects.filter(contact=OuterRef("pk")).order_by("-answered_at", "-pk")
    contacts = (
        Contact.objects.filter(account=account)
        .annotate(
            last_answer_id=Subquery(last.values("pk")[:1]),
            last_score=Subquery(last.values("score")[:1]),
            last_category=Subquery(last.values("category")[:1]),
            last_answered_at=Subquery(last.values("answered_at")[:1]),
            last_suspect=Subquery(last.values("suspect")[:1]),
            answers=Coalesce(
                Subquery(
                    Response.objects.filter(contact=OuterRef("pk"))
                    .values("contact")
                    .annotate(c=Count("pk"))
                    .values("c")[:1]
                ),
                0,
            ),
        )
        .order_by("name")
    )
    rows = {value: LevelRow(value, label) for value, label in Level.choices}
    for contact in contacts:
        rows.setdefault(contact.level, LevelRow(contact.level, contact.level)).contacts.append(contact)
    return list(rows.values())


def account_recent_answers(account: Account, limit: int = 10) -> list[Response]:
    """The account's latest answers, newest first, for its page."""
    return list(
        Response.objects.filter(account=account).select_related("contact", "account__owner")
        .order_by("-answered_at")[:limit]
    )


def ownership_history(account: Account) -> list[OwnershipChange]:
    return list(
        OwnershipChange.objects.filter(account=account).select_related("old_owner", "new_owner", "changed_by")[:20]
    )


# --- Rollups (from the monthly summary, see feedback.summaries) ------------------------

SUMS = {
    "promoters": Sum("promoters"),
    "passives": Sum("passives"),
    "detractors": Sum("detractors"),
    "delivered": Sum("delivered"),
    "answered": Sum("answered"),
}


def figures_of(row: dict) -> Figures:
    p, pa, d = (row.get(k) or 0 for k in ("promoters", "passives", "detractors"))
    return Figures(
        n=p + pa + d, promoters=p, passives=pa, detractors=d,
        delivered=row.get("delivered") or 0, answered=row.get("answered") or 0,
    )


def summaries_visible_to(user: User, *, region: Region | None = None) -> QuerySet[OwnerMonthSummary]:
    """Per-owner-and-region summary rows of the user's scope: a row is visible when the
    user may see the accounts it adds up (the scope rule decides, through an EXISTS)."""
    qs = OwnerMonthSummary.objects.all()
    if not (user.is_authenticated and user.is_active and user.sees_everything):
        qs = qs.filter(
            Exists(accounts_visible_to(user).filter(owner_id=OuterRef("owner_id"), region_id=OuterRef("region_id")))
        )
    if region is not None:
        qs = qs.filter(region=region)
    return qs


def rollup_start(period: str, now=None) -> date | None:
    """The first month a rollup period covers (rollup periods are whole months)."""
    today = timezone.localdate(now or timezone.now())
    if period == "3m":
        return month_start(today, 2)
    if period == "12m":
        return month_start(today, 11)
    return None


@dataclass
class Rollup:
    """Everything a rollup page shows, for one set of accounts and one period."""

    figures: Figures
    trend: list  # [(month date, Figures)] oldest first, 12 months
    by_owner: list  # [(User, Figures)]
    by_level: list  # [(level, label, Figures)]
    by_region: list  # [(Region, Figures)]
    lowest_accounts: list  # [(Account, Figures)]
    one_voice_accounts: list  # [AccountSummary with .account]
    silent_executive_accounts: list  # [AccountSummary with .account]


def rollup(user: User, *, region: Region | None = None, period: str = "12m", now=None, regions=False) -> Rollup:
    """The figures of a rollup page: the user's scope, maybe narrowed to one region."""
    now = now or timezone.now()
    summaries = summaries_visible_to(user, region=region)
    start = rollup_start(period, now)
    in_period = summaries.filter(month__gte=start) if start else summaries
    accounts = AccountSummary.objects.all()
    if not user.sees_everything:
        accounts = accounts.filter(account__in=accounts_visible_to(user))
    if region is not None:
        accounts = accounts.filter(account__region=region)
    return Rollup(
        figures=figures_of(in_period.aggregate(**SUMS)),
        trend=summary_trend(summaries, now=now),
        by_owner=_grouped(in_period, "owner", User),
        by_level=rollup_by_level(in_period),
        by_region=_grouped(in_period, "region", Region) if regions else [],
        lowest_accounts=lowest_accounts(accounts, period),
        one_voice_accounts=list(
            accounts.filter(answering_contacts=1, contacts__gt=1, account__active=True)
            .select_related("account__owner")
            .order_by("-contacts", "account__name")[:10]
        ),
        silent_executive_accounts=list(
            accounts.filter(executive_waves_unanswered__gte=2, account__active=True)
            .select_related("account__owner")
            .order_by("-executive_waves_unanswered", "account__name")[:10]
        ),
    )


def _grouped(summaries, key: str, model) -> list:
    """[(object, Figures)] grouped by a foreign key; weakest NPS first, thin groups last."""
    figures = {row[key]: figures_of(row) for row in summaries.values(key).annotate(**SUMS).order_by()}
    objects = model.objects.in_bulk([k for k in figures if k is not None])
    rows = [(objects[k], fig) for k, fig in figures.items() if k in objects]
    rows.sort(key=lambda r: (not r[1].confident, r[1].nps if r[1].nps is not None else 999, str(r[0])))
    return rows


def rollup_by_level(summaries) -> list:
    """[(level, label, Figures)] in the order of the levels."""
    figures = {row["level"]: figures_of(row) for row in summaries.values("level").annotate(**SUMS).order_by()}
    return [(level, label, figures.get(level, Figures(delivered=0, answered=0))) for level, label in Level.choices]


def summary_trend(summaries, *, now=None, months: int = 12) -> list:
    """[(month, Figures)] for the last `months` calendar months, oldest first."""
    today = timezone.localdate(now or timezone.now())
    first = month_start(today, months - 1)
    rows = {
        row["month"]: figures_of(row)
        for row in summaries.filter(month__gte=first).values("month").annotate(**SUMS).order_by()
    }
    out = []
    for i in range(months - 1, -1, -1):
        m = month_start(today, i)
        out.append((m, rows.get(m, Figures(delivered=0, answered=0))))
    return out


def lowest_accounts(account_summaries, period: str, limit: int = 10) -> list:
    """Accounts with the lowest NPS in the period (at least 2 answers), weakest first."""
    suffix = period if period in ("3m", "12m") else "all"
    p, pa, d = (F(f"{k}_{suffix}") for k in ("promoters", "passives", "detractors"))
    rows = list(
        account_summaries.annotate(n=p + pa + d)
        .filter(n__gte=2)
        .annotate(nps_sql=Cast(p - d, FloatField()) / Cast(F("n"), FloatField()))
        .select_related("account__owner")
        .order_by("nps_sql", "-n", "account_id")[:limit]
    )
    return [
        (s.account, figures_of({k: getattr(s, f"{k}_{suffix}") for k in ("promoters", "passives", "detractors")}))
        for s in rows
    ]


def account_trend(account: Account, *, months: int = 24, now=None) -> list:
    return summary_trend(MonthSummary.objects.filter(account=account), now=now, months=months)


def account_figures(account: Account) -> Figures:
    """All-time figures of one account."""
    return figures_of(MonthSummary.objects.filter(account=account).aggregate(**SUMS))


def filter_figures(user: User, flt: AnswerFilter) -> Figures | None:
    """The figures of an answers list, from the summary, when its filter is one the summary
    can answer (whole months; no state, reason or suspect-only filter); else None."""
    if flt.triage or flt.reason or flt.suspect == "yes":
        return None
    if flt.month:
        start, end = flt.month, flt.month
    elif flt.period in ("3m", "12m", "all"):
        start, end = rollup_start(flt.period), None
    else:
        return None
    if flt.account:
        qs = MonthSummary.objects.filter(account_id=flt.account, account__in=accounts_visible_to(user))
        if flt.region:
            qs = qs.filter(account__region_id=flt.region)
        if flt.owner:
            qs = qs.filter(account__owner_id=flt.owner)
    else:
        qs = summaries_visible_to(user)
        if flt.region:
            qs = qs.filter(region_id=flt.region)
        if flt.owner:
            qs = qs.filter(owner_id=flt.owner)
    if start:
        qs = qs.filter(month__gte=start)
    if end:
        qs = qs.filter(month__lte=end)
    if flt.level:
        qs = qs.filter(level=flt.level)
    fig = figures_of(qs.aggregate(**SUMS))
    if flt.category:
        only = {k: (getattr(fig, k) if k == flt.category + "s" else 0) for k in ("promoters", "passives", "detractors")}
        fig = figures_of({**only, "delivered": fig.delivered, "answered": fig.answered})
    return fig


# --- Notifications -------------------------------------------------------------------

def default_digest(user: User) -> str:
    return Digest.WEEKLY if user.is_regional_manager or user.is_director else Digest.OFF


def notification_settings_for(user: User) -> NotificationSettings:
    """The user's settings, or (unsaved) the defaults for their role."""
    found = NotificationSettings.objects.filter(user=user).first()
    return found or NotificationSettings(user=user, digest=default_digest(user))


def users_with_digest(frequency: str) -> QuerySet[User]:
    """Active users whose (saved or default) digest is `frequency`."""
    saved = NotificationSettings.objects.filter(user=OuterRef("pk")).values("digest")[:1]
    role_default = Case(
        When(role__in=[Role.REGIONAL_MANAGER, Role.DIRECTOR], then=Value(Digest.WEEKLY.value)),
        default=Value(Digest.OFF.value),
    )
    return (
        User.objects.filter(is_active=True)
        .annotate(effective_digest=Coalesce(Subquery(saved), role_default))
        .filter(effective_digest=frequency)
        .order_by("pk")
    )


@dataclass
class DigestContent:
    start: datetime
    end: datetime
    figures: Figures
    previous: Figures
    detractors: list  # the first 20, newest first

    @property
    def detractor_count(self) -> int:
        """All detractors of the period (`detractors` lists at most 20)."""
        return self.figures.detractors

    @property
    def nps_move(self) -> float | None:
        if self.figures.nps is None or self.previous.nps is None:
            return None
        return self.figures.nps - self.previous.nps

    @property
    def empty(self) -> bool:
        return self.figures.n == 0 and self.detractor_count == 0


def digest_content(user: User, *, start: datetime, end: datetime) -> DigestContent:
    """New answers in the user's scope in [start, end), its detractors, and the NPS move
    against the trailing 90 days before `start`."""
    scoped = responses_visible_to(user).filter(suspect=False)
    now_rows = scoped.filter(answered_at__gte=start, answered_at__lt=end)
    figures = Figures.from_row(now_rows.aggregate(**COUNTS))
    previous = Figures.from_row(
        scoped.filter(answered_at__gte=start - timedelta(days=90), answered_at__lt=start).aggregate(**COUNTS)
    )
    detractors = list(
        now_rows.filter(category=Category.DETRACTOR)
        .select_related("contact", "account__owner")
        .order_by("-answered_at")[:20]
    )
    return DigestContent(start, end, figures, previous, detractors)

