"""The administrators' audit page: newest first, filtered by action, staff member and days,
any page number; everyone else gets a 404; its query count does not grow with the log."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.audit import audit_record
from surveys.models import AuditEntry, Program

URL = "/audit/"


def test_the_page_is_at_audit():
    assert reverse("surveys:audit_log") == URL


@pytest.mark.parametrize("who", ["am", "rm", "director"])
def test_only_administrators_see_the_page(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 404
    assert client.get(URL + "?event=signed_in&page=2").status_code == 404


def test_signed_out_users_are_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/signin/")


@pytest.fixture
def log(db, am, rm, admin_user):
    """Entries on three days: Anna's hold on the 3rd, Rasmus's export on the 5th, a failed
    sign-in of Anna's email on the 7th (and none of the fixtures' own: users added)."""
    AuditEntry.objects.all().delete()
    day = timezone.make_aware(datetime(2025, 3, 3, 12))
    audit_record("invitation_held", by=am, target="Nordic Freight A/S", details={"reason": "Contract talk"}, now=day)
    audit_record("answers_exported", by=rm, details={"filters": {"category": "detractor"}, "rows": 12,
                                                     "complete": True}, now=day + timedelta(days=2))
    audit_record("sign_in_failed", by=None, target=am, details={"email": am.email, "locked_out": False},
                 now=day + timedelta(days=4))


def shown(response) -> list[str]:
    return [label for _entry, label, _lines in response.context["rows"]]


def test_the_page_lists_newest_first_with_who_what_and_details(client, admin_user, log):
    client.force_login(admin_user)
    response = client.get(URL)
    assert response.status_code == 200
    # the administrator's own sign-in (force_login) first
    assert shown(response) == ["Signed in", "Sign-in failed", "Answers exported", "Contact held out of a wave"]
    body = response.content.decode()
    for text in ("Answers exported", "Rasmus Rask", "filters: category=detractor", "rows: 12", "complete: yes",
                 "Contact held out of a wave", "reason: Contract talk", "Sign-in failed", "locked out: no",
                 "Audit log"):
        assert text in body, text


def test_the_page_filters_by_action_person_and_days(client, admin_user, am, rm, log):
    client.force_login(admin_user)
    assert shown(client.get(URL + "?event=answers_exported")) == ["Answers exported"]
    # Anna: her hold, and the failed sign-in with her email
    assert shown(client.get(URL + f"?user={am.pk}")) == ["Sign-in failed", "Contact held out of a wave"]
    assert shown(client.get(URL + f"?user={rm.pk}")) == ["Answers exported"]
    assert shown(client.get(URL + "?since=2025-03-04&until=2025-03-05")) == ["Answers exported"]
    assert shown(client.get(URL + "?since=2025-03-05&until=2025-12-31")) == ["Sign-in failed", "Answers exported"]
    assert shown(client.get(URL + "?until=2025-03-03")) == ["Contact held out of a wave"]
    assert shown(client.get(URL + f"?event=invitation_held&user={rm.pk}")) == []


def test_the_filter_offers_every_action_and_the_tracked_models(client, admin_user):
    client.force_login(admin_user)
    choices = dict(client.get(URL).context["form"].fields["event"].choices)
    for event in ("signed_in", "sign_in_failed", "answers_exported", "invitation_held", "invitation_released",
                  "owner_changed", "role_changed", "customer_book_imported", "program_changed", "contact_erased",
                  "contact_data_downloaded"):
        assert event in choices
    assert choices["followupsettings_changed"] == "Follow-up settings changed"  # registered by followups


@pytest.mark.parametrize("query", ["?event=nonsense", "?user=abc", "?user=99999", "?since=2025-13-01",
                                   "?since=2025-03-07&until=2025-03-01"])
def test_filters_not_understood_say_so(client, admin_user, log, query):
    client.force_login(admin_user)
    response = client.get(URL + query)
    assert response.status_code == 400
    assert "not understood" in response.content.decode()
    assert len(response.context["rows"]) == 4  # the filter not understood filters nothing (and the sign-in)


@pytest.mark.parametrize("page", ["0", "-1", "abc", "2", "999999", "1e9", ""])
def test_any_page_number_shows_a_page(client, admin_user, log, page):
    client.force_login(admin_user)
    response = client.get(URL + f"?page={page}")
    assert response.status_code == 200 and response.context["rows"]


def test_pages_of_fifty_keep_the_filters(client, admin_user, am):
    day = timezone.make_aware(datetime(2025, 3, 3, 12))
    for minute in range(60):
        audit_record("invitation_held", by=am, target="Nordic Freight A/S", now=day + timedelta(minutes=minute))
    client.force_login(admin_user)
    first = client.get(URL + "?event=invitation_held")
    assert len(first.context["rows"]) == 50
    assert 'href="?event=invitation_held&amp;page=2"' in first.content.decode()
    second = client.get(URL + "?event=invitation_held&page=2")
    assert len(second.context["rows"]) == 10


def test_the_page_shows_a_change_in_words(client, admin_user, am):
    audit_record("role_changed", by=admin_user, target=am, changes={"role": ["am", "rm"]})
    client.force_login(admin_user)
    body = client.get(URL + "?event=role_changed").content.decode()
    assert "Role: Account manager → Regional manager" in body


@pytest.mark.parametrize("n", [5, 50])
def test_query_count_is_flat(client, admin_user, am, rm, max_queries, n):
    program = Program.current()
    program.save()
    for i in range(n):
        audit_record(["signed_in", "answers_exported", "invitation_held"][i % 3], by=[am, rm][i % 2],
                     target=[am, "Nordic Freight A/S"][i % 2], details={"rows": i})
        program.quiet_days = 30 + i % 2
        program.save()  # a model change, with its content type
    client.force_login(admin_user)
    client.get(URL)  # the content types, once per process
    with max_queries(8):  # session, user, savepoints, the user filtered by, count, page, staff for the filter
        response = client.get(URL + f"?user={am.pk}&since=2020-01-01")
    assert response.status_code == 200 and response.context["rows"]


def test_the_page_speaks_danish(client, admin_user, am, log):
    audit_record("role_changed", by=admin_user, target=am, changes={"role": ["am", "rm"]})
    client.force_login(admin_user)
    body = client.get(URL, HTTP_ACCEPT_LANGUAGE="da").content.decode()
    for text in ("Revisionslog", "Handling", "Hvornår", "Logget ind", "Svar eksporteret", "rækker: 12",
                 "fuldført: ja", "Kontakt holdt ude af en runde", "begrundelse: Contract talk", "Alle handlinger",
                 "Medarbejders rolle ændret", "Opfølgningsindstillinger ændret"):
        assert text in body, text
