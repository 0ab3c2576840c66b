"""The upload page (administrators only), set-password links for new staff."""

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from surveys.book_import import book_csv
from surveys.models import Account, Contact, User
from tests.surveys.test_book_import import book_snapshot, good_rows

URL = "/book/import/"


def upload(client, data: bytes, name="customers.csv"):
    return client.post(URL, {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def test_the_page_is_at_book_import():
    assert reverse("surveys:customer_import") == URL


@pytest.mark.parametrize("who", ["am", "rm", "director"])
def test_only_administrators_see_the_page(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 404
    assert upload(client, book_csv(good_rows())).status_code == 404
    assert client.post(reverse("surveys:staff_invite"), {"user": [1]}).status_code == 404
    assert Account.objects.count() == 0


def test_signed_out_users_are_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/signin/")


def test_administrator_uploads_a_good_file_and_sees_the_summary(client, admin_user):
    client.force_login(admin_user)
    page = client.get(URL)
    assert page.status_code == 200 and b"account_id,account_name,region" in page.content

    response = upload(client, book_csv(good_rows()))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Imported 3 rows." in html
    summary = response.context["summary"]
    assert (summary.accounts_created, summary.contacts_created, len(summary.staff_created)) == (2, 3, 4)
    assert "rikke.rm@pulse.test" in html and 'name="user"' in html
    assert Contact.objects.count() == 3


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


def test_administrator_uploads_a_bad_file_and_sees_every_problem(client, admin_user):
    client.force_login(admin_user)
    rows = good_rows()
    rows[1]["contact_level"] = "boss"
    rows[2]["contact_email"] = "hans@"
    before = book_snapshot()
    response = upload(client, book_csv(rows))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was imported: 2 lines have problems." in html
    assert re.search(r"<td>3</td><td>contact_level</td><td>unknown level &#x27;boss&#x27;", html)
    assert re.search(r"<td>4</td><td>contact_email</td><td>bad email address &#x27;hans@&#x27;", html)
    assert book_snapshot() == before


def test_an_empty_upload_is_reported_like_any_bad_file(client, admin_user):
    client.force_login(admin_user)
    response = upload(client, b"")
    assert response.status_code == 400
    assert b"the file is empty" in response.content


def test_a_file_over_the_limit_is_refused_before_reading(client, admin_user, settings):
    settings.CUSTOMER_IMPORT_MAX_BYTES = 100
    client.force_login(admin_user)
    data = book_csv(good_rows())
    response = upload(client, data)
    assert response.status_code == 413
    html = response.content.decode()
    assert f"The file is {len(data)}\xa0bytes; the page takes up to 100\xa0bytes." in html
    assert "Use the import_customers command" in html
    assert Account.objects.count() == 0


def test_an_upload_without_a_file_is_a_bad_request(client, admin_user):
    client.force_login(admin_user)
    response = client.post(URL, {})
    assert response.status_code == 400 and b"This field is required" in response.content


def set_password_link(message) -> str:
    return re.search(r"https?://[^/\s]+(/password/reset/\S+/)", message.body).group(1)


def test_new_staff_get_a_set_password_link_that_works(client, admin_user, settings):
    settings.SITE_URL = "https://pulse.example.com"
    client.force_login(admin_user)
    summary = upload(client, book_csv(good_rows())).context["summary"]
    ids = [u.pk for u in summary.staff_created]

    response = client.post(reverse("surveys:staff_invite"), {"user": ids}, follow=True)
    assert b"Sent set-password links to 4 staff" in response.content
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in summary.staff_created)
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
