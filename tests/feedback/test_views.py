import csv
import io

from django.urls import reverse

from feedback.models import Note, NotificationSettings, OwnershipChange, Response
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


def test_rm_reads_but_may_not_triage(client, world):
    client.force_login(world.rm)
    assert client.post(reverse("feedback:response_triage", args=[world.response.pk]),
                       {"state": "handled"}).status_code == 403
    page = client.get(reverse("feedback:response_detail", args=[world.response.pk]))
    assert page.status_code == 200 and "Mark handled" not in page.content.decode()
    assert Response.objects.get(pk=world.response.pk).triage == "new"  # the RM's visit does not mark it seen


def test_answer_page_shows_history_levels_notes_and_follow_up_slot(client, world):
    from datetime import date

    earlier = factories.ResponseFactory(invitation__contact=world.contact, invitation__wave__month=date(2025, 5, 1),
                                        score=8, reason="Earlier reason")
    colleague = factories.ContactFactory(account=world.account, name="Mona Manager", level="manager")
    Note.objects.create(response=world.response, author=world.rm, text="<script>alert(1)</script>")
    client.force_login(world.am)
    body = client.get(reverse("feedback:response_detail", args=[world.response.pk])).content.decode()
    assert "Earlier reason" in body and f"/answers/{earlier.pk}/" in body
    assert colleague.name in body and "never answered" in body  # operational level has no contact
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body
    assert 'id="follow-up"' in body
    assert Response.objects.get(pk=world.response.pk).triage == "seen"  # the owner opened it


def test_notes_with_and_without_htmx(client, world):
    client.force_login(world.rm)
    url = reverse("feedback:note_add", args=[world.response.pk])
    assert client.post(url, {"text": "Talk to me first"}).status_code == 302
    fragment = client.post(url, {"text": "Second"}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and 'id="notes"' in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    empty = client.post(url, {"text": "   "})
    assert empty.status_code == 400
    assert Note.objects.count() == 2


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


def test_owner_change_ui(client, world):
    new_am = factories.UserFactory(role="am", full_name="Nils Ny")
    client.force_login(world.rm)
    url = reverse("feedback:account_owner", args=[world.account.pk])
    assert "Nils Ny" in client.get(url).content.decode()
    assert client.post(url, {"new_owner": 999999}).status_code == 400
    response = client.post(url, {"new_owner": new_am.pk})
    assert response.status_code == 302
    assert OwnershipChange.objects.get().new_owner == new_am
    page = client.get(reverse("feedback:account_detail", args=[world.account.pk])).content.decode()
    assert "Nils Ny" in page and "Ownership changes" in page
    client.force_login(world.director)
    assert client.get(url).status_code == 403


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


def test_rollup_pages_link_every_figure_to_its_answers(client, world):
    client.force_login(world.director)
    body = client.get(reverse("feedback:org_home")).content.decode()
    assert "Regions side by side" in body and world.far_region.name in body
    assert f"/answers/?owner={world.am.pk}&amp;period=12m&amp;suspect=no" in body
    assert "category=detractor" in body and "<svg" in body and "Trend as a table" in body
    region = client.get(reverse("feedback:region_detail", args=[world.region.pk])).content.decode()
    assert world.far_account.name not in region


def test_export_defuses_spreadsheet_formulas(client, world):
    factories.ResponseFactory(invitation__contact__account=world.account, score=10, reason="=HYPERLINK(\"x\")")
    client.force_login(world.am)
    response = client.get(reverse("feedback:answers_export") + "?category=promoter")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][5] == "'=HYPERLINK(\"x\")"
