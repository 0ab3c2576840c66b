"""Writes of the follow-up calls (the follow-up issue fills this in)."""


def call_queue_for_response(*, response_id: int) -> None:
    """Queue (or update) the follow-up call for a response; idempotent. Run via the outbox."""
