"""Rotating SECRET_KEY does not kill links already emailed: the answer link opens, and
with the former key in SECRET_KEY_FALLBACKS the reminder carries the same link again; a
signed-in staff member stays signed in."""

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from surveys.invitation_email import invitation_email
from surveys.models import Invitation, Program, Wave
from surveys.tokens import invitation_token
from tests.factories import ContactFactory
from tests.surveys.book import invitations_create

pytestmark = pytest.mark.django_db

OLD, NEW = "old-key-" + "a" * 50, "new-key-" + "b" * 50


def _sent_invitation(account):
    month = timezone.localdate().replace(day=1)
    wave, _ = Wave.objects.get_or_create(month=month, defaults={"status": Wave.Status.SENT})
    contact = ContactFactory(account=account)
    return invitations_create(wave=wave, contacts=[contact], status=Invitation.Status.SENT)[0]


def _body(invitation) -> str:
    message = invitation_email(Invitation.objects.get(pk=invitation.pk), program=Program.current(), reminder=True)
    return message.body


def test_links_emailed_before_a_key_rotation_keep_working(client, account, am):
    with override_settings(SECRET_KEY=OLD):
        invitation = _sent_invitation(account)
        token = invitation_token(invitation)
        assert token in _body(invitation)
        client.force_login(am)

    with override_settings(SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=[OLD]):
        assert client.get(reverse("answer:answer", args=[token])).status_code == 200
        assert invitation_token(Invitation.objects.get(pk=invitation.pk)) == token
        assert token in _body(invitation)  # the reminder: the very same link
        assert client.get(reverse("surveys:unsubscribe", args=[token])).status_code == 200
        assert client.get("/inbox/").status_code == 200  # still signed in

    with override_settings(SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=[]):
        # The old key forgotten: the emailed link still opens (found by its hash) ...
        assert client.get(reverse("answer:answer", args=[token])).status_code == 200
        # ... and new invitations are made with the new key.
        fresh = _sent_invitation(account)
        assert client.get(reverse("answer:answer", args=[invitation_token(fresh)])).status_code == 200
