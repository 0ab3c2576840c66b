"""Call.assigned_for: the account's owner the assignee works the call for. Existing calls:
an open call is worked for the account's current owner (ownership changes move them); a
closed call for whoever owned the account when it closed."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce


def fill(apps, schema_editor):
    Call = apps.get_model("followups", "Call")
    Account = apps.get_model("surveys", "Account")
    OwnershipChange = apps.get_model("feedback", "OwnershipChange")
    owner_now = Subquery(Account.objects.filter(pk=OuterRef("account_id")).values("owner_id")[:1])
    owner_when_closed = Subquery(
        OwnershipChange.objects.filter(account_id=OuterRef("account_id"), changed_at__gt=OuterRef("closed_at"))
        .order_by("changed_at", "pk")
        .values("old_owner_id")[:1]
    )
    Call.objects.filter(closed_at__isnull=True).update(assigned_for=owner_now)
    Call.objects.filter(closed_at__isnull=False).update(assigned_for=Coalesce(owner_when_closed, owner_now))


class Migration(migrations.Migration):

    dependencies = [
        ("followups", "0002_seed_root_causes"),
        ("feedback", "0003_triage_notes_settings_ownership"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="call",
            name="assigned_for",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="call",
            name="assigned_for",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
    ]
