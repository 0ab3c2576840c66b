"""An account's owner change is in the audit log, from the account's page and from the admin,
and its answers go with it to the new owner."""

from django.urls import reverse

from surveys.models import AuditEntry
from tests import factories
from tests.feedback.conftest import world  # noqa: F401


def test_an_owner_change_on_the_page_is_recorded(client, world):  # noqa: F811
    new_am = factories.AccountFactory(owner__full_name="Nora Ny", region=world.region).owner
    client.force_login(world.rm)
    response = client.post(reverse("reports:account_owner", args=[world.account.pk]), {"new_owner": new_am.pk})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(event="owner_changed")
    assert (entry.actor, entry.object_id, entry.object_repr) == (world.rm, world.account.pk, "Nordic Freight A/S")
    assert entry.changes == {"owner": ["Anna Andersen", "Nora Ny"]}
    assert entry.remote_addr == "127.0.0.1"
    # The answers went with the account: the new owner's inbox, not the old one's.
    assert set(world.account.responses.values_list("owner_id", flat=True)) == {new_am.pk}


def test_an_owner_change_in_the_admin_is_recorded(client, world):  # noqa: F811
    client.force_login(world.admin)
    account = world.account
    response = client.post(reverse("admin:surveys_account_change", args=[account.pk]), {
        "name": account.name, "external_id": account.external_id, "region": account.region_id,
        "owner": world.other_am.pk, "active": "on", "annual_revenue": "",
        "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = AuditEntry.objects.get(event="owner_changed")
    assert entry.actor == world.admin and entry.changes == {"owner": ["Anna Andersen", "Otto Olsen"]}
    assert set(account.responses.values_list("owner_id", flat=True)) == {world.other_am.pk}
