"""Routing a saved answer to its owner.

Run through the outbox after an answer is saved or changed (the "answer_saved"
event's "route" handler, see config/events.py).

The answer reaches the owner's inbox by itself (inboxes read the account's current
owner), and the rollup summaries counted it in the answer's own transaction
(surveys.tallies). Routing sends the alert: a detractor emails the owning AM at once,
and queues a post to the chat of the owner and of the region's manager who chose it
(feedback.chat).
The alert is sent once per answer: `alerted_at` is claimed by a conditional update
inside the outbox's transaction, so a re-delivered message finds it taken, and a
failed send rolls the claim back for the retry. An answer changed from a promoter
to a detractor alerts then; one changed among detractor scores does not alert twice.
"""

import logging

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from outbox.services import outbox_publish
from surveys.compiled_sql import ids_rows
from surveys.emails import email_message

from .models import Category, Response
from .notifications import chat_alert_user_ids, notification_settings_for

log = logging.getLogger(__name__)


def response_url(response: Response) -> str:
    return settings.SITE_URL + reverse("response_detail", args=[response.pk])


def _alert_facts(response_ids: list[int]):
    return Response.objects.filter(pk__in=response_ids).values_list("category", "suspect")


_ALERT_CLAIM = (f"UPDATE {Response._meta.db_table} SET alerted_at = %s"
                " WHERE id = %s AND alerted_at IS NULL AND category = %s")


@transaction.atomic
def response_route(*, response_id: int) -> None:
    """Alert the owning AM of a detractor at once; idempotent."""
    # Most answers are not detractors: they cost one small read, compiled once.
    if ids_rows(_alert_facts, [response_id]) != [(Category.DETRACTOR, False)]:
        return
    with connection.cursor() as cursor:
        cursor.execute(_ALERT_CLAIM, [connection.ops.adapt_datetimefield_value(timezone.now()), response_id,
                                      Category.DETRACTOR])
        if not cursor.rowcount:
            return
    response = Response.objects.select_related("contact", "account__owner", "account__region").get(pk=response_id)
    # Chat posts are rows of their own in this transaction: a chat service that is down
    # retries alone, and a failed email (rolled back and retried) queues them once.
    for user_id in chat_alert_user_ids(response):
        outbox_publish("detractor_chat_queued", user_id=user_id, response_id=response.pk)
    owner = response.account.owner
    if not owner.is_active or not notification_settings_for(owner).detractor_alerts:
        return
    detractor_alert_send(response=response)


def detractor_alert_send(*, response: Response) -> None:
    owner = response.account.owner
    context = {"response": response, "owner": owner, "url": response_url(response), "site_url": settings.SITE_URL}
    # In the owner's language, whoever's request (a Danish customer's answer) set off the alert.
    with translation.override(owner.email_language):
        email_message(
            "detractor_alert", context, to=[owner.email], headers={"X-Pulse-Response": str(response.pk)}
        ).send()
