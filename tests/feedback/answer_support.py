"""Shared pieces for the answer-page tests (imported by tests/feedback and tests/browser)."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.answering import answer_form_stamp, answer_program_forget
from surveys.throttle import throttle_reset
from surveys.tokens import invitation_token


@pytest.fixture
def fresh_rate_limits(settings):
    """Rate-limit counters of their own for each test (the Redis cache outlives tests),
    and the program's texts read afresh."""
    settings.THROTTLE_NAMESPACE = uuid.uuid4().hex
    throttle_reset()
    answer_program_forget()
    yield
    throttle_reset()
    answer_program_forget()


@pytest.fixture
def fast_password_hashing(settings):
    """Staff made by the factories need no slow hashing in these tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def answer_path(invitation, score=None) -> str:
    path = reverse("answer:answer", args=[invitation_token(invitation)])
    return f"{path}?score={score}" if score is not None else path


def human_stamp(invitation, seconds: float = 30) -> str:
    """The hidden 'served at' field of a page served `seconds` ago."""
    return answer_form_stamp(invitation.pk, now=timezone.now() - timedelta(seconds=seconds))


def post_answer(client, invitation, *, stamp_age: float = 30, path=None, **data):
    """POST as a person would: the form was served a while ago, honeypot empty."""
    body = {"served": human_stamp(invitation, stamp_age), "notes_extra": "", **data}
    return client.post(path or answer_path(invitation), body)
