"""The rows a rollup page repeats for every account manager, written here in one pass
rather than by template tags and an include a cell: on the organisation's page (forty
account managers) the template's rows were a quarter of its time."""

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from feedback.templatetags.pulse_feedback import answers_url, change, interval, interval_bar, nps
from followups.templatetags.pulse_followups import am_followup_td
from surveys.display import percent_shown
from surveys.templatetags.pulse_display import interpolated

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
