"""GET /api/v1/figures: the rollup figures of a scope, a region, an account manager or an
account, exactly as the pages show them (the same functions), checked against the pages'
own figures and against a direct count of the answers and invitations."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from feedback.models import Response
from followups.models import Call, RootCause
from followups.services import attempt_log, call_queue_for_response
from reports.api import figures_data
from surveys.models import Invitation
from tests import factories
from tests.feedback.conftest import world  # noqa: F401
from tests.followups.conftest import figures_rebuild

URL = "/api/v1/figures"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def book(world):  # noqa: F811
    """The world with more answers: north (am's account) 6 promoters, 2 passives, 4
    detractors besides its first; far (far_am's) mixed; a few invitations never answered;
    a suspect answer that never counts; calls, some reached, one overdue."""
    cause = RootCause.objects.first()
    for account, scores in ((world.account, [10, 9, 9, 10, 9, 9, 7, 8, 2, 4, 6, 0]),
                            (world.far_account, [9, 9, 3, 7, 10, 5, 1, 9, 9, 10, 2])):
        for i, score in enumerate(scores):
            response = factories.ResponseFactory(invitation__contact__account=account, score=score)
            call = call_queue_for_response(response_id=response.pk)
            if i % 3 == 0:
                attempt_log(call_id=call.pk, by=account.owner, outcome="reached", root_cause_id=cause.pk,
                            agreed="We agreed on a visit.")
        for _ in range(4):
            factories.InvitationFactory(contact__account=account)
    factories.ResponseFactory(invitation__contact__account=world.account, score=0, suspect=True)
    late = Call.objects.filter(account=world.far_account, state="open").first()
    Call.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - timedelta(days=5))
    figures_rebuild()
    return world


def direct(accounts) -> dict:
    """The figures counted from the answers and invitations themselves (all answers here
    were given this month, so 3m, 12m and all agree)."""
    counted = Response.objects.filter(account__in=accounts, suspect=False)
    n = counted.count()
    p = counted.filter(score__gte=9).count()
    d = counted.filter(score__lte=6).count()
    delivered = Invitation.objects.filter(account__in=accounts, status="sent").count()
    return {"n": n, "promoters": p, "passives": n - p - d, "detractors": d, "nps": 100 * (p - d) / n,
            "delivered": delivered, "answered": n, "response_rate": n / delivered}


def _matches_direct(figures: dict, accounts) -> None:
    expected = direct(accounts)
    for name, value in expected.items():
        assert figures[name] == pytest.approx(value), name


def test_the_url_is_where_the_readme_says():
    assert reverse("api_figures") == URL


def test_a_region_as_its_page_shows_it(client, book):
    w = book
    body = api(w.rm).get(URL, {"region": w.region.pk, "period": "3m"}).json()
    client.force_login(w.rm)
    page = client.get(reverse("reports:region_detail", args=[w.region.pk]) + "?period=3m").context
    assert body["figures"] == figures_data(page["rollup"].figures)
    assert body["change"]["delta"] == page["rollup"].change.delta
    assert body["compared_with"] == [m.isoformat() for m in page["rollup"].compared_with]
    followups = page["discipline"]
    assert body["followups"]["reached"] == followups["reached"] == 4
    assert body["followups"]["done_share"] == pytest.approx(float(followups["done_share"]))
    assert body["region"] == {"id": w.region.pk, "name": "North"}
    _matches_direct(body["figures"], [w.account, w.other_account])


def test_the_whole_scope_as_the_organisation_page_shows_it(client, book):
    w = book
    body = api(w.director).get(URL).json()
    client.force_login(w.director)
    page = client.get(reverse("reports:org_home")).context  # 12 months by default, as the API
    assert body["period"] == "12m" and body["figures"] == figures_data(page["rollup"].figures)
    assert body["followups"]["overdue_now"] == page["discipline"]["overdue_now"] == 1
    _matches_direct(body["figures"], [w.account, w.other_account, w.far_account])
    margin = body["figures"]["margin"]
    p, d, n = (body["figures"][k] for k in ("promoter_share", "detractor_share", "n"))
    assert margin == pytest.approx(100 * 1.96 * ((p + d - (p - d) ** 2) / n) ** 0.5)


def test_an_account_manager_as_their_row_on_the_page(client, book):
    w = book
    body = api(w.director).get(URL, {"owner": w.far_am.pk, "period": "all"}).json()
    client.force_login(w.director)
    page = client.get(reverse("reports:org_home") + "?period=all").context
    [(row, followups)] = [(row, f) for row, f in page["am_rows"] if row.key == w.far_am.pk]
    assert body["figures"] == figures_data(row.figures) and body["change"] is None
    assert body["followups"]["reached"] == followups["reached"]
    assert body["owner"]["id"] == w.far_am.pk
    _matches_direct(body["figures"], [w.far_account])
    in_region = api(w.director).get(URL, {"owner": w.am.pk, "region": w.region.pk}).json()
    _matches_direct(in_region["figures"], [w.account])


def test_an_account_as_its_page_shows_it(client, book):
    w = book
    body = api(w.am).get(URL, {"account": w.account.pk}).json()
    client.force_login(w.am)
    page = client.get(reverse("account_detail", args=[w.account.pk])).context
    assert body["figures"] == figures_data(page["figures"])
    assert body["account"]["id"] == w.account.pk and body["followups"] is None
    _matches_direct(body["figures"], [w.account])


def test_an_am_sees_their_own_figures(book):
    w = book
    body = api(w.am).get(URL).json()
    _matches_direct(body["figures"], [w.account])


def test_outside_the_scope_is_a_404(book):
    w = book
    assert api(w.am).get(URL, {"account": w.far_account.pk}).status_code == 404
    assert api(w.am).get(URL, {"region": w.region.pk}).status_code == 404
    assert api(w.rm).get(URL, {"region": w.far_region.pk}).status_code == 404
    assert api(w.rm).get(URL, {"owner": w.far_am.pk}).status_code == 404
    assert api(w.director).get(URL, {"owner": w.far_am.pk, "region": w.region.pk}).status_code == 404
    assert api(w.director).get(URL, {"account": 10**9}).status_code == 404


@pytest.mark.parametrize("params, field", [
    ({"period": "7d"}, "period"), ({"period": "forever"}, "period"), ({"region": "north"}, "region"),
    ({"owner": "0"}, "owner"), ({"account": "1", "region": "1"}, "account"),
])
def test_bad_values_are_a_400_that_names_them(book, params, field):
    response = api(book.director).get(URL, params)
    assert response.status_code == 400 and field in response.content.decode()


def test_no_answers_is_not_an_error(world):  # noqa: F811
    Response.objects.all().delete()
    figures_rebuild()
    body = api(world.director).get(URL, {"owner": world.am.pk}).json()
    assert body["figures"]["n"] == 0 and body["figures"]["nps"] is None


def test_the_cost_does_not_grow_with_the_answers(world, django_assert_max_num_queries):  # noqa: F811
    client = api(world.rm)
    figures_rebuild()
    with django_assert_max_num_queries(40) as few:
        client.get(URL, {"region": world.region.pk})
    for score in range(11):
        factories.ResponseFactory(invitation__contact__account=world.other_account, score=score)
    figures_rebuild()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL, {"region": world.region.pk}).json()["figures"]["n"] == 13
