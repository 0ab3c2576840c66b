"""What the summaries count (surveys.tallies), in the cases a reader might doubt: bounces,
an answer that comes before its invitation is marked sent, edits in the admin, and the
repair and its check."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from feedback.answering import response_submit
from feedback.summaries import summary_rebuild
from surveys import reminders, sending
from surveys.models import Contact, Invitation, MonthSummary, OwnerMonthSummary, Wave
from surveys.tallies_rebuild import tallies_differences
from surveys.tokens import invitation_token
from tests import factories


@pytest.fixture
def sending_wave(db):
    return Wave.objects.create(month=timezone.localdate().replace(day=1), status=Wave.Status.SENDING)


def _planned(wave, account, email):
    contact = factories.ContactFactory(account=account, email=email)
    return factories.InvitationFactory(wave=wave, contact=contact, status=Invitation.Status.PLANNED, sent_at=None,
                                       expires_at=None)


def _delivered(account) -> int:
    return sum(MonthSummary.objects.filter(account=account).values_list("delivered", flat=True))


def test_a_refused_send_is_not_delivered_a_refused_reminder_leaves_it_delivered(
    account, sending_wave, smtp_server
):
    refused, taken = _planned(sending_wave, account, "gone@x.test"), _planned(sending_wave, account, "ok@x.test")
    summary_rebuild()  # what the fixtures wrote around the services
    smtp_server.reject_next = ["550"]
    sending.invitations_send(invitation_ids=[refused.pk])
    sending.invitations_send(invitation_ids=[taken.pk])
    assert Invitation.objects.get(pk=refused.pk).status == Invitation.Status.BOUNCED
    assert _delivered(account) == 1
    smtp_server.reject_next = ["550"]
    assert reminders.reminders_send(invitation_ids=[taken.pk]).bounced == 1
    assert Contact.objects.get(pk=taken.contact_id).bounced_at is not None
    assert Invitation.objects.get(pk=taken.pk).status == Invitation.Status.SENT
    assert _delivered(account) == 1
    assert tallies_differences() == []


def test_an_answer_before_the_sent_mark_counts_as_answered_once_marked(account, sending_wave, smtp_server):
    """A worker died after the mail server took the message: the row waits to be sent
    again, and its contact may answer meanwhile."""
    invitation = _planned(sending_wave, account, "quick@x.test")
    summary_rebuild()
    Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.SENDING,
                                                       claimed_at=timezone.now() - timedelta(hours=1))
    response_submit(token=invitation_token(invitation), score=10)
    row = MonthSummary.objects.get(account=account)
    assert (row.promoters, row.delivered, row.answered) == (1, 0, 0)
    Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.PLANNED)  # the crash rule
    sending.invitations_send(invitation_ids=[invitation.pk])
    row.refresh_from_db()
    assert (row.promoters, row.delivered, row.answered) == (1, 1, 1)
    assert tallies_differences() == []


def test_admin_edits_keep_the_summaries_exact(client, admin_user, account, sending_wave, smtp_server):
    invitation = _planned(sending_wave, account, "exec@x.test")
    summary_rebuild()
    sending.invitations_send(invitation_ids=[invitation.pk])
    response_submit(token=invitation_token(invitation), score=2)
    client.force_login(admin_user)
    contact = invitation.contact
    url = reverse("admin:surveys_contact_change", args=[contact.pk])
    response = client.post(url, {"name": contact.name, "email": contact.email, "phone": "", "level": "executive",
                                 "language": "en"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert MonthSummary.objects.get(account=account).level == "executive"
    assert tallies_differences() == []
    new_owner = factories.UserFactory(role="am")
    url = reverse("admin:surveys_account_change", args=[account.pk])
    response = client.post(url, {
        "name": account.name, "external_id": account.external_id, "region": account.region_id,
        "owner": new_owner.pk, "active": "on",
        "contacts-TOTAL_FORMS": "1", "contacts-INITIAL_FORMS": "1", "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000", "contacts-0-id": contact.pk, "contacts-0-account": account.pk,
        "contacts-0-name": contact.name, "contacts-0-email": contact.email, "contacts-0-phone": "",
        "contacts-0-level": "executive", "contacts-0-language": "en", "contacts-0-DELETE": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert not OwnerMonthSummary.objects.exclude(delivered=0, promoters=0, passives=0, detractors=0).exists()
    assert tallies_differences() == []


def test_the_repair_and_its_check(account, sending_wave, smtp_server):
    invitation = _planned(sending_wave, account, "a@x.test")
    summary_rebuild()
    sending.invitations_send(invitation_ids=[invitation.pk])
    response_submit(token=invitation_token(invitation), score=9)
    call_command("rebuild_summaries", "--check")  # agrees
    MonthSummary.objects.update(delivered=7)
    Invitation.objects.update(answer_category="")
    with pytest.raises(CommandError, match="disagree"):
        call_command("rebuild_summaries", "--check")
    call_command("rebuild_summaries")
    call_command("rebuild_summaries", "--check")
    assert MonthSummary.objects.get(account=account).delivered == 1


def test_the_revenue_sums_follow_the_admins_edits(client, admin_user, account):
    """An account added, its revenue and active flag changed, and deleted in the admin: the
    revenue sums (surveys.revenue_tallies) follow in the same request."""
    from feedback.revenue import revenue_coverage
    from surveys.models import Account
    from surveys.tallies_rebuild import revenue_differences

    summary_rebuild()  # the fixture's account, made by a factory, counted
    client.force_login(admin_user)
    inline = {"contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0", "contacts-MIN_NUM_FORMS": "0",
              "contacts-MAX_NUM_FORMS": "1000"}
    fields = {"name": "Added A/S", "external_id": "ADDED-1", "region": account.region_id,
              "owner": account.owner_id, "annual_revenue": "1000000", "active": "on", **inline}
    assert client.post(reverse("admin:surveys_account_add"), fields).status_code == 302
    added = Account.objects.get(external_id="ADDED-1")
    assert revenue_differences() == []
    assert revenue_coverage(Account.objects.all()).total.revenue == 1000000

    url = reverse("admin:surveys_account_change", args=[added.pk])
    assert client.post(url, {**fields, "annual_revenue": "2500000.50"}).status_code == 302
    assert revenue_coverage(Account.objects.all()).total.revenue == 2500000.50
    fields.pop("active")  # unticked: inactive accounts are not asked, so not covered
    assert client.post(url, fields).status_code == 302
    assert revenue_coverage(Account.objects.all()).total.accounts_with_revenue == 0
    assert revenue_differences() == []

    response = client.post(reverse("admin:surveys_account_delete", args=[added.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert revenue_differences() == []
    assert revenue_coverage(Account.objects.all()).total.accounts == 1  # the one left
