"""Webhooks: each event to a real receiver on loopback, signed so that the specification's
receiver side (standardwebhooks) accepts it; retries with growing waits for a day, then the
endpoint is switched off and its owner emailed; "send again" and repeats keep the delivery id."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from surveys.dispatch import waves_finish
from surveys.models import Wave, WebhookDelivery, WebhookEndpoint
from surveys.personal_data import contacts_anonymise
from surveys.unsubscribe import contact_unsubscribe
from surveys.webhooks import (
    CLAIM_BATCH,
    GIVE_UP_AFTER,
    WebhookUrlRefused,
    webhook_deliveries_create,
    webhook_delivery_resend,
    webhook_endpoint_save,
    webhooks_deliver_due,
)
from tests.factories import ContactFactory, InvitationFactory, UserFactory, WaveFactory


def _committed(django_capture_on_commit_callbacks, work):
    """Run `work` in a transaction and what it left for after the commit (the sending)."""
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            return work()


def test_contact_unsubscribed_is_delivered_signed(
    webhook_endpoint, webhook_receiver, account, django_capture_on_commit_callbacks
):
    invitation = InvitationFactory(contact=ContactFactory(account=account, email="carla@customer.test"))
    _committed(django_capture_on_commit_callbacks, lambda: contact_unsubscribe(invitation=invitation))

    [received] = webhook_receiver.wait_for(1)
    assert received.verified, "the receiver side of Standard Webhooks rejects the signature"
    delivery = WebhookDelivery.objects.get()
    assert received.webhook_id == f"msg_{delivery.pk}"
    assert received.headers["content-type"] == "application/json"
    assert received.payload["type"] == "contact.unsubscribed"
    assert received.payload["data"]["contact"] == {"id": invitation.contact_id, "email": "carla@customer.test"}
    assert received.payload["data"]["account"]["external_id"] == account.external_id
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 1, 200)
    assert delivery.next_try_at is None
    # Unsubscribing again changes nothing and tells nobody.
    _committed(django_capture_on_commit_callbacks, lambda: contact_unsubscribe(invitation=invitation))
    assert WebhookDelivery.objects.count() == 1


def test_wave_sent_is_delivered_signed(webhook_endpoint, webhook_receiver, django_capture_on_commit_callbacks):
    wave = WaveFactory(status=Wave.Status.SENDING)
    InvitationFactory(wave=wave)
    InvitationFactory(wave=wave)
    assert _committed(django_capture_on_commit_callbacks, waves_finish) == 1

    [received] = webhook_receiver.wait_for(1)
    assert received.verified
    assert received.payload["type"] == "wave.sent"
    assert received.payload["data"]["wave"]["id"] == wave.pk
    assert received.payload["data"]["wave"]["month"] == f"{wave.month:%Y-%m}"
    assert received.payload["data"]["wave"]["invitations_sent"] == 2
    # Finishing again (the next dispatcher run) sends nothing more.
    assert _committed(django_capture_on_commit_callbacks, waves_finish) == 0
    assert WebhookDelivery.objects.count() == 1


def test_only_enabled_endpoints_of_the_event_are_told(webhook_endpoint, admin_user, settings):
    other = webhook_endpoint_save(url="http://127.0.0.1:9/other", events=["wave.sent"], by=admin_user)
    off = webhook_endpoint_save(url="http://127.0.0.1:9/off", events=["call.closed"], by=admin_user)
    WebhookEndpoint.objects.filter(pk=off.pk).update(enabled=False)
    webhook_deliveries_create("call.closed", {"call": {"id": 1}}, key="1")
    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [webhook_endpoint.pk]
    assert not other.deliveries.exists()


def test_the_same_event_twice_is_one_delivery_and_a_repeat_keeps_its_id(
    webhook_endpoint, webhook_receiver, django_capture_on_commit_callbacks
):
    def create():
        return webhook_deliveries_create("call.closed", {"call": {"id": 7}}, key="7")

    [delivery_id] = _committed(django_capture_on_commit_callbacks, create)
    assert _committed(django_capture_on_commit_callbacks, create) == []  # an outbox handler run again
    webhook_receiver.wait_for(1)
    # A worker that died after the POST, before recording it: its claim runs out and the
    # delivery goes again, with the same id for the receiver to drop.
    WebhookDelivery.objects.filter(pk=delivery_id).update(next_try_at=timezone.now(), delivered_at=None)
    assert webhooks_deliver_due() == 1
    first, again = webhook_receiver.wait_for(2)
    assert first.webhook_id == again.webhook_id == f"msg_{delivery_id}"
    assert first.body == again.body
    assert first.verified and again.verified


def test_a_poll_sends_its_claims_together_and_records_each_outcome(webhook_endpoint, webhook_receiver):
    # More than one claim's worth, sent a few at a time; 5 answers of 500 among them, in
    # whatever order the POSTs arrive.
    count = CLAIM_BATCH + 10
    ids = [webhook_deliveries_create("call.closed", {"call": {"id": n}}, key=str(n))[0] for n in range(count)]
    webhook_receiver.statuses = [500] * 5
    now = timezone.now()
    assert webhooks_deliver_due(now=now) == count
    received = webhook_receiver.all()
    assert sorted(r.webhook_id for r in received) == sorted(f"msg_{pk}" for pk in ids)  # each once
    assert all(r.verified for r in received)
    deliveries = WebhookDelivery.objects.filter(pk__in=ids)
    assert deliveries.filter(attempts=1, last_status=200, delivered_at=now, next_try_at=None).count() == count - 5
    assert deliveries.filter(attempts=1, last_status=500, delivered_at=None,
                             next_try_at=now + timedelta(seconds=30)).count() == 5
    assert webhooks_deliver_due(now=now + timedelta(seconds=29)) == 0  # the failed wait their turn


def test_a_failing_receiver_gets_growing_waits_then_the_endpoint_is_switched_off_and_its_owner_emailed(
    webhook_endpoint, webhook_receiver, admin_user, smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://pulse.example.com"
    webhook_receiver.statuses = [500] * 100
    start = timezone.now()
    [delivery_id] = _committed(
        django_capture_on_commit_callbacks,
        lambda: webhook_deliveries_create("call.closed", {"call": {"id": 3}}, key="3", now=start),
    )
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    # The first attempt went at once, after the commit.
    assert (delivery.attempts, delivery.last_status) == (1, 500)
    waits = []
    last_try = delivery.last_attempt_at
    while delivery.next_try_at is not None:
        now = delivery.next_try_at
        assert webhooks_deliver_due(now=now - timedelta(seconds=1)) == 0  # not before its time
        with django_capture_on_commit_callbacks(execute=True):
            assert webhooks_deliver_due(now=now) == 1
        waits.append(now - last_try)
        last_try = now
        delivery.refresh_from_db()
        assert len(waits) < 40, "retries never stop"

    assert waits == sorted(waits) and waits[0] == timedelta(seconds=30) and waits[1] == timedelta(minutes=1)
    assert max(waits) == timedelta(hours=4)
    assert last_try - start >= GIVE_UP_AFTER
    assert last_try - start < GIVE_UP_AFTER + timedelta(hours=4)
    assert delivery.state == "failed" and delivery.last_status == 500 and '"ok": false' in delivery.last_response
    received = webhook_receiver.all()
    assert len(received) == delivery.attempts == len(waits) + 1
    assert {r.webhook_id for r in received} == {f"msg_{delivery_id}"}
    assert all(r.verified for r in received)

    webhook_endpoint.refresh_from_db()
    assert not webhook_endpoint.enabled and webhook_endpoint.disabled_reason == "failing"
    [message] = smtp_server.wait_for(1)
    assert message["To"] == admin_user.email
    assert "switched off" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert webhook_receiver.url in text
    assert f"https://pulse.example.com/settings/webhooks/{webhook_endpoint.pk}/" in text
    # Switched off: new events are not queued for it.
    assert webhook_deliveries_create("call.closed", {"call": {"id": 4}}, key="4") == []


def test_one_success_within_the_day_keeps_the_endpoint_on(
    webhook_endpoint, webhook_receiver, django_capture_on_commit_callbacks
):
    webhook_receiver.statuses = [500]
    start = timezone.now()
    _committed(django_capture_on_commit_callbacks,
               lambda: webhook_deliveries_create("call.closed", {"call": {"id": 5}}, key="5", now=start))
    webhook_endpoint.refresh_from_db()
    assert webhook_endpoint.failing_since is not None
    assert webhooks_deliver_due(now=WebhookDelivery.objects.get().next_try_at) == 1
    webhook_endpoint.refresh_from_db()
    assert webhook_endpoint.enabled and webhook_endpoint.failing_since is None


def test_send_again_is_a_new_attempt_of_the_same_delivery(
    webhook_endpoint, webhook_receiver, django_capture_on_commit_callbacks
):
    webhook_receiver.statuses = [503]
    [delivery_id] = _committed(django_capture_on_commit_callbacks,
                               lambda: webhook_deliveries_create("wave.sent", {"wave": {"id": 1}}, key="1"))
    _committed(django_capture_on_commit_callbacks, lambda: webhook_delivery_resend(delivery_id=delivery_id))
    failed, sent = webhook_receiver.wait_for(2)
    assert failed.webhook_id == sent.webhook_id == f"msg_{delivery_id}"
    assert sent.verified and sent.payload == failed.payload
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 2, 200)


def test_send_again_to_a_switched_off_endpoint_is_refused(webhook_endpoint, webhook_receiver):
    delivery = WebhookDelivery.objects.create(endpoint=webhook_endpoint, event_type="wave.sent", event_key="x",
                                              payload={}, delivered_at=timezone.now())
    WebhookEndpoint.objects.filter(pk=webhook_endpoint.pk).update(enabled=False)
    with pytest.raises(WebhookUrlRefused):
        webhook_delivery_resend(delivery_id=delivery.pk)
    assert webhook_receiver.all() == []


def test_an_erased_contacts_data_never_leaves(webhook_endpoint, webhook_receiver, account):
    contact = ContactFactory(account=account, email="erin@customer.test", name="Erin Erased")
    # Queued, not yet sent; then the contact is erased.
    webhook_deliveries_create("contact.unsubscribed", {"contact": {"id": contact.pk, "email": contact.email}},
                              key="e", contact_id=contact.pk)
    contacts_anonymise([contact.pk])
    assert webhooks_deliver_due() == 1
    [received] = webhook_receiver.wait_for(1)
    assert received.payload["data"] == {"contact": {"id": contact.pk}}
    assert b"erin@" not in received.body
    # And an event made after the erasure carries nothing about them either.
    webhook_deliveries_create("contact.unsubscribed", {"contact": {"id": contact.pk, "email": "x@y.test"}},
                              key="f", contact_id=contact.pk)
    assert WebhookDelivery.objects.get(event_key="contact.unsubscribed:f").payload["data"] == {
        "contact": {"id": contact.pk}}


@pytest.mark.parametrize("url", ["ftp://example.com/x", "http://127.0.0.1:8000/x", "http://10.1.2.3/x",
                                 "http://[::1]/x", "http://169.254.169.254/latest"])
def test_loopback_private_and_other_schemes_are_refused_in_production(url, admin_user, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(WebhookUrlRefused):
        webhook_endpoint_save(url=url, events=["wave.sent"], by=admin_user)
    assert not WebhookEndpoint.objects.exists()


# --- Pages ---------------------------------------------------------------------------------

def test_the_pages_are_for_administrators_only(client, am, rm, director, webhook_endpoint):
    delivery = WebhookDelivery.objects.create(endpoint=webhook_endpoint, event_type="wave.sent", event_key="x",
                                              payload={})
    urls = [reverse("surveys:webhooks"), reverse("surveys:webhook_new"),
            reverse("surveys:webhook_detail", args=[webhook_endpoint.pk])]
    posts = [reverse("surveys:webhook_switch", args=[webhook_endpoint.pk]),
             reverse("surveys:webhook_resend", args=[webhook_endpoint.pk, delivery.pk])]
    for user in (am, rm, director):
        client.force_login(user)
        for url in urls + posts:
            assert client.get(url).status_code == 404 if url in urls else client.post(url).status_code == 404
        assert client.post(reverse("surveys:webhook_new"),
                           {"url": "http://127.0.0.1:1/", "events": ["wave.sent"]}).status_code == 404
    assert WebhookEndpoint.objects.count() == 1
    assert WebhookEndpoint.objects.get().enabled


def test_an_administrator_creates_an_endpoint_and_sees_its_secret(client, admin_user, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    client.force_login(admin_user)
    response = client.post(reverse("surveys:webhook_new"),
                           {"url": "http://127.0.0.1:8123/hook", "events": ["answer.created", "call.closed"]})
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("surveys:webhook_detail",
                                                                             args=[endpoint.pk])
    assert endpoint.events == ["answer.created", "call.closed"] and endpoint.owner == admin_user
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) >= 40
    page = client.get(response["Location"]).content.decode()
    assert endpoint.secret in page and "Nothing delivered yet." in page


@pytest.mark.parametrize("data, message", [
    ({"url": "not a url", "events": ["wave.sent"]}, "Enter a valid URL."),
    ({"url": "http://127.0.0.1:8123/", "events": []}, "Choose at least one event."),
    ({"url": "http://127.0.0.1:8123/", "events": ["no.such"]}, "Select a valid choice."),
    ({"url": "http://127.0.0.1:8123/", "events": ["wave.sent"]}, "private network or this machine"),
])
def test_bad_input_is_explained_and_saves_nothing(client, admin_user, settings, data, message):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    client.force_login(admin_user)
    response = client.post(reverse("surveys:webhook_new"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_switching_off_and_on_and_the_log(client, admin_user, webhook_endpoint):
    client.force_login(admin_user)
    for i in range(3):
        WebhookDelivery.objects.create(endpoint=webhook_endpoint, event_type="wave.sent", event_key=f"k{i}",
                                       payload={}, attempts=2, last_status=502, last_response="Bad gateway",
                                       next_try_at=timezone.now() + timedelta(minutes=5))
    detail = reverse("surveys:webhook_detail", args=[webhook_endpoint.pk])
    page = client.get(detail).content.decode()
    assert page.count("Bad gateway") == 3 and "(502)" in page
    client.post(reverse("surveys:webhook_switch", args=[webhook_endpoint.pk]), {"enabled": "0"})
    webhook_endpoint.refresh_from_db()
    assert not webhook_endpoint.enabled
    assert not WebhookDelivery.objects.filter(next_try_at__isnull=False).exists()  # nothing waits for it
    client.post(reverse("surveys:webhook_switch", args=[webhook_endpoint.pk]), {"enabled": "1"})
    webhook_endpoint.refresh_from_db()
    assert webhook_endpoint.enabled


def test_the_pages_queries_do_not_grow_with_endpoints_or_deliveries(client, admin_user, webhook_endpoint,
                                                                     max_queries):
    client.force_login(admin_user)

    def add(n):
        for i in range(n):
            endpoint = WebhookEndpoint.objects.create(url=f"https://example.com/{i}", events=["wave.sent"],
                                                      secret="whsec_x", owner=UserFactory(role="admin"))
            for j in range(3):
                WebhookDelivery.objects.create(endpoint=endpoint, event_type="wave.sent", event_key=f"{j}",
                                               payload={}, last_status=200)
                WebhookDelivery.objects.create(endpoint=webhook_endpoint, event_type="wave.sent",
                                               event_key=f"{n}-{i}-{j}", payload={}, last_status=200)

    counts = {}
    for n in (1, 4):
        add(n)
        for url in (reverse("surveys:webhooks"), reverse("surveys:webhook_detail", args=[webhook_endpoint.pk])):
            with max_queries(30) as captured:
                assert client.get(url).status_code == 200
            counts.setdefault(url, []).append(len(captured))
    for url, (few, many) in counts.items():
        assert few == many, url
