from django.db import migrations

# django-auditlog's own migrations create auditlog_logentry even though its log model is
# ours (AUDITLOG_LOGENTRY_MODEL = surveys.AuditEntry). Nothing reads or writes that table,
# but its foreign keys to users and content types make PostgreSQL refuse to TRUNCATE those
# tables (a flush, as the tests that serve pages do). Dropped after auditlog's last
# migration (0017 in the pinned 3.4.1); an upgrade that adds migrations must come here too.
DROP = "DROP TABLE IF EXISTS auditlog_logentry"


class Migration(migrations.Migration):

    dependencies = [
        ("surveys", "0012_audit_log"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunSQL(DROP, migrations.RunSQL.noop)]
