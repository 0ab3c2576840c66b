"""Sending waves to a real SMTP server (aiosmtpd): the message, its links, the guard,
temporary and permanent failures, the crash rule, reminders."""

import io
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import resolve, reverse
from django.utils import timezone

from surveys import dispatch, invitation_email, months, planning, sending
from surveys.models import Contact, Invitation, Program, Wave
from surveys.tokens import token_hash
from tests.factories import ContactFactory, ResponseFactory
from tests.surveys.book import invitations_create

SITE = "https://pulse.example.com"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def _program(**fields):
    program = Program.current()
    for name, value in fields.items():
        setattr(program, name, value)
    program.save()


@pytest.fixture
def this_month():
    return timezone.localdate().replace(day=1)


@pytest.fixture
def planned(db, account, this_month):
    """A planned wave for this month with three contacts, one Danish."""
    wave = Wave.objects.create(month=this_month, status=Wave.Status.PLANNED)
    contacts = [
        ContactFactory(account=account, name="Erik Berg", email="erik@customer.test"),
        ContactFactory(account=account, name="Mette Holm", email="mette@customer.test", language="da"),
        ContactFactory(account=account, name="Lis Lund", email="lis@customer.test"),
    ]
    invitations_create(wave=wave, contacts=contacts)
    return wave


def _links(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


def _parts(message):
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def test_invitation_email_has_both_parts_headers_and_working_links(smtp_server, planned, this_month, client, am):
    dispatch.wave_send(month=this_month)
    messages = smtp_server.wait_for(3)
    assert len(messages) == 3
    invitation = Invitation.objects.select_related("contact").get(contact__email="erik@customer.test")
    assert invitation.status == Invitation.Status.SENT
    assert invitation.expires_at == invitation.sent_at + timedelta(days=30)
    assert invitation.reminder_after == invitation.sent_at + timedelta(days=5)
    message = smtp_server.to("erik@customer.test")[0]

    program = Program.current()
    assert message["From"].addresses[0].addr_spec == program.sender_email
    # From the AM who signs it, at the company (not "Customer Care"), on the program's address.
    assert message["From"].addresses[0].display_name == f"{am.full_name}, {program.company_name}"
    assert message["Reply-To"].addresses[0].addr_spec == am.email
    assert message["Subject"] == f"A quick question from {am.full_name} at {program.company_name}"
    assert message["Message-ID"] == invitation.message_id
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(r"<(.+)>", message["List-Unsubscribe"].strip()).group(1)

    text, html = _parts(message)
    assert "Dear Erik," in text and "Dear Erik," in html
    assert program.question("en") in text and program.question("en") in html
    assert am.full_name in text and am.full_name in html

    answer_links = [link for link in _links(html) if "/r/" in link]
    assert len(answer_links) == 11
    for score, link in enumerate(answer_links):
        url = urlparse(link.replace("&amp;", "&"))
        assert f"{url.scheme}://{url.netloc}" == SITE
        match = resolve(url.path)
        assert match.view_name == "answer:answer"
        assert token_hash(match.kwargs["token"]) == invitation.token_hash
        assert parse_qs(url.query) == {"score": [str(score)]}
        assert link in text  # the plain-text part carries the same links
    assert unsubscribe in _links(html) and unsubscribe in text
    assert resolve(urlparse(unsubscribe).path).view_name == "surveys:unsubscribe"
    response = client.get(urlparse(unsubscribe).path)
    assert response.status_code == 200
    assert b"Unsubscribe" in response.content
    assert Contact.objects.get(email="erik@customer.test").opted_out_at is None  # GET changes nothing


def test_danish_contact_gets_the_danish_email(smtp_server, planned, this_month):
    dispatch.wave_send(month=this_month)
    smtp_server.wait_for(3)
    message = smtp_server.to("mette@customer.test")[0]
    text, html = _parts(message)
    program = Program.current()
    assert message["Subject"].startswith("Et hurtigt spørgsmål fra")
    assert "Kære Mette," in text and "Kære Mette," in html
    assert program.question("da") in text and program.question("da") in html
    assert "Afmeld" in html
    assert message["Content-Language"] == "da"


def test_the_send_task_twice_sends_once(smtp_server, planned, this_month):
    from surveys.tasks import invitations_send_batch

    Wave.objects.filter(pk=planned.pk).update(status=Wave.Status.SENDING)
    ids = list(planned.invitations.values_list("pk", flat=True))
    invitations_send_batch.apply(args=[ids])
    invitations_send_batch.apply(args=[ids])
    dispatch.invitations_dispatch()
    assert smtp_server.count() == 3
    assert sending.invitations_send(invitation_ids=ids).claimed == 0
    assert smtp_server.count() == 3
    assert Wave.objects.get(pk=planned.pk).status == Wave.Status.SENT


def test_held_contacts_are_not_sent(smtp_server, planned, this_month, am):
    held = planned.invitations.get(contact__email="lis@customer.test")
    planning.invitation_hold(invitation=held, user=am, reason="Contract talk")
    dispatch.wave_send(month=this_month)
    smtp_server.wait_for(2)
    assert smtp_server.count() == 2 and not smtp_server.to("lis@customer.test")
    held.refresh_from_db()
    assert held.status == Invitation.Status.HELD
    assert Wave.objects.get(pk=planned.pk).status == Wave.Status.SENT


def test_temporary_failure_retries_later_from_the_database(smtp_server, planned, this_month):
    smtp_server.reject_next = ["451"]
    dispatch.wave_send(month=this_month)
    smtp_server.wait_for(2)
    retried = Invitation.objects.get(status=Invitation.Status.PLANNED)
    assert "451" in retried.last_error and retried.attempts == 1
    assert retried.send_after > timezone.now() + timedelta(seconds=50)
    dispatch.invitations_dispatch()  # not due yet
    assert smtp_server.count() == 2
    dispatch.invitations_dispatch(now=timezone.now() + timedelta(minutes=2))
    smtp_server.wait_for(3)
    assert smtp_server.count() == 3
    retried.refresh_from_db()
    assert retried.status == Invitation.Status.SENT and retried.attempts == 2


def test_permanent_failure_bounces_the_contact(smtp_server, planned, this_month):
    smtp_server.reject_next = ["550"]
    dispatch.wave_send(month=this_month)
    smtp_server.wait_for(2)
    bounced = Invitation.objects.select_related("contact").get(status=Invitation.Status.BOUNCED)
    assert bounced.contact.bounced_at is not None
    assert "550" in bounced.last_error
    assert Wave.objects.get(pk=planned.pk).status == Wave.Status.SENT


def test_connection_refused_is_temporary_and_gives_up_after_max_attempts(settings, planned, this_month):
    from tests.smtp import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    dispatch.wave_send(month=this_month)
    assert set(Invitation.objects.values_list("status", flat=True)) == {Invitation.Status.PLANNED}
    now = timezone.now()
    for _ in range(sending.MAX_ATTEMPTS):
        now += timedelta(hours=4)
        dispatch.invitations_dispatch(now=now)
    assert set(Invitation.objects.values_list("status", flat=True)) == {Invitation.Status.FAILED}
    assert Wave.objects.get(pk=planned.pk).status == Wave.Status.SENT


def test_a_row_left_sending_by_a_dead_worker_goes_back_and_is_sent(smtp_server, planned, this_month):
    Wave.objects.filter(pk=planned.pk).update(status=Wave.Status.SENDING)
    stuck = planned.invitations.first()
    Invitation.objects.filter(pk=stuck.pk).update(
        status=Invitation.Status.SENDING, claimed_at=timezone.now() - timedelta(minutes=5))
    dispatch.invitations_dispatch()
    smtp_server.wait_for(2)
    stuck.refresh_from_db()
    assert stuck.status == Invitation.Status.SENDING  # a live worker may still hold it
    result = dispatch.invitations_dispatch(now=timezone.now() + timedelta(minutes=6))
    assert result.recovered == 1
    smtp_server.wait_for(3)
    stuck.refresh_from_db()
    assert stuck.status == Invitation.Status.SENT
    assert smtp_server.count() == 3


def test_opted_out_before_sending_is_not_sent(smtp_server, planned, this_month):
    invitation = planned.invitations.get(contact__email="lis@customer.test")
    Contact.objects.filter(pk=invitation.contact_id).update(opted_out_at=timezone.now())
    dispatch.wave_send(month=this_month)
    smtp_server.wait_for(2)
    assert not smtp_server.to("lis@customer.test")
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.FAILED and "opted out" in invitation.last_error


def test_rate_limit_hands_out_one_minute_at_a_time(planned, this_month, account):
    _program(send_rate=1)
    more = [ContactFactory(account=account) for _ in range(70)]
    invitations_create(wave=planned, contacts=more)
    Wave.objects.filter(pk=planned.pk).update(status=Wave.Status.SENDING)
    ids = dispatch.invitations_due_ids(now=timezone.now(), limit=60)
    assert len(ids) == 60
    assert len(dispatch.invitations_due_ids(now=timezone.now(), limit=60)) == 13
    assert dispatch.invitations_due_ids(now=timezone.now(), limit=60) == []  # all leased


def test_reminder_goes_once_with_the_same_link_never_after_an_answer_or_opt_out(smtp_server, planned, this_month):
    dispatch.wave_send(month=this_month)
    smtp_server.wait_for(3)
    erik, mette, lis = (Invitation.objects.get(contact__email=f"{n}@customer.test") for n in ("erik", "mette", "lis"))
    ResponseFactory(invitation=mette, score=9)
    Contact.objects.filter(pk=lis.contact_id).update(opted_out_at=timezone.now())
    later = timezone.now() + timedelta(days=5, minutes=1)
    dispatch.invitations_dispatch(now=later)
    smtp_server.wait_for(4)
    dispatch.invitations_dispatch(now=later + timedelta(days=1))
    assert smtp_server.count() == 4
    reminder = smtp_server.messages[-1]
    first = smtp_server.to("erik@customer.test")[0]
    assert reminder["To"] == first["To"]
    assert reminder["Subject"].startswith("Reminder: ")
    assert reminder["In-Reply-To"] == erik.message_id and reminder["Message-ID"] != erik.message_id
    answer = [link for link in _links(_parts(reminder)[1]) if "/r/" in link]
    assert answer == [link for link in _links(_parts(first)[1]) if "/r/" in link]
    erik.refresh_from_db()
    assert erik.reminded_at is not None


def test_no_reminder_when_reminders_are_off(smtp_server, planned, this_month):
    _program(reminder_days=0)
    dispatch.wave_send(month=this_month)
    smtp_server.wait_for(3)
    assert Invitation.objects.filter(reminder_after__isnull=False).count() == 0
    dispatch.invitations_dispatch(now=timezone.now() + timedelta(days=20))
    assert smtp_server.count() == 3


def test_send_wave_command_refuses_bad_input_and_changes_nothing(db, planned, this_month):
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("send_wave", "--month", "2026/12")
    with pytest.raises(CommandError, match="No wave is planned"):
        call_command("send_wave", "--month", "2031-01")
    nxt = months.month_add(this_month, 1)
    Wave.objects.create(month=nxt)
    with pytest.raises(CommandError, match="hold window"):
        call_command("send_wave", "--month", nxt.strftime("%Y-%m"))
    _program(send_rate=20000)
    with pytest.raises(CommandError, match="send_rate"):
        call_command("send_wave")
    assert set(Wave.objects.values_list("status", flat=True)) == {Wave.Status.PLANNED}
    assert set(Invitation.objects.values_list("status", flat=True)) == {Invitation.Status.PLANNED}


def test_send_wave_command_sends_and_refuses_a_second_time(smtp_server, planned, this_month, capsys):
    out = io.StringIO()
    call_command("send_wave", stdout=out)
    smtp_server.wait_for(3)
    assert out.getvalue().splitlines()[0] == f"Wave {this_month:%Y-%m}: sent."
    assert out.getvalue().splitlines()[-1] == "Nothing is left to send."
    assert smtp_server.count() == 3
    with pytest.raises(CommandError, match="already been sent"):
        call_command("send_wave")
    assert smtp_server.count() == 3


def test_send_wave_command_says_what_it_did_and_when_the_rest_goes(smtp_server, planned, this_month):
    """One held out, one already handed to a worker by an earlier run (leased), one sent now."""
    Invitation.objects.filter(contact__email="erik@customer.test").update(status=Invitation.Status.HELD)
    lease_end = timezone.now() + timedelta(minutes=7)
    Invitation.objects.filter(contact__email="lis@customer.test").update(send_after=lease_end)
    out = io.StringIO()
    call_command("send_wave", stdout=out)
    smtp_server.wait_for(1)
    lines = out.getvalue().splitlines()
    assert lines[0] == f"Wave {this_month:%Y-%m}: sending."
    assert [line.split() for line in lines[1:5]] == [
        ["planned:", "3"], ["held", "out:", "1"], ["sent", "now:", "1"], ["queued", "for", "the", "dispatcher:", "1"],
    ]
    assert lines[5] == (
        f"1 are with the workers; any not sent by {timezone.localtime(lease_end):%Y-%m-%d %H:%M} are handed out again."
    )
    assert len(lines) == 6


def test_wave_send_summary_tells_due_rows_from_rows_with_a_worker(smtp_server, planned, this_month):
    """Before sending, the two planned rows are the dispatcher's; the one a worker claimed is not."""
    Invitation.objects.filter(contact__email="erik@customer.test").update(status=Invitation.Status.SENDING)
    summary = dispatch.wave_send_summary(planned)
    assert (summary.planned, summary.held, summary.sent, summary.queued, summary.due) == (3, 0, 0, 3, 2)
    out = io.StringIO()
    call_command("send_wave", stdout=out)  # sends the two due ones in-process; the one "sending" stays
    assert out.getvalue().splitlines()[-1] == "1 are with the workers."


def test_send_wave_now_sends_a_wave_still_in_its_hold_window(smtp_server, db, account, this_month):
    nxt = months.month_add(this_month, 1)
    wave = Wave.objects.create(month=nxt, status=Wave.Status.PLANNED)
    invitations_create(wave=wave, contacts=[ContactFactory(account=account, email="early@customer.test")])
    call_command("send_wave", "--month", nxt.strftime("%Y-%m"), "--now")
    smtp_server.wait_for(1)
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages] == ["early@customer.test"]
    wave.refresh_from_db()
    assert wave.status == Wave.Status.SENT


def test_beat_plans_in_the_hold_window_and_sends_on_the_first(smtp_server, account, this_month):
    ContactFactory.create_batch(6, account=account)
    nxt = months.month_add(this_month, 1)
    assert planning.waves_plan_due(today=nxt - timedelta(days=4)) is None
    result = planning.waves_plan_due(today=nxt - timedelta(days=3))
    assert result.wave.month == nxt and result.total == 1
    assert dispatch.waves_send_due(today=nxt - timedelta(days=1)) == []
    Wave.objects.filter(pk=result.wave.pk).update(month=this_month)  # the 1st has come
    assert len(dispatch.waves_send_due()) == 1
    smtp_server.wait_for(1)
    assert smtp_server.count() == 1


def test_names_are_escaped_in_the_html_and_placeholders_stay_literal(smtp_server, account, this_month):
    wave = Wave.objects.create(month=this_month)
    contact = ContactFactory(account=account, name="<b>Bo</b> & @@company@@", email="bo@customer.test")
    invitations_create(wave=wave, contacts=[contact])
    dispatch.wave_send(month=this_month)
    message = smtp_server.wait_for(1)[0]
    text, html = _parts(message)
    assert "Dear &lt;b&gt;Bo&lt;/b&gt;," in html and "<b>Bo</b>" not in html
    assert "Dear <b>Bo</b>," in text
    contact.name = "@@company@@ Jensen"
    contact.save()
    invitation = wave.invitations.select_related("contact", "account__owner").get()
    email = invitation_email.invitation_email(invitation, program=Program.current())
    assert "Dear @@company@@," in email.body


def test_beat_runs_planning_sending_and_the_dispatcher():
    from config.celery import app

    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    assert schedule["surveys.tasks.invitations_dispatch"] == 60.0
    assert "surveys.tasks.waves_plan_due" in schedule and "surveys.tasks.waves_send_due" in schedule
    # Far below the Redis visibility timeout: a stale row is recovered long after any live task ended.
    from django.conf import settings

    assert settings.CELERY_TASK_TIME_LIMIT < dispatch._stale_after().total_seconds()
    visibility_timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout")  # Redis's; no folder's
    assert visibility_timeout is None or dispatch._stale_after().total_seconds() < visibility_timeout


# --- A message that cannot be built fails alone --------------------------------------

HEADER_INJECTION = "x\r\nBcc: evil@example.com"


def _wave_page(client, user, wave) -> str:
    client.force_login(user)
    return client.get(reverse("surveys:wave_detail", args=[wave.month.strftime("%Y-%m")])).content.decode()


def test_a_sender_name_with_a_line_break_fails_each_invitation_and_the_wave_finishes(
        smtp_server, planned, client, admin_user):
    Program.current().save()
    Program.objects.update(sender_name=HEADER_INJECTION)  # as if written past the program form
    Wave.objects.filter(pk=planned.pk).update(status=Wave.Status.SENDING)
    dispatch.invitations_dispatch()
    assert not Invitation.objects.filter(status=Invitation.Status.SENDING).exists()
    invitations = list(planned.invitations.all())
    assert {invitation.status for invitation in invitations} == {Invitation.Status.FAILED}
    assert all("sender name" in invitation.last_error for invitation in invitations)
    assert smtp_server.count() == 0
    assert Wave.objects.get(pk=planned.pk).status == Wave.Status.SENT
    dispatch.invitations_dispatch(now=timezone.now() + timedelta(hours=1))  # nothing left to retry
    assert smtp_server.count() == 0
    page = _wave_page(client, admin_user, planned)
    assert "Erik Berg" in page and "The survey program&#x27;s sender name has a line break" in page


def test_a_contact_whose_address_or_name_breaks_the_header_fails_alone(smtp_server, planned, account, this_month):
    bad_address = ContactFactory(account=account, name="Bad Address", email=f"bad@customer.test{HEADER_INJECTION}")
    bad_name = ContactFactory(account=account, name=f"Bad{HEADER_INJECTION}", email="badname@customer.test")
    after = ContactFactory(account=account, name="After Them", email="after@customer.test")
    invitations_create(wave=planned, contacts=[bad_address, bad_name, after])
    dispatch.wave_send(month=this_month)
    messages = smtp_server.wait_for(4)
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == [
        "after@customer.test", "erik@customer.test", "lis@customer.test", "mette@customer.test"]
    assert all("evil" not in str(recipients) for _, recipients in smtp_server.envelopes)
    assert not Invitation.objects.filter(status=Invitation.Status.SENDING).exists()
    failed = {i.contact_id: i for i in Invitation.objects.filter(status=Invitation.Status.FAILED)}
    assert set(failed) == {bad_address.pk, bad_name.pk}
    assert "contact's address has a line break" in failed[bad_address.pk].last_error
    assert "contact's name has a line break" in failed[bad_name.pk].last_error
    assert Invitation.objects.filter(status=Invitation.Status.SENT).count() == 4
    assert Wave.objects.get(pk=planned.pk).status == Wave.Status.SENT


def test_a_reminder_that_cannot_be_built_fails_alone(smtp_server, planned, this_month):
    dispatch.wave_send(month=this_month)
    smtp_server.wait_for(3)
    erik = planned.invitations.get(contact__email="erik@customer.test")
    Contact.objects.filter(pk=erik.contact_id).update(name=f"Erik{HEADER_INJECTION}")
    dispatch.invitations_dispatch(now=timezone.now() + timedelta(days=5, minutes=1))
    smtp_server.wait_for(5)
    assert smtp_server.count() == 5 and len(smtp_server.to("erik@customer.test")) == 1
    erik.refresh_from_db()
    assert erik.status == Invitation.Status.SENT and erik.reminded_at is not None
    assert erik.last_error.startswith("reminder: ") and "contact's name has a line break" in erik.last_error


def test_send_wave_refuses_a_program_with_a_line_break_in_a_header_setting(db, planned, this_month):
    Program.current().save()
    Program.objects.update(company_name=f"Acme{HEADER_INJECTION}")
    with pytest.raises(CommandError, match="company_name: Line breaks"):
        call_command("send_wave")
    assert set(Invitation.objects.values_list("status", flat=True)) == {Invitation.Status.PLANNED}


def test_any_other_error_of_a_message_is_tried_again_later_not_left_sending(smtp_server, planned, this_month, settings):
    settings.SITE_URL = None  # an unforeseen error in building every message (TypeError)
    dispatch.wave_send(month=this_month)
    assert not Invitation.objects.filter(status=Invitation.Status.SENDING).exists()
    for invitation in planned.invitations.all():
        assert invitation.status == Invitation.Status.PLANNED and invitation.attempts == 1
        assert invitation.last_error.startswith("TypeError") and invitation.send_after > timezone.now()
    settings.SITE_URL = SITE
    dispatch.invitations_dispatch(now=timezone.now() + timedelta(minutes=2))
    smtp_server.wait_for(3)
    assert set(planned.invitations.values_list("status", flat=True)) == {Invitation.Status.SENT}
