from django import template
from django.urls import reverse
from django.utils.http import urlencode

from feedback.charts import trend_chart

register = template.Library()


@register.filter
def pct(value, digits=0):
    """0.4567 -> '46%'; None -> '—'."""
    if value is None:
        return "—"
    return f"{value * 100:.{int(digits)}f}%"


@register.filter
def signed(value):
    if value is None:
        return "—"
    return f"{value:+.0f}"


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
