"""GET /api/v1/calls, /api/v1/calls/{id} and POST /api/v1/calls/{id}/attempts: the calls a
user may read, filtered, a cursor page at a time; an attempt logged with the call page's
rules and messages; outside the scope a 404, a call one may read but not work a 403."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from followups.models import Attempt, Call, RootCause
from followups.services import attempt_log
from tests.feedback.conftest import world  # noqa: F401
from tests.followups.conftest import answer_with_call, bulk_calls

LIST = "/api/v1/calls"


def api(user, auth=None) -> APIClient:
    client = APIClient()
    client.force_authenticate(user, token=auth)
    return client


def ids(body) -> set[int]:
    return {row["id"] for row in body["results"]}


def errors(response) -> dict[str, list[str]]:
    """A 400's problems by field (the problem details' `errors`)."""
    found: dict[str, list[str]] = {}
    for error in response.json()["errors"]:
        found.setdefault(error["field"], []).append(error["detail"])
    return found


@pytest.fixture
def calls(world):  # noqa: F811
    """A call on each of the world's three accounts: north (am's), other (other_am's, same
    region), far (far_am's, the other region)."""
    return SimpleNamespace(
        north=answer_with_call(world.account, score=3),
        other=answer_with_call(world.other_account, score=9),
        far=answer_with_call(world.far_account, score=5),
    )


def test_the_urls_are_where_the_readme_says():
    assert reverse("api_calls") == LIST
    assert reverse("api_call", args=[4]) == "/api/v1/calls/4"
    assert reverse("api_call_attempts", args=[4]) == "/api/v1/calls/4/attempts"


def test_a_call_has_its_answer_contact_account_and_attempts(world, calls):  # noqa: F811
    call = calls.north
    attempt_log(call_id=call.pk, by=world.am, outcome="voicemail", note="left a message")
    body = api(world.am).get(f"{LIST}/{call.pk}").json()
    assert body["id"] == call.pk and body["state"] == "open" and body["category"] == "detractor"
    assert body["due"] == call.due_on.isoformat() and body["overdue"] is False
    assert body["answer"]["id"] == call.response_id and body["answer"]["score"] == 3
    assert body["account"]["id"] == world.account.pk and body["account"]["owner"]["id"] == world.am.pk
    assert body["assignee"]["id"] == world.am.pk and body["unanswered_attempts"] == 1
    assert [(a["outcome"], a["note"], a["by"]["id"]) for a in body["attempts"]] == [
        ("voicemail", "left a message", world.am.pk)]
    listed = api(world.am).get(LIST).json()["results"]
    assert [row["id"] for row in listed] == [call.pk] and "attempts" not in listed[0]


def test_each_role_lists_its_scope(world, calls):  # noqa: F811
    assert ids(api(world.am).get(LIST).json()) == {calls.north.pk}
    assert ids(api(world.rm).get(LIST).json()) == {calls.north.pk, calls.other.pk}
    assert ids(api(world.far_rm).get(LIST).json()) == {calls.far.pk}
    assert ids(api(world.director).get(LIST).json()) == {calls.north.pk, calls.other.pk, calls.far.pk}


def test_filters(world, calls):  # noqa: F811
    director = api(world.director)
    Call.objects.filter(pk=calls.far.pk).update(due_on=timezone.localdate() - timedelta(days=3))
    attempt_log(call_id=calls.other.pk, by=world.other_am, outcome="declined")
    assert ids(director.get(LIST, {"state": "open"}).json()) == {calls.north.pk, calls.far.pk}
    assert ids(director.get(LIST, {"state": "closed"}).json()) == {calls.other.pk}
    assert ids(director.get(LIST, {"overdue": "true"}).json()) == {calls.far.pk}
    assert ids(director.get(LIST, {"overdue": "false"}).json()) == {calls.north.pk, calls.other.pk}
    assert ids(director.get(LIST, {"owner": world.other_am.pk}).json()) == {calls.other.pk}
    assert ids(director.get(LIST, {"region": world.far_region.pk}).json()) == {calls.far.pk}
    assert director.get(LIST, {"overdue": "true"}).json()["results"][0]["overdue"] is True


def test_outside_the_scope_is_a_404(world, calls):  # noqa: F811
    am = api(world.am)
    assert am.get(f"{LIST}/{calls.far.pk}").status_code == 404
    assert am.get(f"{LIST}/{calls.other.pk}").status_code == 404
    assert am.post(f"{LIST}/{calls.far.pk}/attempts", {"outcome": "no_answer"}, format="json").status_code == 404
    assert am.get(LIST, {"region": world.far_region.pk}).status_code == 404
    assert api(world.rm).get(LIST, {"owner": world.far_am.pk}).status_code == 404
    assert not Attempt.objects.exists()


@pytest.mark.parametrize("params, field", [
    ({"state": "half"}, "state"), ({"overdue": "maybe"}, "overdue"), ({"owner": "x"}, "owner"),
    ({"region": "0"}, "region"), ({"page_size": "1000"}, "page_size"), ({"cursor": "%%%"}, "cursor"),
])
def test_bad_values_are_a_400_that_names_them(world, calls, params, field):  # noqa: F811
    response = api(world.director).get(LIST, params)
    assert response.status_code == 400 and field in response.content.decode()


def test_an_attempt_is_logged_as_the_page_logs_it(world, calls):  # noqa: F811
    am = api(world.am)
    response = am.post(f"{LIST}/{calls.north.pk}/attempts", {"outcome": "no_answer", "note": "rang twice"},
                       format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["attempt"]["outcome"] == "no_answer" and body["attempt"]["note"] == "rang twice"
    assert body["call"]["state"] == "open" and body["call"]["unanswered_attempts"] == 1
    cause = RootCause.objects.get(name="Delivery")
    reached = am.post(f"{LIST}/{calls.north.pk}/attempts", {
        "outcome": "reached", "root_cause": cause.pk, "agreed": "A credit note and a call next week.",
        "action_owner": "Anna", "action_due": (timezone.localdate() + timedelta(days=7)).isoformat(),
    }, format="json")
    assert reached.status_code == 201, reached.content
    call = Call.objects.get(pk=calls.north.pk)
    assert call.state == "reached" and call.root_cause == cause and call.agreed.startswith("A credit note")
    assert reached.json()["call"]["state"] == "reached" and len(reached.json()["call"]["attempts"]) == 2
    call.response.refresh_from_db()
    assert call.response.triage == "handled"  # as the page's attempt does


def test_a_bad_attempt_is_a_400_with_the_pages_messages_and_changes_nothing(world, calls):  # noqa: F811
    am, url = api(world.am), f"{LIST}/{calls.north.pk}/attempts"
    no_outcome = am.post(url, {}, format="json")
    assert no_outcome.status_code == 400 and "outcome" in errors(no_outcome)
    unknown = am.post(url, {"outcome": "shouted"}, format="json")
    assert unknown.status_code == 400 and "outcome" in errors(unknown)
    reached = am.post(url, {"outcome": "reached"}, format="json")
    assert reached.status_code == 400
    assert errors(reached)["root_cause"] == ["Choose the root cause."]
    assert errors(reached)["agreed"] == ["Write down what you agreed with the customer."]
    past = am.post(url, {"outcome": "reached", "root_cause": RootCause.objects.first().pk, "agreed": "x",
                         "action_due": "2000-01-01"}, format="json")
    assert past.status_code == 400 and "action_due" in errors(past)
    assert am.post(url, {"outcome": "no_answer", "action_due": "soon"}, format="json").status_code == 400
    assert am.post(url, ["no_answer"], format="json").status_code == 400
    not_text = am.post(url, {"outcome": "no_answer", "note": ["a", "list"]}, format="json")
    assert not_text.status_code == 400 and "note" in errors(not_text)
    assert am.post(url, {"outcome": "reached", "root_cause": "Delivery", "agreed": "x"},
                   format="json").status_code == 400
    inactive = RootCause.objects.create(name="Gone", active=False)
    gone = am.post(url, {"outcome": "reached", "root_cause": inactive.pk, "agreed": "x"}, format="json")
    assert gone.status_code == 400 and "root_cause" in errors(gone)
    assert not Attempt.objects.exists()
    assert Call.objects.get(pk=calls.north.pk).state == "open"


def test_a_closed_call_takes_no_more_attempts(world, calls):  # noqa: F811
    attempt_log(call_id=calls.north.pk, by=world.am, outcome="declined")
    response = api(world.am).post(f"{LIST}/{calls.north.pk}/attempts", {"outcome": "no_answer"}, format="json")
    assert response.status_code == 400 and "This call is already closed." in response.content.decode()
    assert Attempt.objects.count() == 1


@pytest.mark.parametrize("who", ["rm", "director"])
def test_who_reads_but_does_not_call_gets_a_403(world, calls, who):  # noqa: F811
    response = api(getattr(world, who)).post(f"{LIST}/{calls.north.pk}/attempts", {"outcome": "no_answer"},
                                             format="json")
    assert response.status_code == 403
    assert not Attempt.objects.exists()


def test_a_read_only_key_reads_everything_and_writes_nothing(world, calls):  # noqa: F811
    key = SimpleNamespace(read_only=True)  # what a read-only API key's request.auth says
    client = api(world.admin, auth=key)  # an administrator may call; the key may not
    assert client.get(f"{LIST}/{calls.far.pk}").status_code == 200
    assert client.post(f"{LIST}/{calls.north.pk}/attempts", {"outcome": "no_answer"}, format="json").status_code == 403
    assert not Attempt.objects.exists()


def test_an_administrator_may_log_an_attempt(world, calls):  # noqa: F811
    response = api(world.admin).post(f"{LIST}/{calls.far.pk}/attempts", {"outcome": "voicemail"}, format="json")
    assert response.status_code == 201


def test_walking_the_pages_gives_every_call_once(world):  # noqa: F811
    made = bulk_calls(world.account, 23)
    client, url, seen = api(world.am), f"{LIST}?page_size=5", []
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 23 and set(seen) == {c.pk for c in made}


def test_a_page_of_many_costs_what_a_page_of_few_does(world, django_assert_max_num_queries):  # noqa: F811
    answer_with_call(world.account)
    client = api(world.rm)
    with django_assert_max_num_queries(6) as few:
        client.get(LIST, {"state": "open", "page_size": 500})
    bulk_calls(world.account, 30)
    bulk_calls(world.other_account, 30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(LIST, {"state": "open", "page_size": 500}).json()
    assert len(body["results"]) == 61
