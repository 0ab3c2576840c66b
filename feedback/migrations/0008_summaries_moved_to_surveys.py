"""The summaries moved down to surveys (surveys 0004), where a send, an import and an
owner change keep them in their own transactions, counting from each invitation's answer
fields. Copy every counted answer onto its invitation, compute the new tables from the
invitations (the definitions of surveys.tallies, written out here with this point's
models), then drop the old tables, which lagged the sends by up to ten minutes."""

from collections import defaultdict
from datetime import UTC, datetime

from django.db import migrations
from django.db.models import Count, DateField, Exists, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

COUNTS = ("promoters", "passives", "detractors", "delivered", "answered")
CATEGORY_FIELDS = {"promoter": "promoters", "passive": "passives", "detractor": "detractors"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BATCH = 2000


def _first_month(months, now):
    today = timezone.localdate(now)
    index = today.year * 12 + today.month - 1 - (months - 1)
    return today.replace(year=index // 12, month=index % 12 + 1, day=1)


def forwards(apps, schema_editor):
    Response = apps.get_model("feedback", "Response")
    Invitation = apps.get_model("surveys", "Invitation")
    Contact = apps.get_model("surveys", "Contact")
    Account = apps.get_model("surveys", "Account")
    MonthSummary = apps.get_model("surveys", "MonthSummary")
    OwnerMonthSummary = apps.get_model("surveys", "OwnerMonthSummary")
    AccountSummary = apps.get_model("surveys", "AccountSummary")

    counted = Response.objects.filter(invitation_id=OuterRef("pk"), suspect=False)
    Invitation.objects.filter(Exists(counted)).update(
        answer_category=Subquery(counted.values("category")[:1]),
        answered_at=Subquery(counted.values("answered_at")[:1]),
    )

    rows = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    answers = (
        Invitation.objects.exclude(answer_category="")
        .annotate(month=TruncMonth("answered_at", output_field=DateField()))
        .values_list("account_id", "month", "contact__level", "answer_category")
        .annotate(n=Count("pk")).order_by()
    )
    for account_id, month, level, category, n in answers:
        rows[(account_id, month, level)][CATEGORY_FIELDS[category]] += n
    sends = (
        Invitation.objects.filter(status="sent", sent_at__isnull=False)
        .annotate(month=TruncMonth("sent_at", output_field=DateField()))
        .values_list("account_id", "month", "contact__level")
        .annotate(delivered=Count("pk"), answered=Count("pk", filter=~Q(answer_category=""))).order_by()
    )
    for account_id, month, level, delivered, answered in sends:
        rows[(account_id, month, level)]["delivered"] += delivered
        rows[(account_id, month, level)]["answered"] += answered
    MonthSummary.objects.bulk_create(
        [MonthSummary(account_id=a, month=m, level=level, **counts) for (a, m, level), counts in rows.items()],
        batch_size=BATCH,
    )
    owners = (
        MonthSummary.objects.values_list("account__owner_id", "account__region_id", "month", "level")
        .annotate(**{field: Sum(field) for field in COUNTS}).order_by()
    )
    OwnerMonthSummary.objects.bulk_create(
        [OwnerMonthSummary(owner_id=o, region_id=r, month=m, level=level, **dict(zip(COUNTS, counts, strict=True)))
         for o, r, m, level, *counts in owners],
        batch_size=BATCH,
    )

    now = timezone.now()
    froms = {"3m": _first_month(3, now), "12m": _first_month(12, now)}
    fields = defaultdict(dict)
    for account_id, n in Contact.objects.values_list("account_id").annotate(n=Count("pk")).order_by():
        fields[account_id]["contacts"] = n
    answered = Invitation.objects.exclude(answer_category="")
    for account_id, n in answered.values_list("account_id").annotate(n=Count("contact_id", distinct=True)).order_by():
        fields[account_id]["answering_contacts"] = n
    windows = {
        f"n_{suffix}": Count("pk", filter=Q(answered_at__gte=timezone.make_aware(datetime(m.year, m.month, 1))))
        for suffix, m in froms.items()
    }
    for account_id, category, n_all, n_3m, n_12m in (
        answered.values_list("account_id", "answer_category").annotate(n=Count("pk"), **windows).order_by()
    ):
        field = CATEGORY_FIELDS[category]
        fields[account_id].update({f"{field}_all": n_all, f"{field}_3m": n_3m, f"{field}_12m": n_12m})
    executive = answered.filter(contact__level="executive")
    for account_id, last in executive.values_list("account_id").annotate(last=Max("answered_at")).order_by():
        fields[account_id]["last_executive_answer_at"] = last
    last_of_outer = (
        Invitation.objects.filter(account_id=OuterRef("account_id"), contact__level="executive")
        .exclude(answer_category="").order_by().values("account_id").annotate(last=Max("answered_at")).values("last")
    )
    silent = (
        Invitation.objects.filter(contact__level="executive", status="sent", answer_category="")
        .filter(sent_at__gt=Coalesce(Subquery(last_of_outer), Value(EPOCH)))
        .values_list("account_id").annotate(n=Count("wave_id", distinct=True)).order_by()
    )
    for account_id, n in silent:
        fields[account_id]["executive_waves_unanswered"] = n
    AccountSummary.objects.bulk_create(
        [
            AccountSummary(account_id=account_id, window_3m_from=froms["3m"], window_12m_from=froms["12m"],
                           refreshed_at=now, **fields.get(account_id, {}))
            for account_id in Account.objects.order_by("pk").values_list("pk", flat=True)
        ],
        batch_size=BATCH,
    )


class Migration(migrations.Migration):

    dependencies = [
        ("feedback", "0007_outbox_messages_to_outbox_app"),
        ("surveys", "0005_summaries_kept_by_events"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.DeleteModel(name="AccountSummary"),
        migrations.DeleteModel(name="MonthSummary"),
        migrations.DeleteModel(name="OwnerMonthSummary"),
    ]
