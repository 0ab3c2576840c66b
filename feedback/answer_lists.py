"""The inbox, the answers list and the CSV export, and the filter they share."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice

from django.db.models import QuerySet

from surveys.models import User
from surveys.text_search import name_contains

from .models import OPEN_DETRACTOR, Response, ResponseTheme
from .periods import period_bounds
from .selectors import responses_visible_to, themes_prefetch


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
    theme: str = ""  # a theme's key: the answers that mention it
    account_name: str = ""  # a part of the account's name (the inbox's search)
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
            qs = qs.filter(owner_id=self.owner)
        if self.account:
            qs = qs.filter(account_id=self.account)
        if self.account_name:
            qs = name_contains(qs, "account__name", self.account_name)
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
        if self.theme:
            qs = qs.filter(themes__theme__key=self.theme)  # one row per answer and theme: no duplicates
        return qs

    def params(self) -> dict:
        out = {}
        for name in ("category", "triage", "level", "reason", "suspect", "theme", "region", "owner", "account",
                     "account_name"):
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


PINNED_MAX = 30

PAGE_SIZE = 40
# The last page number a list goes to: a later one shows an empty page. Its rows' offset
# must stay a number the database takes (page 10**20 made the list fail); no book comes
# near 4,000,000 answers of one list.
PAGE_MAX = 100_000


def page_number(text: str | None) -> int:
    """`?page=` as a page from 1 to PAGE_MAX: not a whole number (or below 1) is the
    first page, a number past PAGE_MAX is PAGE_MAX (an empty page, never an error)."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()):
        return 1
    if len(text) > len(str(PAGE_MAX)):
        return PAGE_MAX
    return min(max(1, int(text)), PAGE_MAX)


def answers_page(qs: QuerySet[Response], page: str | None) -> dict:
    """One page of a list, without counting the whole set: fetch one row more than a page."""
    number = page_number(page)
    rows = list(qs[(number - 1) * PAGE_SIZE : number * PAGE_SIZE + 1])
    return {"rows": rows[:PAGE_SIZE], "number": number, "has_next": len(rows) > PAGE_SIZE, "has_previous": number > 1}


# The inbox row says where the answer's follow-up call stands: its call comes in the same
# read (the reverse one-to-one that the follow-up app declares; nothing imported from it).
INBOX_RELATED = ("contact", "account", "call")


def _open_detractors(user: User, flt: AnswerFilter) -> QuerySet[Response]:
    return flt.apply(Response.objects.filter(owner=user).filter(OPEN_DETRACTOR))


def inbox_pinned(user: User, flt: AnswerFilter) -> QuerySet[Response]:
    """The user's detractors not yet handled: on top of the inbox, newest first."""
    return (
        _open_detractors(user, flt).select_related(*INBOX_RELATED).prefetch_related(themes_prefetch())
        .order_by("-answered_at", "-pk")
    )


def inbox_pinned_count(user: User, flt: AnswerFilter) -> int:
    """How many detractors wait to be handled ("Detractors to handle N"): one COUNT on the
    partial index of open detractors, however many there are."""
    return _open_detractors(user, flt).count()


def inbox_responses(user: User, flt: AnswerFilter) -> QuerySet[Response]:
    """The rest of the user's own accounts' answers, newest first."""
    qs = Response.objects.filter(owner=user).exclude(OPEN_DETRACTOR)
    return (
        flt.apply(qs).select_related(*INBOX_RELATED).prefetch_related(themes_prefetch())
        .order_by("-answered_at", "-pk")
    )


def answers_list(user: User, flt: AnswerFilter) -> QuerySet[Response]:
    return (
        flt.apply(responses_visible_to(user))
        .select_related("contact", "account__owner", "account__region")
        .prefetch_related(themes_prefetch())
        .order_by("-answered_at", "-pk")
    )


def new_answers_count(user: User) -> int:
    """For the navigation: one cheap query (partial index on new answers)."""
    return Response.objects.filter(owner=user, triage=Response.Triage.NEW).count()


EXPORT_CHUNK = 2000


def export_rows(user: User, flt: AnswerFilter) -> Iterator[tuple]:
    """Tuples for the CSV export, streamed from the database in chunks, each row ending
    with its themes' keys (joined by ";")."""
    qs = flt.apply(responses_visible_to(user)).order_by("-answered_at", "-pk")
    rows = qs.values_list(
        "pk", "answered_at", "changed_at", "score", "category", "reason", "language", "suspect", "suspect_reason",
        "triage", "contact__name", "contact__email", "contact__level", "account__external_id", "account__name",
        "account__region__name", "account__owner__email",
    ).iterator(chunk_size=EXPORT_CHUNK)
    return _rows_with_themes(rows)


def _rows_with_themes(rows: Iterable[tuple]) -> Iterator[tuple]:
    """One query for the themes of each chunk of rows, never one per row."""
    rows = iter(rows)
    while chunk := list(islice(rows, EXPORT_CHUNK)):
        keys = theme_keys_of([row[0] for row in chunk])
        for row in chunk:
            yield (*row, ";".join(keys.get(row[0], ())))


def theme_keys_of(response_ids: list[int]) -> dict[int, list[str]]:
    """The keys of these answers' themes, in the taxonomy's order."""
    keys: dict[int, list[str]] = defaultdict(list)
    for response_id, key in (
        ResponseTheme.objects.filter(response_id__in=response_ids)
        .order_by("theme__position", "theme__key").values_list("response_id", "theme__key")
    ):
        keys[response_id].append(key)
    return keys


EXPORT_HEADER = [
    "response_id", "answered_at", "changed_at", "score", "category", "reason", "language", "suspect",
    "suspect_reason", "triage", "contact_name", "contact_email", "contact_level", "account_id", "account_name",
    "region", "account_manager_email", "themes",
]
