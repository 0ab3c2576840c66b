"""Access (DESIGN §3): an administrator downloads everything Pulse holds about a contact
as one JSON file, from the account's page; anyone else gets 404."""

import json

import pytest
from django.urls import reverse

from reports.personal_data import person_erase
from tests.reports.personal_history import (
    ACTION_OWNER,
    AGREED,
    ATTEMPT_NOTE,
    EMAIL,
    EMAIL_BODIES,
    HOLD_REASON,
    NAME,
    NOTES,
    PHONE,
    REASONS,
    person_history,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _emails_kept_as_files(settings):
    settings.EMAIL_BACKEND = "surveys.mailbox.MailDirBackend"


@pytest.fixture
def history(account, am, admin_user, django_capture_on_commit_callbacks):
    return person_history(account=account, am=am, admin=admin_user, capture=django_capture_on_commit_callbacks)


def _download(client, contact):
    return client.get(reverse("reports:contact_data", args=[contact.pk]))


def test_the_download_holds_everything_about_the_person_in_every_account(client, admin_user, history):
    client.force_login(admin_user)
    response = _download(client, history.contacts[0])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="pulse-contact-{history.contacts[0].pk}.json"'
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert data["email"] == EMAIL
    first, second = data["contacts"]
    assert (first["name"], first["email"], first["phone"], first["account"]["name"]) == (
        NAME, EMAIL, PHONE, history.contacts[0].account.name)
    assert second["account"]["name"] == "Fjord Cargo ApS"  # the same address in another account

    # Invitations, answers with their notes.
    assert [i["status"] for i in first["invitations"]] == ["sent", "held"]
    assert first["invitations"][1]["hold_reason"] == HOLD_REASON
    [answer] = first["answers"]
    assert (answer["score"], answer["reason"], [n["text"] for n in answer["notes"]]) == (3, REASONS[0], NOTES[:1])
    assert [(a["score"], a["reason"]) for a in second["answers"]] == [(9, REASONS[1])]
    # Calls with attempts and the recovery survey.
    [call] = first["calls"]
    assert (call["state"], call["agreed"], call["action_owner"], call["root_cause"]) == (
        "reached", AGREED, ACTION_OWNER, "Service")
    assert [(a["outcome"], a["note"]) for a in call["attempts"]] == [("no_answer", ATTEMPT_NOTE), ("reached", "")]
    assert call["recovery_survey"]["status"] == "pending"
    # Emails sent to them: the survey, the close-the-loop emails (one still queued).
    kinds = [(e["kind"], e["to"]) for e in first["emails"]]
    assert kinds == [("survey", EMAIL), ("close the loop", EMAIL), ("close the loop", EMAIL)]
    assert [e["body"] for e in first["emails"][1:]] == EMAIL_BODIES
    assert first["emails"][2]["sent_at"] is None
    # The other contact, seen from its own row, is the same person.
    assert json.loads(_download(client, history.contacts[1]).content)["contacts"] == data["contacts"]


def test_nobody_but_an_administrator_may_download(client, am, rm, director, admin_user, history):
    for user in (am, rm, director):  # the owner, their RM, a director who reads everything
        client.force_login(user)
        assert _download(client, history.contacts[0]).status_code == 404
    client.logout()
    assert _download(client, history.contacts[0]).status_code == 302  # to sign in
    client.force_login(history.contacts[0].account.owner)
    assert client.post(reverse("reports:contact_data", args=[history.contacts[0].pk])).status_code == 404
    client.force_login(admin_user)
    assert client.post(reverse("reports:contact_data", args=[history.contacts[0].pk])).status_code == 405


def test_an_unknown_contact_is_404(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("reports:contact_data", args=[999999])).status_code == 404


def test_after_erasure_the_download_holds_only_anonymous_answers(client, admin_user, history):
    person_erase(email=EMAIL)
    client.force_login(admin_user)
    text = _download(client, history.contacts[0]).content.decode()
    data = json.loads(text)
    [record] = data["contacts"]
    assert record["name"] == "Erased contact" and [a["score"] for a in record["answers"]] == [3]
    for value in (NAME, EMAIL, PHONE, *REASONS, *NOTES, AGREED, ATTEMPT_NOTE, *EMAIL_BODIES):
        assert value not in text


def test_the_account_page_offers_download_and_erase_to_administrators_only(client, admin_user, am, history, account):
    client.force_login(admin_user)
    page = client.get(reverse("account_detail", args=[account.pk])).content.decode()
    assert 'id="personal-data"' in page
    assert reverse("reports:contact_data", args=[history.contacts[0].pk]) in page
    assert reverse("reports:contact_erase", args=[history.contacts[0].pk]) in page
    danish = client.get(reverse("account_detail", args=[account.pk]), HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert "Persondata" in danish and "Hent data (JSON)" in danish and "Slet…" in danish

    client.force_login(am)
    page = client.get(reverse("account_detail", args=[account.pk])).content.decode()
    assert 'id="personal-data"' not in page and "data.json" not in page

    person_erase(email=EMAIL)
    client.force_login(admin_user)
    page = client.get(reverse("account_detail", args=[account.pk])).content.decode()
    assert "Erased on" in page
    assert reverse("reports:contact_erase", args=[history.contacts[0].pk]) not in page


def test_every_string_of_the_erase_page_is_translated_to_danish():
    from django.utils import translation

    from tests.reports.test_change_translations import _messages

    messages = _messages("reports/contact_erase.html")
    assert len(messages) >= 8
    with translation.override("da"):
        assert [m for m in messages if translation.gettext(m) == m] == []



def test_erasing_and_downloading_are_on_the_audit_log_by_ids_only(client, history, admin_user):
    from surveys.models import AuditEntry

    client.force_login(admin_user)
    contact = history.contacts[0]
    assert _download(client, contact).status_code == 200
    assert client.post(reverse("reports:contact_erase", args=[contact.pk])).status_code == 302
    downloaded = AuditEntry.objects.get(event="contact_data_downloaded")
    erased = AuditEntry.objects.get(event="contact_erased")
    assert downloaded.actor == admin_user and downloaded.additional_data == {"contact": contact.pk}
    assert erased.actor == admin_user
    assert sorted(erased.additional_data["contacts"]) == sorted(c.pk for c in history.contacts)
    for entry in (downloaded, erased):
        kept = str(entry.__dict__).lower()
        assert EMAIL.lower() not in kept and NAME.lower() not in kept and PHONE not in kept
