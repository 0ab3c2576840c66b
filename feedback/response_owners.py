"""Each answer carries its account's owner, so that an account manager's inbox reads the
newest answers off an index on (owner, answered_at) instead of stepping through every
answer of the book for the few that are theirs. Set when the answer is stored
(feedback.answering, confirmed under the account's lock), moved with the account (surveys'
accounts_moved, in the transaction that moves it), and set right by the nightly repair.

The move holds the accounts' rows, while an answer's events lock the answer's row before
its account's. So the move changes only the answers nobody holds (SKIP LOCKED): waiting
for the others could close a circle with them. What it skipped, the worker moves right
after the commit ("answer_owners_stale"), waiting for them like any other writer."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import F, OuterRef, QuerySet, Subquery

from outbox.services import outbox_publish
from surveys.batching import chunks
from surveys.models import Account

from .models import Response

CHUNK = 500


def accounts_moved_owners(sender=None, *, moves: dict, **kwargs) -> None:
    """Receiver of surveys.signals.accounts_moved: {account: ((old owner, old region), (new
    owner, new region) or None)}. The answers follow their account to its new owner (an
    account about to be deleted takes its answers with it)."""
    accounts_of_owner: dict[int, list[int]] = defaultdict(list)
    for account_id, (old, new) in moves.items():
        if new is not None and new[0] != old[0]:
            accounts_of_owner[new[0]].append(account_id)
    skipped = []
    for owner_id, account_ids in accounts_of_owner.items():
        for chunk in chunks(sorted(account_ids), CHUNK):
            wrong = Response.objects.filter(account_id__in=chunk).exclude(owner_id=owner_id)
            free = list(wrong.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True))
            Response.objects.filter(pk__in=free).update(owner_id=owner_id)
            if wrong.exists():  # rows another transaction holds
                skipped += chunk
    if skipped:
        outbox_publish("answer_owners_stale", account_ids=sorted(skipped))


def answer_owners_follow(*, account_ids: list[int]) -> None:
    """Outbox handler: these accounts' answers carry the account's owner (after a move
    that found some of them held by another transaction)."""
    for chunk in chunks(sorted(account_ids), CHUNK):
        _owners_set_right(Response.objects.filter(account_id__in=chunk))


def _wrong_owner(responses: QuerySet[Response]) -> QuerySet[Response]:
    return responses.exclude(owner_id=F("account__owner_id"))


def _owners_set_right(responses: QuerySet[Response]) -> int:
    """Those of `responses` whose owner is not their account's get the account's."""
    owner = Subquery(Account.objects.filter(pk=OuterRef("account_id")).values("owner_id")[:1])
    return _wrong_owner(responses).update(owner_id=owner)


def response_owners_differences() -> list[str]:
    """Answers whose owner is not their account's ([] when all agree): for the check."""
    count = _wrong_owner(Response.objects.all()).count()
    return [f"Response.owner: {count:,} answers do not carry their account's owner"] if count else []


def response_owners_rebuild() -> int:
    """The repair: every answer carries its account's owner. Returns how many changed."""
    return _owners_set_right(Response.objects.all())
