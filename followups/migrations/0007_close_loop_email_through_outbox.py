"""CloseLoopEmail goes through the outbox: queued_at (when written), sent_at only once the
mail server took it, and the outbox row that sends it. The emails written before were
sent in the request that wrote them: queued when sent."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models
from django.db.models import F


def queued_when_sent(apps, schema_editor):
    CloseLoopEmail = apps.get_model("followups", "CloseLoopEmail")
    CloseLoopEmail.objects.update(queued_at=F("sent_at"))


def unsent_as_sent_when_queued(apps, schema_editor):
    """Back to a sent_at that is never empty: the ones not sent (yet) show their queueing time."""
    CloseLoopEmail = apps.get_model("followups", "CloseLoopEmail")
    CloseLoopEmail.objects.filter(sent_at__isnull=True).update(sent_at=F("queued_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('followups', '0006_account_call_state'),
        ('outbox', '0001_initial'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='closeloopemail',
            options={'ordering': ['queued_at', 'pk']},
        ),
        migrations.AddField(
            model_name='closeloopemail',
            name='outbox_message',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='outbox.message'),
        ),
        migrations.AddField(
            model_name='closeloopemail',
            name='queued_at',
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AlterField(
            model_name='closeloopemail',
            name='sent_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(queued_when_sent, unsent_as_sent_when_queued),
    ]
