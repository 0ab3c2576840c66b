"""The follow-up figures a rollup page repeats on every account manager's row, written
here rather than as an included template: included once a row, it was an eighth of the
organisation page's time."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from surveys.display import percent_shown
from surveys.templatetags.pulse_display import interpolated

register = template.Library()


@register.simple_tag
def am_followup_td(fu) -> SafeString:
    """The "Follow-up done" cell of an account manager's row: `fu` is their figures of
    discipline_by_am, or None (no call and no answer of theirs in the period)."""
    if not fu:
        return mark_safe('<td class="followup-done">—</td>\n')
    states = []
    if fu["missed"]:
        states.append(format_html('<span class="detractor">{}</span>',
                                  interpolated(gettext("%(n)s missed (overdue)"), n=fu["missed"])))
        if fu["not_due"]:
            states.append(" · ")
    if fu["not_due"]:
        states.append(interpolated(gettext("%(n)s not due yet"), n=fu["not_due"]))
    on_time = ""
    if fu["detractor_on_time_share"] is not None:
        on_time = format_html('\n  <span class="muted small">{}</span>', interpolated(
            gettext("%(s)s of detractor calls on time"), s=percent_shown(fu["detractor_on_time_share"])))
    late = ""
    if fu["detractors_overdue_now"]:
        n = fu["detractors_overdue_now"]
        late = format_html('\n  <span class="small detractor fu-late">{}</span>', interpolated(
            ngettext("%(n)s detractor call open past its due date", "%(n)s detractor calls open past their due date",
                     n), n=n))
    reached = interpolated(gettext("(%(r)s of %(due)s due)"), r=fu["reached"], due=fu["due"])
    return format_html(
        '<td class="followup-done">{} <span class="muted small">{}</span>\n  <span class="small fu-states">{}</span>'
        "{}{}</td>\n",
        percent_shown(fu["done_share"]), reached, mark_safe("".join(states)), on_time, late,
    )
