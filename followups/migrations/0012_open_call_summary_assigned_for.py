import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def rows_forget(apps, schema_editor):
    """The open calls' rows are counted again by whom they are for below: none can stay without."""
    apps.get_model("followups", "OpenCallSummary").objects.all().delete()
    if schema_editor.connection.vendor == "postgresql":
        # The deleted rows' foreign key checks now, not at the commit: PostgreSQL alters no
        # table with checks pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def rows_fill(apps, schema_editor):
    """Count them afresh from the open calls (the app's code; only when there are open
    calls, so a fresh database never runs it against later models)."""
    if apps.get_model("followups", "Call").objects.filter(state="open").exists():
        from followups.tallies import open_call_rows_recount

        open_call_rows_recount()


class Migration(migrations.Migration):

    dependencies = [
        ("followups", "0011_account_risk"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(rows_forget, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="opencallsummary", name="open_call_summary_unique"),
        migrations.AddField(
            model_name="opencallsummary",
            name="assigned_for",
            field=models.ForeignKey(default=None, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                    to=settings.AUTH_USER_MODEL),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="opencallsummary",
            constraint=models.UniqueConstraint(
                fields=("owner", "region", "month", "category", "due_on", "assignee", "assigned_for"),
                name="open_call_summary_unique"),
        ),
        migrations.AddIndex(
            model_name="opencallsummary",
            index=models.Index(fields=["assignee", "due_on"], name="open_call_summary_assignee"),
        ),
        migrations.AddIndex(
            model_name="call",
            index=models.Index(condition=models.Q(("category", "detractor"), ("state", "open")),
                               fields=["assignee", "due_on", "answered_at", "id"], name="call_open_detractor_list"),
        ),
        migrations.AddIndex(
            model_name="call",
            index=models.Index(condition=models.Q(("state", "open"), models.Q(("category", "detractor"), _negated=True)),
                               fields=["assignee", "due_on", "answered_at", "id"], name="call_open_other_list"),
        ),
        migrations.RunPython(rows_fill, migrations.RunPython.noop),
    ]
