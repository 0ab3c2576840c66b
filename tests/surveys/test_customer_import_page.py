"""The upload page (administrators only): a job per file, its progress and result, check only,
the sample file; set-password links for new staff."""

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from surveys.book_import import HEADER, OPTIONAL_COLUMNS, book_csv, book_file_parse
from surveys.models import Account, Contact, ImportJob, User
from tests.surveys.test_book_import import book_snapshot, good_rows

URL = "/book/import/"


def upload(client, data: bytes, name="customers.csv", *, check=False, follow=True):
    """Post a file as the page does; the job it queues runs in-process after the commit
    (tasks run eagerly in the tests), and the page it redirects to shows the result."""
    fields = {"file": SimpleUploadedFile(name, data, content_type="text/csv"), ("check" if check else "import"): ""}
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(URL, fields)
    return client.get(response["Location"]) if follow and response.status_code == 302 else response


def test_the_page_is_at_book_import():
    assert reverse("surveys:customer_import") == URL


@pytest.mark.parametrize("who", ["am", "rm", "director"])
def test_only_administrators_see_the_page(client, request, who, admin_user):
    job = ImportJob.objects.create(created_by=admin_user, file_name="c.csv", status="done")
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 404
    assert upload(client, book_csv(good_rows())).status_code == 404
    assert client.post(reverse("surveys:staff_invite"), {"user": [1]}).status_code == 404
    assert client.get(reverse("surveys:customer_import_sample")).status_code == 404
    assert client.get(reverse("surveys:customer_import_job", args=[job.pk])).status_code == 404
    assert client.post(reverse("surveys:customer_import_job_read", args=[job.pk])).status_code == 404
    assert Account.objects.count() == 0 and ImportJob.objects.count() == 1
    assert ImportJob.objects.get().read_at is None


def test_signed_out_users_are_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/signin/")


def test_an_upload_queues_a_job_and_the_page_shows_its_result_until_read(client, admin_user):
    client.force_login(admin_user)
    page = client.get(URL)
    assert page.status_code == 200 and b"account_id,account_name,region" in page.content

    response = upload(client, book_csv(good_rows()), follow=False)
    assert response.status_code == 302 and response["Location"] == URL
    job = ImportJob.objects.get()
    assert (job.status, job.dry_run, job.created_by, job.file_name) == ("done", False, admin_user, "customers.csv")
    assert (job.processed, job.total, bytes(job.data)) == (3, 3, b"")  # the file goes once imported
    assert Contact.objects.count() == 3

    html = client.get(URL).content.decode()
    assert "Imported 3 rows." in html and "rikke.rm@pulse.test" in html and 'name="user"' in html
    assert 'hx-trigger="every 1s"' not in html  # finished: nothing to poll
    # Another administrator coming to the page sees it too, until one of them marks it read.
    other = User.objects.create_user("other.admin@pulse.test", role="admin")
    client.force_login(other)
    assert "Imported 3 rows." in client.get(URL).content.decode()
    response = client.post(reverse("surveys:customer_import_job_read", args=[job.pk]))
    assert response.status_code == 302 and response["Location"] == URL
    job.refresh_from_db()
    assert job.read_at is not None and job.read_by == other
    assert "Imported 3 rows." not in client.get(URL).content.decode()


def test_a_running_job_is_polled_until_it_ends(client, admin_user):
    job = ImportJob.objects.create(created_by=admin_user, file_name="big.csv", status="running",
                                   stage="checking", processed=2000, total=5000)
    client.force_login(admin_user)
    fragment_url = reverse("surveys:customer_import_job", args=[job.pk])
    html = client.get(URL).content.decode()
    assert f'hx-get="{fragment_url}" hx-trigger="every 1s" hx-swap="outerHTML"' in html
    assert 'max="5000" value="2000"' in html and "Checked 2,000 of about 5,000 rows." in html

    fragment = client.get(fragment_url).content.decode()
    assert fragment.lstrip().startswith("<section") and "<html" not in fragment
    assert "every 1s" in fragment and "Importing big.csv" in fragment
    # Not finished: it cannot be marked read.
    client.post(reverse("surveys:customer_import_job_read", args=[job.pk]))
    job.refresh_from_db()
    assert job.read_at is None

    ImportJob.objects.filter(pk=job.pk).update(stage="writing", processed=5000)
    assert "All 5,000 rows are fine; writing them to the book" in client.get(fragment_url).content.decode()
    ImportJob.objects.filter(pk=job.pk).update(status="done", stage="", summary={"rows": 5000})
    fragment = client.get(fragment_url).content.decode()
    assert "every 1s" not in fragment and "Imported 5000 rows." in fragment and "Mark as read" in fragment


def test_an_unknown_job_is_not_found(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("surveys:customer_import_job", args=[999])).status_code == 404
    assert client.post(reverse("surveys:customer_import_job_read", args=[999])).status_code == 404


def test_check_only_reports_what_would_change_and_writes_nothing(client, admin_user):
    client.force_login(admin_user)
    before = book_snapshot()
    html = upload(client, book_csv(good_rows()), check=True).content.decode()
    assert book_snapshot() == before
    assert "Checked 3 rows: nothing was written." in html and "Would be created" in html
    assert 'name="user"' not in html  # no staff to send links to: none was created
    assert "rikke.rm@pulse.test" in html
    assert ImportJob.objects.get().dry_run


def test_the_page_documents_the_name_columns_and_shows_who_was_named(client, admin_user):
    client.force_login(admin_user)
    html = client.get(URL).content.decode()
    assert "annual_revenue,account_manager_name,regional_manager_name" in html
    assert "Optional: account_manager_name and regional_manager_name" in html

    rows = good_rows()
    for r in rows:
        r["account_manager_name"] = "Anders Nielsen" if r["account_manager_email"] == "anders.am@pulse.test" else ""
    html = upload(client, book_csv(rows)).content.decode()
    anders = re.search(r"anders\.am@pulse\.test</label></td>\s*<td>([^<]*)</td>", html).group(1)
    greta = re.search(r"greta\.am@pulse\.test</label></td>\s*<td>([^<]*)</td>", html).group(1)
    assert (anders, greta) == ("Anders Nielsen", "—")  # no name made up from an address


def test_a_file_with_bad_rows_is_reported_line_by_line_and_changes_nothing(client, admin_user):
    client.force_login(admin_user)
    rows = good_rows()
    rows[1]["contact_level"] = "boss"
    rows[2]["contact_email"] = "hans@"
    before = book_snapshot()
    response = upload(client, book_csv(rows))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was imported: 2 lines have problems." in html
    assert re.search(r"<td>3</td><td>contact_level</td><td>unknown level &#x27;boss&#x27;", html)
    assert re.search(r"<td>4</td><td>contact_email</td><td>bad email address &#x27;hans@&#x27;", html)
    assert book_snapshot() == before
    assert ImportJob.objects.get().status == "failed"


@pytest.mark.parametrize("data, said", [
    (b"", "the file is empty"),
    (b"   \n", "the file is empty"),
    (b"PK\x03\x04rest of a workbook", "this is an Excel workbook (or another zip file), not a CSV file"),
    (b"\xff\xfea\x00b\x00", "the file is UTF-16 text; Pulse reads UTF-8"),
    (b"account_id,account_name\nACC-1,Br\xf8dr\n", "not UTF-8 text (byte 0xF8"),
    (b"account_id;account_name;region\n", "the columns are separated by semicolons"),
    (b"account_id,account_name,region\nACC-1,Acme,North\n", "wrong header (missing regional_manager_email"),
])
def test_a_bad_file_is_refused_at_once_and_queues_nothing(client, admin_user, data, said):
    client.force_login(admin_user)
    for check in (False, True):
        response = upload(client, data, check=check)
        assert response.status_code == 400
        assert said in response.content.decode()
    assert ImportJob.objects.count() == 0 and Account.objects.count() == 0


def test_a_file_over_the_limit_is_refused_before_reading(client, admin_user, settings):
    settings.CUSTOMER_IMPORT_MAX_BYTES = 100
    client.force_login(admin_user)
    data = book_csv(good_rows())
    response = upload(client, data)
    assert response.status_code == 413
    html = response.content.decode()
    assert f"The file is {len(data)}\xa0bytes; the page takes up to 100\xa0bytes." in html
    assert "Use the import_customers command" in html
    assert Account.objects.count() == 0 and ImportJob.objects.count() == 0


def test_an_upload_without_a_file_is_a_bad_request(client, admin_user):
    client.force_login(admin_user)
    response = client.post(URL, {})
    assert response.status_code == 400 and b"This field is required" in response.content


def test_the_sample_file_has_every_column_and_checks_clean(client, admin_user):
    client.force_login(admin_user)
    assert reverse("surveys:customer_import_sample").encode() in client.get(URL).content
    response = client.get(reverse("surveys:customer_import_sample"))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines[0].split(",") == [*HEADER, *OPTIONAL_COLUMNS] and len(lines) == 3
    assert len(book_file_parse(response.content)) == 2


def test_the_page_costs_the_same_queries_with_more_jobs(client, admin_user, max_queries):
    client.force_login(admin_user)
    upload(client, book_csv(good_rows()))
    with max_queries(6):
        client.get(URL)
    for _ in range(5):
        upload(client, book_csv(good_rows()))
    with max_queries(6):
        client.get(URL)


def set_password_link(message) -> str:
    return re.search(r"https?://[^/\s]+(/password/reset/\S+/)", message.body).group(1)


def test_new_staff_get_a_set_password_link_that_works(client, admin_user, settings):
    settings.SITE_URL = "https://pulse.example.com"
    client.force_login(admin_user)
    upload(client, book_csv(good_rows()))
    ids = [u["pk"] for u in ImportJob.objects.get().summary["staff_created"]]

    response = client.post(reverse("surveys:staff_invite"), {"user": ids}, follow=True)
    assert b"Sent set-password links to 4 staff" in response.content
    invited = User.objects.filter(pk__in=ids).values_list("email", flat=True)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(invited)
    message = next(m for m in mail.outbox if m.to == ["anders.am@pulse.test"])
    assert message.subject == "Set your Pulse password"
    assert "https://pulse.example.com/password/reset/" in message.body
    assert "Ada Admin has given you access to Pulse" in message.body
    assert "https://pulse.example.com/password/reset/" in message.alternatives[0][0]

    client.logout()
    form = client.get(set_password_link(message), follow=True)
    assert b"Choose a new password" in form.content
    new = {"new_password1": "Kaffe-og-kage-77", "new_password2": "Kaffe-og-kage-77"}
    assert client.post(form.redirect_chain[-1][0], new).status_code == 302
    response = client.post("/signin/", {"username": "anders.am@pulse.test", "password": "Kaffe-og-kage-77"})
    assert response.status_code == 302
    assert client.get("/").url == reverse("feedback:inbox")


def test_admin_action_sends_set_password_links(client, admin_user):
    client.force_login(admin_user)
    new = User.objects.create_user("new.am@pulse.test")
    gone = User.objects.create_user("gone.am@pulse.test", is_active=False)
    response = client.post(
        reverse("admin:surveys_user_changelist"),
        {"action": "send_set_password_link", "_selected_action": [new.pk, gone.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert b"Sent a set-password link to 1 staff: new.am@pulse.test" in response.content
    assert b"Not sent (inactive, or the mail server refused): gone.am@pulse.test" in response.content
    assert [m.to for m in mail.outbox] == [["new.am@pulse.test"]]


def test_forgot_password_also_serves_staff_who_never_had_one(client, db, django_capture_on_commit_callbacks):
    User.objects.create_user("imported@pulse.test")
    User.objects.create_user("left@pulse.test", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after the commit
        client.post("/password/reset/", {"email": "Imported@pulse.test"})
        client.post("/password/reset/", {"email": "left@pulse.test"})
    assert [m.to for m in mail.outbox] == [["imported@pulse.test"]]
    assert "/password/reset/" in mail.outbox[0].body
