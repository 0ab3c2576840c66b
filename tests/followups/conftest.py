import pytest

from followups.services import call_queue_for_response
from tests.factories import ContactFactory, InvitationFactory, ResponseFactory


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
