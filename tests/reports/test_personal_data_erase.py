"""Erasing a contact (DESIGN §3): their data leaves every table and stored email copy, their
scores stay in every figure as anonymous answers, and they are never imported or asked again."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from feedback import rollups
from feedback.models import Response
from followups.models import (
    AccountCallState,
    Attempt,
    CallDelaySummary,
    CallMonthSummary,
    CloseLoopEmail,
    OpenCallSummary,
    RecoveryRequest,
    RootCauseSummary,
)
from followups.services import close_loop_email_deliver
from outbox.services import outbox_deliver
from reports.personal_data import person_erase
from surveys.book_import import book_csv, book_import
from surveys.models import AccountSummary, Contact, Invitation, MonthSummary, OwnerMonthSummary, Program, Suppression
from surveys.months import month_add
from surveys.planning import wave_plan
from surveys.suppression import suppression_hash
from tests.factories import ContactFactory
from tests.reports.personal_history import (
    EMAIL,
    EMAIL_BODIES,
    NAME,
    PHONE,
    REASONS,
    database_mentions,
    flat,
    mail_file_mentions,
    person_history,
)

pytestmark = pytest.mark.django_db

SUMMARIES = [MonthSummary, OwnerMonthSummary, AccountSummary, CallMonthSummary, OpenCallSummary, CallDelaySummary,
             RootCauseSummary, AccountCallState]


@pytest.fixture(autouse=True)
def _emails_kept_as_files(settings):
    """The embedded configuration: every email a file in MAIL_DIR (a folder per test)."""
    settings.EMAIL_BACKEND = "surveys.mailbox.MailDirBackend"
    settings.SITE_URL = "https://pulse.example.com"


@pytest.fixture
def history(account, am, admin_user, django_capture_on_commit_callbacks):
    return person_history(account=account, am=am, admin=admin_user, capture=django_capture_on_commit_callbacks)


def _figures(user):
    """Every summary row the rollups read, and the organisation's figures as its page shows them."""
    rows = {model.__name__: list(model.objects.order_by("pk").values()) for model in SUMMARIES}
    rollup = rollups.rollup(user, period="12m")
    return rows, rollup.figures, rollup.by_level, rollup.by_owner


def test_erasing_leaves_nothing_of_theirs_in_any_table_or_email_copy_and_no_figure_changes(
    client, settings, history, admin_user, account
):
    # Before: everything of theirs is there to find (the search finds what it looks for).
    assert {value for _table, value in database_mentions(history.values)} >= {flat(v) for v in history.values}
    in_files = {value for _file, value in mail_file_mentions(settings.MAIL_DIR, history.values)}
    assert in_files >= {flat(v) for v in (NAME, EMAIL, PHONE, REASONS[0], EMAIL_BODIES[0])}
    bystander_files = {name for name, _ in mail_file_mentions(settings.MAIL_DIR, ["erik@customer.test"])}
    assert bystander_files
    figures_before = _figures(admin_user)

    client.force_login(admin_user)
    response = client.post(reverse("reports:contact_erase", args=[history.contacts[0].pk]))
    assert response.status_code == 302 and response.url == reverse("account_detail", args=[account.pk])

    assert database_mentions(history.values) == []
    assert mail_file_mentions(settings.MAIL_DIR, history.values) == []
    assert _figures(admin_user) == figures_before
    # The bystander keeps everything: their reason, their emails.
    assert Response.objects.get(contact=history.bystander).reason == "Too slow on the phone"
    assert {name for name, _ in mail_file_mentions(settings.MAIL_DIR, ["erik@customer.test"])} == bystander_files


def test_what_stays_is_anonymous_and_what_was_pending_never_happens(client, settings, history, admin_user):
    first, second = history.contacts
    client.force_login(admin_user)
    client.post(reverse("reports:contact_erase", args=[first.pk]))

    for contact in Contact.objects.filter(pk__in=[first.pk, second.pk]):
        assert (contact.name, contact.email, contact.phone) == ("Erased contact", f"erased-{contact.pk}@erased.invalid",
                                                                "")
        assert contact.erased_at is not None and contact.opted_out_at is not None
        assert contact.level == {first.pk: first.level, second.pk: second.level}[contact.pk]  # figures by level
    # Answers stay with their scores; the reasons and notes do not.
    kept = Response.objects.filter(contact__in=history.contacts).order_by("score")
    assert [(r.score, r.category, r.reason) for r in kept] == [(3, "detractor", ""), (9, "promoter", "")]
    assert not kept[0].notes.exists() and not kept[1].notes.exists()
    # The calls and attempts stay for the follow-up figures, without their words.
    call = history.call
    call.refresh_from_db()
    assert (call.state, call.agreed, call.action_owner) == ("reached", "", "")
    attempts = Attempt.objects.filter(call=call).values_list("outcome", "note")
    assert list(attempts) == [("no_answer", ""), ("reached", "")]
    assert set(CloseLoopEmail.objects.filter(call=call).values_list("to", "subject", "body")) == {
        (f"erased-{first.pk}@erased.invalid", "", "")}
    # Never surveyed again: the held invitation of the next wave is gone, the recovery survey skipped.
    assert not Invitation.objects.filter(contact=first, status__in=["planned", "held"]).exists()
    assert RecoveryRequest.objects.get(call=call).status == "skipped"
    assert Suppression.objects.filter(email_hash=suppression_hash(EMAIL)).exists()
    # The close-the-loop email that was still queued is never sent.
    unsent = history.unsent_message
    unsent.refresh_from_db()
    assert unsent.failed_at is not None and "erased" in unsent.last_error
    files = sorted(p.name for p in settings.MAIL_DIR.glob("*.eml"))
    assert outbox_deliver(message_id=unsent.pk) is False
    close_loop_email_deliver(email_id=CloseLoopEmail.objects.get(outbox_message=unsent).pk)
    assert sorted(p.name for p in settings.MAIL_DIR.glob("*.eml")) == files


def test_a_reimport_does_not_bring_them_back_and_no_wave_asks_them(history, admin_user, account, am, rm):
    person_erase(email=EMAIL)

    summary = book_import(data=book_csv([{
        "account_id": account.external_id, "account_name": account.name, "region": account.region.name,
        "regional_manager_email": rm.email, "account_manager_email": am.email, "contact_email": EMAIL,
        "contact_name": NAME, "contact_phone": "+45 31 41 59 26", "contact_level": "executive", "language": "en",
    }]))
    assert (summary.contacts_created, summary.contacts_updated, summary.contacts_suppressed) == (0, 0, 1)
    assert not Contact.objects.filter(email__iexact=EMAIL).exists()
    assert not Contact.objects.filter(name=NAME).exists()

    # Everyone asked every month: anyone not erased and out of the quiet period is due.
    Program.objects.create(frequency=12, quiet_days=0)
    newcomer = ContactFactory(account=account, email="new.buyer@customer.test")
    month = month_add(timezone.localdate().replace(day=1), 2)
    wave_plan(month=month, today=month - timedelta(days=3))
    asked = set(Invitation.objects.filter(wave__month=month).values_list("contact_id", flat=True))
    assert newcomer.pk in asked
    assert asked.isdisjoint(c.pk for c in history.contacts)


def test_the_confirmation_page_says_what_goes_and_what_stays(client, history, admin_user, am):
    client.force_login(admin_user)
    page = client.get(reverse("reports:contact_erase", args=[history.contacts[0].pk])).content.decode()
    assert NAME in page and EMAIL in page and "Fjord Cargo ApS" in page  # the other account of the same address
    assert "Their scores stay in the figures as anonymous answers" in page and "Erase for good" in page
    danish = client.get(reverse("reports:contact_erase", args=[history.contacts[0].pk]), HTTP_ACCEPT_LANGUAGE="da")
    assert "Slet endeligt" in danish.content.decode() and "spærrelisten" in danish.content.decode()

    done = client.post(reverse("reports:contact_erase", args=[history.contacts[0].pk]), follow=True)
    text = done.content.decode()
    assert "their 2 answers stay in the figures as anonymous answers" in text
    assert NAME not in text and "Erased contact" in text


def test_only_an_administrator_may_erase(client, history, am, rm, director):
    url = reverse("reports:contact_erase", args=[history.contacts[0].pk])
    for user in (am, rm, director):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert Contact.objects.get(pk=history.contacts[0].pk).name == NAME
    client.logout()
    assert client.post(url).status_code == 302  # to sign in
    assert Contact.objects.get(pk=history.contacts[0].pk).name == NAME


def test_the_command_erases_by_address_in_any_case(history):
    out = StringIO()
    call_command("erase_contact", "  Mette.Sorensen@Customer.TEST ", stdout=out)
    assert "Erased 2 contact row(s)" in out.getvalue() and "Their 2 answer(s) stay" in out.getvalue()
    assert not Contact.objects.filter(name=NAME).exists()


def test_the_command_suppresses_an_address_not_in_the_book_yet(db):
    out = StringIO()
    call_command("erase_contact", "someone@customer.test", stdout=out)
    assert "No contact has this address" in out.getvalue()
    assert Suppression.objects.filter(email_hash=suppression_hash("someone@customer.test")).exists()
    with pytest.raises(CommandError, match="not an email address"):
        call_command("erase_contact", "someone")
