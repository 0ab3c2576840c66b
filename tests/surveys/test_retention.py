"""The retention (DESIGN §3): who the nightly run erases, as of an injected `now`, and the
count the program page shows."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.models import Account, Contact, Invitation, Program
from surveys.months import moment_months_before
from surveys.personal_data import retention_cutoff, retention_due
from tests.factories import AccountFactory, ContactFactory, InvitationFactory, WaveFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime(2031, 6, 15, 2, 30))
CUTOFF = timezone.make_aware(datetime(2028, 6, 15, 2, 30))  # 36 months before


def _aged(contact: Contact, at: datetime) -> Contact:
    """A contact and its account last changed at `at` (auto_now fields, set past as a test may)."""
    Contact.objects.filter(pk=contact.pk).update(updated_at=at)
    Account.objects.filter(pk=contact.account_id).update(updated_at=at)
    return contact


def _asked(contact: Contact, at: datetime, **fields) -> Invitation:
    invitation = InvitationFactory(contact=contact, wave=WaveFactory(month=at.date().replace(day=1)), sent_at=at,
                                   **fields)
    Invitation.objects.filter(pk=invitation.pk).update(created_at=at)
    return invitation


@pytest.fixture
def gone(am, region):
    """A customer that left: its account is inactive."""
    return AccountFactory(owner=am, region=region, active=False)


def test_the_cutoff_is_the_retention_in_months_before_now():
    assert retention_cutoff(Program(retention_months=36), NOW) == CUTOFF
    assert retention_cutoff(Program(retention_months=0), NOW) is None
    leap = timezone.make_aware(datetime(2032, 3, 31, 12))
    assert moment_months_before(leap, 1) == timezone.make_aware(datetime(2032, 2, 29, 12))


def test_contacts_no_longer_in_the_book_and_silent_since_the_cutoff_are_due(gone, account):
    long_gone = _aged(ContactFactory(account=gone), CUTOFF - timedelta(days=400))
    _asked(long_gone, CUTOFF - timedelta(days=500))
    asked_just_before = _aged(ContactFactory(account=gone), CUTOFF - timedelta(days=1))
    _asked(asked_just_before, CUTOFF - timedelta(days=1), answered_at=CUTOFF - timedelta(hours=1))
    never_asked = _aged(ContactFactory(account=gone), CUTOFF - timedelta(days=1))

    assert set(retention_due(now=NOW)) == {long_gone, asked_just_before, never_asked}


def test_anyone_in_the_book_or_heard_from_since_the_cutoff_stays(gone, account):
    old = CUTOFF - timedelta(days=800)
    _aged(ContactFactory(account=account), old)  # still in the book: its account is active
    answered_since = _aged(ContactFactory(account=gone), old)
    _asked(answered_since, old, answered_at=CUTOFF + timedelta(minutes=1))
    reminded_since = _aged(ContactFactory(account=gone), old)
    _asked(reminded_since, old, reminded_at=CUTOFF + timedelta(days=3))
    asked_since = _aged(ContactFactory(account=gone), old)
    _asked(asked_since, CUTOFF + timedelta(days=1))
    changed_since = _aged(ContactFactory(account=gone), old)
    Contact.objects.filter(pk=changed_since.pk).update(updated_at=CUTOFF + timedelta(days=1))
    erased = _aged(ContactFactory(account=gone), old)
    Contact.objects.filter(pk=erased.pk).update(erased_at=old)
    due = _aged(ContactFactory(account=gone), old)

    assert list(retention_due(now=NOW)) == [due]
    # The account itself made inactive (or changed) after the cutoff: its contacts wait.
    Account.objects.filter(pk=gone.pk).update(updated_at=CUTOFF + timedelta(days=1))
    assert list(retention_due(now=NOW)) == []


def test_a_retention_of_zero_erases_nobody(gone):
    _aged(ContactFactory(account=gone), CUTOFF - timedelta(days=4000))
    Program.objects.create(retention_months=0)
    assert list(retention_due(now=NOW)) == []
    Program.objects.update(retention_months=1)
    assert retention_due(now=NOW).count() == 1


def test_the_program_page_counts_who_would_be_erased_tonight(client, admin_user, gone):
    recent = ContactFactory(account=gone)  # changed 3 days ago: not yet
    for _ in range(2):
        _aged(ContactFactory(account=gone), timezone.now() - timedelta(days=40 * 31))
    Contact.objects.filter(pk=recent.pk).update(updated_at=timezone.now() - timedelta(days=3))
    client.force_login(admin_user)

    page = client.get(reverse("surveys:program")).content.decode()
    assert "2 contacts would be erased tonight" in page and "in the last 36 months" in page
    assert 'name="retention_months"' in page
    danish = client.get(reverse("surveys:program"), HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert "2 kontakter ville blive slettet i nat" in danish

    Program.objects.create(retention_months=0)
    page = client.get(reverse("surveys:program")).content.decode()
    assert "nothing is erased by itself" in page and "would be erased tonight" not in page
