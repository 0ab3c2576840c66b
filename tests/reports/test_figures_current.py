"""The rollup pages' figures are current the moment they render: right after a send, and
right after an import moves an account to another account manager (issue 11, defects 1
and 2), with no beat, worker or rebuild in between; and the pages say as of when."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.models import Response
from feedback.summaries import summary_rebuild
from surveys import sending
from surveys.book_import import book_csv, book_import
from surveys.models import Account, Invitation, Wave
from tests import factories


@pytest.fixture
def book(db, rm, region):
    """One account of `am0` in `region` with six contacts, asked last month: three
    delivered, two of them answered; this month's wave is sending."""
    am0 = factories.UserFactory(role="am", email="am0@pulse.test", full_name="Alma Null")
    account = factories.AccountFactory(owner=am0, region=region, external_id="ACC-9", name="Delta Freight")
    contacts = [factories.ContactFactory(account=account, email=f"c{i}@delta.test") for i in range(6)]
    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    earlier = factories.WaveFactory(month=last_month)
    sent_at = timezone.now() - timedelta(days=35)
    for i, contact in enumerate(contacts[:3]):
        invitation = factories.InvitationFactory(wave=earlier, contact=contact, sent_at=sent_at)
        if i < 2:
            factories.ResponseFactory(invitation=invitation, score=9 + i, answered_at=sent_at + timedelta(hours=2))
    summary_rebuild()  # the figures as the nightly rebuild leaves them
    wave = factories.WaveFactory(month=this_month, status=Wave.Status.SENDING)
    planned = [
        factories.InvitationFactory(wave=wave, contact=c, status=Invitation.Status.PLANNED, sent_at=None,
                                    expires_at=None)
        for c in contacts[3:]
    ]
    return {"am0": am0, "account": account, "planned": planned}


def _rollup(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("reports:region_home"), params)
    assert response.status_code == 200
    return response.context["rollup"]


def test_a_send_counts_at_once(client, smtp_server, rm, book):
    """Defect 1: a response rate right after a send counts the new deliveries."""
    assert _rollup(client, rm, period="all").figures.delivered == 3
    result = sending.invitations_send(invitation_ids=[i.pk for i in book["planned"]])
    assert result.sent == 3
    figures = _rollup(client, rm, period="all").figures
    delivered = Invitation.objects.filter(status=Invitation.Status.SENT).count()
    answered = Response.objects.filter(suspect=False, invitation__status=Invitation.Status.SENT).count()
    assert (figures.delivered, figures.answered) == (delivered, answered) == (6, 2)
    assert figures.response_rate == pytest.approx(2 / 6)
    [(owner, by_am)] = _rollup(client, rm, period="all").by_owner
    assert (owner, by_am.delivered, by_am.answered) == (book["am0"], 6, 2)


def test_an_import_moves_the_account_to_its_new_owner_at_once(client, rm, region, book):
    """Defect 2: the per-account-manager rows follow an account an import moved."""
    am1 = factories.UserFactory(role="am", email="am1@pulse.test", full_name="Bo Byg")
    [(owner, _figures)] = _rollup(client, rm, period="all").by_owner
    assert owner == book["am0"]
    book_import(data=book_csv([{
        "account_id": "ACC-9", "account_name": "Delta Freight", "region": region.name,
        "regional_manager_email": rm.email, "account_manager_email": am1.email, "contact_email": "",
        "contact_name": "", "contact_phone": "", "contact_level": "", "language": "",
    }]))
    assert Account.objects.get(external_id="ACC-9").owner == am1
    rows = _rollup(client, rm, period="all").by_owner
    assert {owner: (f.promoters, f.delivered, f.answered) for owner, f in rows} == {am1: (2, 3, 2)}


def test_rollup_and_account_pages_say_as_of_when(client, rm, book):
    client.force_login(rm)
    year = str(timezone.localdate().year)
    for url in (reverse("reports:region_home"), reverse("account_detail", args=[book["account"].pk]),
                reverse("feedback:answers") + "?period=12m"):
        body = client.get(url).content.decode()
        line = body[body.index("Figures as of"):]
        line = line[:line.index("</p>")]
        assert year in line, (url, line)
