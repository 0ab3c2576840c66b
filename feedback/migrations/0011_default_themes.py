"""The taxonomy that ships with Pulse (feedback.theme_defaults): the eight default themes,
created once; a theme an administrator already made with one of these keys is kept."""

from django.db import migrations


def themes_create(apps, schema_editor):
    from feedback.theme_defaults import default_themes_create

    default_themes_create(apps.get_model("feedback", "Theme"))


def themes_delete(apps, schema_editor):
    apps.get_model("feedback", "Theme").objects.filter(built_in=True).delete()


class Migration(migrations.Migration):
    dependencies = [("feedback", "0010_themes")]

    operations = [migrations.RunPython(themes_create, themes_delete)]
