from django import template
from django.urls import reverse
from django.utils.http import urlencode

from feedback.charts import interval_scale as _interval_scale
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
def trend(trend_rows, base=None, caption="", key="trend", small=False, most_answers=None, **filters):
    """The month trend of `trend_rows` ([(month, Figures)]); its points link to the answers
    of `base` plus `filters`. `key` makes its ids unique on a page with several;
    `most_answers` gives several charts one scale of answers (see `most_answers`)."""
    base = dict(base or {})
    for name, value in filters.items():  # as answers_url: None or "" removes a filter
        if value in (None, ""):
            base.pop(name, None)
        else:
            base[name] = value
    return {"chart": trend_chart(trend_rows, small=small, most_answers=most_answers), "base": base,
            "caption": caption, "key": key, "small": small}


@register.simple_tag
def most_answers(trends):
    """The most answers in one month of any of [(object, trend)]: one scale for small multiples."""
    return max((figures.n for _, trend_rows in trends for _, figures in trend_rows), default=0)


@register.inclusion_tag("feedback/_change.html")
def change(change):
    """A change of NPS against the previous period (feedback.figures.Change, or None for
    all time), in words as well as an arrow: "+6 (significant)", "-3, within noise"."""
    return {"c": change}


@register.inclusion_tag("feedback/_interval.html")
def interval(figures):
    """The 95% interval of an NPS in words: "12 to 30"."""
    return {"f": figures}


@register.simple_tag
def interval_scale(compared_rows, reference=None):
    """One NPS scale for the interval bars of a table of Compared rows (feedback.rollups)."""
    return _interval_scale([row.figures for row in compared_rows], reference)


@register.inclusion_tag("feedback/_interval_bar.html")
def interval_bar(figures, scale):
    """The interval as a bar on the table's common scale, the scope's NPS as a line."""
    if not figures.confident:
        return {"bar": None}
    low, high = scale.x(figures.low), scale.x(figures.high)
    return {"bar": {"low": low, "width": round(high - low, 2), "nps": scale.x(figures.nps),
                    "reference": scale.reference_x}}
