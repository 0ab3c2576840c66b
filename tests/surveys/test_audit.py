"""The audit log: each staff action leaves an entry (who, when, what), and nobody can change
it, in the admin either. The export's entry: tests/feedback/test_export_audit.py; the owner
change's: tests/reports/test_owner_change_audit.py; the call settings':
tests/followups/test_settings_audit.py. The page: test_audit_page.py."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from surveys.audit import audit_record
from surveys.book_import import book_csv
from surveys.models import AuditEntry, Invitation, Role, Wave
from surveys.months import month_add
from tests.factories import ContactFactory, RegionFactory, UserFactory
from tests.surveys.book import invitations_create
from tests.surveys.test_book_import import good_rows, row


def entries(event):
    return list(AuditEntry.objects.filter(event=event).order_by("pk"))


def the_entry(event):
    found = entries(event)
    assert len(found) == 1, f"{len(found)} {event} entries"
    return found[0]


def recent(entry):
    return timezone.now() - timedelta(minutes=1) < entry.timestamp <= timezone.now()


# --- Each action leaves its entry -------------------------------------------------------------

def test_signing_in_is_recorded_with_the_address(client, am, password):
    response = client.post(reverse("login"), {"username": am.email, "password": password})
    assert response.status_code == 302
    entry = the_entry("signed_in")
    assert (entry.actor, entry.actor_email, entry.object_id, entry.remote_addr) == (am, am.email, am.pk, "127.0.0.1")
    assert recent(entry)


def test_a_failed_sign_in_is_recorded_with_the_email_tried(client, am):
    client.post(reverse("login"), {"username": am.email, "password": "wrong"})
    client.post(reverse("login"), {"username": "nobody@pulse.test", "password": "wrong"})
    known, unknown = entries("sign_in_failed")
    assert known.actor is None and known.object_id == am.pk
    assert known.additional_data == {"email": am.email, "locked_out": False}
    assert unknown.content_type is None and unknown.object_repr == "nobody@pulse.test"
    assert unknown.remote_addr == "127.0.0.1" and recent(unknown)
    assert not entries("signed_in")


def test_the_failure_that_locks_an_email_out_says_so(client, am, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": am.email, "password": "wrong"})
    assert [e.additional_data["locked_out"] for e in entries("sign_in_failed")][-1] is True


@pytest.fixture
def held_wave(db, am, account):
    wave = Wave.objects.create(month=month_add(timezone.localdate().replace(day=1), 1))
    [invitation] = invitations_create(wave=wave, contacts=[ContactFactory(account=account, name="Erik Berg")])
    return invitation


def test_holding_a_contact_out_and_putting_it_back_is_recorded(client, am, held_wave):
    client.force_login(am)
    client.post(reverse("invitation_hold", args=[held_wave.pk]), {"reason": "Contract talk"})
    client.post(reverse("invitation_release", args=[held_wave.pk]))
    assert Invitation.objects.get(pk=held_wave.pk).status == Invitation.Status.PLANNED
    held, released = the_entry("invitation_held"), the_entry("invitation_released")
    for entry in (held, released):
        assert entry.actor == am and entry.object_repr == "Nordic Freight A/S" and recent(entry)
        assert entry.additional_data["contact"] == held_wave.contact_id
        assert entry.additional_data["wave"] == str(held_wave.wave)
        assert "Erik" not in str(entry.additional_data)  # a contact by its id: erasure need not touch the log
    assert held.additional_data["reason"] == "Contract talk"
    assert held.remote_addr == "127.0.0.1"


def test_a_program_change_is_recorded_field_by_field(client, admin_user):
    from tests.surveys.test_pages import _program_data

    client.force_login(admin_user)
    client.post(reverse("surveys:program"), _program_data(frequency=4, quiet_days=45))
    entry = the_entry("program_changed")
    assert entry.actor == admin_user and entry.action == AuditEntry.Action.UPDATE and recent(entry)
    assert entry.changes["frequency"] == ["2", "4"] and entry.changes["quiet_days"] == ["60", "45"]
    assert "updated_at" not in entry.changes
    assert AuditEntry.objects.filter(content_type__model="program").count() == 1  # its first save is no action


def test_a_customer_import_is_recorded_with_its_counts(client, admin_user):
    client.force_login(admin_user)
    with TestCase.captureOnCommitCallbacks(execute=True):  # the worker's job, in-process after the commit
        client.post("/book/import/", {"file": SimpleUploadedFile("c.csv", book_csv(good_rows()), "text/csv")})
    entry = the_entry("customer_book_imported")
    assert entry.actor == admin_user and recent(entry)
    assert entry.additional_data | {"staff_promoted": []} == {
        "rows": 3, "accounts_created": 2, "accounts_updated": 0, "contacts_created": 3, "contacts_updated": 0,
        "regions_created": 2, "regions_updated": 0, "staff_created": 4, "staff_promoted": [],
    }


def test_the_command_records_its_import_as_nobodys(db, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "c.csv"
    path.write_bytes(book_csv(good_rows()))
    call_command("import_customers", str(path), verbosity=0)
    assert the_entry("customer_book_imported").actor is None


def test_an_import_that_makes_an_account_manager_a_regional_manager_records_the_role_change(client, admin_user):
    anders = UserFactory(email="anders.am@pulse.test", role=Role.ACCOUNT_MANAGER)
    client.force_login(admin_user)
    data = book_csv([row(regional_manager_email="anders.am@pulse.test")])
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post("/book/import/", {"file": SimpleUploadedFile("c.csv", data, "text/csv")})
    entry = the_entry("role_changed")
    assert (entry.actor, entry.object_id, entry.changes) == (admin_user, anders.pk, {"role": ["am", "rm"]})
    assert the_entry("customer_book_imported").additional_data["staff_promoted"] == ["anders.am@pulse.test"]


def _user_admin_data(user, **changes):
    return {
        "email": user.email, "full_name": user.full_name, "phone": user.phone, "role": user.role,
        "is_active": "on", "date_joined_0": "2025-01-01", "date_joined_1": "10:00:00",
        "last_login_0": "", "last_login_1": "", **changes,
    }


def test_a_role_changed_in_the_admin_is_recorded(client, admin_user, am):
    client.force_login(admin_user)
    url = reverse("admin:surveys_user_change", args=[am.pk])
    response = client.post(url, _user_admin_data(am, role=Role.REGIONAL_MANAGER))
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = the_entry("role_changed")
    assert entry.actor == admin_user and entry.object_id == am.pk and entry.changes["role"] == ["am", "rm"]
    assert "password" not in entry.changes and recent(entry)
    client.post(url, _user_admin_data(am, role=Role.REGIONAL_MANAGER, full_name="Anna A."))
    assert len(entries("role_changed")) == 1  # a name is not a role: nothing recorded for it


def test_access_given_in_the_admin_is_recorded(client, admin_user, am):
    client.force_login(admin_user)
    client.post(reverse("admin:surveys_user_change", args=[am.pk]), _user_admin_data(am, is_staff="on"))
    entry = AuditEntry.objects.get(event="user_changed", action=AuditEntry.Action.UPDATE)
    assert entry.actor == admin_user and entry.changes == {"is_staff": ["False", "True"]}


def test_a_region_given_a_new_manager_in_the_admin_is_recorded(client, admin_user, rm):
    region = RegionFactory(name="West", manager=rm)
    other = UserFactory(role=Role.REGIONAL_MANAGER, full_name="Rita Remote")
    client.force_login(admin_user)
    response = client.post(reverse("admin:surveys_region_change", args=[region.pk]),
                           {"name": "West", "manager": other.pk})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(event="region_changed", action=AuditEntry.Action.UPDATE)
    assert entry.actor == admin_user and entry.changes == {"manager": ["Rasmus Rask", "Rita Remote"]}


def test_audit_record_takes_only_known_events(db, am):
    with pytest.raises(ValueError):
        audit_record("contact_erasd", by=am)
    for reserved in ("contact_erased", "contact_data_downloaded"):  # for the personal-data requests
        assert audit_record(reserved, by=am, target="contact #7", details={"contact": 7}).pk


# --- Nobody changes it -------------------------------------------------------------------------

def test_the_admin_lists_entries_but_cannot_add_change_or_delete_them(client, admin_user, am):
    entry = audit_record("signed_in", by=am, target=am)
    client.force_login(admin_user)
    listing = client.get(reverse("admin:surveys_auditentry_changelist"))
    assert listing.status_code == 200 and "Signed in" in listing.content.decode()
    assert 'value="delete_selected"' not in listing.content.decode()
    change_url = reverse("admin:surveys_auditentry_change", args=[entry.pk])
    assert client.get(change_url).status_code == 200  # read only
    assert client.post(change_url, {"event": "nothing", "object_repr": "x"}).status_code == 403
    assert client.get(reverse("admin:surveys_auditentry_add")).status_code == 403
    assert client.post(reverse("admin:surveys_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert client.post(reverse("admin:surveys_auditentry_changelist"),
                       {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}).status_code in (
                           200, 302)
    assert AuditEntry.objects.get(pk=entry.pk).event == "signed_in"


def test_nobody_gets_add_change_or_delete_permissions(admin_user, rf):
    from django.contrib import admin

    model_admin = admin.site._registry[AuditEntry]
    request = rf.get("/admin/")
    request.user = admin_user
    request.resolver_match = None
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)



def test_a_change_to_the_taxonomy_is_on_the_log(db):
    from feedback.models import Theme
    from feedback.theme_defaults import default_themes_create

    default_themes_create(Theme)  # (tests that serve pages empty the shipped rows)
    theme = Theme.objects.get(key="delivery")
    theme.name_da = "Levering og lager"
    theme.save()
    entry = AuditEntry.objects.filter(event="theme_changed").latest("timestamp")
    assert entry.changes["name_da"][1] == "Levering og lager"
