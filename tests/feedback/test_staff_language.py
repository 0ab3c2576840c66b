"""The language a member of staff chose: their pages, and the emails Pulse sends them,
whoever's request set the email off. With none chosen, pages follow the browser and
emails come in English."""

from datetime import datetime, timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from feedback import digests
from feedback.models import Response
from feedback.routing import detractor_alert_send
from feedback.services import notification_settings_update
from surveys.models import User
from surveys.staff import staff_send_set_password_links


def _choose(user, language):
    notification_settings_update(user=user, detractor_alerts=True, digest="daily", language=language)


def test_the_choice_is_saved_on_the_notifications_page_and_a_bad_one_changes_nothing(client, world):
    client.force_login(world.am)
    url = reverse("feedback:notification_settings")
    body = client.get(url).content.decode()
    assert 'name="language" value="" ' in body and 'lang="da">Dansk<' in body
    response = client.post(url, {"digest": "off", "language": "da"}, follow=True)
    assert User.objects.get(pk=world.am.pk).language == "da"
    assert "Dine notifikationsindstillinger er gemt." in response.content.decode()
    assert client.post(url, {"digest": "off", "language": "xx"}).status_code == 400
    assert User.objects.get(pk=world.am.pk).language == "da"
    client.post(url, {"digest": "off", "language": ""})
    assert User.objects.get(pk=world.am.pk).language == ""


def test_pages_follow_the_choice_over_the_browser_and_the_browser_without_one(client, world):
    client.force_login(world.am)
    inbox = reverse("feedback:inbox")
    assert "Your inbox" in client.get(inbox).content.decode()  # no Accept-Language: English
    assert "Din indbakke" in client.get(inbox, HTTP_ACCEPT_LANGUAGE="da-DK,da;q=0.9").content.decode()
    _choose(world.am, "en")
    assert "Your inbox" in client.get(inbox, HTTP_ACCEPT_LANGUAGE="da-DK,da;q=0.9").content.decode()
    _choose(world.am, "da")
    page = client.get(inbox, HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()
    assert "Din indbakke" in page and '<html lang="da">' in page


def test_the_sign_in_page_follows_the_browser(client, db):
    assert "Log ind på Pulse" in client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert "Sign in to Pulse" in client.get(reverse("login")).content.decode()


def test_the_detractor_alert_comes_in_the_owners_language_not_the_customers(world):
    with translation.override("da"):  # as when a Danish customer's answer sets it off
        detractor_alert_send(response=world.response)
    _choose(world.am, "da")
    world.response.account.owner.refresh_from_db()
    detractor_alert_send(response=Response.objects.get(pk=world.response.pk))
    english, danish = mail.outbox
    assert english.subject.startswith("Detractor: Carla Customer")
    assert "answered 3 out of 10" in english.body
    assert danish.subject.startswith("Kritiker: Carla Customer hos")
    assert "svarede 3 ud af 10" in danish.body and "Begrundelse:" in danish.body
    assert 'lang="da"' in danish.alternatives[0][0]


def test_the_digest_comes_in_the_recipients_language(world):
    _choose(world.am, "da")
    noon = timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=1), datetime.min.time()))
    Response.objects.filter(pk=world.response.pk).update(answered_at=noon + timedelta(hours=12))
    assert digests.digest_send(user_id=world.am.pk, frequency="daily") is True
    [message] = mail.outbox
    assert message.subject == "Dit daglige Pulse-sammendrag: 1 nyt svar, 1 kritiker"
    assert "Dit daglige sammendrag" in message.body and "Nye svar: 1" in message.body


def test_the_invitation_comes_in_the_invited_users_language(world):
    User.objects.filter(pk=world.other_am.pk).update(language="da")
    with translation.override("en"):
        staff_send_set_password_links(users=[world.am, User.objects.get(pk=world.other_am.pk)])
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects[world.am.email] == "Set your Pulse password"
    assert subjects[world.other_am.email] == "Vælg din adgangskode til Pulse"
