"""The customer's answer page behind the emailed link: states, answering, bad input, abuse."""

import re
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from feedback.models import Response
from feedback.summaries import summary_rebuild
from outbox.models import Message
from surveys.models import Invitation, Program
from surveys.tokens import invitation_token
from tests.factories import AccountFactory, ContactFactory, InvitationFactory, ResponseFactory, UserFactory
from tests.feedback.answer_support import (  # noqa: F401
    answer_path,
    fast_password_hashing,
    fresh_rate_limits,
    post_answer,
)

pytestmark = pytest.mark.usefixtures("fresh_rate_limits", "fast_password_hashing")

ROUTE = "answer_saved/route"
CALL = "answer_saved/queue_call"
SUSPECT_ROUTE = "suspect_answer_saved/route"
THEMES = "answer_saved/themes"
WEBHOOKS = "answer_saved/webhooks"
SUSPECT_THEMES = "suspect_answer_saved/themes"


@pytest.fixture
def invitation(account):
    contact = ContactFactory(account=account, name="Carla Customer", language="en")
    return InvitationFactory(contact=contact)


def checked_score(html: str) -> list[str]:
    return re.findall(r'value="(\d+)" checked', html)


def handlers() -> list[str]:
    """The outbox rows written, as "event/handler", sorted."""
    return sorted(f"{event}/{handler}" for event, handler in Message.objects.values_list("event", "handler"))


# --- GET -----------------------------------------------------------------------

def test_link_from_email_shows_both_questions_with_the_score_selected(client, invitation):
    response = client.get(answer_path(invitation, score=3))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "How likely is it that you would recommend Acme to others?" in html
    assert "What are the reasons behind your assessment?" in html
    assert "Not at all likely" in html and "Extremely likely" in html
    assert checked_score(html) == ["3"]
    assert "<script" not in html


def test_the_page_says_plainly_that_nothing_is_saved_until_send(client, invitation, account):
    html = client.get(answer_path(invitation, score=9)).content.decode()
    note = 'Your answer is saved only when you press “Send answer”.'
    assert note in html
    assert html.index(note) < html.index('<button type="submit" aria-describedby="send-note">')
    danish = InvitationFactory(contact=ContactFactory(account=account, language="da"))
    html = client.get(answer_path(danish, score=9)).content.decode()
    assert "Dit svar gemmes først, når du trykker på “Send svar”." in html


def test_get_never_records_anything(client, invitation):
    for score in (None, 0, 10, 3):
        assert client.get(answer_path(invitation, score=score)).status_code == 200
    assert Response.objects.count() == 0
    assert Message.objects.count() == 0


def test_get_is_cheap_no_session_and_only_the_csrf_cookie(client, invitation):
    response = client.get(answer_path(invitation, score=9))
    assert set(response.cookies) == {"csrftoken"}
    assert "sessionid" not in response.cookies


@pytest.mark.parametrize("score", ["11", "-1", "abc", "7.5", ""])
def test_a_bad_score_in_the_link_selects_nothing(client, invitation, score):
    response = client.get(answer_path(invitation) + f"?score={score}")
    assert response.status_code == 200
    assert checked_score(response.content.decode()) == []


def test_security_headers_on_the_page(client, invitation):
    response = client.get(answer_path(invitation, score=3))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src" not in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_the_inline_stylesheet_matches_its_csp_hash(client, invitation):
    import base64
    import hashlib

    response = client.get(answer_path(invitation))
    css = re.search(r"<style>(.*?)</style>", response.content.decode(), re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in response["Content-Security-Policy"]


def test_existing_answer_is_shown_for_changing(client, invitation):
    ResponseFactory(invitation=invitation, score=6, reason="Slow support")
    html = client.get(answer_path(invitation)).content.decode()
    assert checked_score(html) == ["6"]
    assert "Slow support</textarea>" in html
    assert "You answered 6." in html
    # A button in the email picks the new score; nothing changes until they send it.
    assert checked_score(client.get(answer_path(invitation, score=9)).content.decode()) == ["9"]
    assert Response.objects.get().score == 6


@pytest.mark.parametrize("others", [0, 25])
def test_page_queries_stay_flat(client, invitation, max_queries, others):
    for _ in range(others):
        ResponseFactory(invitation__contact__account=invitation.account)
    ResponseFactory(invitation=invitation)
    client.get(answer_path(invitation))  # the program's texts are then cached in the process
    with max_queries(2) as captured:
        assert client.get(answer_path(invitation, score=3)).status_code == 200
    # A GET never writes: plain SELECTs only (nothing prepared on the server: PgBouncer).
    assert all(q["sql"].startswith("SELECT") for q in captured.captured_queries)


# --- POST ----------------------------------------------------------------------

def test_score_alone_records_the_answer_and_thanks(client, invitation):
    response = post_answer(client, invitation, score="3")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Thank you for your answer" in html
    assert "Anna from Acme will call you to hear more." in html
    answer = Response.objects.get()
    assert (answer.score, answer.reason, answer.category, answer.language) == (3, "", "detractor", "en")
    assert (answer.contact, answer.account, answer.invitation) == (invitation.contact, invitation.account, invitation)
    assert answer.suspect is False
    assert handlers() == [CALL, ROUTE, THEMES, WEBHOOKS]
    assert Message.objects.filter(kwargs={"response_id": answer.pk}).count() == 4


def test_thank_you_page_offers_a_reason_and_a_change(client, invitation):
    html = post_answer(client, invitation, score="9").content.decode()
    assert "Would you like to tell us why?" in html
    assert f'href="{answer_path(invitation)}"' in html
    assert "Change your answer" in html
    response = post_answer(client, invitation, score="9", reason="Great people")
    assert "Thank you, your answer is updated" in response.content.decode()
    answer = Response.objects.get()
    assert (answer.score, answer.reason, answer.category) == (9, "Great people", "promoter")


def test_replayed_post_is_idempotent(client, invitation):
    post_answer(client, invitation, score="7", reason="Fine")
    first = Response.objects.get()
    response = post_answer(client, invitation, score="7", reason="Fine")
    assert response.status_code == 200
    again = Response.objects.get()
    assert again.changed_at == first.changed_at
    assert Message.objects.count() == 4


def test_changing_the_answer_updates_the_one_response(client, invitation):
    post_answer(client, invitation, score="3", reason="Late deliveries")
    first = Response.objects.get()
    post_answer(client, invitation, score="4", reason="Late deliveries")
    answer = Response.objects.get()
    assert (answer.pk, answer.score, answer.category) == (first.pk, 4, "detractor")
    assert answer.answered_at == first.answered_at
    assert answer.changed_at > first.changed_at
    assert handlers() == [CALL, CALL, ROUTE, ROUTE, THEMES, THEMES, WEBHOOKS, WEBHOOKS]


@pytest.mark.parametrize("others", [0, 25])
def test_post_queries_stay_flat(client, invitation, max_queries, others):
    for _ in range(others):
        ResponseFactory(invitation__contact__account=invitation.account)
    summary_rebuild()
    Program.current().save()
    client.get(answer_path(invitation))  # the program's texts are then cached in the process
    # link; savepoint, the answer, its invitation's mirror, the account's lock, the owner's,
    # the account's monthly and the account's summary rows, the account's call state and
    # its revenue at risk, the revenue sums (the account's part read, the sums, the part:
    # 3), its rows among the accounts at risk (read, written: after the summary and after
    # the call state), outbox rows, release; the owner for the thank-you page
    with max_queries(18):
        assert post_answer(client, invitation, score="8", reason="ok").status_code == 200


# --- Bad input: a clear message, nothing changed ---------------------------------

@pytest.mark.parametrize("score", [None, "-1", "11", "7.5", "abc", ""])
def test_bad_score_is_refused_with_a_clear_message(client, invitation, score):
    ResponseFactory(invitation=invitation, score=6, reason="before")
    data = {"reason": "new reason"} | ({"score": score} if score is not None else {})
    response = post_answer(client, invitation, **data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Please choose a number from 0 to 10." in html
    assert 'role="alert"' in html and "<title>Error:" in html
    assert "new reason</textarea>" in html  # their text is not lost
    answer = Response.objects.get()
    assert (answer.score, answer.reason) == (6, "before")
    assert Message.objects.count() == 0


@pytest.mark.parametrize("length", [5001, 1024 * 1024])
def test_too_long_reason_is_refused(client, invitation, length):
    response = post_answer(client, invitation, score="5", reason="x" * length)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Please keep your reasons to 5,000 characters or fewer" in html
    assert 'aria-invalid="true"' in html
    assert len(response.content) < 40_000  # a megabyte is not echoed back
    assert Response.objects.count() == 0
    assert Message.objects.count() == 0


def test_reason_of_exactly_5000_characters_is_kept(client, invitation):
    assert post_answer(client, invitation, score="5", reason="é" * 5000).status_code == 200
    assert Response.objects.get().reason == "é" * 5000


def test_nul_character_is_refused(client, invitation):
    response = post_answer(client, invitation, score="5", reason="a\x00b")
    assert response.status_code == 400
    assert Response.objects.count() == 0


def test_html_and_script_are_stored_as_text_and_escaped(client, invitation):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)> & </textarea><b>'
    response = post_answer(client, invitation, score="2", reason=evil)
    assert Response.objects.get().reason == evil
    for html in (response.content.decode(), client.get(answer_path(invitation)).content.decode()):
        assert "<script>" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html  # Jinja2's escaping of quotes
        assert "&lt;/textarea&gt;&lt;b&gt;" in html


def test_emoji_and_right_to_left_text_are_kept_exactly(client, invitation):
    text = "Great 👍🏽 service 👨‍👩‍👧 — שירות מצוין \u200fעם תמיכה\u200f — خدمة ممتازة 🇩🇰"
    response = post_answer(client, invitation, score="10", reason=text)
    assert response.status_code == 200
    assert Response.objects.get().reason == text
    assert text in response.content.decode()
    assert f"{text}</textarea>" in client.get(answer_path(invitation)).content.decode()


# --- Links that do not take answers ---------------------------------------------------

def not_found_bodies(client, invitation):
    token = invitation_token(invitation)
    changed = token[:-1] + ("A" if token[-1] != "A" else "B")
    forged = "Zm9yZ2VkLXRva2VuLXRoYXQtbmV2ZXItZXhpc3RlZC0x"
    return {
        "one character changed": client.get(f"/r/{changed}/?score=3"),
        "forged": client.get(f"/r/{forged}/"),
        "odd shape": client.get("/r/%3Cscript%3E/"),
        "too long": client.get("/r/" + "a" * 300 + "/"),
    }


def test_unknown_links_answer_404_with_no_hint(client, invitation):
    planned = InvitationFactory(status=Invitation.Status.PLANNED, sent_at=None)
    pages = not_found_bodies(client, invitation)
    pages["not sent yet"] = client.get(answer_path(planned))
    bodies = set()
    for name, response in pages.items():
        assert response.status_code == 404, name
        assert "We cannot find this page" in response.content.decode()
        assert response["Referrer-Policy"] == "same-origin"
        bodies.add(response.content)
    assert len(bodies) == 1  # the same page whatever the reason


def test_post_to_an_unknown_link_changes_nothing(client, invitation):
    token = invitation_token(invitation)
    response = post_answer(client, invitation, path=f"/r/{token[:-1]}x/", score="5")
    assert response.status_code == 404
    assert Response.objects.count() == 0


def test_expired_link_answers_410_with_a_way_to_write_to_us(client, invitation):
    Program.objects.create(sender_email="care@acme.test")
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()
    response = client.get(answer_path(invitation, score=3))
    assert response.status_code == 410
    html = response.content.decode()
    assert "This link has expired" in html
    assert 'href="mailto:care@acme.test?subject=Feedback%20for%20Acme"' in html
    response = post_answer(client, invitation, score="3")
    assert response.status_code == 410
    assert Response.objects.count() == 0


def test_expired_link_keeps_the_earlier_answer_unchanged(client, invitation):
    ResponseFactory(invitation=invitation, score=8, reason="ok")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert post_answer(client, invitation, score="1").status_code == 410
    assert Response.objects.get().score == 8


def test_opted_out_contact_gets_a_friendly_page(client, invitation):
    invitation.contact.opted_out_at = timezone.now()
    invitation.contact.save()
    response = client.get(answer_path(invitation, score=3))
    assert response.status_code == 403
    assert "You have unsubscribed" in response.content.decode()
    assert "mailto:" in response.content.decode()
    assert post_answer(client, invitation, score="3").status_code == 403
    assert Response.objects.count() == 0


# --- Languages --------------------------------------------------------------------------

def test_danish_contact_sees_danish_pages(client, account):
    contact = ContactFactory(account=account, name="Dorthe Dansk", language="da")
    invitation = InvitationFactory(contact=contact)
    response = client.get(answer_path(invitation, score=8), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert '<html lang="da">' in html and response["Content-Language"] == "da"
    assert "Hvor sandsynligt er det, at du vil anbefale Acme til andre?" in html
    assert "Hvad er årsagerne til din vurdering?" in html
    assert "Slet ikke sandsynligt" in html and "Meget sandsynligt" in html
    assert "Send svar" in html
    html = post_answer(client, invitation, score="8").content.decode()
    assert "Anna fra Acme ringer til dig for at høre mere." in html
    assert Response.objects.get().language == "da"
    html = post_answer(client, invitation, score="99").content.decode()
    assert "Vælg et tal fra 0 til 10." in html


def test_danish_expired_page(client, account):
    contact = ContactFactory(account=account, language="da")
    invitation = InvitationFactory(contact=contact, expires_at=timezone.now() - timedelta(days=1))
    response = client.get(answer_path(invitation))
    assert response.status_code == 410
    assert "Linket er udløbet" in response.content.decode()
    assert "subject=Feedback%20til%20Acme" in response.content.decode()


def test_dates_are_in_the_contacts_language_and_format(client, account):
    year = timezone.localdate().year + 1
    closes = timezone.make_aware(datetime(year, 3, 3, 12))
    for language, sentence in [("da", f"Du kan ændre dit svar indtil 3. marts {year}."),
                               ("en", f"You can change your answer until March 3, {year}.")]:
        invitation = InvitationFactory(contact=ContactFactory(account=account, language=language), expires_at=closes)
        form = client.get(answer_path(invitation, score=9)).content.decode()
        thanks = post_answer(client, invitation, score="9").content.decode()
        assert sentence in form and sentence in thanks, language
    closed = InvitationFactory(contact=ContactFactory(account=account, language="da"),
                               expires_at=timezone.make_aware(datetime(year - 2, 3, 3, 12)))
    assert f"Undersøgelsen lukkede den 3. marts {year - 2}," in client.get(answer_path(closed)).content.decode()


def test_unknown_language_falls_back_to_english(client, account):
    invitation = InvitationFactory(contact=ContactFactory(account=account, language="de"))
    assert '<html lang="en">' in client.get(answer_path(invitation)).content.decode()


# --- Names: never one made up from an address ---------------------------------------------

def test_an_am_without_a_name_is_named_by_the_company_on_the_thank_you_page(client, region):
    owner = UserFactory(role="am", full_name="", email="am2@acme.test")
    account = AccountFactory(owner=owner, region=region)
    invitation = InvitationFactory(contact=ContactFactory(account=account, name="Carla Customer"))
    html = post_answer(client, invitation, score="9").content.decode()
    assert "Acme will call you to hear more." in html and "Am2" not in html and "am2" not in html
    danish = InvitationFactory(contact=ContactFactory(account=account, language="da"))
    assert "Acme ringer til dig for at høre mere." in post_answer(client, danish, score="9").content.decode()


def test_a_contact_without_a_name_is_greeted_without_one(client, account):
    invitation = InvitationFactory(contact=ContactFactory(account=account, name="", email="carla@customer.test"))
    html = client.get(answer_path(invitation, score=9)).content.decode()
    assert "Hello, two quick questions" in html and "carla@customer.test" not in html


# --- Bots: kept, marked, thanked, never counted ------------------------------------------

def test_filled_honeypot_marks_the_answer_suspect(client, invitation):
    response = post_answer(client, invitation, score="10", notes_extra="http://spam.example")
    assert "Thank you for your answer" in response.content.decode()
    answer = Response.objects.get()
    assert answer.suspect and answer.suspect_reason == "honeypot filled"
    assert handlers() == [SUSPECT_ROUTE, SUSPECT_THEMES]  # shown to staff, no follow-up call


def test_submit_faster_than_a_person_marks_the_answer_suspect(client, invitation, settings):
    # The floor far above the 0.3 s, so that a slow machine cannot carry the POST past it;
    # the wording, with `now` injected, is the next test's.
    settings.ANSWER_MIN_SECONDS = 3600
    response = post_answer(client, invitation, score="0", stamp_age=0.3)
    assert response.status_code == 200
    answer = Response.objects.get()
    assert answer.suspect and answer.suspect_reason.startswith("sent ")


def test_the_suspect_reason_says_how_soon_the_answer_came(invitation):
    from feedback.answering import answer_form_stamp, answer_suspect_reason

    served = timezone.now()
    stamp = answer_form_stamp(invitation.pk, now=served)
    reason = answer_suspect_reason(
        invitation_id=invitation.pk, honeypot="", stamp=stamp, now=served + timedelta(seconds=0.3)
    )
    assert reason == "sent 0.3 s after the page was served"


@pytest.mark.parametrize("stamp", ["", "1.1700000000000:forged", "garbage"])
def test_missing_or_forged_form_stamp_marks_the_answer_suspect(client, invitation, stamp):
    client.post(answer_path(invitation), {"score": "5", "served": stamp})
    answer = Response.objects.get()
    assert answer.suspect and answer.suspect_reason == "form stamp missing or forged"


def test_a_stamp_from_another_link_marks_the_answer_suspect(client, invitation):
    from tests.feedback.answer_support import human_stamp

    other = InvitationFactory()
    client.post(answer_path(invitation), {"score": "5", "served": human_stamp(other)})
    assert Response.objects.get().suspect_reason == "form stamp from another link"


def test_a_person_a_second_after_the_page_is_not_suspect(client, invitation):
    # The floor is half a second, under any person's pace (it was 2 s, which marked fast
    # promoters as bots); tests/feedback/test_answer_bot_signals.py replays more.
    post_answer(client, invitation, score="5", stamp_age=0.8)
    assert Response.objects.get().suspect is False


# --- Abuse ----------------------------------------------------------------------------------

def test_post_without_csrf_token_is_refused(invitation):
    csrf_client = Client(enforce_csrf_checks=True)
    response = post_answer(csrf_client, invitation, score="5")
    assert response.status_code == 403
    assert "Your answer was not sent" in response.content.decode()
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
    assert Response.objects.count() == 0


def test_post_with_the_page_csrf_token_is_accepted(invitation):
    csrf_client = Client(enforce_csrf_checks=True)
    html = csrf_client.get(answer_path(invitation, score=5)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = post_answer(csrf_client, invitation, score="5", csrfmiddlewaretoken=token)
    assert response.status_code == 200
    assert Response.objects.get().score == 5


def test_rate_limit_per_token(client, invitation, settings):
    settings.ANSWER_RATE_PER_TOKEN = "3/m"
    for _ in range(3):
        assert client.get(answer_path(invitation)).status_code == 200
    response = post_answer(client, invitation, score="5")
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "Too many attempts" in response.content.decode()
    assert Response.objects.count() == 0
    # Another link from the same address is not affected.
    assert client.get(answer_path(InvitationFactory())).status_code == 200


def test_rate_limit_per_address(client, invitation, settings):
    settings.ANSWER_RATE_PER_ADDRESS = "4/m"
    others = [InvitationFactory() for _ in range(4)]
    for other in others:
        assert client.get(answer_path(other)).status_code == 200
    assert client.get(answer_path(invitation)).status_code == 429
    # Unknown tokens count too: guessing is limited before any database lookup.
    assert client.get("/r/" + "A" * 43 + "/").status_code == 429
    assert client.get(answer_path(invitation), REMOTE_ADDR="10.1.2.3").status_code == 200


def test_rate_limit_fails_open_when_the_cache_is_down(client, invitation, settings):
    from tests.smtp import free_port

    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead}}
    settings.ANSWER_RATE_PER_TOKEN = "1/m"
    assert client.get(answer_path(invitation, score=4)).status_code == 200
    assert post_answer(client, invitation, score="4").status_code == 200
    assert Response.objects.get().score == 4


def test_no_open_redirects(client, invitation):
    path = answer_path(invitation) + "?next=https://evil.example/&score=3"
    assert "Location" not in client.get(path)
    response = post_answer(client, invitation, path=path, score="3", next="https://evil.example/")
    assert response.status_code == 200 and "Location" not in response
    assert "evil.example" not in response.content.decode()


def test_other_methods_are_not_allowed(client, invitation):
    assert client.put(answer_path(invitation)).status_code == 405
    assert client.delete(answer_path(invitation)).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_after_the_commit_the_hooks_run_once(client, account):
    """Embedded: no broker, the outbox runs the hooks in-process right after the commit."""
    invitation = InvitationFactory(contact=ContactFactory(account=account))
    assert post_answer(client, invitation, score="8").status_code == 200
    messages = Message.objects.all()
    assert handlers() == [CALL, ROUTE, THEMES, WEBHOOKS]
    assert all(m.done_at is not None and m.attempts == 1 for m in messages)


def test_staff_pages_keep_djangos_csrf_page(db):
    response = Client(enforce_csrf_checks=True).post("/signin/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert b"CSRF verification failed" in response.content


def test_a_link_sent_without_an_expiry_expires_after_the_programs_days(client, invitation):
    Program.objects.create(link_valid_days=10)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=None, sent_at=timezone.now() - timedelta(days=9))
    assert client.get(answer_path(invitation)).status_code == 200
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now() - timedelta(days=11))
    assert client.get(answer_path(invitation)).status_code == 410


def test_head_request_answers_like_get(client, invitation):
    response = client.head(answer_path(invitation, score=3))
    assert response.status_code == 200
    assert Response.objects.count() == 0
