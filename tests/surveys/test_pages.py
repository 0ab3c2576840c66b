"""The program, hold and wave pages and the unsubscribe link: scope (404 outside it),
bad input, query counts flat with data size."""

from fractions import Fraction

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys.models import Contact, Invitation, Program, Wave
from surveys.months import month_add
from surveys.tokens import invitation_token
from tests.factories import AccountFactory, ContactFactory, RegionFactory, UserFactory
from tests.surveys.book import book_create, invitations_create


@pytest.fixture
def next_month():
    return month_add(timezone.localdate().replace(day=1), 1)


@pytest.fixture
def other_am(db):
    return UserFactory(role="am", full_name="Otto Other", email="otto@pulse.test")


@pytest.fixture
def other_rm(db):
    return UserFactory(role="rm", full_name="Rita Remote", email="rita@pulse.test")


@pytest.fixture
def wave(db, account, other_am, other_rm, next_month):
    """A planned wave: two contacts of Anna's account (North), one of Otto's (South)."""
    south = RegionFactory(name="South", manager=other_rm)
    other_account = AccountFactory(owner=other_am, region=south, name="Southern Steel")
    wave = Wave.objects.create(month=next_month, status=Wave.Status.PLANNED)
    invitations_create(wave=wave, contacts=[
        ContactFactory(account=account, name="Erik Berg"),
        ContactFactory(account=account, name="Lis Lund"),
        ContactFactory(account=other_account, name="Sven South"),
    ])
    return wave


def _invitation(name):
    return Invitation.objects.get(contact__name=name)


# --- Program --------------------------------------------------------------------------

def test_program_page_is_for_administrators_only(client, am, rm, director, admin_user):
    for user in (am, rm, director):
        client.force_login(user)
        assert client.get(reverse("surveys:program")).status_code == 404
        assert client.post(reverse("surveys:program"), {"frequency": 4}).status_code == 404
    client.force_login(admin_user)
    assert client.get(reverse("surveys:program")).status_code == 200


def _program_data(**changes):
    from django.forms.models import model_to_dict

    from surveys.forms import ProgramForm

    data = model_to_dict(Program.current(), fields=ProgramForm.Meta.fields)
    data.update(changes)
    return data


@pytest.mark.parametrize("field, value, message", [
    ("frequency", 5, "Select a valid choice"),
    ("quiet_days", 400, "less than or equal to 365"),
    ("quiet_days", 60, "shorter than 56 days"),  # asked every 2 months with frequency 6
    ("per_account_cap", 0, "greater than or equal to 1"),
    ("reminder_days", 31, "less than or equal to 27"),
    ("send_rate", -1, "greater than or equal to 0"),
    ("sender_email", "not-an-address", "valid email"),
    ("question_en", "How likely is {firm} to be recommended?", "Write {company}"),
    ("currency", "EURO", "Select a valid choice"),
    ("sender_name", "Care\r\nBcc: evil@example.com", "cannot go into an email header"),
    ("sender_name", "Care\tTeam", "cannot go into an email header"),
    ("sender_email", "care@example.com\nBcc: evil@example.com", "valid email"),
    ("company_name", "Acme\u2028Bcc: evil@example.com", "cannot go into an email header"),
])
def test_program_bad_values_say_why_and_change_nothing(client, admin_user, field, value, message):
    client.force_login(admin_user)
    before = Program.current().updated_at
    changes = {field: value}
    if value == 60 and field == "quiet_days":
        changes["frequency"] = 6
    response = client.post(reverse("surveys:program"), _program_data(**changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "Nothing was saved" in response.content.decode()
    assert Program.current().updated_at == before


def test_program_admin_refuses_a_line_break_in_a_header_setting(client, admin_user):
    from django.forms.models import model_to_dict

    program = Program.current()
    program.save()
    client.force_login(admin_user)
    url = reverse("admin:surveys_program_change", args=[program.pk])
    data = model_to_dict(program, exclude=["id", "cycle_start"])
    response = client.post(url, {**data, "sender_name": "Care\r\nBcc: evil@example.com"})
    assert response.status_code == 200  # the form again, with the error
    assert "cannot go into an email header" in response.content.decode()
    assert Program.current().sender_name == "Customer Care"
    assert client.post(url, {**data, "sender_name": "Care Team"}).status_code == 302  # the same form saves good values
    assert Program.current().sender_name == "Care Team"


def test_program_saves_good_values(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("surveys:program"),
                           _program_data(frequency=4, quiet_days=45, send_rate=0, currency="DKK"), follow=True)
    assert "Survey program saved" in response.content.decode()
    program = Program.current()
    assert (program.frequency, program.quiet_days, program.send_rate, program.currency) == (4, 45, 0, "DKK")
    assert program.cycle_start is not None


# --- Hold window ----------------------------------------------------------------------

def test_am_sees_only_their_contacts_in_the_planned_wave(client, am, wave):
    client.force_login(am)
    page = client.get(reverse("wave_next")).content.decode()
    assert "Erik Berg" in page and "Lis Lund" in page
    assert "Sven South" not in page


def test_am_holds_a_contact_out_and_puts_it_back(client, am, wave):
    client.force_login(am)
    erik = _invitation("Erik Berg")
    response = client.post(reverse("invitation_hold", args=[erik.pk]), {"reason": "Open escalation"},
                           follow=True)
    assert "held out of this wave" in response.content.decode()
    erik.refresh_from_db()
    assert (erik.status, erik.hold_reason, erik.held_by) == ("held", "Open escalation", am)
    response = client.post(reverse("invitation_release", args=[erik.pk]), follow=True)
    assert "back in this wave" in response.content.decode()
    erik.refresh_from_db()
    assert erik.status == "planned" and erik.hold_reason == ""


def test_hold_without_a_reason_is_refused(client, am, wave):
    client.force_login(am)
    erik = _invitation("Erik Berg")
    response = client.post(reverse("invitation_hold", args=[erik.pk]), {"reason": "  "}, follow=True)
    assert "Say why you hold Erik Berg out" in response.content.decode()
    erik.refresh_from_db()
    assert erik.status == "planned"


def test_hold_after_sending_started_is_refused(client, am, wave):
    Wave.objects.filter(pk=wave.pk).update(status=Wave.Status.SENDING)
    client.force_login(am)
    erik = _invitation("Erik Berg")
    response = client.post(reverse("invitation_hold", args=[erik.pk]), {"reason": "x"}, follow=True)
    assert "too late" in response.content.decode()
    erik.refresh_from_db()
    assert erik.status == "planned"


def test_hold_outside_scope_is_404(client, other_am, other_rm, wave):
    erik = _invitation("Erik Berg")
    for user in (other_am, other_rm):
        client.force_login(user)
        assert client.post(reverse("invitation_hold", args=[erik.pk]), {"reason": "x"}).status_code == 404
        assert client.post(reverse("invitation_release", args=[erik.pk])).status_code == 404
    erik.refresh_from_db()
    assert erik.status == "planned"


@pytest.mark.parametrize("writer", ["am", "rm", "admin_user", "director"])
def test_who_may_hold_and_put_back(request, client, writer, wave):
    """AMs hold their own contacts, RMs those of their region, administrators any; the
    director reads only (403, nothing changes)."""
    user = request.getfixturevalue(writer)
    erik = _invitation("Erik Berg")
    client.force_login(user)
    hold = client.post(reverse("invitation_hold", args=[erik.pk]), {"reason": "Open escalation"})
    erik.refresh_from_db()
    if writer == "director":
        assert hold.status_code == 403 and erik.status == "planned"
        Invitation.objects.filter(pk=erik.pk).update(status="held", hold_reason="x")
        assert client.post(reverse("invitation_release", args=[erik.pk])).status_code == 403
        erik.refresh_from_db()
        assert erik.status == "held"
        return
    assert hold.status_code == 302 and (erik.status, erik.held_by) == ("held", user)
    assert client.post(reverse("invitation_release", args=[erik.pk])).status_code == 302
    erik.refresh_from_db()
    assert erik.status == "planned"


def test_rm_sees_the_holds_of_their_region_only(client, am, other_am, rm, other_rm, director, wave):
    from surveys.planning import invitation_hold

    invitation_hold(invitation=_invitation("Erik Berg"), user=am, reason="Contract talk")
    invitation_hold(invitation=_invitation("Sven South"), user=other_am, reason="Escalation in the south")
    client.force_login(rm)
    page = client.get(reverse("wave_next")).content.decode()
    assert "Contract talk" in page and "Escalation in the south" not in page
    client.force_login(other_rm)
    page = client.get(reverse("wave_next")).content.decode()
    assert "Contract talk" not in page and "Escalation in the south" in page
    client.force_login(director)
    page = client.get(reverse("wave_next")).content.decode()
    assert "Contract talk" in page and "Escalation in the south" in page


def test_hold_page_without_a_planned_wave(client, am, db):
    client.force_login(am)
    assert "No wave is planned yet" in client.get(reverse("wave_next")).content.decode()


def test_hold_page_queries_stay_flat(client, am, region, next_month, max_queries):
    wave = Wave.objects.create(month=next_month)
    Program.current().save()
    client.force_login(am)
    counts = []
    for size in (5, 60):
        accounts = book_create(sizes=[2] * size, owner=am, region=region)
        invitations_create(wave=wave, contacts=Contact.objects.filter(account__in=accounts))
        with max_queries(12) as captured:
            assert client.get(reverse("wave_next")).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


# --- Wave pages -----------------------------------------------------------------------

def test_wave_pages_are_404_for_account_managers(client, am, wave):
    client.force_login(am)
    assert client.get(reverse("surveys:wave_list")).status_code == 404
    assert client.get(reverse("surveys:wave_detail", args=[wave.month.strftime("%Y-%m")])).status_code == 404


def test_wave_page_404_for_a_bad_or_unknown_month(client, admin_user, wave):
    client.force_login(admin_user)
    assert client.get(reverse("surveys:wave_detail", args=["2026-13"])).status_code == 404
    assert client.get(reverse("surveys:wave_detail", args=["1999-01"])).status_code == 404


def test_wave_figures_are_scoped_to_the_region(client, rm, other_rm, director, admin_user, wave):
    Invitation.objects.filter(contact__name="Lis Lund").update(status="held")
    url = reverse("surveys:wave_detail", args=[wave.month.strftime("%Y-%m")])
    client.force_login(rm)
    response = client.get(url)
    assert response.context["figures"]["total"] == 2 and response.context["figures"]["held"] == 1
    assert [row["region"] for row in response.context["regions"]] == ["North"]
    client.force_login(other_rm)
    response = client.get(url)
    assert response.context["figures"]["total"] == 1
    assert "Sven" not in response.content.decode() and [r["region"] for r in response.context["regions"]] == ["South"]
    for user in (director, admin_user):
        client.force_login(user)
        response = client.get(url)
        assert response.context["figures"]["total"] == 3
    response = client.get(reverse("surveys:wave_list"))
    assert response.status_code == 200 and response.context["waves"][0].figures["total"] == 3


def test_wave_page_shows_progress_and_response_rate(client, admin_user, wave):
    from tests.factories import ResponseFactory

    Wave.objects.filter(pk=wave.pk).update(status=Wave.Status.SENDING)
    Invitation.objects.filter(contact__name__in=["Erik Berg", "Lis Lund"]).update(
        status="sent", sent_at=timezone.now())
    ResponseFactory(invitation=_invitation("Erik Berg"))
    client.force_login(admin_user)
    url = reverse("surveys:wave_detail", args=[wave.month.strftime("%Y-%m")])
    response = client.get(url)
    figures = response.context["figures"]
    assert (figures["sent"], figures["answered"], figures["response_rate"], figures["progress"]) == (
        2, 1, Fraction(1, 2), Fraction(2, 3))
    html = response.content.decode()
    assert '<progress id="wave-progress" max="3" value="2"' in html and ">67%</progress>" in html
    assert "<dd>50.0%</dd>" in html
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.content.decode().startswith('<div id="wave-figures"')


def test_wave_page_says_why_invitations_were_not_delivered_in_scope(client, rm, other_rm, wave):
    Invitation.objects.filter(contact__name="Erik Berg").update(
        status="failed", last_error="Not sent: The contact's address has a line break")
    Invitation.objects.filter(contact__name="Sven South").update(status="bounced", last_error="550 no such user")
    url = reverse("surveys:wave_detail", args=[wave.month.strftime("%Y-%m")])
    client.force_login(rm)
    html = client.get(url).content.decode()
    assert "Not delivered" in html and "Erik Berg" in html and "The contact&#x27;s address has a line break" in html
    assert "Sven South" not in html and "550 no such user" not in html
    client.force_login(other_rm)
    html = client.get(url).content.decode()
    assert "Sven South" in html and "550 no such user" in html and "Erik Berg" not in html


def test_wave_pages_queries_stay_flat(client, admin_user, region, next_month, max_queries):
    wave = Wave.objects.create(month=next_month)
    client.force_login(admin_user)
    counts = []
    for size in (5, 80):
        accounts = book_create(sizes=[2] * size, owner=admin_user, region=RegionFactory())
        invitations_create(wave=wave, contacts=Contact.objects.filter(account__in=accounts))
        Wave.objects.create(month=month_add(next_month, -size))
        with max_queries(16) as captured:
            client.get(reverse("surveys:wave_detail", args=[next_month.strftime("%Y-%m")]))
            client.get(reverse("surveys:wave_list"))
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


# --- Unsubscribe ----------------------------------------------------------------------

@pytest.fixture
def sent_invitation(db, account):
    wave = Wave.objects.create(month=timezone.localdate().replace(day=1), status=Wave.Status.SENT)
    contact = ContactFactory(account=account, name="Erik Berg")
    invitation = invitations_create(wave=wave, contacts=[contact], status=Invitation.Status.SENT)[0]
    return invitation


def test_unsubscribe_get_changes_nothing(client, sent_invitation):
    url = reverse("surveys:unsubscribe", args=[invitation_token(sent_invitation)])
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200 and "Unsubscribe from surveys?" in response.content.decode()
    assert Contact.objects.get(pk=sent_invitation.contact_id).opted_out_at is None


def test_unsubscribe_post_needs_the_forms_csrf_token(sent_invitation):
    client = Client(enforce_csrf_checks=True)
    url = reverse("surveys:unsubscribe", args=[invitation_token(sent_invitation)])
    assert client.post(url, {}).status_code == 403
    assert Contact.objects.get(pk=sent_invitation.contact_id).opted_out_at is None
    page = client.get(url)
    token = page.context["csrf_token"]
    response = client.post(url, {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 200 and "You are unsubscribed" in response.content.decode()
    assert Contact.objects.get(pk=sent_invitation.contact_id).opted_out_at is not None


def test_one_click_unsubscribe_without_cookies_and_repeat_is_harmless(sent_invitation, next_month):
    """RFC 8058: the mail client POSTs List-Unsubscribe=One-Click, form-encoded, no cookies."""
    planned = Wave.objects.create(month=next_month)
    invitations_create(wave=planned, contacts=[sent_invitation.contact])
    client = Client(enforce_csrf_checks=True)
    url = reverse("surveys:unsubscribe", args=[invitation_token(sent_invitation)])
    response = client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    contact = Contact.objects.get(pk=sent_invitation.contact_id)
    first = contact.opted_out_at
    assert first is not None
    assert not planned.invitations.exists()  # out of the wave not yet sent
    assert sent_invitation.__class__.objects.filter(pk=sent_invitation.pk).exists()  # history kept
    again = client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert again.status_code == 200
    assert Contact.objects.get(pk=contact.pk).opted_out_at == first
    assert "You are unsubscribed" in client.get(url).content.decode()


def test_one_click_must_say_one_click(sent_invitation):
    client = Client(enforce_csrf_checks=True)
    url = reverse("surveys:unsubscribe", args=[invitation_token(sent_invitation)])
    assert client.post(url, "List-Unsubscribe=Yes", content_type="application/x-www-form-urlencoded").status_code == 403
    assert client.post(url, '{"List-Unsubscribe": "One-Click"}', content_type="application/json").status_code == 403
    assert Contact.objects.get(pk=sent_invitation.contact_id).opted_out_at is None


def test_unsubscribe_unknown_token_is_404(client, db):
    assert client.get(reverse("surveys:unsubscribe", args=["not-a-token"])).status_code == 404
    response = client.post(reverse("surveys:unsubscribe", args=["not-a-token"]),
                           "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 404


def test_unsubscribe_page_in_danish(client, sent_invitation):
    Contact.objects.filter(pk=sent_invitation.contact_id).update(language="da")
    page = client.get(reverse("surveys:unsubscribe", args=[invitation_token(sent_invitation)])).content.decode()
    assert "Afmeld undersøgelser?" in page
