"""Webhooks: other systems told of events, signed as the Standard Webhooks specification
says (https://www.standardwebhooks.com, the `standardwebhooks` package).

    webhook_deliveries_create("call.closed", {"call": {...}}, key=f"call.closed:{call.pk}")

writes one WebhookDelivery per enabled endpoint that asked for the event, in the caller's
transaction: the delivery rows are an outbox of their own. The app that owns an event's
data builds its payload, where the change happens (surveys: contact.unsubscribed,
wave.sent; followups: call.closed) or in an outbox handler of the event (feedback:
answer.created and answer.changed, from answer_saved, so that an answer's request costs
no more). Nothing touches the broker: a delivery waits in the database through a Redis
outage and goes out when a worker polls again.

Delivery has its own poll (`webhooks_deliver_due`, beat every two seconds) rather than
the outbox's: its schedule is the receiver's (retries with backoff for a day, then the
endpoint is disabled and its owner emailed), and an attempt is an HTTP request that must
not run under a row lock. At least once: a worker that dies after the POST leaves its
claim to expire and the delivery is sent again, with the same webhook-id (`msg_<id>`)
the receiver de-duplicates on. Sending again by hand keeps that id too.
"""

import base64
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from .addresses import address_inside, host_addresses
from .emails import email_message
from .models import Contact, Role, User, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

EVENT_TYPES = tuple(WebhookEndpoint.Event.values)
# After the n-th failed attempt the next waits RETRY_BASE * 2**(n-1), at most RETRY_MAX:
# 30 s, 1, 2, 4 ... 128 min, then every 4 h. A delivery failing for GIVE_UP_AFTER stops,
# and an endpoint whose deliveries all failed for that long is disabled.
RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=4)
GIVE_UP_AFTER = timedelta(days=1)
# A claimed delivery not recorded this long after is sent again (its worker died).
CLAIM_FOR = timedelta(minutes=2)
CLAIM_BATCH = 50
# A claim's POSTs in flight at once (per worker process).
SEND_THREADS = 8
RUN_AT_MOST = 1000
RESPONSE_EXCERPT = 500
# Keys of a payload's data that tell about a person: removed when the contact is erased.
PERSONAL_KEYS = frozenset({"email", "name", "phone", "reason", "agreed", "note"})


class WebhookUrlRefused(ValueError):
    """A URL webhooks may not be sent to (the message says why, for the administrator)."""


# --- Endpoints ------------------------------------------------------------------------------

def webhook_secret_new() -> str:
    """A secret as the specification writes them: "whsec_" and base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def webhook_url_check(url: str) -> None:
    """Refuse what is not http(s), and, unless WEBHOOKS_ALLOW_PRIVATE, an address on this
    machine or a private network (the server must not be made to call inside its walls)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookUrlRefused(_("Enter an http:// or https:// address."))
    if settings.WEBHOOKS_ALLOW_PRIVATE:
        return
    addresses = host_addresses(parts.hostname, parts.port or 443)
    if addresses is None:
        raise WebhookUrlRefused(_("This host name does not resolve."))
    if address_inside(parts.hostname) or any(address_inside(address) for address in addresses):
        raise WebhookUrlRefused(_("This address is on a private network or this machine."))


@transaction.atomic
def webhook_endpoint_save(*, endpoint: WebhookEndpoint | None = None, url: str, events: list[str],
                          by: User) -> WebhookEndpoint:
    """Create an endpoint (with a new secret, owned by `by`) or change its URL and events."""
    webhook_url_check(url)
    events = [event for event in EVENT_TYPES if event in events]
    if endpoint is None:
        endpoint = WebhookEndpoint(secret=webhook_secret_new(), owner=by)
    endpoint.url, endpoint.events = url, events
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_enable(*, endpoint_id: int, enabled: bool, now: datetime | None = None) -> WebhookEndpoint:
    """Switch an endpoint on or off by hand. On again, it starts with a clean record; its
    deliveries given up stay given up ("send again" takes them one by one)."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    endpoint.enabled = enabled
    if enabled:
        endpoint.failing_since = endpoint.disabled_at = None
        endpoint.disabled_reason = ""
    else:
        endpoint.disabled_at, endpoint.disabled_reason = now or timezone.now(), ""
        endpoint.deliveries.filter(next_try_at__isnull=False).update(next_try_at=None)
    endpoint.save()
    return endpoint


# --- Events -----------------------------------------------------------------------------------

def webhook_deliveries_create(event_type: str, data: dict, *, key: str, contact_id: int | None = None,
                              now: datetime | None = None) -> list[int]:
    """Queue `event_type` with `data` for each enabled endpoint that asked for it, in the
    caller's transaction (sent after the commit). `key` names the event: the same key
    again adds nothing. An erased contact's event carries nothing about them. Returns the
    new deliveries' ids."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event {event_type!r}")
    now = now or timezone.now()
    endpoint_ids = [
        endpoint.pk for endpoint in WebhookEndpoint.objects.filter(enabled=True).only("pk", "events")
        if event_type in endpoint.events
    ]
    if not endpoint_ids:
        return []
    if contact_id and Contact.objects.filter(pk=contact_id, erased_at__isnull=False).exists():
        data = payload_redacted(data)
    payload = {"type": event_type, "timestamp": webhook_time(now), "data": data}
    key = f"{event_type}:{key}"
    taken = set(WebhookDelivery.objects.filter(endpoint_id__in=endpoint_ids, event_key=key)
                .values_list("endpoint_id", flat=True))
    deliveries = WebhookDelivery.objects.bulk_create([
        WebhookDelivery(endpoint_id=endpoint_id, event_type=event_type, event_key=key, payload=payload,
                        contact_id=contact_id, created_at=now, next_try_at=now)
        for endpoint_id in endpoint_ids if endpoint_id not in taken
    ])
    ids = [delivery.pk for delivery in deliveries]
    _send_eagerly_on_commit(ids)
    return ids


def webhooks_wanted() -> bool:
    """Whether any endpoint is on: a handler asks before it builds a payload, so that
    without webhooks an event costs one small query (written out: every answer asks)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {WebhookEndpoint._meta.db_table} WHERE enabled LIMIT 1")
        return cursor.fetchone() is not None


def webhook_account(account) -> dict:
    """An account as every event's data shows it: ids a CRM matches on, and the name."""
    return {"id": account.pk, "external_id": account.external_id, "name": account.name}


def webhook_contact(contact: Contact) -> dict:
    """A contact as every event's data shows it: the id and the address a CRM matches on
    (nothing of an erased contact but the id)."""
    return {"id": contact.pk} if contact.erased_at else {"id": contact.pk, "email": contact.email}


def webhook_time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def payload_redacted(value):
    """`value` without what tells about a person (PERSONAL_KEYS), at any depth."""
    if isinstance(value, dict):
        return {k: payload_redacted(v) for k, v in value.items() if k not in PERSONAL_KEYS}
    if isinstance(value, list):
        return [payload_redacted(v) for v in value]
    return value


def webhook_deliveries_redact(contact_ids: list[int]) -> int:
    """An erased contact's deliveries, sent or waiting, keep nothing about them."""
    deliveries = list(WebhookDelivery.objects.filter(contact_id__in=contact_ids).only("pk", "payload"))
    for delivery in deliveries:
        delivery.payload = payload_redacted(delivery.payload)
    WebhookDelivery.objects.bulk_update(deliveries, ["payload"], batch_size=500)
    return len(deliveries)


def _send_eagerly_on_commit(delivery_ids: list[int]) -> None:
    """Where tasks run in-process there is no beat to poll: send after the commit."""
    from config.celery import app

    if app.conf.task_always_eager and delivery_ids:
        # New (or sent again): due at once, whatever `now` the event was given.
        transaction.on_commit(lambda: [webhook_delivery_send(delivery_id=pk, claimed=True) for pk in delivery_ids])


# --- Sending ----------------------------------------------------------------------------------

def webhooks_deliver_due(*, now: datetime | None = None) -> int:
    """Claim the due deliveries (several workers may poll at once: SKIP LOCKED) and send
    each. Returns how many were attempted."""
    now = now or timezone.now()
    attempted = 0
    while attempted < RUN_AT_MOST:
        with transaction.atomic():
            ids = list(
                WebhookDelivery.objects.select_for_update(skip_locked=True)
                .filter(next_try_at__lte=now).order_by("next_try_at").values_list("pk", flat=True)[:CLAIM_BATCH]
            )
            WebhookDelivery.objects.filter(pk__in=ids).update(next_try_at=now + CLAIM_FOR)
        if not ids:
            break
        attempted += _claimed_send(ids, now=now)
    return attempted


def _claimed_send(ids: list[int], *, now: datetime) -> int:
    """One claim's deliveries, as webhook_delivery_send(claimed=True) sends each, but their
    POSTs SEND_THREADS at a time: the batch waits for its slowest receivers, not for the
    sum of them all (50 receivers timing out one after the other would outlast the claim).
    Only the POSTs run in the threads; loading and recording stay here, on this
    connection. Returns how many were attempted."""
    deliveries = list(WebhookDelivery.objects.select_related("endpoint").filter(pk__in=ids, next_try_at__isnull=False))
    off = [delivery.pk for delivery in deliveries if not delivery.endpoint.enabled]
    if off:
        WebhookDelivery.objects.filter(pk__in=off).update(next_try_at=None)
    live = [delivery for delivery in deliveries if delivery.endpoint.enabled]
    with ThreadPoolExecutor(SEND_THREADS) as pool:
        answers = list(pool.map(lambda delivery: _post(delivery.endpoint, delivery), live))
    # One commit for the claim's results, not one each (each commit waits for the disk). If
    # it fails, none is recorded: their claims expire and they are sent again, same ids.
    with transaction.atomic():
        for delivery, (status, excerpt) in zip(live, answers, strict=True):
            _record(delivery.pk, status=status, excerpt=excerpt, now=now)
    return len(live)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return min(RETRY_BASE * 2 ** (attempts - 1), RETRY_MAX)


def webhook_delivery_send(*, delivery_id: int, now: datetime | None = None, claimed: bool = False) -> bool:
    """One attempt: POST the payload, signed, and record what came back. No lock is held
    during the request; the result is recorded only if the delivery is still waiting.
    `claimed`: the caller made it due (a poll's claim), whatever its next_try_at says.
    Returns whether an attempt was made."""
    now = now or timezone.now()
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.next_try_at is None or (not claimed and delivery.next_try_at > now):
        return False
    endpoint = delivery.endpoint
    if not endpoint.enabled:
        WebhookDelivery.objects.filter(pk=delivery_id).update(next_try_at=None)
        return False
    status, excerpt = _post(endpoint, delivery)
    _record(delivery_id, status=status, excerpt=excerpt, now=now)
    return True


def webhook_signed_headers(*, secret: str, webhook_id: str, body: str, at: datetime | None = None) -> dict:
    """The specification's three headers for `body`."""
    # The receiver checks the timestamp against its own clock (five minutes either way):
    # always the wall clock, whatever `now` the schedule was given.
    at = at or datetime.fromtimestamp(int(time.time()), tz=UTC)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, body),
    }


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> tuple[int | None, str]:
    """(HTTP status or None, the start of the response or the error)."""
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
    headers = {
        "Content-Type": "application/json", "User-Agent": "Pulse-Webhooks/1",
        **webhook_signed_headers(secret=endpoint.secret, webhook_id=delivery.webhook_id, body=body),
    }
    try:
        webhook_url_check(endpoint.url)  # again: a name may resolve elsewhere since it was saved
        request = urllib.request.Request(endpoint.url, data=body.encode(), headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=settings.WEBHOOKS_TIMEOUT) as response:  # noqa: S310 - checked above
            return response.status, _excerpt(response.read(RESPONSE_EXCERPT * 2))
    except urllib.error.HTTPError as error:
        return error.code, _excerpt(error.read(RESPONSE_EXCERPT * 2))
    except (OSError, ValueError) as error:  # refused, timed out, bad URL, TLS
        return None, str(getattr(error, "reason", None) or error)[:RESPONSE_EXCERPT]


def _excerpt(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")[:RESPONSE_EXCERPT]


def _record(delivery_id: int, *, status: int | None, excerpt: str, now: datetime) -> None:
    disabled = None
    with transaction.atomic(savepoint=False):  # in a claim's transaction: no savepoint each
        delivery = (WebhookDelivery.objects.select_for_update().select_related("endpoint")
                    .filter(pk=delivery_id, next_try_at__isnull=False).first())
        if delivery is None:  # recorded by another attempt meanwhile
            return
        endpoint = delivery.endpoint
        delivery.attempts += 1
        delivery.last_attempt_at, delivery.last_status, delivery.last_response = now, status, excerpt
        if status is not None and 200 <= status < 300:
            delivery.delivered_at, delivery.failed_at, delivery.next_try_at = now, None, None
            if endpoint.failing_since:
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        else:
            failing_since = endpoint.failing_since or now
            if failing_since != endpoint.failing_since:
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=now)
            if now - delivery.created_at >= GIVE_UP_AFTER:
                delivery.failed_at, delivery.next_try_at = now, None
            else:
                delivery.next_try_at = now + retry_delay(delivery.attempts)
            if now - failing_since >= GIVE_UP_AFTER and endpoint.enabled:
                disabled = _endpoint_disable_for_failing(endpoint, now)
        delivery.save(update_fields=["attempts", "last_attempt_at", "last_status", "last_response",
                                     "delivered_at", "failed_at", "next_try_at"])
    if disabled:
        transaction.on_commit(lambda: _disabled_email_send(disabled))


def _endpoint_disable_for_failing(endpoint: WebhookEndpoint, now: datetime) -> int:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        enabled=False, disabled_at=now, disabled_reason="failing",
    )
    endpoint.deliveries.filter(next_try_at__isnull=False).update(next_try_at=None, failed_at=now)
    log.warning("webhook endpoint %s disabled: failing since %s", endpoint.url, endpoint.failing_since)
    return endpoint.pk


def _disabled_email_send(endpoint_id: int) -> None:
    """Tell the endpoint's owner (or, without one, every administrator) it was disabled."""
    endpoint = WebhookEndpoint.objects.select_related("owner").get(pk=endpoint_id)
    owners = [endpoint.owner] if endpoint.owner and endpoint.owner.is_active else list(
        User.objects.filter(is_active=True, role=Role.ADMIN)
    )
    for owner in owners:
        with translation.override(owner.email_language):
            email_message("webhook_disabled", {
                "owner": owner, "endpoint": endpoint, "site_url": settings.SITE_URL,
            }, to=[owner.email]).send()


def webhook_delivery_resend(*, delivery_id: int, now: datetime | None = None) -> WebhookDelivery:
    """"Send again": a new attempt of the same delivery, with the same webhook-id, now
    (after the commit; a worker's poll picks it up). The endpoint must be enabled."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery_id)
        if not delivery.endpoint.enabled:
            raise WebhookUrlRefused(_("Enable the endpoint before sending again."))
        delivery.next_try_at, delivery.failed_at = now, None
        delivery.save(update_fields=["next_try_at", "failed_at"])
        _send_eagerly_on_commit([delivery.pk])
    return delivery
