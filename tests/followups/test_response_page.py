"""The answer's page (followups.views_answer): the answer, its follow-up call, the contact's
history, the account's levels and the internal notes; scope, as DESIGN §3."""

import pytest
from django.urls import reverse

from feedback.models import Note, Response
from followups.models import Call
from followups.services import attempt_log, call_queue_for_response
from tests import factories
from tests.feedback.conftest import world  # noqa: F401 (the feedback tests' world: two regions, their answers)
from tests.feedback.test_scope_matrix import HX, ROLES, _response, check_scoped_url


def test_rm_reads_but_may_not_triage(client, world):  # noqa: F811
    client.force_login(world.rm)
    assert client.post(reverse("feedback:response_triage", args=[world.response.pk]),
                       {"state": "handled"}).status_code == 403
    page = client.get(reverse("response_detail", args=[world.response.pk]))
    assert page.status_code == 200 and "Mark handled" not in page.content.decode()
    assert Response.objects.get(pk=world.response.pk).triage == "new"  # the RM's visit does not mark it seen


def test_answer_page_shows_history_levels_notes_and_the_call(client, world):  # noqa: F811
    from datetime import date

    earlier = factories.ResponseFactory(invitation__contact=world.contact, invitation__wave__month=date(2025, 5, 1),
                                        score=8, reason="Earlier reason")
    colleague = factories.ContactFactory(account=world.account, name="Mona Manager", level="manager")
    Note.objects.create(response=world.response, author=world.rm, text="<script>alert(1)</script>")
    client.force_login(world.am)
    body = client.get(reverse("response_detail", args=[world.response.pk])).content.decode()
    assert "Earlier reason" in body and f"/answers/{earlier.pk}/" in body
    assert colleague.name in body and "never answered" in body  # operational level has no contact
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body
    assert 'id="follow-up"' in body and "No call queued" in body  # the world's answers have no call yet
    assert f'href="/accounts/{world.account.pk}/"' in body
    assert Response.objects.get(pk=world.response.pk).triage == "seen"  # the owner opened it


def test_the_call_panel_shows_the_answers_call(client, world):  # noqa: F811
    call = call_queue_for_response(response_id=world.response.pk)
    attempt_log(call_id=call.pk, by=world.am, outcome="no_answer")
    attempt_log(call_id=call.pk, by=world.am, outcome="voicemail")
    client.force_login(world.rm)
    body = client.get(reverse("response_detail", args=[world.response.pk])).content.decode()
    panel = body.split('id="follow-up"', 1)[1].split("</section>", 1)[0]
    assert "Open" in panel and "2 attempts" in panel and f'href="/calls/{call.pk}/"' in panel
    assert world.am.full_name in panel  # the assignee
    Call.objects.filter(pk=call.pk).delete()
    panel = client.get(reverse("response_detail", args=[world.response.pk])).content.decode()
    assert "No call queued" in panel


def test_notes_with_and_without_htmx(client, world):  # noqa: F811
    client.force_login(world.rm)
    url = reverse("followups:note_add", args=[world.response.pk])
    assert url == f"/answers/{world.response.pk}/notes/"
    assert client.post(url, {"text": "Talk to me first"}).status_code == 302
    fragment = client.post(url, {"text": "Second"}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and 'id="notes"' in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    empty = client.post(url, {"text": "   "})
    assert empty.status_code == 400 and 'id="follow-up"' in empty.content.decode()  # the whole page again
    assert Note.objects.count() == 2


@pytest.mark.parametrize("writer", ["am", "rm", "director", "admin"])
def test_anyone_who_reads_the_answer_may_add_a_note_signed_with_their_name(client, world, writer):  # noqa: F811
    user = getattr(world, writer)
    client.force_login(user)
    page = client.post(reverse("followups:note_add", args=[world.response.pk]), {"text": f"From {writer}"},
                       follow=True)
    assert page.status_code == 200
    note = Note.objects.get()
    assert note.author == user and note.text == f"From {writer}"
    assert str(user) in page.content.decode()


SCOPED_URLS = [
    ("answer page", "get", lambda w, r: reverse("response_detail", args=[_response(w, r).pk]), {}),
    ("note", "post", lambda w, r: reverse("followups:note_add", args=[_response(w, r).pk]), {}),
    ("note fragment", "post", lambda w, r: reverse("followups:note_add", args=[_response(w, r).pk]), HX),
]


@pytest.mark.parametrize("record", ["north", "south"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("entry", SCOPED_URLS, ids=[e[0] for e in SCOPED_URLS])
def test_scope_matrix(client, world, entry, role, record):  # noqa: F811
    _name, method, build, headers = entry
    check_scoped_url(client, world, role, record, method, build, headers)


def test_signed_out_is_sent_to_sign_in(client, world):  # noqa: F811
    for name, _method, build, _headers in SCOPED_URLS:
        assert client.get(build(world, "north")).status_code in (302, 405), name


def test_answer_page_query_count_is_flat(client, world, max_queries):  # noqa: F811
    from tests.feedback.test_query_counts import assert_flat
    from tests.followups.conftest import calls_for_every_answer

    call_queue_for_response(response_id=world.response.pk)
    assert_flat(client, world, max_queries, world.am, reverse("response_detail", args=[world.response.pk]),
                more=lambda _world: calls_for_every_answer())
