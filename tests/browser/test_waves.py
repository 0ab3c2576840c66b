"""Browser walks of the survey program pages, as their users."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from surveys import dispatch, months
from surveys.models import Contact, Invitation, Program, Wave
from tests.factories import ContactFactory
from tests.surveys.book import invitations_create

pytestmark = pytest.mark.browser


@pytest.fixture
def planned_wave(account):
    wave = Wave.objects.create(month=months.month_add(timezone.localdate().replace(day=1), 1))
    invitations_create(wave=wave, contacts=[
        ContactFactory(account=account, name="Erik Berg"), ContactFactory(account=account, name="Lis Lund")])
    return wave


def test_am_holds_a_contact_out_with_a_reason(page, sign_in, am, planned_wave):
    sign_in(am)
    page.get_by_role("link", name="Next wave").click()
    expect(page.get_by_role("heading", name=re.compile(r"The .* wave"))).to_be_visible()
    page.get_by_label("Reason to hold Erik Berg out").fill("Open escalation about the last delivery")
    page.get_by_role("button", name="Hold Erik Berg out").click()
    expect(page.get_by_text("Erik Berg is held out of this wave")).to_be_visible()
    row = page.locator("tr", has_text="Erik Berg")
    expect(row.get_by_text("Open escalation about the last delivery")).to_be_visible()
    invitation = Invitation.objects.get(contact__name="Erik Berg")
    assert invitation.status == "held" and invitation.held_by == am
    row.get_by_role("button", name="Put Erik Berg back in the wave").click()
    expect(page.get_by_text("Erik Berg is back in this wave")).to_be_visible()


def test_admin_edits_the_program_after_a_bad_value(page, sign_in, admin_user):
    sign_in(admin_user)
    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("link", name="Survey program").click()
    page.get_by_label("Quiet period (days)").fill("400")
    page.get_by_role("button", name="Save program").click()
    expect(page.get_by_text("Nothing was saved")).to_be_visible()
    expect(page.get_by_text("less than or equal to 365")).to_be_visible()
    assert Program.current().quiet_days == 60
    page.get_by_label("Quiet period (days)").fill("45")
    page.get_by_label("Times each contact is asked per year").select_option("4")
    page.get_by_role("button", name="Save program").click()
    expect(page.get_by_text("Survey program saved")).to_be_visible()
    program = Program.current()
    assert (program.quiet_days, program.frequency) == (45, 4)


def test_rm_reads_the_wave_page(page, sign_in, rm, planned_wave):
    Wave.objects.filter(pk=planned_wave.pk).update(status=Wave.Status.SENDING)
    Invitation.objects.filter(contact__name="Erik Berg").update(status="sent", sent_at=timezone.now())
    sign_in(rm)
    page.get_by_role("link", name="Waves").click()
    page.get_by_role("link", name=planned_wave.month.strftime("%B %Y")).click()
    expect(page.get_by_role("heading", name=f"Wave {planned_wave.month:%B %Y}")).to_be_visible()
    expect(page.get_by_text("Sending: 1 of 2")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("North"))).to_be_visible()
    expect(page.get_by_role("progressbar")).to_be_visible()
    # While it sends, the figures refresh themselves (static/wave_poll.js, every 3 s).
    Invitation.objects.filter(contact__name="Lis Lund").update(status="sent", sent_at=timezone.now())
    expect(page.get_by_text("Sending: 2 of 2")).to_be_visible(timeout=8_000)


def test_contact_unsubscribes_from_the_email_link(page, smtp_server, account):
    wave = Wave.objects.create(month=timezone.localdate().replace(day=1))
    invitations_create(wave=wave, contacts=[ContactFactory(account=account, email="erik@customer.test")])
    dispatch.wave_send(month=wave.month)
    message = smtp_server.wait_for(1)[0]
    html = message.get_body(("html",)).get_content()
    link = next(href for href in re.findall(r'href="([^"]+)"', html) if "/u/" in href)
    page.goto(link)
    expect(page.get_by_role("heading", name="Unsubscribe from surveys?")).to_be_visible()
    assert Contact.objects.get(email="erik@customer.test").opted_out_at is None
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    assert Contact.objects.get(email="erik@customer.test").opted_out_at is not None


def test_hold_and_unsubscribe_pages_pass_axe(page, sign_in, am, planned_wave):
    from axe_playwright_python.sync_playwright import Axe

    from surveys.tokens import invitation_token

    sign_in(am)
    page.goto("/waves/next/")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    invitation = planned_wave.invitations.first()
    page.goto(f"/u/{invitation_token(invitation)}/")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_program_and_wave_pages_pass_axe(page, sign_in, admin_user, planned_wave):
    from axe_playwright_python.sync_playwright import Axe

    sign_in(admin_user)
    for path in ("/program/", "/waves/", f"/waves/{planned_wave.month:%Y-%m}/"):
        page.goto(path)
        results = Axe().run(page)
        assert results.violations_count == 0, (path, results.generate_report())
