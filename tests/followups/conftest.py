import pytest
from django.db import transaction

from followups.services import call_queue_for_response
from tests.factories import AccountFactory, ContactFactory, InvitationFactory, ResponseFactory, UserFactory


def answer(account, score=8, reason="", suspect=False, **contact_fields):
    """A saved answer of a new contact of `account`."""
    contact = ContactFactory(account=account, **contact_fields)
    invitation = InvitationFactory(contact=contact, account=account)
    return ResponseFactory(invitation=invitation, score=score, reason=reason, suspect=suspect)


def answer_with_call(account, score=8, **kwargs):
    response = answer(account, score=score, **kwargs)
    return call_queue_for_response(response_id=response.pk)


@pytest.fixture
def make_call():
    return answer_with_call


def bulk_calls(account, n, *, assignee=None, due_on=None, score=3):
    """`n` answers with open calls on `account`, in a handful of queries (bulk_create)."""
    import secrets

    from django.utils import timezone

    from feedback.models import Response, category_for_score
    from followups.models import Call
    from followups.tallies import calls_added_count
    from surveys.models import Contact, Invitation
    from tests.factories import WaveFactory

    wave = WaveFactory()
    tag = secrets.token_hex(4)
    contacts = Contact.objects.bulk_create(
        Contact(account=account, email=f"bulk{tag}-{i}@customer.test", name=f"Bulk Contact {i}",
                phone="+45 11 22 33 44", level="manager") for i in range(n)
    )
    invitations = Invitation.objects.bulk_create(
        Invitation(wave=wave, contact=c, account=account, status="sent", token_nonce=secrets.token_hex(16),
                   token_hash=secrets.token_hex(32)) for c in contacts
    )
    now = timezone.now()
    responses = Response.objects.bulk_create(
        Response(invitation=inv, contact_id=inv.contact_id, account=account, owner_id=account.owner_id, score=score,
                 category=category_for_score(score), reason=f"Reason {i}", answered_at=now)
        for i, inv in enumerate(invitations)
    )
    calls = Call.objects.bulk_create(
        Call(response=r, account=account, contact_id=r.contact_id, category=r.category, answered_at=now,
             assignee=assignee or account.owner, assigned_for=account.owner, due_on=due_on or timezone.localdate())
        for r in responses
    )
    with transaction.atomic():  # as the demo does: the call summaries count them, accounts locked
        calls_added_count(calls)
    return calls


def calls_for_every_answer():
    """A call for every counted answer without one (bulk): open, reached, or tried once."""
    from django.utils import timezone

    from feedback.models import Response
    from followups.models import Call
    from followups.tallies import calls_added_count

    now = timezone.now()
    calls = []
    # In id order: which answer gets which state must not depend on the database's plan.
    answers = Response.objects.filter(call__isnull=True, suspect=False).select_related("account").order_by("pk")
    for i, r in enumerate(answers):
        state = ["open", "reached", "open"][i % 3]
        calls.append(Call(
            response=r, account_id=r.account_id, contact_id=r.contact_id, category=r.category,
            answered_at=r.answered_at, assignee_id=r.account.owner_id, assigned_for_id=r.account.owner_id,
            due_on=timezone.localdate(r.answered_at), state=state,
            closed_at=now if state == "reached" else None, reached_at=now if state == "reached" else None,
            first_attempt_at=now if i % 3 != 2 else None,
            seconds_to_first_attempt=3600 * (i % 50) if i % 3 != 2 else None,
        ))
    Call.objects.bulk_create(calls)
    calls_added_count(calls)


@pytest.fixture
def colleague(region):
    """Another AM with an account in the same region."""
    user = UserFactory(role="am", full_name="Bo Berg")
    AccountFactory(owner=user, region=region)
    return user


def figures_rebuild():
    """For tests that write answers or calls around the services (factories, bulk_create,
    update): recount the summaries the figures read, as the nightly repair does."""
    from feedback.summaries import summary_rebuild
    from followups.tallies import call_summaries_rebuild

    summary_rebuild()
    call_summaries_rebuild()
