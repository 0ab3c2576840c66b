"""The suppression list: a person erased on request is never imported or planned again."""

import hashlib
from datetime import date, timedelta

import pytest
from django.urls import reverse

from surveys.book_import import book_csv, book_import
from surveys.models import Contact, Program, Suppression
from surveys.planning import wave_plan
from surveys.suppression import contacts_suppressed, email_suppress, emails_suppressed, suppression_hash
from tests.factories import ContactFactory
from tests.surveys.test_book_import import good_rows, row
from tests.surveys.test_customer_import_page import upload

pytestmark = pytest.mark.django_db

MONTH = date(2031, 3, 1)


def test_the_list_holds_a_peppered_hash_of_the_normalised_address_never_the_address():
    email_suppress("  Karen@NordicFreight.dk ")
    email_suppress("karen@nordicfreight.dk")  # again: nothing new

    [entry] = Suppression.objects.all()
    assert entry.email_hash == suppression_hash("karen@nordicfreight.dk")
    assert entry.email_hash != hashlib.sha256(b"karen@nordicfreight.dk").hexdigest()
    assert "karen" not in entry.email_hash and "karen" not in str(entry)
    assert emails_suppressed(["KAREN@nordicfreight.dk", "ole@nordicfreight.dk"]) == {"karen@nordicfreight.dk"}


def test_an_import_leaves_a_suppressed_person_out_and_says_so():
    email_suppress("karen@nordicfreight.dk")

    summary = book_import(data=book_csv(good_rows()))

    assert not Contact.objects.filter(email__iexact="karen@nordicfreight.dk").exists()
    assert Contact.objects.filter(email="ole@nordicfreight.dk").exists()  # the others come in
    assert (summary.contacts_created, summary.contacts_suppressed) == (2, 1)
    assert "contacts: 2 created, 0 updated, 0 unchanged, 1 suppressed (erased on request; not imported)" in (
        summary.lines())
    # In any case, in any account.
    summary = book_import(data=book_csv([row(account_id="ACC-9", contact_email="KAREN@nordicfreight.dk")]))
    assert (summary.contacts_created, summary.contacts_suppressed) == (0, 1)
    assert not Contact.objects.filter(email__iexact="karen@nordicfreight.dk").exists()


def test_the_upload_page_reports_the_suppressed_rows(client, admin_user):
    email_suppress("karen@nordicfreight.dk")
    client.force_login(admin_user)
    upload(client, book_csv(good_rows()))
    page = client.get(reverse("surveys:customer_import"))
    assert page.status_code == 200
    assert "1 contact was left out: erased on request, never imported again." in page.content.decode()
    danish = client.get(reverse("surveys:customer_import"), HTTP_ACCEPT_LANGUAGE="da")
    assert "1 kontakt blev udeladt: slettet efter anmodning, importeres aldrig igen." in danish.content.decode()


@pytest.fixture
def monthly_program(db):
    """Everyone asked every month: every contact is due in the wave planned."""
    return Program.objects.create(frequency=12, quiet_days=20)


def test_planning_skips_a_suppressed_address_even_added_by_hand(account, monthly_program):
    kept = ContactFactory(account=account, email="ole@customer.test")
    by_hand = ContactFactory(account=account, email="Mette@Customer.test")  # an administrator typed it in again
    email_suppress("mette@customer.test")
    assert contacts_suppressed([kept.pk, by_hand.pk]) == {by_hand.pk}

    wave_plan(month=MONTH, today=MONTH - timedelta(days=3))

    planned = set(Contact.objects.filter(invitations__wave__month=MONTH).values_list("pk", flat=True))
    assert planned == {kept.pk}


def test_planning_asks_everyone_due_when_nobody_is_suppressed(account, monthly_program):
    contacts = [ContactFactory(account=account) for _ in range(3)]
    assert contacts_suppressed([c.pk for c in contacts]) == set()
    assert wave_plan(month=MONTH, today=MONTH - timedelta(days=3)).added == 3
