"""An administrator loads the customer book and invites the new staff, in a real browser."""

import pytest

from surveys.book_import import book_csv
from surveys.models import Account, Contact, User
from tests.surveys.test_book_import import good_rows

pytestmark = pytest.mark.browser


@pytest.fixture
def outbox_on(settings):
    """The embedded outbox: mail written to MAIL_DIR, /dev/outbox/ shows it (DEBUG on)."""
    settings.EMAIL_BACKEND = "surveys.mailbox.MailDirBackend"
    settings.DEBUG = True


def assert_accessible(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def choose_file(page, data: bytes, name="customers.csv"):
    page.get_by_label("Customer file (CSV, UTF-8)").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data}
    )
    page.get_by_role("button", name="Import").click()
    page.wait_for_load_state()


def test_admin_uploads_a_bad_file_sees_the_report_then_a_good_one_and_invites_staff(page, sign_in, admin_user,
                                                                                    outbox_on):
    sign_in(admin_user)
    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("link", name="Import customers").click()
    assert page.get_by_role("heading", name="Import customers").is_visible()

    rows = good_rows()
    rows[1]["contact_level"] = "boss"
    rows[2]["account_manager_email"] = "greta.am@"
    choose_file(page, book_csv(rows))
    report = page.get_by_role("alert")
    assert "Nothing was imported: 2 lines have problems." in report.inner_text()
    table = report.get_by_role("table")
    assert table.get_by_role("row").nth(1).inner_text().split("\t") == [
        "3", "contact_level", "unknown level 'boss' (use executive, manager or operational)"]
    assert table.get_by_role("row").nth(2).inner_text().split("\t")[:2] == ["4", "account_manager_email"]
    assert Account.objects.count() == 0
    assert_accessible(page)

    choose_file(page, book_csv(good_rows()))
    summary = page.get_by_role("status").filter(has_text="Imported 3 rows.")
    assert summary.is_visible()
    assert summary.get_by_role("row", name="Accounts").inner_text().split("\t") == ["Accounts", "2", "0", "0"]
    assert summary.get_by_role("row", name="Contacts").inner_text().split("\t") == ["Contacts", "3", "0", "0"]
    assert Contact.objects.count() == 3
    assert_accessible(page)
    # Only the new account manager Anders gets a link this time.
    for email in ["rikke.rm@pulse.test", "dieter.rm@pulse.test", "greta.am@pulse.test"]:
        page.get_by_label(email).uncheck()
    page.get_by_role("button", name="Send set-password links").click()
    assert page.get_by_text("Sent a set-password link to anders.am@pulse.test.").is_visible()

    # Anders opens the email in the outbox, follows the link, chooses a password and signs in.
    page.context.clear_cookies()
    page.goto("/dev/outbox/")
    page.get_by_role("link", name="Set your Pulse password").click()
    assert "anders.am@pulse.test" in page.get_by_text("To").locator("xpath=following-sibling::dd[1]").inner_text()
    # The email as Anders sees it: the button in the HTML part takes him to the page.
    page.frame_locator("iframe[title='Email body']").get_by_role("link", name="Choose your password").click()
    page.wait_for_url("**/set-password/")
    page.get_by_label("New password").fill("Kaffe-og-kage-77")
    page.get_by_label("Repeat it").fill("Kaffe-og-kage-77")
    page.get_by_role("button", name="Set password").click()
    page.wait_for_load_state()
    page.goto("/signin/")
    page.get_by_label("Email").fill("anders.am@pulse.test")
    page.get_by_label("Password").fill("Kaffe-og-kage-77")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/inbox/")
    assert User.objects.get(email="anders.am@pulse.test").has_usable_password()


def test_forgotten_password_email_in_the_outbox_has_a_working_link(page, am, outbox_on):
    page.goto("/signin/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(am.email)
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_load_state()

    page.goto("/dev/outbox/")
    rows = page.get_by_role("row").filter(has_text=am.email)
    assert rows.count() == 1
    rows.get_by_role("link").click()
    page.locator("pre.card").get_by_role("link").first.click()
    assert page.get_by_role("heading", name="Choose a new password").is_visible()
    page.get_by_label("New password").fill("Ny-adgangskode-2026")
    page.get_by_label("Repeat it").fill("Ny-adgangskode-2026")
    page.get_by_role("button", name="Set password").click()
    page.wait_for_load_state()

    page.goto("/signin/")
    page.get_by_label("Email").fill(am.email)
    page.get_by_label("Password").fill("Ny-adgangskode-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/inbox/")
