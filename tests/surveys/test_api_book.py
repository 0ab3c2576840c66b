"""The customer book through the API: batches upserted by the customer file's rules, all
or nothing with every problem indexed; accounts deactivated; administrators' keys only."""

import json
import os
import urllib.error
import urllib.request

import pytest

from surveys.book_import import HEADER
from surveys.models import Account, ApiKey, AuditEntry, Contact
from surveys.suppression import email_suppress
from tests.conftest import needs
from tests.surveys.api_client import is_problem, key_for, post_json
from tests.surveys.test_book_import import book_snapshot, good_rows, row

BATCHES = "/api/v1/book/batches"
DEACTIVATE = "/api/v1/book/accounts/deactivate"


@pytest.fixture
def admin_token(admin_user):
    return key_for(admin_user, by=admin_user)[1]


def test_a_batch_upserts_accounts_and_contacts(client, admin_token):
    response = post_json(client, BATCHES, {"records": good_rows()}, admin_token)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "records": 3,
        "accounts": {"created": 2, "updated": 0, "unchanged": 0},
        "contacts": {"created": 3, "updated": 0, "unchanged": 0, "suppressed": 0},
        "regions": {"created": 2, "updated": 0},
        "staff": {"created": 4, "updated": 0},
    }
    assert Contact.objects.filter(account__external_id="ACC-1").count() == 2
    assert Account.objects.get(external_id="ACC-2").owner.email == "greta.am@pulse.test"


def test_the_same_batch_again_changes_nothing(client, admin_token):
    post_json(client, BATCHES, {"records": good_rows()}, admin_token)
    before = book_snapshot()
    body = post_json(client, BATCHES, {"records": good_rows()}, admin_token).json()
    assert body["accounts"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert body["contacts"] == {"created": 0, "updated": 0, "unchanged": 3, "suppressed": 0}
    assert book_snapshot() == before


def test_a_change_updates_in_place(client, admin_token):
    post_json(client, BATCHES, {"records": good_rows()}, admin_token)
    changed = good_rows()
    changed[2]["contact_name"] = "Hans Huber-Meier"
    body = post_json(client, BATCHES, {"records": changed}, admin_token).json()
    assert body["contacts"] == {"created": 0, "updated": 1, "unchanged": 2, "suppressed": 0}
    assert Contact.objects.get(email="hans@alpen.de").name == "Hans Huber-Meier"


def test_a_batch_with_bad_records_changes_nothing_and_lists_every_problem(client, admin_token):
    post_json(client, BATCHES, {"records": good_rows()}, admin_token)
    before = book_snapshot()
    records = [
        row(contact_name="Karen K. (changed)"),  # good, but the batch is refused
        row(contact_email="not-an-email", contact_level="boss"),
        {k: v for k, v in row(account_id="ACC-9").items() if k != "region"},
        row(account_id="ACC-1", account_manager_email="other.am@pulse.test", contact_email="z@x.dk"),
        "a string",
        {**row(account_id="ACC-8"), "colour": "blue", "contact_phone": 12345},
    ]
    body = is_problem(post_json(client, BATCHES, {"records": records}, admin_token), 422)
    assert body["type"].endswith("#problem-invalid-records")
    found = {(e["index"], e["field"]) for e in body["errors"]}
    assert {(1, "contact_email"), (1, "contact_level"), (2, "region"), (3, "account_manager_email"),
            (4, None), (5, "colour"), (5, "contact_phone")} <= found
    assert 0 not in {e["index"] for e in body["errors"]}
    assert "on record 0" in next(e["detail"] for e in body["errors"] if e["index"] == 3)
    assert "5 records have problems" in body["detail"]
    assert book_snapshot() == before


def test_annual_revenue_is_given_on_every_record_or_none(client, admin_token):
    records = [row(annual_revenue=1250000), row(account_id="ACC-2", contact_email="b@x.dk")]
    body = is_problem(post_json(client, BATCHES, {"records": records}, admin_token), 422)
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(1, "annual_revenue")]
    records[1]["annual_revenue"] = None
    assert post_json(client, BATCHES, {"records": records}, admin_token).status_code == 200
    assert str(Account.objects.get(external_id="ACC-1").annual_revenue) == "1250000.00"
    assert Account.objects.get(external_id="ACC-2").annual_revenue is None


def test_erased_contacts_are_left_out(client, admin_token):
    email_suppress("karen@nordicfreight.dk")
    body = post_json(client, BATCHES, {"records": good_rows()}, admin_token).json()
    assert body["contacts"]["suppressed"] == 1


def test_too_many_records_answer_413_and_change_nothing(client, admin_token, settings):
    settings.API_BOOK_BATCH_MAX = 2
    body = is_problem(post_json(client, BATCHES, {"records": good_rows()}, admin_token), 413)
    assert "At most 2 records" in body["detail"] and "this one has 3" in body["detail"]
    assert not Account.objects.exists()


@pytest.mark.parametrize("payload", ["{not json", "[1, 2]", '{"records": {}}', '{"records": []}', "null", ""])
def test_a_body_that_is_not_a_batch_answers_400(client, admin_token, payload):
    is_problem(post_json(client, BATCHES, payload, admin_token), 400)
    assert not Account.objects.exists()


def test_a_form_instead_of_json_answers_415(client, admin_token):
    response = client.post(BATCHES, {"records": "x"}, HTTP_AUTHORIZATION=f"Bearer {admin_token}")
    is_problem(response, 415)


def test_only_administrators_write_the_book(client, admin_user, am, rm, director):
    for user in (am, rm, director):
        token = key_for(user, by=admin_user)[1]
        is_problem(post_json(client, BATCHES, {"records": good_rows()}, token), 404)
        is_problem(post_json(client, DEACTIVATE, {"account_ids": ["ACC-1"]}, token), 404)
    reader = key_for(None, by=admin_user, scope=ApiKey.Scope.READ_ONLY)[1]
    body = is_problem(post_json(client, BATCHES, {"records": good_rows()}, reader), 403)
    assert "read-only" in body["detail"]
    assert not Account.objects.exists()


def test_a_batch_is_in_the_audit_log_as_the_key_s_administrator(client, admin_user, admin_token):
    post_json(client, BATCHES, {"records": good_rows()}, admin_token)
    assert AuditEntry.objects.get(event="customer_book_imported").actor == admin_user
    assert AuditEntry.objects.get(event="api_request").additional_data["status"] == 200


def test_a_batch_takes_the_same_number_of_queries_for_more_records(client, admin_token, max_queries):
    def records(n, start):
        return [row(account_id=f"ACC-{start + i}", contact_email=f"c{start + i}@x.dk") for i in range(n)]

    with max_queries(60) as few:
        assert post_json(client, BATCHES, {"records": records(3, 0)}, admin_token).status_code == 200
    with max_queries(len(few.captured_queries)):
        assert post_json(client, BATCHES, {"records": records(30, 100)}, admin_token).status_code == 200


# --- Deactivating accounts ----------------------------------------------------------------

def test_accounts_are_deactivated_all_or_nothing(client, admin_token):
    post_json(client, BATCHES, {"records": good_rows()}, admin_token)
    body = is_problem(post_json(client, DEACTIVATE, {"account_ids": ["ACC-1", "NOPE", "ACC-2", 7]}, admin_token),
                      422)
    assert [e["index"] for e in body["errors"]] == [3]
    body = is_problem(post_json(client, DEACTIVATE, {"account_ids": ["ACC-1", "NOPE"]}, admin_token), 422)
    assert [(e["index"], "NOPE" in e["detail"]) for e in body["errors"]] == [(1, True)]
    assert Account.objects.filter(active=True).count() == 2

    response = post_json(client, DEACTIVATE, {"account_ids": ["ACC-1"]}, admin_token)
    assert response.json() == {"deactivated": 1, "already_inactive": 0}
    assert not Account.objects.get(external_id="ACC-1").active
    again = post_json(client, DEACTIVATE, {"account_ids": ["ACC-1", "ACC-2"]}, admin_token)
    assert again.json() == {"deactivated": 1, "already_inactive": 1}
    assert AuditEntry.objects.filter(event="accounts_deactivated").count() == 2


def test_a_batch_leaves_an_inactive_account_inactive(client, admin_token):
    post_json(client, BATCHES, {"records": good_rows()}, admin_token)
    post_json(client, DEACTIVATE, {"account_ids": ["ACC-1"]}, admin_token)
    post_json(client, BATCHES, {"records": good_rows()}, admin_token)
    assert not Account.objects.get(external_id="ACC-1").active


# --- Over real HTTP (the services configuration) ------------------------------------------

def _http(url, body, token):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read())


@pytest.mark.django_db(transaction=True)
def test_a_crm_syncs_the_book_over_http_twice(live_server, admin_user):
    needs("PostgreSQL (DATABASE_URL)", bool(os.environ.get("DATABASE_URL")))
    token = key_for(admin_user, by=admin_user)[1]
    records = [row(account_id=f"ACC-{n // 4}", account_name=f"Customer {n // 4}", contact_email=f"c{n}@x.dk")
               for n in range(40)]
    status, _headers, body = _http(live_server.url + BATCHES, {"records": records}, token)
    assert status == 200 and body["contacts"]["created"] == 40 and body["accounts"]["created"] == 10
    status, _headers, body = _http(live_server.url + BATCHES, {"records": records}, token)
    assert status == 200 and body["contacts"]["unchanged"] == 40 and body["accounts"]["unchanged"] == 10
    bad = [*records[:2], {name: "" for name in HEADER}]
    status, headers, body = _http(live_server.url + BATCHES, {"records": bad}, token)
    assert status == 422 and headers["Content-Type"].startswith("application/problem+json")
    assert {e["index"] for e in body["errors"]} == {2}
    status, _headers, body = _http(live_server.url + DEACTIVATE, {"account_ids": ["ACC-0"]}, token)
    assert (status, body) == (200, {"deactivated": 1, "already_inactive": 0})
