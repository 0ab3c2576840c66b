"""The Jinja2 environment of the customer's answer pages (templates/feedback/answer/*.jinja).

Those pages are the app's hottest path, and Jinja2 renders them several times faster
than Django's engine (bench/answer_load.py). Staff pages stay on Django templates.

Their strings are translated by Django's gettext with the messages in
feedback/locale; `makemessages` does not read `{% trans %}` blocks of Jinja2, so a new
string there is added to the .po file by hand (tests/feedback/test_answer_translations.py
fails until it is).
"""

from django.utils import formats, timezone, translation
from django.utils.text import normalize_newlines
from jinja2 import Environment, StrictUndefined
from markupsafe import Markup, escape


def local_date(value, format_name: str = "DATE_FORMAT") -> str:
    """Django's `|date:"DATE_FORMAT"`: in the site's time zone and the active language."""
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value), format_name)


def linebreaksbr(value: str) -> Markup:
    """Django's `|linebreaksbr`: the text escaped, each line break a <br>."""
    return Markup("<br>").join(escape(normalize_newlines(value)).split("\n"))


def environment(**options) -> Environment:
    options["undefined"] = StrictUndefined  # a misspelt name fails the tests, not a customer's page
    env = Environment(extensions=["jinja2.ext.i18n"], **options)
    env.install_gettext_callables(translation.gettext, translation.ngettext, newstyle=True)
    env.filters.update(date=local_date, linebreaksbr=linebreaksbr)
    return env
