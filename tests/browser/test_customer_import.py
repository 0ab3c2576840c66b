"""An administrator loads the customer book and invites the new staff, in a real browser."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from surveys.book_import import HEADER, OPTIONAL_COLUMNS, book_csv
from surveys.book_import_jobs import import_job_run
from surveys.models import Account, Contact, ImportJob, User
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


def choose_file(page, data: bytes, name="customers.csv", button="Import"):
    page.get_by_label("Customer file (CSV, UTF-8)").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data}
    )
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()


def test_admin_uploads_a_bad_file_sees_the_report_then_a_good_one_and_invites_staff(page, sign_in, admin_user,
                                                                                    outbox_on):
    sign_in(admin_user)
    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("link", name="Import customers").click()
    expect(page.get_by_role("heading", name="Import customers")).to_be_visible()

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
    expect(summary).to_be_visible()
    assert summary.get_by_role("row", name="Accounts").inner_text().split("\t") == ["Accounts", "2", "0", "0"]
    assert summary.get_by_role("row", name="Contacts").inner_text().split("\t") == ["Contacts", "3", "0", "0"]
    assert Contact.objects.count() == 3
    assert_accessible(page)
    # Only the new account manager Anders gets a link this time.
    for email in ["rikke.rm@pulse.test", "dieter.rm@pulse.test", "greta.am@pulse.test"]:
        page.get_by_label(email).uncheck()
    page.get_by_role("button", name="Send set-password links").click()
    expect(page.get_by_text("Sent a set-password link to anders.am@pulse.test.")).to_be_visible()

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


# The upload queues the job on the test's own broker, where no worker listens: the test
# plays the worker, so the page is seen waiting, then following the job to its end.
@pytest.mark.broker
@pytest.mark.parametrize("width", [1366, 360])
def test_admin_checks_the_sample_file_then_imports_it_watching_the_progress(page, sign_in, admin_user, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(admin_user)
    page.goto("/book/import/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download a sample file").click()
    sample = Path(download.value.path()).read_bytes()
    assert sample.decode().splitlines()[0].split(",") == [*HEADER, *OPTIONAL_COLUMNS]

    # Check only: the same rules, nothing written.
    choose_file(page, sample, button="Check only")
    expect(page.get_by_role("heading", name="Checking customers.csv")).to_be_visible()
    expect(page.locator("#import-progress-text")).to_have_text("Waiting for the worker to start.")
    expect(page.get_by_role("progressbar")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    import_job_run(job_id=ImportJob.objects.get().pk)
    result = page.get_by_role("status").filter(has_text="Checked 2 rows: nothing was written.")
    expect(result).to_be_visible()  # polled in: the page was not reloaded
    expect(result.get_by_role("row", name="Contacts")).to_have_text("Contacts\t2\t0\t0", use_inner_text=True)
    assert Account.objects.count() == 0 and User.objects.count() == 1
    assert_accessible(page)
    page.get_by_role("button", name="Mark as read").click()
    expect(result).to_have_count(0)

    # The import: its progress as the worker writes it, then the result, kept until read.
    choose_file(page, sample)
    job = ImportJob.objects.get(dry_run=False)
    expect(page.get_by_role("heading", name="Importing customers.csv")).to_be_visible()
    ImportJob.objects.filter(pk=job.pk).update(status="running", stage="checking", processed=1, total=2)
    expect(page.locator("#import-progress-text")).to_have_text("Checked 1 of about 2 rows.")
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "1")
    assert_accessible(page)
    ImportJob.objects.filter(pk=job.pk).update(status="queued")  # back to where the worker takes it up
    import_job_run(job_id=job.pk)
    result = page.get_by_role("status").filter(has_text="Imported 2 rows.")
    expect(result).to_be_visible()
    expect(result.get_by_role("row", name="Accounts")).to_have_text("Accounts\t1\t0\t0", use_inner_text=True)
    expect(page.get_by_role("progressbar")).to_have_count(0)
    assert Contact.objects.count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)

    page.goto("/book/import/")  # coming back: the result is still there
    expect(result).to_be_visible()
    page.get_by_role("button", name="Mark as read").click()
    expect(result).to_have_count(0)
    page.goto("/book/import/")
    expect(page.get_by_role("heading", name="Upload the customer file")).to_be_visible()


def test_forgotten_password_email_in_the_outbox_has_a_working_link(page, am, outbox_on):
    page.goto("/signin/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(am.email)
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_load_state()

    page.goto("/dev/outbox/")
    rows = page.get_by_role("row").filter(has_text=am.email)
    expect(rows).to_have_count(1)
    rows.get_by_role("link").click()
    page.locator("pre.card").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password").fill("Ny-adgangskode-2026")
    page.get_by_label("Repeat it").fill("Ny-adgangskode-2026")
    page.get_by_role("button", name="Set password").click()
    page.wait_for_load_state()

    page.goto("/signin/")
    page.get_by_label("Email").fill(am.email)
    page.get_by_label("Password").fill("Ny-adgangskode-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/inbox/")
