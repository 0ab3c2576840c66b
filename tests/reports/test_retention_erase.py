"""The nightly retention run erases, as an erasure on request does, the contacts the
program's retention reached, and no one else; they are not put on the suppression list."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from feedback.models import Response
from reports import tasks
from reports.personal_data import retention_erase
from surveys.models import Account, Contact, Invitation, Suppression
from tests.factories import AccountFactory, ContactFactory, InvitationFactory, ResponseFactory, WaveFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime(2031, 6, 15, 2, 30))
LONG_AGO = timezone.make_aware(datetime(2020, 1, 10, 9))


@pytest.fixture
def book(am, region, account):
    """A customer that left long ago, one contact of it answered then; and a current customer."""
    gone = AccountFactory(owner=am, region=region, active=False)
    left = ContactFactory(account=gone, name="Karen Kjærsgaard", email="karen@gone.test", phone="+45 99 88 77 66")
    invitation = InvitationFactory(contact=left, wave=WaveFactory(month=LONG_AGO.date().replace(day=1)),
                                   sent_at=LONG_AGO)
    ResponseFactory(invitation=invitation, score=4, reason="Nobody ever called us back", answered_at=LONG_AGO)
    stays = ContactFactory(account=account, name="Ole Olesen", email="ole@current.test")
    Contact.objects.filter(pk__in=[left.pk, stays.pk]).update(updated_at=LONG_AGO)
    Account.objects.filter(pk__in=[gone.pk, account.pk]).update(updated_at=LONG_AGO)
    Invitation.objects.filter(pk=invitation.pk).update(created_at=LONG_AGO)
    return left, stays


def test_the_run_erases_who_the_retention_reached_and_keeps_their_scores(book):
    left, stays = book

    assert retention_erase(now=NOW) == 1

    left.refresh_from_db()
    assert (left.name, left.email, left.phone) == ("Erased contact", f"erased-{left.pk}@erased.invalid", "")
    assert left.erased_at == NOW
    assert list(Response.objects.filter(contact=left).values_list("score", "reason")) == [(4, "")]
    assert Contact.objects.get(pk=stays.pk).name == "Ole Olesen"
    # Nobody asked to be forgotten: a customer that comes back is imported as a new one.
    assert not Suppression.objects.exists()
    # A second night finds nobody.
    assert retention_erase(now=NOW + timedelta(days=1)) == 0


def test_before_the_retention_is_reached_nothing_goes(book):
    assert retention_erase(now=LONG_AGO + timedelta(days=30 * 35)) == 0
    assert Contact.objects.filter(erased_at__isnull=False).count() == 0


def test_beat_runs_it_every_night_through_a_thin_task(book):
    from config.celery import app

    entry = app.conf.beat_schedule["personal-data-retention"]
    assert entry["task"] == "reports.tasks.personal_data_retention"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({2}, {30})
    tasks.personal_data_retention.delay()  # in-process in the tests; today is long after LONG_AGO
    assert Contact.objects.get(pk=book[0].pk).erased_at is not None
