"""/dev/outbox/ (DEBUG on): the emails in MAIL_DIR, filtered by recipient, kind and wave."""

from email.utils import parseaddr

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys import dispatch, months
from surveys.models import Wave
from surveys.staff import staff_send_set_password_links
from tests.factories import ContactFactory
from tests.surveys.book import invitations_create


@pytest.fixture
def outbox(db, settings, account, am):
    """Two waves sent to the embedded outbox, and a staff invite."""
    settings.EMAIL_BACKEND = "surveys.mailbox.MailDirBackend"
    settings.DEBUG = True
    this_month = timezone.localdate().replace(day=1)
    waves = []
    for month, emails in [
        (this_month, ["Erik@Customer.test", "mette@customer.test"]),
        (months.month_add(this_month, 1), ["erik@other.test"]),
    ]:
        wave = Wave.objects.create(month=month)
        contacts = [ContactFactory(account=account, name="Pat Doe", email=email) for email in emails]
        invitations_create(wave=wave, contacts=contacts)
        dispatch.wave_send(month=month, early=True)
        waves.append(wave)
    staff_send_set_password_links(users=[am])
    return waves


def _listed(client, **filters):
    response = client.get(reverse("mail_outbox"), filters)
    return response, sorted(parseaddr(mail.to)[1].lower() for mail in response.context["mails"])


def test_outbox_filters_by_recipient_kind_and_wave(client, outbox, am):
    first, second = outbox
    response, everything = _listed(client)
    assert response.status_code == 200
    assert len(everything) == 4
    assert _listed(client, recipient="ERIK")[1] == ["erik@customer.test", "erik@other.test"]
    assert _listed(client, kind="invitation")[1] == ["erik@customer.test", "erik@other.test", "mette@customer.test"]
    assert _listed(client, kind="staff_invite")[1] == [am.email.lower()]
    assert _listed(client, kind="reminder")[1] == []
    assert _listed(client, wave=first.pk)[1] == ["erik@customer.test", "mette@customer.test"]
    assert _listed(client, wave=second.pk, recipient="erik")[1] == ["erik@other.test"]
    response, mails = _listed(client, wave=first.pk, recipient="nobody")
    assert mails == [] and "No emails match these filters." in response.content.decode()


@pytest.mark.parametrize(("filters", "message"), [
    ({"wave": "abc"}, "A wave is given by its id, a whole number."),
    ({"wave": "999999"}, "No wave has the id 999999."),
    ({"kind": "letter"}, "Select a valid choice."),
])
def test_outbox_says_which_filter_it_did_not_understand_and_applies_the_others(client, outbox, filters, message):
    response, mails = _listed(client, recipient="mette", **filters)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert mails == ["mette@customer.test"]
