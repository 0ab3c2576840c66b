"""API keys: made by administrators (shown once, kept as a hash), found by their prefix,
revoked; whom they act as; last use written at most once a minute; the keys page."""

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.api_keys import (
    API_KEY_TOUCH_EVERY,
    ApiKeyInvalid,
    api_key_actor,
    api_key_find,
    api_key_revoke,
    api_key_touch,
)
from surveys.models import ApiKey, AuditEntry, Role
from tests.factories import UserFactory
from tests.surveys.api_client import is_problem, key_for, post_json

BATCHES = "/api/v1/book/batches"


def test_a_key_is_kept_only_as_its_hash(admin_user, am):
    key, token = key_for(am, by=admin_user)
    assert token.startswith("pulse_") and len(token) == 49
    stored = ApiKey.objects.get(pk=key.pk)
    assert stored.prefix == token[:14]
    assert stored.secret_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(ApiKey.objects.filter(pk=key.pk).values().get())
    assert api_key_find(token) == key
    entry = AuditEntry.objects.get(event="api_key_created")
    assert entry.actor == admin_user and entry.additional_data["acts_as"] == am.email


@pytest.mark.parametrize("token", [
    "", "pulse_", "nonsense", "pulse_" + "a" * 42, "pulse_" + "a" * 44, "pulse_" + "!" * 43,
])
def test_a_malformed_key_is_not_found(db, token):
    with pytest.raises(ApiKeyInvalid):
        api_key_find(token)


def test_a_key_with_a_wrong_secret_or_revoked_is_not_found(admin_user, am):
    key, token = key_for(am, by=admin_user)
    with pytest.raises(ApiKeyInvalid):
        api_key_find(token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert api_key_revoke(key=key, by=admin_user)
    assert not api_key_revoke(key=key, by=admin_user)  # twice: nothing more
    with pytest.raises(ApiKeyInvalid):
        api_key_find(token)
    assert AuditEntry.objects.filter(event="api_key_revoked").count() == 1


def test_an_act_as_key_is_its_staff_member_while_they_are_active(admin_user, am):
    key, token = key_for(am, by=admin_user)
    assert api_key_actor(api_key_find(token)) == am
    am.is_active = False
    am.save()
    with pytest.raises(ApiKeyInvalid):
        api_key_actor(api_key_find(token))


def test_a_read_only_key_reads_as_a_director_and_never_saves(admin_user):
    key, token = key_for(None, by=admin_user, scope=ApiKey.Scope.READ_ONLY)
    reader = api_key_actor(api_key_find(token))
    assert reader.sees_everything and reader.is_director and not reader.is_administrator
    with pytest.raises(RuntimeError):
        reader.save()
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN


def test_last_use_is_written_at_most_once_a_minute(admin_user, am, django_assert_num_queries):
    key, _token = key_for(am, by=admin_user)
    now = timezone.now()
    assert api_key_touch(key, now=now)
    with django_assert_num_queries(0):
        assert not api_key_touch(key, now=now + API_KEY_TOUCH_EVERY - timedelta(seconds=1))
    assert api_key_touch(key, now=now + API_KEY_TOUCH_EVERY + timedelta(seconds=1))
    key.refresh_from_db()
    assert key.last_used_at == now + API_KEY_TOUCH_EVERY + timedelta(seconds=1)


def test_requests_in_a_row_write_last_use_once(client, admin_user, am):
    _key, token = key_for(am, by=admin_user)
    for _ in range(3):
        post_json(client, BATCHES, {"records": []}, token)
    key = ApiKey.objects.get()
    first = key.last_used_at
    assert first is not None
    post_json(client, BATCHES, {"records": []}, token)
    key.refresh_from_db()
    assert key.last_used_at == first


@pytest.mark.parametrize("header", [
    "Bearer pulse_" + "x" * 43,  # unknown
    "Bearer not-a-key",  # malformed
    "Bearer",  # no key
    "Bearer two parts",
])
def test_bad_keys_answer_401_problem_details(client, db, header):
    response = client.post(BATCHES, data="{}", content_type="application/json", HTTP_AUTHORIZATION=header)
    is_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_key_answers_401(client, admin_user):
    key, token = key_for(admin_user, by=admin_user)
    api_key_revoke(key=key, by=admin_user)
    body = is_problem(post_json(client, BATCHES, {"records": []}, token), 401)
    assert "not valid" in body["detail"]


def test_no_key_answers_401(client, db):
    is_problem(post_json(client, BATCHES, {"records": []}), 401)


def test_each_request_with_a_key_is_in_the_audit_log(client, admin_user):
    key, token = key_for(admin_user, by=admin_user)
    post_json(client, BATCHES, {"records": []}, token)
    entry = AuditEntry.objects.get(event="api_request")
    assert entry.actor == admin_user and entry.object_pk == str(key.pk)
    assert entry.additional_data == {"method": "POST", "path": BATCHES, "status": 400}


# --- The page ---------------------------------------------------------------------------

def test_the_keys_page_is_for_administrators_only(client, am, director, password):
    for user in (am, director):
        client.force_login(user)
        assert client.get(reverse("surveys:api_keys")).status_code == 404
        assert client.post(reverse("surveys:api_keys"), {"name": "x", "scope": "read_only"}).status_code == 404
    assert not ApiKey.objects.exists()


def test_a_key_made_on_the_page_is_shown_once(client, admin_user, am):
    client.force_login(admin_user)
    response = client.post(reverse("surveys:api_keys"), {"name": "CRM sync", "scope": "act_as",
                                                         "acts_as": am.pk}, follow=True)
    assert response.status_code == 200 and response.redirect_chain  # a reload never makes a second key
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    key = ApiKey.objects.get()
    token = response.context["token"]
    assert token.encode() in response.content and api_key_find(token) == key
    again = client.get(reverse("surveys:api_keys"))
    assert token.encode() not in again.content and key.prefix.encode() in again.content


def test_an_act_as_key_needs_its_staff_member(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("surveys:api_keys"), {"name": "CRM", "scope": "act_as"})
    assert response.status_code == 400 and not ApiKey.objects.exists()


def test_the_keys_page_reads_the_same_with_more_keys(client, admin_user, max_queries):
    client.force_login(admin_user)
    for n in range(3):
        key_for(UserFactory(), by=admin_user, name=f"k{n}")
    with max_queries(12) as few:
        client.get(reverse("surveys:api_keys"))
    for n in range(10):
        key_for(UserFactory(), by=admin_user, name=f"m{n}")
    with max_queries(len(few.captured_queries)):
        client.get(reverse("surveys:api_keys"))


def test_a_key_revoked_on_the_page_stops_working(client, admin_user, am):
    key, token = key_for(am, by=admin_user)
    client.force_login(admin_user)
    response = client.post(reverse("surveys:api_key_revoke", args=[key.pk]))
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    client.logout()
    is_problem(post_json(client, BATCHES, {"records": []}, token), 401)
