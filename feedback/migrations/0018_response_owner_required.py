"""The answer's owner, filled in 0017, is required; the inbox's indexes on it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0017_response_owner"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="response",
            name="owner",
            field=models.ForeignKey(
                db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="response",
            index=models.Index(fields=["owner", "answered_at", "id"], name="response_owner_order"),
        ),
        migrations.AddIndex(
            model_name="response",
            index=models.Index(fields=["owner", "category", "answered_at", "id"], name="response_owner_category"),
        ),
        migrations.AddIndex(
            model_name="response",
            index=models.Index(condition=models.Q(("triage", "new")), fields=["owner"], name="response_new_by_owner"),
        ),
        migrations.AddIndex(
            model_name="response",
            index=models.Index(
                condition=models.Q(("category", "detractor"), ("triage__in", ["new", "seen"])),
                fields=["owner", "answered_at", "id"],
                name="response_owner_open_detractors",
            ),
        ),
    ]
