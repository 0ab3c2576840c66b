"""Every string of the change, interval, standing and trend pieces has its Danish
translation (the staff pages' new figures read in the user's language)."""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation.template import templatize

PARTIALS = ["feedback/_trend.html", "reports/_change_note.html", "reports/_standing.html"]
# The NPS, interval, change and definition pieces are written in Python.
TAGS = Path(settings.BASE_DIR) / "feedback" / "templatetags" / "pulse_feedback.py"


def _messages(name: str) -> list[str]:
    source = (Path(settings.BASE_DIR) / "templates" / name).read_text()
    return [ast.literal_eval(m) for m in re.findall(r"gettext\((u'(?:[^'\\]|\\.)*')\)", templatize(source))]


@pytest.mark.parametrize("name", PARTIALS)
def test_every_string_is_translated_to_danish(name):
    messages = _messages(name)
    assert messages  # the extractor read the template
    with translation.override("da"):
        # as the template tags look them up: % doubled, as templatize writes them
        untranslated = [m for m in messages if m != "NPS" and translation.gettext(m) == m]
    assert untranslated == []


def test_every_string_of_the_figure_tags_is_translated_to_danish():
    messages = [ast.literal_eval(m) for m in re.findall(r'gettext\(("(?:[^"\\]|\\.)*")\)', TAGS.read_text())]
    assert len(messages) >= 8
    with translation.override("da"):
        untranslated = [m for m in messages if m != "NPS" and translation.gettext(m) == m]
    assert untranslated == []
