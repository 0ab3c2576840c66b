import csv
import io

from django.urls import reverse

from feedback.models import NotificationSettings, Response
from tests import factories


def test_inbox_pins_open_detractors_and_shows_states(client, world):
    promoter = factories.ResponseFactory(invitation__contact__account=world.account, score=10)
    client.force_login(world.am)
    body = client.get(reverse("feedback:inbox")).content.decode()
    assert body.index("Detractors to handle") < body.index("Carla Customer") < body.index(promoter.contact.name)
    assert "Late &lt;b&gt;deliveries&lt;/b&gt;" in body  # escaped
    assert world.other_response.contact.name not in body


def test_triage_without_javascript_redirects_back(client, world):
    client.force_login(world.am)
    here = reverse("feedback:inbox") + "?category=detractor"
    response = client.post(reverse("feedback:response_triage", args=[world.response.pk]),
                           {"state": "handled", "next": here})
    assert response.status_code == 302 and response["Location"] == here
    assert Response.objects.get(pk=world.response.pk).triage == "handled"
    # handled detractors leave the pinned section
    body = client.get(reverse("feedback:inbox")).content.decode()
    assert "Detractors to handle" not in body


def test_triage_with_htmx_returns_the_row(client, world):
    client.force_login(world.am)
    response = client.post(reverse("feedback:response_triage", args=[world.response.pk]),
                           {"state": "seen", "next": "/inbox/"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.strip().startswith("<li") and f'id="answer-{world.response.pk}"' in body
    assert 'data-state="seen"' in body and "<html" not in body


def test_triage_bad_state_and_foreign_next(client, world):
    client.force_login(world.am)
    response = client.post(reverse("feedback:response_triage", args=[world.response.pk]),
                           {"state": "deleted", "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil" not in response["Location"]
    assert Response.objects.get(pk=world.response.pk).triage == "new"


def test_answers_list_filters_and_figures(client, world):
    client.force_login(world.director)
    body = client.get(reverse("feedback:answers") + f"?region={world.region.pk}&suspect=no").content.decode()
    assert "Carla Customer" in body and world.other_response.contact.name in body
    assert world.far_response.contact.name not in body
    assert "too few answers" in body  # n=2: no confident NPS
    bad = client.get(reverse("feedback:answers") + "?category=nonsense&month=13-2026")
    assert bad.status_code == 200 and "not understood" in bad.content.decode()


def test_export_streams_csv_with_filters_and_scope(client, world):
    factories.ResponseFactory(invitation__contact__account=world.account, score=10, reason='Said "great", really')
    client.force_login(world.rm)
    response = client.get(reverse("feedback:answers_export") + "?category=promoter")
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "response_id"
    assert {r[5] for r in rows[1:]} == {'Said "great", really', ""}  # RM's region: two promoters
    assert all(r[4] == "promoter" for r in rows[1:]) and len(rows) == 3


def test_notification_settings_defaults_and_save(client, world):
    client.force_login(world.rm)
    url = reverse("feedback:notification_settings")
    body = client.get(url).content.decode()
    assert 'value="weekly" ' in body and "checked" in body.split('value="weekly"')[1][:40]
    assert client.post(url, {"digest": "daily"}).status_code == 302
    saved = NotificationSettings.objects.get(user=world.rm)
    assert (saved.digest, saved.detractor_alerts) == ("daily", False)
    assert client.post(url, {"digest": "hourly", "detractor_alerts": "on"}).status_code == 400
    assert NotificationSettings.objects.get(user=world.rm).digest == "daily"


def test_navigation_counts_new_answers(client, world):
    client.force_login(world.am)
    body = client.get(reverse("feedback:notification_settings")).content.decode()
    assert 'class="count" aria-label="1 new"' in body
    Response.objects.filter(pk=world.response.pk).update(triage="seen")
    body = client.get(reverse("feedback:notification_settings")).content.decode()
    assert 'class="count"' not in body


def test_export_defuses_spreadsheet_formulas(client, world):
    factories.ResponseFactory(invitation__contact__account=world.account, score=10, reason="=HYPERLINK(\"x\")")
    client.force_login(world.am)
    response = client.get(reverse("feedback:answers_export") + "?category=promoter")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][5] == "'=HYPERLINK(\"x\")"
