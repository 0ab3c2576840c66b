"""Template filters of figures and dates, all through surveys.display (one rounding rule,
one date format). `{% load pulse_display %}`; pulse_feedback offers `pct` and `signed` too."""

from functools import lru_cache

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from surveys import display

register = template.Library()


@register.filter
def pct(share, digits=0):
    """A share 0..1 as a percentage, rounded once: 0.8545 -> '85%'; None -> '—'."""
    return display.percent_shown(share, int(digits))


@register.filter
def num(value, digits=0):
    """A figure rounded once, half away from zero: 2.5 -> '3', -2.5 -> '-3'; None -> '—'."""
    return display.number_shown(value, int(digits))


@register.filter
def signed(value, digits=0):
    """A change with its sign: '+3', '-3', '0'; None -> '—'."""
    return display.number_shown(value, int(digits), sign=True)


@register.filter(expects_localtime=True)
def day(value):
    """A date with its year: '3 Mar 2026'."""
    return display.date_shown(value)


@register.filter(expects_localtime=True)
def weekday(value):
    """A date with its weekday and year: 'Tue 3 Mar 2026'."""
    return display.date_shown(value, weekday=True)


@register.filter(expects_localtime=True)
def day_time(value):
    """A moment in the site's time zone: '3 Mar 2026 14:05'."""
    return display.date_shown(value, time=True)


@register.filter
def days(value):
    """A number of days: '1 day', '9 days'."""
    return display.days_shown(value)


@lru_cache(maxsize=256)
def _choice_labels(model, field_name: str, language: str | None) -> dict:
    return {value: str(label) for value, label in model._meta.get_field(field_name).flatchoices}


@register.filter
def label(record, field_name):
    """What `record.get_<field_name>_display()` says, from a table of the field's labels
    made once per language: a page of answers shows three of them on every row, and
    Django builds that table again at each call."""
    value = getattr(record, field_name)
    return _choice_labels(type(record), field_name, get_language()).get(value, value)


def interpolated(translated: str, **values) -> SafeString:
    """A translated message with its values escaped and put in, as {% blocktranslate %}
    writes it: for the tags that write a row a page repeats, in one pass of Python.
    `translated` is gettext("... %(name)s ...") at the call, where makemessages finds it."""
    return mark_safe(translated % {name: conditional_escape(value) for name, value in values.items()})
