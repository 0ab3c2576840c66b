"""Logging attempts, the unanswered rule, the reached outcome, the close-the-loop email, recovery."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from followups.models import Attempt, Call, CloseLoopEmail, FollowupSettings, RecoveryRequest, RootCause
from followups.selectors import recovery_figures
from followups.services import (
    attempt_log,
    close_loop_draft,
    close_loop_email_queue,
    recovery_invitations_plan,
    recovery_request,
)
from surveys.models import Account
from tests.factories import UserFactory
from tests.followups.conftest import answer, answer_with_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def service():
    return RootCause.objects.get(name="Service")


def test_root_causes_are_seeded():
    assert list(RootCause.objects.values_list("name", flat=True)) == [
        "Product", "Service", "Delivery", "Price", "Relationship"]


def test_three_unanswered_attempts_close_the_call_as_unreachable(account, am):
    call = answer_with_call(account, score=4)
    for outcome in ("no_answer", "voicemail"):
        attempt_log(call_id=call.pk, by=am, outcome=outcome, note="tried")
        call.refresh_from_db()
        assert call.state == "open"
    attempt_log(call_id=call.pk, by=am, outcome="wrong_number")
    call.refresh_from_db()
    assert (call.state, call.unanswered_attempts) == ("unreachable", 3)
    assert call.closed_at is not None and call.first_attempt_at is not None
    with pytest.raises(ValidationError):
        attempt_log(call_id=call.pk, by=am, outcome="no_answer")
    assert call.attempts.count() == 3


def test_the_unanswered_limit_is_configurable(account, am):
    FollowupSettings.objects.filter(pk=FollowupSettings.current().pk).update(max_unanswered_attempts=1)
    call = answer_with_call(account)
    attempt_log(call_id=call.pk, by=am, outcome="voicemail")
    call.refresh_from_db()
    assert call.state == "unreachable"


def test_reached_records_root_cause_agreement_and_action(account, am, service):
    call = answer_with_call(account, score=2)
    attempt_log(call_id=call.pk, by=am, outcome="voicemail")
    due = timezone.localdate() + timedelta(days=10)
    attempt_log(call_id=call.pk, by=am, outcome="reached", note="Good talk", root_cause_id=service.pk,
                agreed="Credit note and a visit", action_owner="Anna", action_due=due)
    call.refresh_from_db()
    assert call.state == "reached" and call.root_cause == service
    assert (call.agreed, call.action_owner, call.action_due) == ("Credit note and a visit", "Anna", due)
    assert call.reached_at == call.closed_at
    assert call.seconds_to_reached >= call.seconds_to_first_attempt >= 0
    assert call.first_attempt_on == timezone.localdate(call.first_attempt_at)


def test_reached_without_root_cause_or_agreement_changes_nothing(account, am):
    call = answer_with_call(account, score=2)
    with pytest.raises(ValidationError) as error:
        attempt_log(call_id=call.pk, by=am, outcome="reached", agreed="  ")
    assert set(error.value.error_dict) == {"root_cause", "agreed"}
    call.refresh_from_db()
    assert call.state == "open" and not Attempt.objects.exists() and call.first_attempt_at is None


def test_declined_closes_the_call(account, am):
    call = answer_with_call(account, score=6)
    attempt_log(call_id=call.pk, by=am, outcome="declined")
    call.refresh_from_db()
    assert call.state == "declined"


def test_only_the_assignee_owner_or_admin_may_log(account, am, rm, admin_user):
    call = answer_with_call(account)
    with pytest.raises(PermissionError):
        attempt_log(call_id=call.pk, by=rm, outcome="no_answer")
    with pytest.raises(PermissionError):
        attempt_log(call_id=call.pk, by=UserFactory(role="am"), outcome="no_answer")
    attempt_log(call_id=call.pk, by=admin_user, outcome="no_answer")


@pytest.mark.parametrize("language, greeting, thanks", [("en", "Dear", "Thank you"), ("da", "Kære", "Tak")])
def test_close_the_loop_draft_is_in_the_contacts_language(account, am, service, language, greeting, thanks):
    call = answer_with_call(account, score=3, language=language, name="Mette Holm")
    attempt_log(call_id=call.pk, by=am, outcome="reached", root_cause_id=service.pk, agreed="We send a new pallet")
    draft = close_loop_draft(Call.objects.get(pk=call.pk), sender=am)
    assert draft["language"] == language
    assert draft["body"].startswith(f"{greeting} Mette")
    assert "We send a new pallet" in draft["body"] and draft["subject"].startswith(thanks)


def test_close_the_loop_email_arrives_and_is_recorded(account, am, service, smtp_server,
                                                      django_capture_on_commit_callbacks):
    call = answer_with_call(account, score=3, email="mette@customer.test")
    with pytest.raises(ValidationError):  # not before the customer is reached
        close_loop_email_queue(call_id=call.pk, by=am, subject="Hi", body="Text")
    attempt_log(call_id=call.pk, by=am, outcome="reached", root_cause_id=service.pk, agreed="New pallet <Friday>")
    with django_capture_on_commit_callbacks(execute=True):  # the outbox row runs after the commit
        close_loop_email_queue(call_id=call.pk, by=am, subject="What we do now", body="Edited: new pallet <Friday>")
    smtp_server.wait_for(1)
    message = smtp_server.messages[0]
    assert message["To"] == "mette@customer.test" and message["Subject"] == "What we do now"
    assert message["Reply-To"] == am.email
    html = message.get_body(("html",)).get_content()
    assert "new pallet &lt;Friday&gt;" in html
    assert "Edited: new pallet <Friday>" in message.get_body(("plain",)).get_content()
    record = CloseLoopEmail.objects.get()
    assert (record.call_id, record.to, record.sent_by) == (call.pk, "mette@customer.test", am)
    assert record.delivery == "sent" and record.sent_at is not None


@pytest.mark.parametrize("full_name", ["Andersen, Anna", "Anna (Sales) Andersen", "Søren Ørsted"])
def test_close_the_loop_email_from_any_staff_name(account, service, smtp_server, full_name,
                                                  django_capture_on_commit_callbacks):
    # Directory-style names ("Last, First") broke the From header: Django refused the address.
    am = UserFactory(role="am", full_name=full_name)
    Account.objects.filter(pk=account.pk).update(owner=am)
    call = answer_with_call(Account.objects.get(pk=account.pk), score=3, email="mette@customer.test")
    attempt_log(call_id=call.pk, by=am, outcome="reached", root_cause_id=service.pk, agreed="New pallet")
    with django_capture_on_commit_callbacks(execute=True):
        close_loop_email_queue(call_id=call.pk, by=am, subject="What we do now", body="New pallet")
    message = smtp_server.wait_for(1)[0]
    assert message["From"].addresses[0].display_name == full_name
    assert message["From"].addresses[0].addr_spec == "care@example.com"


def test_recovery_request_for_a_reached_detractor(account, am, service):
    call = answer_with_call(account, score=2)
    attempt_log(call_id=call.pk, by=am, outcome="reached", root_cause_id=service.pk, agreed="Fix")
    for days in (29, 91):
        with pytest.raises(ValidationError):
            recovery_request(call_id=call.pk, by=am, survey_in_days=days)
    request = recovery_request(call_id=call.pk, by=am, survey_in_days=45)
    assert request.survey_on == timezone.localdate() + timedelta(days=45)
    assert request.original_score == 2 and request.status == "pending"
    with pytest.raises(ValidationError):
        recovery_request(call_id=call.pk, by=am, survey_in_days=45)


def _month_after(day):
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def test_recovery_joins_the_first_planned_wave_sending_on_or_after_its_date(account, am, service):
    from surveys.models import Invitation
    from tests.factories import WaveFactory

    call = answer_with_call(account, score=2)
    attempt_log(call_id=call.pk, by=am, outcome="reached", root_cause_id=service.pk, agreed="Fix")
    days = 40 if (timezone.localdate() + timedelta(days=40)).day != 1 else 41
    request = recovery_request(call_id=call.pk, by=am, survey_in_days=days)
    early = WaveFactory(month=request.survey_on.replace(day=1), status="planned")  # sends before the date
    assert recovery_invitations_plan() == 0
    wave = WaveFactory(month=_month_after(request.survey_on), status="planned")
    assert recovery_invitations_plan() == 1
    invitation = Invitation.objects.get(wave=wave, contact=call.contact)
    assert invitation.status == "planned" and invitation.account == account and len(invitation.token_hash) == 64
    assert not Invitation.objects.filter(wave=early, contact=call.contact).exists()
    request.refresh_from_db()
    assert (request.status, request.invitation_id) == ("planned", invitation.pk)
    assert recovery_invitations_plan() == 0  # once


def test_recovery_is_skipped_when_the_contact_opts_out_meanwhile(account, am, service):
    from surveys.models import Invitation
    from tests.factories import WaveFactory

    call = answer_with_call(account, score=2)
    attempt_log(call_id=call.pk, by=am, outcome="reached", root_cause_id=service.pk, agreed="Fix")
    request = recovery_request(call_id=call.pk, by=am, survey_in_days=30)
    call.contact.opted_out_at = timezone.now()
    call.contact.save()
    WaveFactory(month=_month_after(request.survey_on), status="planned")
    assert recovery_invitations_plan() == 0
    request.refresh_from_db()
    assert request.status == "skipped" and not Invitation.objects.filter(contact=call.contact).exclude(
        pk=call.response.invitation_id).exists()


def test_no_recovery_for_opted_out_contacts_or_non_detractors(account, am, service):
    call = answer_with_call(account, score=2, opted_out_at=timezone.now())
    attempt_log(call_id=call.pk, by=am, outcome="reached", root_cause_id=service.pk, agreed="Fix")
    with pytest.raises(ValidationError):
        recovery_request(call_id=call.pk, by=am, survey_in_days=60)
    promoter = answer_with_call(account, score=10)
    attempt_log(call_id=promoter.pk, by=am, outcome="reached", root_cause_id=service.pk, agreed="Thanks")
    with pytest.raises(ValidationError):
        recovery_request(call_id=promoter.pk, by=am, survey_in_days=60)
    assert not RecoveryRequest.objects.exists()


def test_recovered_counts_contacts_who_answered_again_higher(account, am, service):
    from datetime import date

    from tests.factories import InvitationFactory, ResponseFactory, WaveFactory

    def reached_detractor(score):
        call = answer_with_call(account, score=score)
        attempt_log(call_id=call.pk, by=am, outcome="reached", root_cause_id=service.pk, agreed="Fix")
        recovery_request(call_id=call.pk, by=am, survey_in_days=30)
        return call

    def answer_again(call, score):
        later_wave = WaveFactory(month=date(2099, 1, 1))
        invitation = InvitationFactory(contact=call.contact, account=account, wave=later_wave)
        ResponseFactory(invitation=invitation, score=score, answered_at=timezone.now() + timedelta(days=40))

    answer_again(reached_detractor(3), 9)  # recovered
    answer_again(reached_detractor(5), 4)  # answered again, lower
    reached_detractor(1)  # not answered yet
    answer(account, score=2)  # a detractor without a recovery request
    assert recovery_figures(Account.objects.all()) == {"requested": 3, "answered_again": 2, "recovered": 1}


# --- A reached call handles its answer (the inbox is not told twice) -------------------------

def test_a_reached_call_marks_its_answer_handled(account, am, service):
    call = answer_with_call(account, score=2)
    attempt_log(call_id=call.pk, by=am, outcome="voicemail")
    call.response.refresh_from_db()
    assert call.response.triage == "new"  # not reached: still to do
    at = timezone.now()
    attempt_log(call_id=call.pk, by=am, outcome="reached", root_cause_id=service.pk, agreed="A new contact", at=at)
    call.response.refresh_from_db()
    assert (call.response.triage, call.response.triaged_by, call.response.triaged_at) == ("handled", am, at)


def test_declined_and_unreachable_calls_leave_the_answer_to_triage(account, am):
    FollowupSettings.objects.filter(pk=FollowupSettings.current().pk).update(max_unanswered_attempts=1)
    declined = answer_with_call(account, score=3)
    unreachable = answer_with_call(account, score=3)
    attempt_log(call_id=declined.pk, by=am, outcome="declined")
    attempt_log(call_id=unreachable.pk, by=am, outcome="no_answer")
    assert {Call.objects.get(pk=c.pk).response.triage for c in (declined, unreachable)} == {"new"}


def test_a_cover_reaching_the_customer_handles_the_answer_too(account, am, region, service):
    from followups.services import absence_set
    from tests.factories import AccountFactory

    cover = UserFactory(role="am")
    AccountFactory(owner=cover, region=region)
    absence_set(user=am, cover_id=cover.pk, starts_on=timezone.localdate(), ends_on=timezone.localdate())
    call = answer_with_call(account, score=1)
    assert call.assignee == cover
    attempt_log(call_id=call.pk, by=cover, outcome="reached", root_cause_id=service.pk, agreed="Credit note")
    call.response.refresh_from_db()
    assert (call.response.triage, call.response.triaged_by) == ("handled", cover)


def test_an_answer_already_handled_keeps_who_handled_it(account, am, admin_user, service):
    from feedback.services import response_triage

    call = answer_with_call(account, score=2)
    response_triage(response=call.response, state="handled", by=admin_user)
    attempt_log(call_id=call.pk, by=am, outcome="reached", root_cause_id=service.pk, agreed="Fine")
    call.response.refresh_from_db()
    assert call.response.triaged_by == admin_user
