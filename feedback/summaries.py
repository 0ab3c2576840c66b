"""Keeping the rollups' summary tables (MonthSummary, AccountSummary) true.

They are derived from responses and invitations and can always be rebuilt:
- `summary_refresh(account_ids=...)` recomputes a few accounts; routing calls it for
  each saved or changed answer, so a new answer shows in the rollups at once;
- `summary_refresh_recent()` (beat, every 10 minutes) recomputes accounts with recent
  sends or answers, so delivered counts follow the waves;
- `summary_rebuild()` (beat, nightly) recomputes everything.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, DateField, Exists, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from surveys.models import Account, Contact, Invitation, Level

from .models import AccountSummary, Category, MonthSummary, OwnerMonthSummary, Response
from .periods import rollup_start

CHUNK = 500
COUNT_FIELDS = ("promoters", "passives", "detractors", "delivered", "answered")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@transaction.atomic
def summary_refresh(*, account_ids) -> int:
    """Recompute the summaries of these accounts. Returns the number of accounts."""
    ids = sorted(set(account_ids))
    if not ids:
        return 0
    # Lock the accounts: two refreshes of one account run one after the other.
    ids = list(Account.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    rows: dict = defaultdict(lambda: dict.fromkeys(COUNT_FIELDS, 0))
    answers = (
        Response.objects.filter(account_id__in=ids, suspect=False)
        .annotate(month=TruncMonth("answered_at", output_field=DateField()))
        .values("account_id", "month", "contact__level")
        .annotate(
            promoters=Count("pk", filter=Q(category=Category.PROMOTER)),
            passives=Count("pk", filter=Q(category=Category.PASSIVE)),
            detractors=Count("pk", filter=Q(category=Category.DETRACTOR)),
        )
        .order_by()
    )
    for r in answers:
        row = rows[(r["account_id"], r["month"], r["contact__level"])]
        row.update(promoters=r["promoters"], passives=r["passives"], detractors=r["detractors"])
    sends = (
        Invitation.objects.filter(account_id__in=ids, status=Invitation.Status.SENT, sent_at__isnull=False)
        .annotate(month=TruncMonth("sent_at", output_field=DateField()))
        .values("account_id", "month", "contact__level")
        .annotate(
            delivered=Count("pk"),
            answered=Count("pk", filter=Q(response__isnull=False, response__suspect=False)),
        )
        .order_by()
    )
    for r in sends:
        row = rows[(r["account_id"], r["month"], r["contact__level"])]
        row.update(delivered=r["delivered"], answered=r["answered"])
    MonthSummary.objects.filter(account_id__in=ids).delete()
    MonthSummary.objects.bulk_create(
        [
            MonthSummary(account_id=a, month=_as_date(m), level=level, **counts)
            for (a, m, level), counts in rows.items()
        ],
        batch_size=2000,
    )
    _account_summaries(ids)
    owner_summary_refresh(pairs=set(Account.objects.filter(pk__in=ids).values_list("owner_id", "region_id")))
    return len(ids)


@transaction.atomic
def owner_summary_refresh(*, pairs) -> None:
    """Recompute OwnerMonthSummary for these (owner, region) pairs from MonthSummary."""
    q = Q()
    for owner_id, region_id in pairs:
        q |= Q(owner_id=owner_id, region_id=region_id)
    if not q:
        return
    OwnerMonthSummary.objects.filter(q).delete()
    source_q = Q()
    for owner_id, region_id in pairs:
        source_q |= Q(account__owner_id=owner_id, account__region_id=region_id)
    rows = (
        MonthSummary.objects.filter(source_q)
        .values("account__owner_id", "account__region_id", "month", "level")
        .annotate(**{k: Sum(k) for k in COUNT_FIELDS})
        .order_by()
    )
    OwnerMonthSummary.objects.bulk_create(
        [
            OwnerMonthSummary(
                owner_id=r["account__owner_id"], region_id=r["account__region_id"], month=r["month"],
                level=r["level"], **{k: r[k] for k in COUNT_FIELDS},
            )
            for r in rows
        ],
        batch_size=2000,
    )


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value


def _account_summaries(ids: list[int]) -> None:
    contacts = dict(
        Contact.objects.filter(account_id__in=ids).values("account_id").annotate(c=Count("pk")).values_list(
            "account_id", "c"
        )
    )
    answering = dict(
        Response.objects.filter(account_id__in=ids, suspect=False)
        .values("account_id")
        .annotate(c=Count("contact", distinct=True))
        .values_list("account_id", "c")
    )
    last_exec = dict(
        Response.objects.filter(account_id__in=ids, suspect=False, contact__level=Level.EXECUTIVE)
        .values("account_id")
        .annotate(m=Max("answered_at"))
        .values_list("account_id", "m")
    )
    last_exec_of_outer = (
        Response.objects.filter(account_id=OuterRef("account_id"), suspect=False, contact__level=Level.EXECUTIVE)
        .order_by("-answered_at")
        .values("answered_at")[:1]
    )
    silent = dict(
        Invitation.objects.filter(
            account_id__in=ids, contact__level=Level.EXECUTIVE, status=Invitation.Status.SENT
        )
        .filter(~Exists(Response.objects.filter(invitation=OuterRef("pk"), suspect=False)))
        .filter(sent_at__gt=Coalesce(Subquery(last_exec_of_outer), Value(EPOCH)))
        .values("account_id")
        .annotate(w=Count("wave", distinct=True))
        .values_list("account_id", "w")
    )
    now = timezone.now()
    # The same windows as the rollup periods that read these counts (lowest_accounts).
    windows = {period: rollup_start(period, now) for period in ("3m", "12m")}
    counts = {}
    for name, start in (*windows.items(), ("all", None)):
        qs = MonthSummary.objects.filter(account_id__in=ids)
        if start:
            qs = qs.filter(month__gte=start)
        for r in qs.values("account_id").annotate(p=Sum("promoters"), pa=Sum("passives"), d=Sum("detractors")):
            counts.setdefault(r["account_id"], {}).update(
                {f"promoters_{name}": r["p"], f"passives_{name}": r["pa"], f"detractors_{name}": r["d"]}
            )
    AccountSummary.objects.filter(account_id__in=ids).delete()
    AccountSummary.objects.bulk_create(
        [
            AccountSummary(
                account_id=a, contacts=contacts.get(a, 0), answering_contacts=answering.get(a, 0),
                last_executive_answer_at=last_exec.get(a), executive_waves_unanswered=silent.get(a, 0),
                refreshed_at=now, **counts.get(a, {}),
            )
            for a in ids
        ],
        batch_size=2000,
    )


def summary_refresh_recent(*, since: timedelta = timedelta(days=2)) -> int:
    """Accounts with invitations sent or answers changed lately."""
    cutoff = timezone.now() - since
    ids = set(Invitation.objects.filter(sent_at__gte=cutoff).values_list("account_id", flat=True).distinct())
    ids |= set(Response.objects.filter(changed_at__gte=cutoff).values_list("account_id", flat=True).distinct())
    return _in_chunks(sorted(ids))


def summary_rebuild() -> int:
    """Every account (and nothing left of deleted ones)."""
    done = _in_chunks(list(Account.objects.order_by("pk").values_list("pk", flat=True)))
    # Owners or regions no account has any more (ownership or region changes).
    live = Account.objects.filter(owner_id=OuterRef("owner_id"), region_id=OuterRef("region_id"))
    OwnerMonthSummary.objects.exclude(Exists(live)).delete()
    return done


def _in_chunks(ids: list[int]) -> int:
    done = 0
    for i in range(0, len(ids), CHUNK):
        done += summary_refresh(account_ids=ids[i : i + CHUNK])
    return done
