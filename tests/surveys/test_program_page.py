"""The program page: its groups, the "about N contacts a month" figure (checked against a
direct count of the book), and the previews of the invitation and the answer page."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from feedback.models import Response
from surveys.forms import ProgramForm
from surveys.models import Contact, Invitation, Program, Suppression, Wave
from surveys.months import month_index
from surveys.planning import monthly_slice_size
from surveys.program import cycle_first_month
from surveys.suppression import email_suppress
from tests.factories import AccountFactory, ContactFactory, InvitationFactory
from tests.surveys.book import book_create

MONTHLY = reverse("surveys:program_monthly")


def _figure(response) -> int:
    match = re.search(r"About ([\d,]+) contacts? a month", response.content.decode())
    assert match, response.content.decode()
    return int(match.group(1).replace(",", ""))


def _direct_count(frequency: int) -> int:
    """The book's contacts due in the first month a change of frequency applies to, counted
    plainly: active account, reachable, not erased on request, phase id mod P."""
    period = 12 // frequency
    residue = month_index(cycle_first_month(timezone.localdate())) % period
    suppressed = set(Suppression.objects.values_list("email_hash", flat=True))
    from surveys.suppression import suppression_hash

    return sum(
        1 for pk, email in Contact.objects.filter(account__active=True, opted_out_at=None, bounced_at=None)
        .values_list("pk", "email")
        if pk % period == residue and suppression_hash(email) not in suppressed
    )


@pytest.fixture
def book(account, am, region):
    """Accounts of 1 to 3 contacts (under the default cap of 3), and contacts the planner
    never asks: of an inactive account, unsubscribed, bounced, erased on request."""
    book_create(sizes=[3, 2, 1, 3, 2, 3, 1, 2, 3, 3, 2, 1] * 4, owner=am, region=region)
    inactive = AccountFactory(owner=am, region=region, active=False)
    for _ in range(3):
        ContactFactory(account=inactive)
    now = timezone.now()
    Contact.objects.filter(pk__in=list(Contact.objects.filter(account__active=True).values_list("pk", flat=True)[:7])
                           ).update(opted_out_at=now)
    Contact.objects.filter(pk__in=list(Contact.objects.filter(opted_out_at=None).values_list("pk", flat=True)[:5])
                           ).update(bounced_at=now)
    for contact in Contact.objects.filter(opted_out_at=None, bounced_at=None, account__active=True)[10:14]:
        email_suppress(contact.email)
    return account


# --- Groups ---------------------------------------------------------------------------

def test_every_setting_is_in_exactly_one_group():
    grouped = [name for _legend, _help, names in ProgramForm.GROUPS for name in names]
    assert sorted(grouped) == sorted(ProgramForm.Meta.fields)


def test_the_page_shows_the_groups_with_their_legends_and_help(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("surveys:program")).content.decode()
    for legend, help_text, _names in ProgramForm.GROUPS:
        assert f"<legend>{legend}</legend>" in page
        assert str(help_text) in page
    assert page.count("<fieldset") == len(ProgramForm.GROUPS)


def test_a_bad_value_saves_nothing_and_the_form_keeps_the_frequency_chosen(client, admin_user, book):
    client.force_login(admin_user)
    data = {name: value for name, value in ProgramForm(instance=Program.current()).initial.items()
            if name in ProgramForm.Meta.fields}
    data.update(frequency=4, quiet_days=400)
    response = client.post(reverse("surveys:program"), data)
    assert response.status_code == 200
    assert "Nothing was saved" in response.content.decode()
    assert Program.objects.count() == 0 or Program.current().frequency == 2
    assert _figure(response) == _direct_count(4)


# --- About N contacts a month ---------------------------------------------------------

@pytest.mark.parametrize("frequency", [1, 2, 3, 4, 6, 12])
def test_the_figure_is_the_direct_count_of_the_book(client, admin_user, book, frequency):
    client.force_login(admin_user)
    response = client.get(MONTHLY, {"frequency": frequency})
    assert response.status_code == 200
    expected = _direct_count(frequency)
    assert expected > 0
    assert _figure(response) == expected == monthly_slice_size(frequency=frequency)


def test_the_page_shows_the_figure_for_the_saved_frequency(client, admin_user, book):
    Program.objects.create(frequency=3)
    client.force_login(admin_user)
    assert _figure(client.get(reverse("surveys:program"))) == _direct_count(3)


def test_the_figure_keeps_to_the_per_account_cap_and_the_quiet_period(client, admin_user, am, region):
    Program.objects.create(per_account_cap=2)
    [big] = book_create(sizes=[12], owner=am, region=region)
    [small] = book_create(sizes=[1], owner=am, region=region)
    # Asked twice a month, every contact is due: the big account gives its cap of 2.
    assert monthly_slice_size(frequency=12) == 3
    # The small account's one contact was emailed a week ago: inside the quiet period.
    InvitationFactory(contact=small.contacts.get(), wave__month=timezone.localdate().replace(day=1),
                      sent_at=timezone.now() - timezone.timedelta(days=7))
    assert monthly_slice_size(frequency=12) == 2
    client.force_login(admin_user)
    assert _figure(client.get(MONTHLY, {"frequency": 12})) == 2


def test_an_empty_book_says_about_0_contacts(client, admin_user):
    client.force_login(admin_user)
    assert _figure(client.get(MONTHLY, {"frequency": 2})) == 0


@pytest.mark.parametrize("value", ["5", "0", "abc", "", "2.5", "-1", "99999999999999999999"])
def test_a_bad_frequency_says_which_are_allowed_and_never_fails(client, admin_user, value):
    client.force_login(admin_user)
    response = client.get(MONTHLY, {"frequency": value})
    assert response.status_code == 400
    assert "one of 1, 2, 3, 4, 6, 12" in response.content.decode()


def test_a_missing_frequency_says_so_too(client, admin_user):
    client.force_login(admin_user)
    response = client.get(MONTHLY)
    assert response.status_code == 400
    assert "one of 1, 2, 3, 4, 6, 12" in response.content.decode()


def test_the_figure_and_previews_are_for_administrators_only(client, am, rm, director):
    urls = [MONTHLY + "?frequency=2",
            reverse("surveys:program_invitation_preview", args=["en"]),
            reverse("program_answer_preview", args=["da"])]
    for user in (am, rm, director):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user.role, url)


def test_the_figure_costs_the_same_queries_for_a_bigger_book(client, admin_user, am, region, max_queries):
    client.force_login(admin_user)
    book_create(sizes=[2] * 5, owner=am, region=region)
    with max_queries(8) as small:
        client.get(MONTHLY, {"frequency": 4})
    book_create(sizes=[3] * 200, owner=am, region=region)
    with max_queries(len(small.captured_queries)):
        client.get(MONTHLY, {"frequency": 4})


# --- Previews -------------------------------------------------------------------------

def _nothing_created():
    return (Invitation.objects.count(), Response.objects.count(), Wave.objects.count(), len(mail.outbox))


@pytest.mark.parametrize(("language", "subject_word", "question"), [
    ("en", "Acme", "How likely is it that you would recommend Acme to others?"),
    ("da", "Acme", "Hvor sandsynligt er det, at du vil anbefale Acme til andre?"),
])
def test_the_invitation_preview_is_in_the_language_and_sends_nothing(
        client, admin_user, account, language, subject_word, question):
    ContactFactory(account=account, name="Erik Berg", language="en")
    ContactFactory(account=account, name="Mette Dahl", language="da")
    client.force_login(admin_user)
    before = _nothing_created()
    response = client.get(reverse("surveys:program_invitation_preview", args=[language]))
    assert response.status_code == 200
    page = response.content.decode()
    name = {"en": "Erik Berg", "da": "Mette Dahl"}[language]
    assert f"Shown as {name} of Nordic Freight A/S would see it" in page
    assert question in page and subject_word in page
    assert "<iframe" in page and "srcdoc=" in page
    # The email's score buttons open the answer page's preview, never a real answer link.
    assert reverse("program_answer_preview", args=[language]) + "?score=10" in page
    assert "/r/" not in page
    assert "'unsafe-inline'" in response["Content-Security-Policy"]
    assert _nothing_created() == before == (0, 0, 0, 0)


@pytest.mark.parametrize(("language", "heading", "question"), [
    ("en", "Hello Erik, two quick questions", "How likely is it that you would recommend Acme to others?"),
    ("da", "Hej Erik", "Hvor sandsynligt er det, at du vil anbefale Acme til andre?"),
])
def test_the_answer_page_preview_is_in_the_language_and_records_nothing(
        client, admin_user, account, language, heading, question):
    ContactFactory(account=account, name="Erik Berg", language="en")
    client.force_login(admin_user)
    response = client.get(reverse("program_answer_preview", args=[language]), {"score": "9"})
    assert response.status_code == 200
    page = response.content.decode()
    assert heading in page and question in page
    assert f'lang=&quot;{language}&quot;' in page or f"lang=\"{language}\"" in page
    # The frame may not send its form; its form posts to the preview, which takes nothing.
    assert 'sandbox=""' in page
    assert "sha256-" in response["Content-Security-Policy"]
    before = _nothing_created()
    refused = client.post(reverse("program_answer_preview", args=[language]), {"score": "9", "reason": "x"})
    assert refused.status_code == 405
    assert "takes no answer" in refused.content.decode()
    assert _nothing_created() == before == (0, 0, 0, 0)


def test_an_empty_book_previews_with_a_made_up_contact(client, admin_user):
    client.force_login(admin_user)
    for language in ("en", "da"):
        for url in (reverse("surveys:program_invitation_preview", args=[language]),
                    reverse("program_answer_preview", args=[language])):
            response = client.get(url)
            assert response.status_code == 200
            assert "made-up contact" in response.content.decode()
    assert Contact.objects.count() == 0 and _nothing_created() == (0, 0, 0, 0)


def test_an_unknown_language_is_not_found(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("surveys:program_invitation_preview", args=["de"])).status_code == 404
    assert client.get(reverse("program_answer_preview", args=["xx"])).status_code == 404


def test_the_program_page_links_both_previews_in_both_languages(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("surveys:program")).content.decode()
    for language in ("en", "da"):
        assert reverse("surveys:program_invitation_preview", args=[language]) in page
        assert reverse("program_answer_preview", args=[language]) in page
