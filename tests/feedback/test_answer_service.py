"""response_submit and its helpers, called directly."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from feedback.answering import (
    AnswerRefused,
    LinkState,
    answer_form_stamp,
    answer_language,
    answer_link_for_token,
    answer_suspect_reason,
    response_submit,
    score_from_query,
)
from feedback.models import Response
from outbox.models import Message
from surveys.models import Invitation
from surveys.tokens import invitation_token
from tests.factories import InvitationFactory
from tests.feedback.answer_support import fast_password_hashing  # noqa: F401

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.fixture
def invitation(db):
    return InvitationFactory()


def test_submit_creates_then_changes_one_response(invitation):
    token = invitation_token(invitation)
    first = response_submit(token=token, score=10, reason="Great")
    assert (first.created, first.changed) == (True, True)
    again = response_submit(token=token, score=10, reason="Great")
    assert (again.created, again.changed) == (False, False)
    changed = response_submit(token=token, score=6, reason="Great, but slow")
    assert (changed.created, changed.changed) == (False, True)
    answer = Response.objects.get()
    assert (answer.score, answer.category, answer.reason) == (6, "detractor", "Great, but slow")
    assert answer.answered_at < answer.changed_at
    assert Message.objects.count() == 8  # route, queue_call, themes and webhooks, for each change


@pytest.mark.parametrize("score", [-1, 11, 7.5, "7", None, True])
def test_submit_refuses_bad_scores(invitation, score):
    with pytest.raises(ValidationError):
        response_submit(token=invitation_token(invitation), score=score)
    assert Response.objects.count() == 0


def test_submit_refuses_long_reasons(invitation):
    with pytest.raises(ValidationError):
        response_submit(token=invitation_token(invitation), score=5, reason="x" * 5001)
    assert Response.objects.count() == 0


def test_submit_refuses_links_that_take_no_answers(invitation):
    token = invitation_token(invitation)
    with pytest.raises(AnswerRefused) as refused:
        response_submit(token=token[:-2] + "xx", score=5)
    assert refused.value.state is None
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(AnswerRefused) as refused:
        response_submit(token=token, score=5)
    assert refused.value.state == LinkState.EXPIRED
    assert Response.objects.count() == 0


def test_a_caller_supplied_link_for_another_token_is_not_trusted(invitation):
    other = InvitationFactory()
    loaded = answer_link_for_token(invitation_token(other))
    response_submit(token=invitation_token(invitation), score=5, link=loaded)
    assert Response.objects.get().invitation == invitation


def test_suspect_answer_is_kept_without_a_call(invitation):
    result = response_submit(token=invitation_token(invitation), score=0, suspect_reason="honeypot filled")
    assert result.response.suspect
    assert sorted(Message.objects.values_list("event", "handler")) == [
        ("suspect_answer_saved", "route"), ("suspect_answer_saved", "themes")]


def test_suspect_reasons(invitation):
    now = timezone.now()
    stamp = answer_form_stamp(invitation.pk, now=now - timedelta(seconds=5))
    assert answer_suspect_reason(invitation_id=invitation.pk, honeypot="", stamp=stamp, now=now) == ""
    assert answer_suspect_reason(invitation_id=invitation.pk, honeypot="x", stamp=stamp, now=now) == "honeypot filled"
    # Faster than a person could (the floor is 0.5 s; one second is a fast person's pace).
    fast = answer_form_stamp(invitation.pk, now=now - timedelta(seconds=0.2))
    assert answer_suspect_reason(invitation_id=invitation.pk, honeypot="", stamp=fast, now=now).startswith("sent 0.2 s")
    person = answer_form_stamp(invitation.pk, now=now - timedelta(seconds=1))
    assert answer_suspect_reason(invitation_id=invitation.pk, honeypot="", stamp=person, now=now) == ""
    forged = stamp.rsplit(":", 1)[0].replace(".", ".9") + ":" + stamp.rsplit(":", 1)[1]
    assert answer_suspect_reason(invitation_id=invitation.pk, honeypot="", stamp=forged, now=now) == (
        "form stamp missing or forged"
    )


def test_language_and_score_helpers():
    assert answer_language("da") == "da"
    assert answer_language("da-DK") == "da"
    assert answer_language("fr") == "en"
    assert answer_language("") == answer_language(None) == "en"
    assert [score_from_query(v) for v in ("0", "10", "11", "-1", "7.5", "", None, "٣")] == [
        0, 10, None, None, None, None, None, None,
    ]


@pytest.mark.django_db(transaction=True)
def test_double_click_makes_one_response():
    """Two submits of one link at the same moment (PostgreSQL: real concurrency)."""
    from tests.conftest import needs

    # SQLite serialises writers; real concurrency needs PostgreSQL.
    needs("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    invitation = InvitationFactory()
    token = invitation_token(invitation)
    barrier = threading.Barrier(4)
    errors = []

    def submit(score):
        try:
            barrier.wait(5)
            response_submit(token=token, score=score, reason=f"click {score}")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(s,)) for s in (3, 4, 5, 6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    answer = Response.objects.get()
    assert answer.score in (3, 4, 5, 6) and answer.reason == f"click {answer.score}"
