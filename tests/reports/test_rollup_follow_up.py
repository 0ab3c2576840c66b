"""The follow-up figures on the rollup pages: the discipline summary, the RM's overdue
calls, the per-AM "follow-up done" column and the "detractors not called yet" box. On a
region page they count that region only, checked against a direct count of the answers
and calls of the region."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from followups.models import Call, RootCause
from followups.services import attempt_log, call_queue_for_response
from tests import factories
from tests.followups.conftest import figures_rebuild

pytestmark = pytest.mark.django_db


def _answer(account, score, name=None):
    contact = factories.ContactFactory(account=account, **({"name": name} if name else {}))
    response = factories.ResponseFactory(invitation__contact=contact, score=score)
    return call_queue_for_response(response_id=response.pk)


@pytest.fixture
def book(am, rm, director, region):
    """`am` owns an account in North (three of four calls reached) and one in South
    (nothing reached, a detractor nobody has called, a week and more overdue)."""
    south = factories.RegionFactory(name="South", manager=factories.UserFactory(role="rm"))
    north_account = factories.AccountFactory(owner=am, region=region, name="North Nails")
    south_account = factories.AccountFactory(owner=am, region=south, name="South Screws")
    cause = RootCause.objects.first()
    for score in (9, 3, 8):
        call = _answer(north_account, score)
        attempt_log(call_id=call.pk, by=am, outcome="reached", root_cause_id=cause.pk, agreed="Agreed")
    _answer(north_account, 2, name="Nora Northcaller")
    attempt_log(call_id=Call.objects.get(contact__name="Nora Northcaller").pk, by=am, outcome="no_answer")
    uncalled = _answer(south_account, 1, name="Sven Southsilent")
    Call.objects.filter(pk=uncalled.pk).update(due_on=timezone.localdate() - timedelta(days=10))
    _answer(south_account, 10)
    figures_rebuild()
    return {"north": region, "south": south}


def _followup_done(html: str, owner) -> str:
    """The "follow-up done" cell of `owner`'s row in the per-AM table, e.g. "75"."""
    table = html.split('class="per-am"', 1)[1].split("</table>", 1)[0]
    [row] = [r for r in table.split("<tr")[1:] if f">{owner}</a></th>" in r]
    return re.search(r'class="followup-done[^"]*">\s*([^<%]*)', row).group(1).strip()


def _uncalled_box(html: str) -> str:
    return html.split('class="uncalled-detractors"', 1)[1].split("</div>", 1)[0]


def _expected_done(calls) -> str:
    """Reached, of the calls that are due (closed, or open past the due date), as the
    page rounds it: half away from zero, from the counts."""
    today = timezone.localdate()
    due = calls.exclude(state=Call.State.CANCELLED).exclude(state=Call.State.OPEN, due_on__gte=today)
    reached, whole = due.filter(state=Call.State.REACHED).count(), due.count()
    return f"{(200 * reached + whole) // (2 * whole)}" if whole else "—"


def _calls_of(region, owner):
    return Call.objects.filter(account__region=region, account__owner=owner)


def test_a_directors_region_page_counts_that_region_only(client, director, am, book):
    client.force_login(director)
    north = client.get(f"/regions/{book['north'].pk}/").content.decode()
    # North: three reached, one tried once and not due yet (neither done nor missed).
    assert _followup_done(north, am) == _expected_done(_calls_of(book["north"], am)) == "100"
    assert "Sven Southsilent" not in _uncalled_box(north)
    assert "None: every detractor has had a call attempt." in _uncalled_box(north)
    south = client.get(f"/regions/{book['south'].pk}/").content.decode()
    # South: the detractor nobody called is missed; the promoter's call is not due yet.
    assert _followup_done(south, am) == _expected_done(_calls_of(book["south"], am)) == "0"
    assert "Sven Southsilent" in _uncalled_box(south)


def test_an_rm_with_two_regions_sees_each_regions_own_figures(client, rm, am, book):
    book["south"].manager = rm
    book["south"].save()
    client.force_login(rm)
    regions = client.get("/region/").content.decode()  # two regions: a list to choose from
    assert f"/regions/{book['north'].pk}/" in regions and f"/regions/{book['south'].pk}/" in regions
    north = client.get(f"/regions/{book['north'].pk}/").content.decode()
    south = client.get(f"/regions/{book['south'].pk}/").content.decode()
    assert _followup_done(north, am) == "100" and _followup_done(south, am) == "0"
    assert "Sven Southsilent" not in _uncalled_box(north) and "Sven Southsilent" in _uncalled_box(south)
    overdue_north = north.split('class="card overdue-calls"', 1)[1].split("</section>", 1)[0]
    overdue_south = south.split('class="card overdue-calls"', 1)[1].split("</section>", 1)[0]
    assert "Sven Southsilent" not in overdue_north and "Sven Southsilent" in overdue_south


def _overdue_detractor_call(account, days_late=10):
    response = factories.ResponseFactory(invitation__contact__account=account, score=2)
    call_queue_for_response(response_id=response.pk)
    Call.objects.filter(response=response).update(due_on=timezone.localdate() - timedelta(days=days_late))
    return response


def test_rm_home_shows_overdue_calls_and_discipline(client, rm, account):
    response = _overdue_detractor_call(account)
    client.force_login(rm)
    page = client.get("/region/", follow=True).content.decode()
    assert "Follow-up discipline" in page
    assert 'class="card overdue-calls"' in page and "by more than 7 days" in page
    assert response.contact.name in page


def test_org_home_shows_discipline_and_the_per_am_column(client, director, account):
    _overdue_detractor_call(account)
    client.force_login(director)
    page = client.get("/organisation/").content.decode()
    assert "Follow-up discipline" in page
    assert "Follow-up done" in page
    # The overdue list is the RM's; the director drills down for it.
    assert 'class="card overdue-calls"' not in page


def test_the_organisation_page_counts_every_region(client, director, am, book):
    client.force_login(director)
    page = client.get("/organisation/").content.decode()
    assert _followup_done(page, am) == _expected_done(Call.objects.filter(account__owner=am)) == "75"
    assert "Sven Southsilent" in _uncalled_box(page)
    assert "Nora Northcaller" not in _uncalled_box(page)  # tried once: no longer uncalled
