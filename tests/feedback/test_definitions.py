"""Each figure's definition is one click away (issue 11, item 10): a "?" beside the figure
opens it in place without JavaScript, and the definitions page holds every one at its own
anchor, in English and Danish."""

import re

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.html import escape

from feedback.definitions import DEFINITIONS, definition_of

# Entries the other figures of the rollups use; each must exist.
REQUIRED = {"nps", "margin", "categories", "n", "response_rate", "delivered", "followup_done", "not_due",
            "overdue", "on_time", "change", "significant", "interval", "revenue_nps", "revenue_coverage",
            "revenue_at_risk", "accounts_at_risk"}


def test_every_figure_has_a_definition_in_english_and_danish():
    assert REQUIRED <= set(DEFINITIONS)
    for key, d in DEFINITIONS.items():
        english_term, english_text = str(d.term), str(d.text)
        assert english_term and len(english_text) > 40, key
        with translation.override("da"):
            assert str(d.text) != english_text, f"{key}: no Danish text"
            assert str(d.term), key


def test_an_unknown_definition_is_a_clear_error():
    with pytest.raises(KeyError, match="feedback/definitions.py"):
        definition_of("nps_typo")


def test_the_tag_opens_the_definition_in_place_and_links_to_its_anchor():
    html = Template('{% load pulse_feedback %}<th>NPS {% definition "nps" %}</th>').render(Context())
    assert re.search(r'<details class="definition"><summary>.*</summary>', html)
    assert escape(str(DEFINITIONS["nps"].text)) in html and 'href="/definitions/#nps"' in html
    assert "What “NPS (Net Promoter Score)” means" in html  # the "?" has a name for screen readers
    with translation.override("da"):
        danish = Template('{% load pulse_feedback %}{% definition "response_rate" %}').render(Context())
    assert "Svarprocent" in danish and "Alle definitioner" in danish


@pytest.mark.django_db
def test_the_definitions_page_holds_each_at_its_anchor(client, am):
    client.force_login(am)
    html = client.get("/definitions/").content.decode()
    for key, d in DEFINITIONS.items():
        assert f'id="{key}"' in html and escape(str(d.text)) in html
    danish = client.get("/definitions/", HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert "Hvad tallene betyder" in danish and "Omsætning i risiko" in danish


@pytest.mark.django_db
def test_the_definitions_page_needs_a_sign_in(client):
    assert client.get("/definitions/").status_code == 302
