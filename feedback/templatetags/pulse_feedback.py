from django import template
from django.urls import reverse
from django.utils.http import urlencode

from feedback.charts import trend_chart
from feedback.definitions import definition_of
from surveys.templatetags import pulse_display

register = template.Library()


# The figures' filters, one rounding rule (surveys.display), for the pages that load this library.
register.filter("pct", pulse_display.pct)
register.filter("signed", pulse_display.signed)
register.filter("num", pulse_display.num)


@register.inclusion_tag("feedback/_definition.html")
def definition(key):
    """A "?" after a figure's label that opens its definition in place (a <details>: no
    JavaScript), with a link to all definitions. It is flow content: put it in a th, td,
    li, dd or div, never inside a link, a heading or a <p>."""
    return {"d": definition_of(key)}


@register.inclusion_tag("feedback/_nps.html")
def nps(figures, short=False):
    return {"f": figures, "short": short}


@register.simple_tag
def answers_url(base=None, **overrides):
    """The answers list behind a figure: `base` (a dict of filters) plus overrides;
    an override of None or "" removes that filter."""
    params = dict(base or {})
    for key, value in overrides.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    if "month" in params:
        params.pop("period", None)
    query = urlencode(sorted(params.items()))
    return reverse("feedback:answers") + (f"?{query}" if query else "")


@register.inclusion_tag("feedback/_trend.html")
def trend(trend_rows, base=None, caption=""):
    return {"chart": trend_chart(trend_rows), "base": base or {}, "caption": caption}
