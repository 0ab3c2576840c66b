"""The rows a rollup page repeats for every account manager (and region), written here
in one pass rather than by template tags and an include a cell: on the organisation's
page (forty account managers) the template's rows were a quarter of its time."""

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from feedback.templatetags.pulse_feedback import answers_url, change, interval, interval_bar, nps
from followups.templatetags.pulse_followups import am_followup_td
from surveys.display import percent_shown
from surveys.templatetags.pulse_display import interpolated
from surveys.templatetags.pulse_money import money

register = template.Library()

_AM_ROW = (
    '<tr class="{}">\n'
    '      <th scope="row"><a href="{}">{}</a></th>\n'
    "      {}\n"
    '      <td><a href="{}">{}</a></td>\n'
    '      <td class="interval-col">{}{}</td>\n'
    "      <td>{}</td>\n"
    '      <td><a href="{}">{}</a> <a class="small why-link" href="{}?{}owner={}&amp;period={}"'
    ' aria-label="{}">{}</a></td>\n'
    '      <td>{} <span class="muted small">({}/{})</span></td>\n'
    "      {}\n"
    "    </tr>"
)


@register.simple_tag
def am_rows(rows, base, scale, region, period, standing) -> SafeString:
    """The rows of one standing's group of the per-AM table: `rows` are [(Compared, their
    follow-up figures or None)]; `region` is the page's region (None: the organisation's
    page, which shows each AM's regions); the drill to their drivers keeps `period`."""
    weak = "weak" if standing == "below" else ""
    drivers = reverse("reports:drivers")
    region_query = format_html("region={}&amp;", region.pk) if region else ""
    why = mark_safe(gettext("why?"))
    html = []
    for row, fu in rows:
        owner, f = row.obj, row.figures
        answers = answers_url(base, owner=owner.pk, suspect="no")
        regions = "" if region else format_html(
            '<td class="am-region">{}</td>', mark_safe(", ".join(conditional_escape(name) for name in row.regions)))
        html.append(format_html(
            _AM_ROW, weak, answers, owner, regions, answers, nps(f, short=True), interval_bar(f, scale), interval(f),
            change(row.change), answers_url(base, owner=owner.pk, category="detractor", suspect="no"), f.detractors,
            drivers, region_query, owner.pk, period,
            interpolated(gettext("Why the customers of %(name)s stay and leave"), name=owner), why,
            percent_shown(f.response_rate), f.answered, f.delivered, am_followup_td(fu),
        ))
    return mark_safe("".join(html))


_COVERAGE_ROW = (
    "<tr>\n"
    '    <th scope="row"><a href="{}">{}</a></th>\n'
    '    <td class="coverage {}" data-label="{}">{}{}</td>\n'
    '    <td class="heard" data-label="{}">{}</td>\n'
    '    <td class="known" data-label="{}">{}</td>\n'
    '    <td class="accounts" data-label="{}">{}</td>\n'
    "  </tr>"
)


@register.simple_tag
def coverage_rows(rows, kind, base, currency) -> SafeString:
    """The rows of a revenue coverage table: `rows` are [(Region or User, Coverage)],
    `kind` "region" or "owner"; each name opens the answers of the last three months."""
    labels = [mark_safe(label) for label in (gettext("Coverage"), gettext("Heard from, last 3 months"),
                                              gettext("Known revenue"), gettext("Accounts heard from"))]
    below = format_html(' <span class="small">({})</span>', mark_safe(gettext("below target")))
    html = []
    for who, c in rows:
        if kind == "region":
            href, name = answers_url(base, region=who.pk, period="3m", suspect="no"), who.name
        else:
            href, name = answers_url(base, owner=who.pk, period="3m", suspect="no"), who
        on_target = c.on_target
        html.append(format_html(
            _COVERAGE_ROW, href, name, "promoter" if on_target else "detractor", labels[0], percent_shown(c.share),
            "" if on_target else below, labels[1], money(c.heard, currency), labels[2], money(c.revenue, currency),
            labels[3], interpolated(gettext("%(heard)s of %(known)s"), heard=c.accounts_heard,
                                    known=c.accounts_with_revenue),
        ))
    return mark_safe("".join(html))
