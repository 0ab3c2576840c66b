"""An administrator's day leaves its trail: each action walked in the browser (sign-ins,
holds, the program, an export, an import, a data download, an erasure, an owner change, a
taxonomy edit), then read back on the audit log, at 1366 px and on a 360 px phone."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from feedback.models import Theme
from surveys import months
from surveys.book_import import book_csv
from surveys.models import AuditEntry, Role, Wave
from tests.browser.test_customer_import import choose_file
from tests.factories import ContactFactory, ResponseFactory, UserFactory
from tests.surveys.book import invitations_create
from tests.surveys.test_book_import import good_rows

pytestmark = pytest.mark.browser

EVENTS_SHOWN = {
    "sign_in_failed": "Sign-in failed",
    "signed_in": "Signed in",
    "invitation_held": "Contact held out of a wave",
    "invitation_released": "Held contact put back in the wave",
    "program_changed": "Survey program changed",
    "answers_exported": "Answers exported",
    "customer_book_imported": "Customer book imported",
    "contact_data_downloaded": "Contact's data downloaded",
    "contact_erased": "Contact erased",
    "owner_changed": "Account owner changed",
    "theme_changed": "Theme changed",
}


@pytest.mark.parametrize("width", [1366, 360])
def test_each_action_of_the_day_is_on_the_audit_log(page, sign_in, admin_user, am, account, width):
    page.set_viewport_size({"width": width, "height": 900})
    colleague = UserFactory(role=Role.ACCOUNT_MANAGER, full_name="Bo Berg", email="bo.am@pulse.test")
    wave = Wave.objects.create(month=months.month_add(timezone.localdate().replace(day=1), 1))
    erik = ContactFactory(account=account, name="Erik Berg")
    invitations_create(wave=wave, contacts=[erik])
    ResponseFactory(invitation__contact__account=account, score=3, reason="Late again")

    sign_in(am)  # Erik's account manager holds him out of the next wave, then puts him back
    page.goto("/waves/next/")
    page.get_by_label("Reason to hold Erik Berg out").fill("Renewal talks this month")
    page.get_by_role("button", name="Hold Erik Berg out").click()
    expect(page.get_by_text("Erik Berg is held out of this wave")).to_be_visible()
    page.locator("tr", has_text="Erik Berg").get_by_role("button", name="Put Erik Berg back in the wave").click()
    expect(page.get_by_text("Erik Berg is back in this wave")).to_be_visible()
    page.context.clear_cookies()

    page.goto("/signin/")
    page.get_by_label("Email").fill(admin_user.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    sign_in(admin_user)

    page.goto("/program/")
    page.get_by_label("Quiet period (days)").fill("45")
    page.get_by_role("button", name="Save program").click()
    expect(page.get_by_text("Survey program saved")).to_be_visible()

    page.goto("/answers/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    download.value.path()  # read to the end: the entry is written when the stream ends

    page.goto("/book/import/")
    choose_file(page, book_csv(good_rows()))
    expect(page.get_by_role("status").filter(has_text="Imported 3 rows.")).to_be_visible()

    page.goto(f"/accounts/{account.pk}/")
    with page.expect_download():
        page.get_by_role("link", name="Download the data of Erik Berg (JSON)").click()
    page.get_by_role("link", name="Erase Erik Berg").click()
    page.get_by_role("button", name="Erase for good").click()
    page.wait_for_load_state()

    page.goto(f"/accounts/{account.pk}/")
    page.get_by_role("link", name="Change owner").click()
    page.get_by_label("New owner").select_option(label=str(colleague))
    page.get_by_role("button", name="Change owner").click()
    page.wait_for_load_state()

    # (A test that serves pages empties the tables after itself: the shipped themes too.)
    theme, _new = Theme.objects.get_or_create(key="delivery", defaults={"name_en": "Delivery", "name_da": "Levering"})
    page.goto(f"/admin/feedback/theme/{theme.pk}/change/")
    page.get_by_label("Name (Danish)").fill("Levering og lager")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()

    page.goto("/answers/")  # back in Pulse (the admin has a list of the log of its own)
    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    log = page.get_by_role("table")
    for event, label in EVENTS_SHOWN.items():
        assert AuditEntry.objects.filter(event=event).exists(), event
        expect(log.get_by_text(label, exact=True).first).to_be_visible()
    expect(log).not_to_contain_text("Erik Berg")  # the erased contact is named nowhere
    expect(log).not_to_contain_text("Renewal talks")  # nor the hold's reason about him
    # The filter narrows to one action.
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Action").select_option(label="Answers exported")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text(re.compile(r"^1 entry$"))).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
