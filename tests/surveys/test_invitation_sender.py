"""Who the invitation is from, and whose names it shows (issue 13): From is the AM who
signs it, at the company, on the program's address; nobody is shown a name made up from
an email address."""

import pytest

from surveys import dispatch
from surveys.invitation_email import InvitationEmailError, invitation_email
from surveys.models import Program
from tests.factories import AccountFactory, ContactFactory, InvitationFactory, UserFactory


def email_for(*, owner_name="Anders Nielsen", owner_email="anders@acme.test", contact_name="Karen Kjær",
              language="en", reminder=False):
    owner = UserFactory(role="am", full_name=owner_name, email=owner_email, phone="")
    contact = ContactFactory(account=AccountFactory(owner=owner), name=contact_name, language=language)
    invitation = InvitationFactory(contact=contact)
    return invitation_email(invitation, program=Program.current(), reminder=reminder)


def parts(message) -> tuple[str, str]:
    return message.body, message.alternatives[0][0]


def test_from_is_the_am_and_the_company_on_the_programs_address(db):
    message = email_for().message()
    assert message["From"] == '"Anders Nielsen, Acme" <care@example.com>'
    assert message["Reply-To"] == "Anders Nielsen <anders@acme.test>"


@pytest.mark.parametrize("name", ["Søren Ørsted", "Nielsen, Anders", 'Anders "AN" Nielsen', "Zoë (Sales) Berg"])
def test_any_name_reaches_the_inbox_whole_through_a_real_smtp_server(smtp_server, account, name):
    account.owner.full_name = name
    account.owner.save()
    contact = ContactFactory(account=account, email="karen@customer.test")
    invitation = InvitationFactory(contact=contact)
    invitation_email(invitation, program=Program.current()).send()
    [message] = smtp_server.wait_for(1)
    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (f"{name}, Acme", "care@example.com")


def test_a_name_with_a_line_break_never_reaches_a_header(db):
    # The import cleans names (test_book_import); one written past it fails the email
    # with a message saying which value, shown on the wave page.
    with pytest.raises(InvitationEmailError, match="owner's name has a line break"):
        email_for(owner_name="Anders\r\nBcc: evil@example.com")


def test_an_am_without_a_name_is_never_shown_by_a_name_made_from_the_address(db):
    email = email_for(owner_name="", owner_email="am2@acme.test")
    message = email.message()
    text, html = parts(email)
    assert message["From"] == "Customer Care <care@example.com>"  # the program's sender name
    assert email.subject == "A quick question from Acme"
    assert "Am2" not in text + html + email.subject
    assert "Thank you,\nAcme\nam2@acme.test" in text  # signed by the company; the address to write to
    assert "<strong>" not in html.split("Thank you,")[1].split("</p>")[0]


def test_the_reminder_of_an_am_without_a_name_names_the_company(db):
    email = email_for(owner_name="", owner_email="am2@acme.test", language="da", reminder=True)
    assert email.subject == "Påmindelse: et hurtigt spørgsmål fra Acme"


def test_a_contact_without_a_name_is_greeted_without_one(db):
    email = email_for(contact_name="")
    text, html = parts(email)
    assert "Dear customer," in text and "Dear customer," in html
    assert "@customer.test," not in text + html
    assert "Kære kunde," in parts(email_for(contact_name="", owner_email="b@acme.test", language="da"))[0]


def test_named_and_nameless_emails_of_one_wave_do_not_mix(smtp_server, planned_pair, this_month):
    dispatch.wave_send(month=this_month)
    named, nameless = (smtp_server.to(address)[0] for address in ("named@customer.test", "nameless@customer.test"))
    assert named["Subject"] == "A quick question from Anders Nielsen at Acme"
    assert nameless["Subject"] == "A quick question from Acme"
    assert "Dear Karen," in named.get_body(("plain",)).get_content()
    assert "Dear customer," in nameless.get_body(("plain",)).get_content()


@pytest.fixture
def this_month():
    from django.utils import timezone

    return timezone.localdate().replace(day=1)


@pytest.fixture
def planned_pair(db, this_month, region):
    """A wave with two contacts: one named, of a named AM; one without a name, of an AM without one."""
    from surveys.models import Wave
    from tests.surveys.book import invitations_create

    named = AccountFactory(owner=UserFactory(role="am", full_name="Anders Nielsen"), region=region)
    nameless = AccountFactory(owner=UserFactory(role="am", full_name="", email="am2@acme.test"), region=region)
    wave = Wave.objects.create(month=this_month)
    invitations_create(wave=wave, contacts=[
        ContactFactory(account=named, name="Karen Kjær", email="named@customer.test"),
        ContactFactory(account=nameless, name="", email="nameless@customer.test"),
    ])
    return wave
