from django.db import migrations

DEFAULTS = ["Product", "Service", "Delivery", "Price", "Relationship"]


def seed(apps, schema_editor):
    RootCause = apps.get_model("followups", "RootCause")
    for position, name in enumerate(DEFAULTS, start=1):
        RootCause.objects.get_or_create(name=name, defaults={"position": position})


class Migration(migrations.Migration):

    dependencies = [
        ("followups", "0001_calls_attempts_cover_recovery"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
