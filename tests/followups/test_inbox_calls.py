"""The inbox and the calls agree: a reached call handles its answer, and each inbox row
says where the answer's call stands (its state and due date; the answer's page, one click
away, opens the call)."""

import pytest
from django.urls import reverse

from feedback.models import Response
from followups.models import RootCause
from followups.services import call_queue_for_response
from surveys.templatetags.pulse_display import weekday
from tests.feedback.conftest import world  # noqa: F401 (the feedback tests' world: two regions, their answers)

pytestmark = pytest.mark.django_db


def _row(body: str, response) -> str:
    return body.split(f'id="answer-{response.pk}"', 1)[1].split('<li class="answer ', 1)[0]


def test_inbox_row_shows_the_calls_state_and_due_date(client, world):  # noqa: F811
    call = call_queue_for_response(response_id=world.response.pk)
    client.force_login(world.am)
    row = _row(client.get(reverse("feedback:inbox")).content.decode(), world.response)
    assert f"Call open, due {weekday(call.due_on)}" in row and 'data-call-state="open"' in row


def test_logging_a_reached_call_closes_the_inbox_item(client, world):  # noqa: F811
    call = call_queue_for_response(response_id=world.response.pk)
    client.force_login(world.am)
    assert "Detractors to handle" in client.get(reverse("feedback:inbox")).content.decode()
    response = client.post(reverse("followups:attempt", args=[call.pk]), {
        "outcome": "reached", "root_cause": RootCause.objects.get(name="Delivery").pk, "agreed": "A fixed slot"})
    assert response.status_code == 302
    assert Response.objects.get(pk=world.response.pk).triage == "handled"
    body = client.get(reverse("feedback:inbox")).content.decode()
    assert "Detractors to handle" not in body  # off the to-do: nobody records it twice
    row = _row(body, world.response)
    assert 'data-state="handled"' in row and "Call: Reached" in row


def test_the_row_swapped_in_after_triage_keeps_the_call(client, world):  # noqa: F811
    call = call_queue_for_response(response_id=world.response.pk)
    client.force_login(world.am)
    body = client.post(reverse("feedback:response_triage", args=[world.response.pk]),
                       {"state": "seen", "next": "/inbox/"}, HTTP_HX_REQUEST="true").content.decode()
    assert f"Call open, due {weekday(call.due_on)}" in body


def test_inbox_row_without_a_call_says_nothing_of_one(client, world):  # noqa: F811
    client.force_login(world.am)
    row = _row(client.get(reverse("feedback:inbox")).content.decode(), world.response)
    assert "call-state" not in row


def test_inbox_row_states_in_danish(client, world):  # noqa: F811
    call_queue_for_response(response_id=world.response.pk)
    client.force_login(world.am)
    row = _row(client.get(reverse("feedback:inbox"), HTTP_ACCEPT_LANGUAGE="da").content.decode(), world.response)
    assert "Opkald åbent, frist" in row


def test_inbox_query_count_is_flat_with_calls(client, world, max_queries):  # noqa: F811
    from tests.feedback.test_query_counts import assert_flat
    from tests.followups.conftest import calls_for_every_answer

    call_queue_for_response(response_id=world.response.pk)
    assert_flat(client, world, max_queries, world.am, reverse("feedback:inbox"),
                more=lambda _world: calls_for_every_answer())
