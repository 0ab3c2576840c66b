"""The next wave's page: each planned contact's reasons to hold it out (a recent answer, an
open detractor call), shown exactly, first, alone on request, within the user's scope, in
a number of queries that does not grow with the contacts; hold and put-back in place."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followups.hold_reasons import hold_reasons_attach
from followups.models import Call
from followups.services import call_queue_for_response
from surveys.models import Contact, Invitation, Program, Wave
from surveys.months import month_add
from tests.factories import (
    AccountFactory,
    ContactFactory,
    InvitationFactory,
    RegionFactory,
    ResponseFactory,
    UserFactory,
)
from tests.surveys.book import book_create, invitations_create

HTMX = {"HTTP_HX_REQUEST": "true"}


def _day(value) -> str:
    return f"{value.day} {value:%b %Y}"


def _answer(contact, *, score, days_ago, suspect=False, now=None):
    """An answer of `contact` to an earlier (sent) invitation, `days_ago` days before now."""
    answered_at = (now or timezone.now()) - timedelta(days=days_ago)
    invitation = InvitationFactory(contact=contact, account=contact.account, sent_at=answered_at)
    return ResponseFactory(invitation=invitation, score=score, suspect=suspect, answered_at=answered_at)


@pytest.fixture
def next_month():
    return month_add(timezone.localdate().replace(day=1), 1)


@pytest.fixture
def other_am(db):
    return UserFactory(role="am", full_name="Otto Other", email="otto@pulse.test")


@pytest.fixture
def story(db, am, account, other_am, next_month):
    """Anna's planned contacts: Erik answered 12 days ago with a 4 and his call is open;
    Lis answered 200 days ago (no reason); Mona's recent answer is suspect (no reason);
    Nils answered a 10 today (a promoter call is no reason, his answer is); Ole's detractor
    answer is old but his call still open. Otto's Sven has a recent detractor answer too."""
    names = ["Erik Berg", "Lis Lund", "Mona Moe", "Nils Nord", "Ole Ask"]
    contacts = {name: ContactFactory(account=account, name=name) for name in names}
    south = RegionFactory(name="South")
    sven = ContactFactory(account=AccountFactory(owner=other_am, region=south, name="Southern Steel"),
                          name="Sven South")
    erik = _answer(contacts["Erik Berg"], score=4, days_ago=12)
    _answer(contacts["Lis Lund"], score=3, days_ago=200)
    _answer(contacts["Mona Moe"], score=2, days_ago=3, suspect=True)
    nils = _answer(contacts["Nils Nord"], score=10, days_ago=0)
    ole = _answer(contacts["Ole Ask"], score=1, days_ago=120)
    sven_answer = _answer(sven, score=2, days_ago=5)
    calls = {}
    for name, response in (("Erik Berg", erik), ("Nils Nord", nils), ("Ole Ask", ole), ("Sven South", sven_answer)):
        calls[name] = call_queue_for_response(response_id=response.pk)
    wave = Wave.objects.create(month=next_month, status=Wave.Status.PLANNED)
    invitations_create(wave=wave, contacts=[*contacts.values(), sven])
    return {"wave": wave, "calls": calls, "erik": erik, "nils": nils}


def _row(name) -> Invitation:
    return Invitation.objects.get(contact__name=name, wave__status=Wave.Status.PLANNED)


def _row_html(page: str, name: str) -> str:
    start = page.index(f'id="invitation-{_row(name).pk}"')
    return page[start:page.index("</tr>", start)]


def test_reasons_to_hold_are_shown_exactly(client, am, story):
    client.force_login(am)
    page = client.get(reverse("wave_next")).content.decode()
    erik_call, ole_call = story["calls"]["Erik Berg"], story["calls"]["Ole Ask"]
    erik = _row_html(page, "Erik Berg")
    assert "Answered 12 days ago (score 4)" in erik
    assert f"Open detractor call, due {_day(erik_call.due_on)}" in erik
    assert reverse("followups:detail", args=[erik_call.pk]) in erik
    assert reverse("response_detail", args=[story["erik"].pk]) in erik
    assert "Answered today (score 10)" in _row_html(page, "Nils Nord")
    assert "Open detractor call" not in _row_html(page, "Nils Nord")  # a promoter's call is no reason
    ole = _row_html(page, "Ole Ask")
    assert f"Open detractor call, due {_day(ole_call.due_on)}" in ole and "Answered" not in ole
    for name in ("Lis Lund", "Mona Moe"):  # answered long ago; a suspect answer
        assert "hold-reasons" not in _row_html(page, name)
    assert "Sven South" not in page and "Southern Steel" not in page


def test_contacts_with_a_reason_come_first_and_can_be_shown_alone(client, am, story):
    client.force_login(am)
    page = client.get(reverse("wave_next")).content.decode()
    order = sorted(["Erik Berg", "Lis Lund", "Mona Moe", "Nils Nord", "Ole Ask"], key=page.index)
    assert order == ["Erik Berg", "Nils Nord", "Ole Ask", "Lis Lund", "Mona Moe"]
    assert "All (5)" in page and "With a reason to hold (3)" in page
    page = client.get(reverse("wave_next"), {"show": "reasons"}).content.decode()
    assert all(name in page for name in ("Erik Berg", "Nils Nord", "Ole Ask"))
    assert "Lis Lund" not in page and "Mona Moe" not in page


def test_a_closed_call_is_no_reason(client, am, story):
    Call.objects.filter(pk=story["calls"]["Ole Ask"].pk).update(state=Call.State.REACHED, closed_at=timezone.now())
    client.force_login(am)
    assert "hold-reasons" not in _row_html(client.get(reverse("wave_next")).content.decode(), "Ole Ask")


def test_reasons_stay_in_the_users_scope(am, other_am, story):
    """Reasons are read through the answers' and calls' scopes: Otto reads none of Anna's
    contacts', even when asked for them."""
    rows = list(Invitation.objects.filter(wave=story["wave"]).select_related("contact"))
    contacts = Invitation.objects.filter(wave=story["wave"]).values("contact_id")
    hold_reasons_attach(other_am, rows, contacts, now=timezone.now())
    seen = {row.contact.name for row in rows if row.has_hold_reason}
    assert seen == {"Sven South"}


def test_days_ago_count_from_the_injected_now(am, story):
    now = timezone.now() + timedelta(days=30)
    [erik] = hold_reasons_attach(am, [_row("Erik Berg")], Contact.objects.filter(name="Erik Berg").values("pk"),
                                 now=now)
    assert erik.recent_answer.days_ago == (timezone.localdate(now) - timezone.localdate(
        story["erik"].answered_at)).days == 42
    # 90 days on, the answer is no longer recent; the call still is open.
    [erik] = hold_reasons_attach(am, [_row("Erik Berg")], Contact.objects.filter(name="Erik Berg").values("pk"),
                                 now=timezone.now() + timedelta(days=80))
    assert erik.recent_answer is None and erik.open_call.overdue


def test_hold_and_put_back_swap_the_row_in_place(client, am, story):
    client.force_login(am)
    erik = _row("Erik Berg")
    response = client.post(reverse("invitation_hold", args=[erik.pk]), {"reason": "Open escalation"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith(f'<tr id="invitation-{erik.pk}"')
    assert "Erik Berg is held out of this wave" in html and "Put back" in html
    assert "Answered 12 days ago (score 4)" in html  # the reasons stay with the row
    assert '<span id="wave-held-count" hx-swap-oob="true">1 held out</span>' in html  # the page's count too
    erik.refresh_from_db()
    assert (erik.status, erik.hold_reason, erik.held_by) == ("held", "Open escalation", am)
    response = client.post(reverse("invitation_release", args=[erik.pk]), **HTMX)
    html = response.content.decode()
    assert "Erik Berg is back in this wave" in html and "Hold out" in html
    erik.refresh_from_db()
    assert erik.status == "planned" and erik.hold_reason == ""


def test_without_javascript_hold_comes_back_to_the_row(client, am, story):
    client.force_login(am)
    erik = _row("Erik Berg")
    response = client.post(reverse("invitation_hold", args=[erik.pk]), {"reason": "Contract talk", "show": "reasons"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('wave_next')}?show=reasons#invitation-{erik.pk}"
    response = client.post(reverse("invitation_release", args=[erik.pk]))
    assert response["Location"] == f"{reverse('wave_next')}#invitation-{erik.pk}"
    page = client.get(response["Location"]).content.decode()
    assert "Erik Berg is back in this wave" in page


def test_bad_hold_in_place_says_why_and_changes_nothing(client, am, story):
    client.force_login(am)
    erik = _row("Erik Berg")
    html = client.post(reverse("invitation_hold", args=[erik.pk]), {"reason": "   "}, **HTMX).content.decode()
    assert "Say why you hold Erik Berg out" in html and 'role="alert"' in html
    html = client.post(reverse("invitation_release", args=[erik.pk]), **HTMX).content.decode()
    assert "This contact is not held." in html
    erik.refresh_from_db()
    assert erik.status == "planned"


def test_hold_of_an_unknown_or_out_of_scope_invitation_is_404(client, am, other_am, story):
    sven = _row("Sven South")
    client.force_login(am)
    for extra in ({}, HTMX):
        assert client.post(reverse("invitation_hold", args=[sven.pk]), {"reason": "x"}, **extra).status_code == 404
        assert client.post(reverse("invitation_release", args=[sven.pk]), **extra).status_code == 404
        assert client.post(reverse("invitation_hold", args=[999_999]), {"reason": "x"}, **extra).status_code == 404
    sven.refresh_from_db()
    assert sven.status == "planned"


def test_queries_stay_flat_with_contacts_answers_and_calls(client, am, region, next_month, max_queries):
    """Every contact answered lately and has an open detractor call: 5 then 65 of them."""
    wave = Wave.objects.create(month=next_month)
    Program.current().save()
    client.force_login(am)
    counts = []
    for size in (5, 60):
        accounts = book_create(sizes=[1] * size, owner=am, region=region)
        contacts = list(Contact.objects.filter(account__in=accounts))
        for contact in contacts:
            call_queue_for_response(response_id=_answer(contact, score=3, days_ago=4).pk)
        invitations_create(wave=wave, contacts=contacts)
        with max_queries(10) as captured:
            page = client.get(reverse("wave_next")).content.decode()
        assert page.count("Open detractor call, due") == len(Contact.objects.filter(account__owner=am))
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
