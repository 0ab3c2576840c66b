"""The pieces of the drivers (feedback.drivers) a page repeats for every theme: a share
with its interval, a difference of NPS with its interval, and its share month by month
as small bars. Written here rather than as included templates, as pulse_feedback's
figures are: a template per piece is slow."""

from functools import lru_cache

from django import template
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from feedback.charts import SPARK_HEIGHT, share_bars
from feedback.templatetags.pulse_feedback import answers_url
from feedback.templatetags.pulse_themes import theme_name
from surveys.display import number_shown, percent_shown

register = template.Library()


@register.simple_tag
def share(share) -> SafeString:
    """A share (feedback.drivers.Share) with its 95% interval: "23% (15% to 32%)"; "too few
    answers" below 10 of its base, "—" without any."""
    if not share.n:
        return mark_safe('<span class="muted">—</span>')
    if not share.confident:
        return format_html('<span class="share nps-thin" title="{}"><em>{}</em></span>',
                           gettext("Fewer than 10 answers: not a reliable share"), gettext("too few answers"))
    return format_html('<span class="share"><strong>{}</strong> <span class="interval">({} {} {})</span></span>',
                       percent_shown(share.value), percent_shown(share.low), gettext("to"),
                       percent_shown(share.high))


@register.simple_tag
def difference(diff) -> SafeString:
    """The NPS of the answers that mention a theme minus that of those that do not
    (feedback.figures.Difference), with its 95% interval and whether it is more than
    chance: "+24 (9 to 39), significant"."""
    if diff.delta is None:
        return mark_safe('<span class="difference none muted">—</span>')
    if not diff.comparable:
        return format_html('<span class="difference none muted">{}</span>', gettext("too few answers to compare"))
    direction = "up" if diff.delta > 0 else "down"
    if diff.significant:
        verdict = format_html(" <strong>({})</strong>", gettext("significant"))
    else:
        verdict = format_html(", {}", gettext("within noise"))
    return format_html('<span class="difference {} {}">{} <span class="interval">({} {} {})</span>{}</span>',
                       direction, "significant" if diff.significant else "within",
                       number_shown(diff.delta, sign=True), number_shown(diff.low, sign=True), gettext("to"),
                       number_shown(diff.high, sign=True), verdict)


@lru_cache(maxsize=256)
def _month_label(month, language: str) -> str:
    return date_format(month, "M Y")


# Stands for the month in a bar's link, built once per theme (a table has a hundred bars).
_MONTH_SLOT = "0000-00"


@register.simple_tag
def share_by_month(driver, base, top) -> SafeString:
    """A theme's share of the answers month by month as small bars on the table's common
    scale (0 to `top`); each bar links to that month's answers that mention it, and says
    its figures. Months with fewer than 10 answers are outlines."""
    bars = share_bars(driver.trend, top=top)
    width = round(100.0 / max(len(bars), 1) * 0.7, 2)
    language = get_language() or "en"
    said = gettext("%(month)s: %(count)s of %(n)s answers")
    href = answers_url(base, theme=driver.theme.key, month=_MONTH_SLOT, suspect="no")
    parts = []
    for bar in bars:
        label = escape(said % {"month": _month_label(bar.month, language), "count": bar.share.count,
                               "n": bar.share.n})
        if not bar.height:
            parts.append(f'<rect x="{bar.x}%" y="{SPARK_HEIGHT - 1}" width="{width}%" height="1" class="spark-none">'
                         f"<title>{label}</title></rect>")
            continue
        link = escape(href.replace(_MONTH_SLOT, bar.month.strftime("%Y-%m")))
        y = round(SPARK_HEIGHT - bar.height, 1)
        parts.append(f'<a href="{link}" aria-label="{label}"><rect x="{bar.x}%" y="{y}" width="{width}%"'
                     f' height="{bar.height}" class="spark-bar{" thin" if bar.thin else ""}"><title>{label}</title>'
                     "</rect></a>")
    # Outside the f-string, where makemessages finds it.
    name = gettext("%(theme)s: share of the answers by month") % {"theme": theme_name(driver.theme)}
    # Every value above is a number or escaped here.
    return mark_safe(  # noqa: S308
        f'<svg class="spark" width="100%" height="{SPARK_HEIGHT}" role="group" aria-label="{escape(name)}">'
        f'{"".join(parts)}</svg>'
    )
