"""Every string of the customer's answer pages has its Danish translation.

The pages are Jinja2 templates, which Django's `makemessages` does not read: this test
reads them with Jinja2's own extractor, so a new string without a translation fails
here rather than reaching a Danish customer in English."""

from pathlib import Path

from django.conf import settings
from django.utils import translation
from jinja2.ext import babel_extract

TEMPLATES = sorted((Path(settings.BASE_DIR) / "templates" / "feedback" / "answer").glob("*.jinja"))


def _messages() -> set[str]:
    found = set()
    for template in TEMPLATES:
        with template.open("rb") as source:
            found |= {message for _, _, message, _ in babel_extract(source, ("_", "gettext"), [], {})}
    return found


def test_every_answer_page_string_is_translated_to_danish():
    messages = _messages()
    assert len(TEMPLATES) >= 9 and len(messages) >= 30  # the extractor read them
    with translation.override("da"):
        untranslated = sorted(message for message in messages if translation.gettext(message) == message)
    assert untranslated == []
