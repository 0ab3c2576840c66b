"""People are never marked bots; scanners are marked or never recorded (issue 13).

Replays how people answer (0.8 to 30 s after the page is served, the score chosen in
the email or on the page, with and without reasons, adding reasons on the thank-you
page) and what mail scanners and form-filling programs do (prefetch every link, HEAD
requests, POSTs without the page's cookie or stamp, instant and honeypot-filled POSTs).
Time is injected through the form's stamp (when the page was served) and `now`: no
sleeps."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from feedback.answering import answer_form_stamp, answer_suspect_reason
from feedback.models import Response
from outbox.models import Message
from surveys.models import Contact
from tests.factories import ContactFactory, InvitationFactory
from tests.feedback.answer_support import (  # noqa: F401
    answer_path,
    fast_password_hashing,
    fresh_rate_limits,
)

pytestmark = pytest.mark.usefixtures("fresh_rate_limits", "fast_password_hashing")

# From a promoter tapping Send on a score the email already chose, to someone writing.
HUMAN_SECONDS = [0.8, 1.0, 1.3, 1.9, 2.5, 4.0, 8.0, 15.0, 30.0]
# A program that submits the form as it gets it.
SCANNER_SECONDS = [0.0, 0.05, 0.2, 0.49]


@pytest.fixture
def invitation(account):
    return InvitationFactory(contact=ContactFactory(account=account, name="Carla Customer", language="en"))


def browser() -> Client:
    """A client that keeps cookies and must pass the CSRF check, like a browser."""
    return Client(enforce_csrf_checks=True)


def served_form(client: Client, path: str) -> dict[str, str]:
    """The answer form's fields as the page serves them, as a browser would send them:
    the hidden fields, the honeypot empty, the score chosen on the page (if any)."""
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    form = html[html.index("<form"):html.index("</form>")]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    fields[re.search(r'id="hp-([^"]+)"', form).group(1)] = ""
    chosen = re.search(r'name="score" id="score-\d+" value="(\d+)" checked', form)
    if chosen:
        fields["score"] = chosen.group(1)
    return fields


def served_ago(invitation, form: dict, seconds: float) -> dict:
    """The same form, its page served `seconds` before now (the stamp is all that differs)."""
    assert form["served"].startswith(f"{invitation.pk}.")  # the page's own stamp, for this link
    return {**form, "served": answer_form_stamp(invitation.pk, now=timezone.now() - timedelta(seconds=seconds))}


def events() -> set[str]:
    return set(Message.objects.values_list("event", flat=True))


# --- The rule, with `now` injected --------------------------------------------------------

@pytest.mark.parametrize("seconds", HUMAN_SECONDS + [120, 3600, 86400 * 29])
def test_a_person_at_any_pace_is_not_suspect(seconds):
    served = timezone.now()
    stamp = answer_form_stamp(7, now=served)
    reason = answer_suspect_reason(invitation_id=7, honeypot="", stamp=stamp, now=served + timedelta(seconds=seconds))
    assert reason == ""


@pytest.mark.parametrize("seconds", SCANNER_SECONDS)
def test_a_post_sooner_than_a_person_could_is_suspect(seconds):
    served = timezone.now()
    stamp = answer_form_stamp(7, now=served)
    reason = answer_suspect_reason(invitation_id=7, honeypot="", stamp=stamp, now=served + timedelta(seconds=seconds))
    assert reason == f"sent {seconds:.1f} s after the page was served"


@pytest.mark.parametrize("seconds", HUMAN_SECONDS)
def test_a_filled_honeypot_is_suspect_at_any_pace(seconds):
    served = timezone.now()
    stamp = answer_form_stamp(7, now=served)
    assert answer_suspect_reason(
        invitation_id=7, honeypot="https://spam.example", stamp=stamp, now=served + timedelta(seconds=seconds)
    ) == "honeypot filled"


# --- People, through the page -------------------------------------------------------------

@pytest.mark.parametrize("seconds", HUMAN_SECONDS)
@pytest.mark.parametrize("from_email", [True, False], ids=["score-from-email", "score-on-page"])
@pytest.mark.parametrize("reason", ["", "Deliveries were late twice"], ids=["no-reason", "reason"])
def test_people_are_counted_and_called_whatever_their_pace(invitation, seconds, from_email, reason):
    client = browser()
    path = answer_path(invitation, score=9 if from_email else None)
    form = served_form(client, path)
    assert ("score" in form) is from_email
    form = {**served_ago(invitation, form, seconds), "score": form.get("score", "7"), "reason": reason}

    response = client.post(path, form)

    assert response.status_code == 200 and "Thank you for your answer" in response.content.decode()
    answer = Response.objects.get()
    assert (answer.suspect, answer.suspect_reason, answer.reason) == (False, "", reason)
    assert answer.score == (9 if from_email else 7)
    assert events() == {"answer_saved"}  # routed, and a call queued


@pytest.mark.parametrize("seconds", [5.0, 30.0])
def test_a_person_adding_reasons_on_the_thank_you_page_is_not_suspect(invitation, seconds):
    client = browser()
    path = answer_path(invitation, score=10)
    thanks = client.post(path, served_ago(invitation, served_form(client, path), 1.0)).content.decode()
    form = thanks[thanks.index("<form"):thanks.index("</form>")]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    fields[re.search(r'id="hp-([^"]+)"', form).group(1)] = ""

    client.post(path, {**served_ago(invitation, fields, seconds), "reason": "Always on time"})

    answer = Response.objects.get()
    assert (answer.score, answer.reason, answer.suspect) == (10, "Always on time", False)


# --- Scanners and form-filling programs ---------------------------------------------------

def test_link_scanners_prefetching_every_link_record_nothing(invitation):
    paths = [answer_path(invitation)] + [answer_path(invitation, score=n) for n in range(11)]
    for path in paths:
        assert Client().get(path).status_code == 200  # no cookies, a new client each time
        assert Client().head(path).status_code == 200
    assert Response.objects.count() == 0 and events() == set()
    assert Contact.objects.get(pk=invitation.contact_id).opted_out_at is None


def test_a_post_without_the_pages_cookie_is_refused_and_records_nothing(invitation):
    path = answer_path(invitation, score=9)
    form = served_form(Client(), path)  # the page read by one request, posted by another
    response = browser().post(path, served_ago(invitation, form, 10))
    assert response.status_code == 403
    assert Response.objects.count() == 0 and events() == set()


@pytest.mark.parametrize("stamp", [None, "", "garbage", "1.1700000000000:forged"])
def test_a_post_without_the_forms_own_stamp_is_suspect(invitation, stamp):
    client = browser()
    path = answer_path(invitation, score=9)
    form = served_form(client, path)
    if stamp is None:
        del form["served"]
    else:
        form["served"] = stamp
    client.post(path, form)
    answer = Response.objects.get()
    assert answer.suspect and answer.suspect_reason == "form stamp missing or forged"
    assert events() == {"suspect_answer_saved"}  # shown to staff, never a call


def test_a_stamp_taken_from_another_link_is_suspect(invitation, account):
    client = browser()
    other = InvitationFactory(contact=ContactFactory(account=account))
    form = served_form(client, answer_path(other, score=9))
    client.post(answer_path(invitation), {**form, "served": served_ago(other, form, 10)["served"]})
    assert Response.objects.get(invitation=invitation).suspect_reason == "form stamp from another link"


def test_an_instant_post_with_the_honeypot_filled_is_suspect(invitation):
    client = browser()
    path = answer_path(invitation, score=10)
    form = served_form(client, path)
    client.post(path, {**form, "notes_extra": "https://spam.example", "reason": "Great product, visit my site"})
    answer = Response.objects.get()
    assert answer.suspect and answer.suspect_reason == "honeypot filled"
    assert events() == {"suspect_answer_saved"}


def test_a_form_submitted_as_soon_as_it_is_served_is_suspect(invitation):
    # The page's own stamp, posted at once: a program's pace (milliseconds), far under the
    # half-second floor; the exact floor is tested above with `now` injected.
    client = browser()
    path = answer_path(invitation, score=10)
    client.post(path, served_form(client, path))
    answer = Response.objects.get()
    assert answer.suspect and answer.suspect_reason.startswith("sent 0.")
    assert events() == {"suspect_answer_saved"}


def test_a_honeypot_filled_by_a_slow_program_is_still_suspect(invitation):
    client = browser()
    path = answer_path(invitation, score=3)
    form = served_ago(invitation, served_form(client, path), 30)
    client.post(path, {**form, "notes_extra": "x"})
    assert Response.objects.get().suspect_reason == "honeypot filled"
