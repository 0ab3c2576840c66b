"""GET /api/v1/answers and /api/v1/answers/{id}: the answers a user may read, filtered as
the answers page filters them, a cursor page at a time; bad values a 400 that says what
is wrong, never a 500; outside the scope a 404."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from feedback.models import Response
from followups.services import call_queue_for_response
from tests import factories
from tests.feedback.conftest import tagged, world  # noqa: F401

LIST = "/api/v1/answers"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def ids(body) -> set[int]:
    return {row["id"] for row in body["results"]}


def test_the_urls_are_where_the_readme_says():
    assert reverse("api_answers") == LIST
    assert reverse("api_answer", args=[7]) == "/api/v1/answers/7"


def test_an_answer_has_its_contact_account_themes_and_call(tagged):  # noqa: F811
    w = tagged
    call = call_queue_for_response(response_id=w.response.pk)
    body = api(w.am).get(LIST).json()
    assert ids(body) == {w.response.pk}
    row = body["results"][0]
    assert row["score"] == 3 and row["category"] == "detractor" and row["reason"] == "Late <b>deliveries</b>"
    assert row["contact"] == {"id": w.contact.pk, "name": "Carla Customer", "email": w.contact.email,
                              "level": "executive"}
    assert row["account"]["id"] == w.account.pk and row["account"]["external_id"] == w.account.external_id
    assert row["account"]["region"] == {"id": w.region.pk, "name": "North"}
    assert row["account"]["owner"] == {"id": w.am.pk, "name": "Anna Andersen", "email": "anna@pulse.test"}
    assert row["themes"] == ["delivery"]
    assert row["triage"] == "new" and row["suspect"] is False and row["language"] == "en"
    assert row["call"] == {"id": call.pk, "state": "open", "due": call.due_on.isoformat()}
    assert set(row) >= {"answered_at", "changed_at"}
    one = api(w.am).get(f"{LIST}/{w.response.pk}")
    assert one.status_code == 200 and one.json() == row


def test_an_answer_without_a_call_says_null(world):  # noqa: F811
    assert api(world.am).get(f"{LIST}/{world.response.pk}").json()["call"] is None


def test_each_role_lists_its_scope(world):  # noqa: F811
    w = world
    assert ids(api(w.am).get(LIST).json()) == {w.response.pk}
    assert ids(api(w.rm).get(LIST).json()) == {w.response.pk, w.other_response.pk}
    assert ids(api(w.far_rm).get(LIST).json()) == {w.far_response.pk}
    everything = {w.response.pk, w.other_response.pk, w.far_response.pk}
    assert ids(api(w.director).get(LIST).json()) == everything
    assert ids(api(w.admin).get(LIST).json()) == everything


def test_outside_the_scope_is_a_404(world):  # noqa: F811
    w = world
    assert api(w.am).get(f"{LIST}/{w.far_response.pk}").status_code == 404
    assert api(w.am).get(f"{LIST}/{w.other_response.pk}").status_code == 404
    assert api(w.am).get(f"{LIST}/999999").status_code == 404
    assert api(w.am).get(LIST, {"region": w.far_region.pk}).status_code == 404
    assert api(w.am).get(LIST, {"account": w.far_account.pk}).status_code == 404
    assert api(w.rm).get(LIST, {"owner": w.far_am.pk}).status_code == 404


def test_signed_out_is_refused(world):  # noqa: F811
    response = APIClient().get(LIST)
    assert response.status_code in (401, 403)
    assert APIClient().get(f"{LIST}/{world.response.pk}").status_code in (401, 403)


def test_filters(tagged):  # noqa: F811
    w = tagged
    director = api(w.director)
    assert ids(director.get(LIST, {"region": w.region.pk}).json()) == {w.response.pk, w.other_response.pk}
    assert ids(director.get(LIST, {"owner": w.far_am.pk}).json()) == {w.far_response.pk}
    assert ids(director.get(LIST, {"account": w.other_account.pk}).json()) == {w.other_response.pk}
    assert ids(director.get(LIST, {"category": "detractor"}).json()) == {w.response.pk, w.far_response.pk}
    assert ids(director.get(LIST, {"category": "promoter"}).json()) == {w.other_response.pk}
    assert ids(director.get(LIST, {"theme": "delivery"}).json()) == {w.response.pk}
    assert ids(director.get(LIST, {"theme": "price"}).json()) == set()
    assert ids(api(w.am).get(LIST, {"owner": w.am.pk}).json()) == {w.response.pk}


def test_the_period_is_the_pages_period(world):  # noqa: F811
    w = world
    old = timezone.now() - timedelta(days=40)
    Response.objects.filter(pk=w.far_response.pk).update(answered_at=old, changed_at=old)
    director = api(w.director)
    assert ids(director.get(LIST, {"period": "30d"}).json()) == {w.response.pk, w.other_response.pk}
    assert w.far_response.pk in ids(director.get(LIST, {"period": "90d"}).json())
    assert w.far_response.pk in ids(director.get(LIST, {"period": "all"}).json())


def test_changed_since_gives_answers_given_or_changed_after(world):  # noqa: F811
    w = world
    now = timezone.now()
    long_ago = now - timedelta(days=100)
    Response.objects.update(answered_at=long_ago, changed_at=long_ago)
    Response.objects.filter(pk=w.other_response.pk).update(changed_at=now - timedelta(hours=1))  # changed lately
    director = api(w.director)
    since = (now - timedelta(days=1)).isoformat()
    assert ids(director.get(LIST, {"changed_since": since}).json()) == {w.other_response.pk}
    assert len(ids(director.get(LIST, {"changed_since": "2000-01-01T00:00:00Z"}).json())) == 3


@pytest.mark.parametrize("params, field", [
    ({"category": "angry"}, "category"),
    ({"period": "5y"}, "period"),
    ({"changed_since": "yesterday"}, "changed_since"),
    ({"region": "north"}, "region"),
    ({"owner": "-3"}, "owner"),
    ({"account": str(2**70)}, "account"),
    ({"theme": "no-such-theme"}, "theme"),
    ({"page_size": "0"}, "page_size"),
    ({"page_size": "501"}, "page_size"),
    ({"cursor": "not a cursor!"}, "cursor"),
    ({"cursor": "cD1hYmM="}, "cursor"),  # p=abc: a cursor of another list's ordering
])
def test_bad_values_are_a_400_that_names_them(world, params, field):  # noqa: F811
    response = api(world.director).get(LIST, params)
    assert response.status_code == 400, response.content
    assert field in response.content.decode()


def _answers(account, n):
    for _ in range(n):
        factories.ResponseFactory(invitation__contact__account=account, score=n % 11)


def test_walking_the_pages_gives_every_answer_once(world):  # noqa: F811
    _answers(world.account, 30)
    expected = set(Response.objects.values_list("pk", flat=True))
    client, url, seen, pages = api(world.director), f"{LIST}?page_size=7", [], 0
    while url:
        body = client.get(url).json()
        assert len(body["results"]) <= 7
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    assert len(seen) == len(set(seen)) == len(expected) == 33
    assert set(seen) == expected
    assert seen == sorted(seen, reverse=True)  # newest first
    assert pages == 5
    # and back: the previous link of the last page leads to the page before it
    first = client.get(f"{LIST}?page_size=7").json()
    second = client.get(first["next"]).json()
    assert client.get(second["previous"]).json()["results"] == first["results"]


def test_a_page_of_many_costs_what_a_page_of_few_does(world, django_assert_max_num_queries):  # noqa: F811
    call_queue_for_response(response_id=world.response.pk)
    client = api(world.rm)
    with django_assert_max_num_queries(5) as few:
        client.get(LIST, {"region": world.region.pk, "page_size": 500})
    _answers(world.account, 40)
    _answers(world.other_account, 20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(LIST, {"region": world.region.pk, "page_size": 500}).json()
    assert len(body["results"]) == 62
