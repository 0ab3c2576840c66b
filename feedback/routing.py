"""Routing a saved answer to its owner (the routing issue fills this in).

Run through the outbox after an answer is saved or changed:
`outbox_enqueue("feedback.routing.response_route", response_id=...)`.
"""


def response_route(*, response_id: int) -> None:
    """Alert the owning AM of a detractor at once; idempotent."""
