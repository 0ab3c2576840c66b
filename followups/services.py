"""Writes of the follow-up calls (the follow-up issue fills this in)."""


def call_queue_for_response(*, response_id: int) -> None:
    """Queue (or update) the follow-up call for a response; idempotent. Run via the outbox."""


def calls_move_for_account(*, account_id: int, new_owner_id: int) -> None:
    """Move the account's open calls to its new owner; idempotent. Run via the outbox
    when the owner changes (feedback.services.account_owner_change)."""
