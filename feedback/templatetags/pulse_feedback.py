from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.formats import date_format, localize
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, gettext_lazy

from feedback.charts import interval_scale as _interval_scale
from feedback.charts import trend_chart
from feedback.definitions import definition_of
from surveys.templatetags import pulse_display

register = template.Library()


# The figures' filters, one rounding rule (surveys.display), for the pages that load this library.
register.filter("pct", pulse_display.pct)
register.filter("signed", pulse_display.signed)
register.filter("num", pulse_display.num)


# The small pieces a rollup page repeats hundreds of times (an NPS, its interval, its
# change, a "?") are written here rather than as included templates: a template per piece
# cost a third of the page's time.

@register.simple_tag
def definition(key) -> SafeString:
    """A "?" after a figure's label that opens its definition in place (a <details>: no
    JavaScript), with a link to all definitions. It is flow content: put it in a th, td,
    li, dd or div, never inside a link, a heading or a <p>."""
    d = definition_of(key)
    return format_html(
        '<details class="definition"><summary><span aria-hidden="true">?</span><span class="visually-hidden">'
        '{}</span></summary><span class="definition-text"><strong>{}</strong>: {} <a href="{}#{}">{}</a></span>'
        "</details>",
        gettext("What “%(term)s” means") % {"term": d.term}, d.term, d.text,
        reverse("feedback:definitions"), d.key, gettext("All definitions"),
    )


@register.simple_tag
def nps(figures, short=False) -> SafeString:
    """An NPS with its margin and n; "too few answers" below MIN_N, "no answers" without any."""
    num = pulse_display.num
    if not figures.n:
        return format_html('<span class="nps nps-none">{}</span>', gettext("no answers"))
    if figures.confident:
        margin = "" if short else format_html(' <span class="muted">± {}</span>', num(figures.margin))
        return format_html('<span class="nps"><strong class="nps-value">{}</strong>{} <span class="muted n">n={}'
                           "</span></span>", num(figures.nps), margin, figures.n)
    detail = "" if short else format_html(" ({} {} ± {})", gettext("NPS"), num(figures.nps), num(figures.margin))
    return format_html('<span class="nps nps-thin" title="{}"><em>{}</em> <span class="muted n">n={}{}</span></span>',
                       gettext("Fewer than 10 answers: not a reliable NPS"), gettext("too few answers"),
                       figures.n, detail)


@register.filter
def themes_to_add(response, themes_offered):
    """The themes offered (the view passes the active ones) that the answer does not have yet;
    reads the answer's prefetched themes."""
    have = {row.theme_id for row in response.themes.all()}
    return [theme for theme in themes_offered or () if theme.pk not in have]


# The inbox's triage buttons: what each state's button says.
_TRIAGE_LABELS = {"new": gettext_lazy("Mark new"), "seen": gettext_lazy("Mark seen"),
                  "handled": gettext_lazy("Mark handled")}


@register.simple_tag(takes_context=True)
def triage_forms(context, response, here) -> SafeString:
    """The inbox row's buttons that move an answer to each other triage state, each its own
    form (htmx swaps the row in place; without JavaScript the form posts and comes back to
    `here`). Written here, not as a template: the inbox repeats them on every row, and as
    a template they were half of the page's time."""
    url = reverse("feedback:response_triage", args=[response.pk])
    csrf = _csrf_input(context)
    # The visible words start the accessible name (WCAG 2.5.3); the hidden rest says whose answer.
    whose = gettext("%(name)s's answer") % {"name": response.contact.name}
    return format_html_join("\n", "{}", (
        (format_html(
            '<form method="post" action="{0}" hx-post="{0}" hx-target="#answer-{1}" hx-swap="outerHTML">{2}'
            '<input type="hidden" name="state" value="{3}"><input type="hidden" name="next" value="{4}">'
            '<button type="submit" class="{5}small">{6}<span class="visually-hidden">: {7}</span></button></form>',
            url, response.pk, csrf, state, here, "" if state == "handled" else "secondary ", label, whose,
        ),)
        for state, label in _TRIAGE_LABELS.items() if state != response.triage
    ))


@register.simple_tag(takes_context=True)
def answer_themes(context, response, can_correct=False, here="", themes_offered=None, themes_error="") -> SafeString:
    """An answer's themes, with the form that removes or adds one when `can_correct`
    (feedback/_themes.html). Written here, not as a template: the inbox repeats it on every
    row, and as a template it was a third of the page's time."""
    shown = list(response.themes.all())
    if not (shown or response.reason):
        return format_html('<div class="themes" id="themes-{}"></div>', response.pk)
    parts = []
    if can_correct:
        url = reverse("feedback:response_themes", args=[response.pk])
        parts.append(format_html(
            '<form method="post" action="{0}" hx-post="{0}" hx-target="#themes-{1}" hx-swap="outerHTML">{2}'
            '<input type="hidden" name="next" value="{3}">', url, response.pk, _csrf_input(context), here))
    parts.append(format_html('\n<ul class="theme-list" aria-label="{}">\n', gettext("Themes")))
    for row in shown:
        name = row.theme.name_here
        remove = format_html(
            '<button type="submit" name="remove" value="{}" class="theme-remove" aria-label="{}">'
            '<span aria-hidden="true">×</span></button>',
            row.theme.key, gettext("Remove theme %(name)s") % {"name": name}) if can_correct else ""
        said = _theme_said(row)
        parts.append(format_html(
            '<li class="theme theme-{}" title="{}">{}<span class="visually-hidden"> ({})</span>{}</li>\n',
            "person" if row.source == "person" else "machine", said[:1].upper() + said[1:], name, said, remove))
    if not shown:
        parts.append(format_html('<li class="theme-none muted small">{}</li>\n', gettext("No theme")))
    parts.append(mark_safe("</ul>\n"))
    if can_correct:
        addable = themes_to_add(response, themes_offered)
        if addable:
            parts.append(format_html(
                '<details class="theme-add"><summary><span aria-hidden="true">+</span>{}</summary>\n'
                '<div class="theme-options">{}</div>\n</details>',
                gettext("Add a theme"), mark_safe("".join(theme_add_button(theme) for theme in addable))))
        parts.append(mark_safe("\n</form>"))
    if themes_error:
        parts.append(format_html('\n<p class="error small" role="alert">{}</p>', themes_error))
    return format_html('<div class="themes" id="themes-{}">{}\n</div>', response.pk, mark_safe("".join(parts)))


def _theme_said(row) -> str:
    """Who found one theme of an answer, as its title and hidden text say."""
    if row.source != "person":
        return gettext("suggested")
    if row.by_id:
        return gettext("added by %(name)s") % {"name": row.by}
    return gettext("added by a person")


def _csrf_input(context) -> str:
    token = context.get("csrf_token")
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token) if (
        token and token != "NOTPROVIDED") else ""


@register.simple_tag
def theme_add_button(theme) -> SafeString:
    """The button that adds `theme` to an answer (in the answer's themes form). It is the
    same for every answer of a page, so it is made once per theme and page: the themes
    offered are read afresh for each page by the view."""
    button = theme.__dict__.get("_add_button")
    if button is None:
        name = theme.name_here
        button = theme.__dict__["_add_button"] = format_html(
            '<button type="submit" name="add" value="{}" class="secondary small" aria-label="{}">{}</button>',
            theme.key, gettext("Add theme %(name)s") % {"name": name}, name,
        )
    return button


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
    return _answers_path(get_language(), get_script_prefix()) + (f"?{query}" if query else "")


@lru_cache(maxsize=32)
def _answers_path(language: str, script_prefix: str) -> str:
    """The answers list's path, which depends only on these two (a page links to it hundreds
    of times; reversing each time was a tenth of the organisation page's CPU)."""
    return reverse("feedback:answers")


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
    chart = trend_chart(trend_rows, small=small, most_answers=most_answers)
    words = {"so_far": mark_safe(gettext("so far")), "nps": mark_safe(gettext("NPS")),
             # xgettext:no-python-format
             "interval": mark_safe(gettext("95% interval"))}
    rows = [_trend_row(p, base, words, chart.layout) for p in chart.points]
    return {"chart": chart, "base": base, "caption": caption, "key": key, "small": small,
            "bars": _trend_bars(chart), "points": mark_safe("".join(row["point"] for row in rows)),
            "table_rows": mark_safe("".join(row["table_row"] for row in rows))}


def _svg_number(value) -> str:
    """A coordinate as the chart's SVG takes it: never in the language's format ("12.5")."""
    return localize(value, use_l10n=False)


def _trend_bars(chart) -> SafeString:
    width = _svg_number(chart.bar_width)
    return format_html_join("", '<rect x="{}%" y="{}" width="{}%" height="{}" class="bar"/>', (
        (_svg_number(p.bar_x), _svg_number(p.bar_y), width, _svg_number(p.bar_height)) for p in chart.points
    ))


def _trend_row(point, base, words, layout) -> dict:
    """What the trend writes for a month, its point and label on the chart and its row of
    the table, worked out here once in one pass rather than by tags and filters in the
    template (four charts on the organisation page). `words`: the translated words they
    repeat."""
    month, f = point.month, point.figures
    href = answers_url(base, month=month.strftime("%Y-%m"), suspect="no")
    month_year = date_format(month, "M Y")
    shown_interval = interval(f)
    x = _svg_number(point.x)
    so_far = format_html(" ({})", words["so_far"]) if point.in_progress else ""
    circle = label = ""
    if point.y is not None:
        circle = format_html(
            '<a href="{}"><circle cx="{}%" cy="{}" r="5" class="point{}"><title>{}{}: {} {}, {} {}, n={}</title>'
            "</circle></a>",
            href, x, _svg_number(point.y), "" if f.confident else " thin", month_year, so_far, words["nps"],
            pulse_display.num(f.nps), words["interval"], shown_interval, _svg_number(f.n),
        )
    if point.label:
        label = format_html(
            '<text x="{}%" y="{}" class="axis month {}" text-anchor="middle">{}<tspan x="{}%" dy="1.15em">{}</tspan>'
            "</text>",
            x, _svg_number(layout.label_y), point.label, date_format(month, "M"), x, str(month.year),
        )
    in_progress = format_html(' <span class="muted small">({})</span>', words["so_far"]) if point.in_progress else ""
    table_row = format_html(
        '<tr><th scope="row"><a href="{}">{}</a>{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
        href, month_year, in_progress, nps(f, short=True), shown_interval, localize(f.n),
        pulse_display.pct(f.response_rate),
    )
    return {"point": format_html("{}\n    {}", circle, label), "table_row": table_row}


@register.simple_tag
def most_answers(trends):
    """The most answers in one month of any of [(object, trend)]: one scale for small multiples."""
    return max((figures.n for _, trend_rows in trends for _, figures in trend_rows), default=0)


@register.simple_tag
def change(change) -> SafeString:
    """A change of NPS against the previous period (feedback.figures.Change, or None for
    all time), in words as well as an arrow: "+6 (significant)", "-3, within noise"."""
    c = change
    if c is None or not c.current.n:
        return mark_safe('<span class="change none muted">—</span>')
    if not c.previous.n:
        return format_html('<span class="change none muted">{}</span>', gettext("no answers in the previous period"))
    if not c.comparable:
        return format_html('<span class="change none muted">{}</span>', gettext("too few answers to compare"))
    if c.direction == "same":
        moved = "±0"
    else:
        moved = format_html('<span class="arrow" aria-hidden="true">{}</span> {}',
                            "▲" if c.direction == "up" else "▼", pulse_display.signed(c.delta))
    if c.significant:
        verdict = format_html(" <strong>({})</strong>", gettext("significant"))
    else:
        verdict = format_html(", {}", gettext("within noise"))
    return format_html('<span class="change {} {}">{}{}</span>', c.direction,
                       "significant" if c.significant else "within", moved, verdict)


@register.simple_tag
def interval(figures) -> SafeString:
    """The 95% interval of an NPS in words: "12 to 30"."""
    if not figures.n:
        return mark_safe("—")
    return format_html('<span class="interval">{} {} {}</span>', pulse_display.num(figures.low), gettext("to"),
                       pulse_display.num(figures.high))


@register.simple_tag
def interval_scale(compared_rows, reference=None):
    """One NPS scale for the interval bars of a table of Compared rows (feedback.rollups)."""
    return _interval_scale([row.figures for row in compared_rows], reference)


@register.simple_tag
def interval_bar(figures, scale) -> SafeString:
    """The interval as a bar on the table's common scale, the scope's NPS as a line."""
    if not figures.confident:
        return mark_safe("")
    low, high = scale.x(figures.low), scale.x(figures.high)
    reference = ""
    if scale.reference_x is not None:
        reference = format_html('<line x1="{0}%" x2="{0}%" y1="0" y2="14" class="reference"/>', scale.reference_x)
    return format_html(
        '<svg class="interval-bar" width="100%" height="14" aria-hidden="true" focusable="false">'
        '<line x1="0" x2="100%" y1="7" y2="7" class="scale"/>{}<rect x="{}%" y="3" width="{}%" height="8" rx="2"'
        ' class="range"/><circle cx="{}%" cy="7" r="3" class="value"/></svg>',
        reference, low, round(high - low, 2), scale.x(figures.nps),
    )
