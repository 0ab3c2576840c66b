import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def rows_forget(apps, schema_editor):
    """The open calls' rows are counted again by assignee below: none can stay without one."""
    apps.get_model("followups", "OpenCallSummary").objects.all().delete()
    if schema_editor.connection.vendor == "postgresql":
        # The deleted rows' foreign key checks now, not at the commit: PostgreSQL alters no
        # table with checks pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def rows_fill(apps, schema_editor):
    """Nothing: followups 0012 reshapes the rows again and counts them afresh, with the
    rebuild's code, which writes the latest model's columns."""


class Migration(migrations.Migration):

    dependencies = [
        ("followups", "0008_root_cause_theme_summary"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(rows_forget, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="opencallsummary", name="open_call_summary_unique"),
        migrations.AddField(
            model_name="opencallsummary",
            name="assignee",
            field=models.ForeignKey(default=None, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                    to=settings.AUTH_USER_MODEL),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="opencallsummary",
            constraint=models.UniqueConstraint(fields=("owner", "region", "month", "category", "due_on", "assignee"),
                                               name="open_call_summary_unique"),
        ),
        migrations.RunPython(rows_fill, migrations.RunPython.noop),
    ]
