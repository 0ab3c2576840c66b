"""The unsubscribe pages speak for the company and offer an undo (issue 13): a contact who
unsubscribed by mistake subscribes again from the same page, by a POST of its own form
with its CSRF token; a one-click POST from a mail client can only unsubscribe."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys.models import Contact, Invitation, Wave
from surveys.tokens import invitation_token
from tests.factories import ContactFactory
from tests.feedback.answer_support import fresh_rate_limits  # noqa: F401
from tests.surveys.book import invitations_create


@pytest.fixture
def invitation(db, account):
    wave = Wave.objects.create(month=timezone.localdate().replace(day=1), status=Wave.Status.SENT)
    contact = ContactFactory(account=account, name="Erik Berg", email="erik@customer.test")
    invitation = invitations_create(wave=wave, contacts=[contact], status=Invitation.Status.SENT)[0]
    Invitation.objects.filter(pk=invitation.pk).update(
        sent_at=timezone.now(), expires_at=timezone.now() + timedelta(days=30))
    return invitation


def url(invitation) -> str:
    return reverse("surveys:unsubscribe", args=[invitation_token(invitation)])


def opted_out(invitation) -> bool:
    return Contact.objects.get(pk=invitation.contact_id).opted_out_at is not None


def form_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_the_pages_carry_the_companys_name_not_the_products(client, invitation):
    html = client.get(url(invitation)).content.decode()
    assert "<title>Unsubscribe · Acme</title>" in html
    assert '<span class="brand">Acme</span>' in html
    assert "Acme will send no more surveys to erik@customer.test." in html
    assert "Pulse" not in html
    html = client.post(url(invitation)).content.decode()
    assert "<title>Unsubscribed · Acme</title>" in html
    assert "erik@customer.test receives no more surveys from Acme." in html and "Pulse" not in html


def test_unsubscribed_by_mistake_subscribes_again_from_the_same_page(invitation):
    browser = Client(enforce_csrf_checks=True)
    ask = browser.get(url(invitation)).content.decode()
    done = browser.post(url(invitation), {"csrfmiddlewaretoken": form_token(ask)}).content.decode()
    assert opted_out(invitation)
    assert "Unsubscribed by mistake?" in done and 'name="action" value="resubscribe"' in done

    again = browser.post(url(invitation), {"csrfmiddlewaretoken": form_token(done), "action": "resubscribe"})

    assert again.status_code == 200 and not opted_out(invitation)
    html = again.content.decode()
    assert "You are subscribed again" in html
    assert "Acme may ask erik@customer.test for feedback again in a later survey." in html
    answer = reverse("answer:answer", args=[invitation_token(invitation)])
    assert f'<a href="{answer}">Open the survey</a>' in html
    assert Client().get(answer).status_code == 200  # the link takes answers again


def test_a_contact_already_unsubscribed_finds_the_undo_on_the_link(client, invitation):
    Contact.objects.filter(pk=invitation.contact_id).update(opted_out_at=timezone.now())
    html = client.get(url(invitation)).content.decode()
    assert "You are unsubscribed" in html and "Subscribe again" in html


def test_subscribing_again_needs_the_pages_csrf_token(invitation):
    Contact.objects.filter(pk=invitation.contact_id).update(opted_out_at=timezone.now())
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(url(invitation), {"action": "resubscribe"}).status_code == 403
    assert opted_out(invitation)


def test_a_one_click_post_never_subscribes_again(invitation):
    Contact.objects.filter(pk=invitation.contact_id).update(opted_out_at=timezone.now())
    response = Client(enforce_csrf_checks=True).post(
        url(invitation), "List-Unsubscribe=One-Click&action=resubscribe",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 403 and opted_out(invitation)


def test_subscribing_again_twice_changes_nothing_and_a_get_never_does(client, invitation):
    client.post(url(invitation))
    client.post(url(invitation), {"action": "resubscribe"})
    before = Contact.objects.get(pk=invitation.contact_id).updated_at
    client.post(url(invitation), {"action": "resubscribe"})
    assert Contact.objects.get(pk=invitation.contact_id).updated_at == before
    client.post(url(invitation))
    client.get(url(invitation) + "?action=resubscribe")
    assert opted_out(invitation)


def test_no_survey_link_is_offered_once_it_has_expired(client, invitation):
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(days=1))
    client.post(url(invitation))
    html = client.post(url(invitation), {"action": "resubscribe"}).content.decode()
    assert "You are subscribed again" in html and "Open the survey" not in html


def test_the_undo_in_danish(client, invitation):
    Contact.objects.filter(pk=invitation.contact_id).update(language="da")
    html = client.post(url(invitation)).content.decode()
    assert '<html lang="da">' in html
    assert "erik@customer.test modtager ikke flere undersøgelser fra Acme." in html
    assert "Afmeldt ved en fejl?" in html and "Tilmeld igen" in html
    html = client.post(url(invitation), {"action": "resubscribe"}).content.decode()
    assert "Du er tilmeldt igen" in html and "Åbn undersøgelsen" in html


@pytest.mark.usefixtures("fresh_rate_limits")
def test_the_answer_page_of_an_unsubscribed_contact_links_to_the_undo(client, invitation):
    Contact.objects.filter(pk=invitation.contact_id).update(opted_out_at=timezone.now())
    response = client.get(reverse("answer:answer", args=[invitation_token(invitation)]) + "?score=9")
    assert response.status_code == 403
    assert f'Unsubscribed by mistake? <a href="{url(invitation)}">Subscribe again</a>' in response.content.decode()
