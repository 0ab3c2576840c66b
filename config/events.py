"""Outbox events and the functions that handle them (see outbox/services.py).

    outbox_publish("answer_saved", response_id=response.pk)

writes one outbox row per handler key below; a worker runs each once after the
commit. Event names and handler keys are stored in rows, so they stay stable: rename
a function here freely (a rename breaks this import, never a queued row), but a key
removed or renamed leaves its queued rows failing with "unknown handler" in the admin.
"""

from feedback.chat import detractor_chat_post, digest_chat_post
from feedback.response_owners import answer_owners_follow
from feedback.response_themes import response_themes_retag
from feedback.routing import response_route
from feedback.webhooks import answer_webhooks  # answers told to webhook endpoints
from followups.services import call_queue_for_response, calls_move_for_account, close_loop_email_deliver
from surveys.staff import password_reset_email_send

HANDLERS = {
    # A customer answered, or changed the answer (feedback.answering.response_submit).
    # Its reason is tagged with themes (again) in the worker, never in the answer's request.
    "answer_saved": {"route": response_route, "queue_call": call_queue_for_response, "themes": response_themes_retag,
                     "webhooks": answer_webhooks},
    # The same, with signs of a bot: routed, shown and tagged, never followed up by a call.
    "suspect_answer_saved": {"route": response_route, "themes": response_themes_retag},
    # Answers an owner change found held by another transaction (feedback.response_owners).
    "answer_owners_stale": {"follow": answer_owners_follow},
    # An account got a new owner (feedback.services.account_owner_change).
    "owner_changed": {"move_calls": calls_move_for_account},
    # An AM wrote a close-the-loop email to the customer (followups.services.close_loop_email_queue).
    "close_loop_email_queued": {"send": close_loop_email_deliver},
    # Someone asked for a set-password link on "Forgot your password?" (surveys.staff.password_reset_ask).
    "password_reset_asked": {"send": password_reset_email_send},
    # --- Chat alerts: posts to a user's Slack or Teams webhook (feedback.chat).
    # A detractor for a user whose chat takes alerts (feedback.routing.response_route).
    "detractor_chat_queued": {"post": detractor_chat_post},
    # A digest sent to a user whose chat takes digests (feedback.digests.digest_send).
    "digest_chat_queued": {"post": digest_chat_post},
}
