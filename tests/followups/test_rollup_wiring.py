"""The follow-up figures on feedback's rollup pages (wired through feedback.hooks)."""

from datetime import timedelta

from django.utils import timezone

from followups.models import Call
from followups.services import call_queue_for_response
from tests.factories import ResponseFactory


def _overdue_detractor_call(account, days_late=10):
    response = ResponseFactory(invitation__contact__account=account, score=2)
    call_queue_for_response(response_id=response.pk)
    Call.objects.filter(response=response).update(due_on=timezone.localdate() - timedelta(days=days_late))
    return response


def test_rm_home_shows_overdue_calls_and_discipline(client, rm, account):
    response = _overdue_detractor_call(account)
    client.force_login(rm)
    page = client.get("/region/", follow=True).content.decode()
    assert "Follow-up discipline" in page
    assert "Calls overdue by more than 7 days" in page
    assert response.contact.name in page


def test_org_home_shows_discipline_and_the_per_am_column(client, director, account):
    _overdue_detractor_call(account)
    client.force_login(director)
    page = client.get("/organisation/").content.decode()
    assert "Follow-up discipline" in page
    assert "Follow-up done" in page
    # The overdue list is the RM's; the director drills down for it.
    assert "Calls overdue by more than" not in page
