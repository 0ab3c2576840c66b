"""The call settings' edits are in the audit log; the row's creation with its defaults, by
whoever reads it first, is nobody's action and is not."""

from followups.models import FollowupSettings
from surveys.models import AuditEntry


def test_a_settings_change_is_recorded_not_the_rows_creation(client, admin_user):
    FollowupSettings.current()  # as queuing a call reads them: the row is created with the defaults
    assert not AuditEntry.objects.filter(event="followupsettings_changed").exists()
    client.force_login(admin_user)
    client.post("/calls/settings/", {"detractor_due_days": 1, "passive_due_days": 7,
                                     "promoter_due_days": 14, "max_unanswered_attempts": 3})
    entry = AuditEntry.objects.get(event="followupsettings_changed")
    assert (entry.actor, entry.action, entry.changes) == (admin_user, AuditEntry.Action.UPDATE,
                                                          {"detractor_due_days": ["2", "1"]})
    page = client.get("/audit/?event=followupsettings_changed").content.decode()
    assert "Follow-up settings changed" in page and "Detractor due days: 2 → 1" in page
