"""Each answer carries its account's owner (feedback.response_owners), for the inbox's
indexes: added empty and filled from the accounts here, required in 0018. A copy without a
constraint in the database (see the model)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def owners_fill(apps, schema_editor):
    Response = apps.get_model("feedback", "Response")
    Account = apps.get_model("surveys", "Account")
    owner = models.Subquery(Account.objects.filter(pk=models.OuterRef("account_id")).values("owner_id")[:1])
    Response.objects.update(owner_id=owner)


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0016_response_changed"),
        ("surveys", "0018_revenue_summary"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="response", name="response_new_by_account"),
        migrations.RemoveIndex(model_name="response", name="response_open_detractors_order"),
        migrations.AddField(
            model_name="response",
            name="owner",
            field=models.ForeignKey(
                db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(owners_fill, migrations.RunPython.noop),
    ]
