"""What each figure on the staff pages means, in one place: the text of the "?" beside a
figure (`{% definition "nps" %}`, feedback/templatetags/pulse_feedback.py) and of the
definitions page (/definitions/, each entry at its own anchor). English here, Danish in
feedback/locale. A figure's page and this text change together."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Definition:
    key: str  # also the anchor on the definitions page
    term: Promise
    text: Promise


DEFINITIONS = {d.key: d for d in [
    Definition("nps", _("NPS (Net Promoter Score)"), _(
        "The share of promoters minus the share of detractors, in points from −100 to +100, over the answers "
        "given in the period shown. Each answer counts once, with its latest score; answers marked suspect "
        "(signs of a bot) never count. Below 10 answers the figure is marked “too few answers”.")),
    Definition("margin", _("Margin of error (±)"), _(
        # xgettext:no-python-format
        "How far the NPS may be from the true value by chance alone, at 95% confidence: "
        "1.96 × √((p + d − (p − d)²) / n), with p and d the shares of promoters and detractors and n the "
        "answers counted. The fewer the answers, the wider the margin.")),
    Definition("categories", _("Promoters, passives, detractors"), _(
        "Answers to “How likely is it that you would recommend us?”: promoters gave 9 or 10, passives 7 or 8, "
        "detractors 0 to 6. Their shares are of n, the answers counted.")),
    Definition("n", _("n (answers counted)"), _(
        "The answers given in the period shown, one per answered invitation, suspect answers left out. It is "
        "the denominator of the NPS and of the shares of promoters, passives and detractors.")),
    Definition("response_rate", _("Response rate"), _(
        "Answered invitations divided by delivered invitations, of the invitations sent in the period shown. "
        "Its denominator is the delivered invitations, not n: the rate counts invitations by the month they "
        "were sent, n counts answers by the moment they were given, so an invitation sent at the end of one "
        "period and answered in the next counts in the first period's rate and in the next period's n.")),
    Definition("delivered", _("Delivered"), _(
        "Invitations the mail server accepted and no bounce came back for. Failed sends, bounced addresses "
        "and contacts held out of a wave are not delivered.")),
    Definition("followup_done", _("Follow-up done"), _(
        "Of the follow-up calls that are due, the share that reached the customer. A call is due once its due "
        "date has passed or it is closed (reached, declined, or unreachable after the attempts). Calls not due "
        "yet count as neither done nor missed. Counted over the calls of the answers given in the period "
        "shown.")),
    Definition("not_due", _("Not due yet"), _(
        "Open calls whose due date is today or later. A call is due a number of business days after the "
        "answer, by category, detractors soonest (Call settings).")),
    Definition("overdue", _("Overdue (missed)"), _(
        "Open calls whose due date has passed (due before today): one definition on every page, list and "
        "email. “Overdue now” counts them whatever the date of the answer, “missed” those of the answers "
        "given in the period shown; “more than 7 days” counts those due more than 7 days ago.")),
    Definition("on_time", _("Detractor calls on time"), _(
        # xgettext:no-python-format
        "Of the detractor calls that are due or have been tried, the share whose first attempt came on or "
        "before the due date and that are not still open past it: a call tried once and left open after its "
        "due date is late. The standard is 80% or better with no detractor call open past its due date; only "
        "then is the figure green.")),
    Definition("half_within", _("Half tried (reached) within"), _(
        "How long it took, from the answer, until half of the calls were tried (or reached the customer), "
        "over all calls ever made. Delays are counted in steps: 0.1 hour below 10 hours, 1 hour up to 48 "
        "hours, 1 day up to 60 days; the figure is the end of the step in which half of the calls are "
        "reached, so at least half took no longer than that.")),
    Definition("change", _("Change"), _(
        "The figure now minus the same figure over the previous period of the same length (for the last 3 "
        "months, the 3 months before them): in points for the NPS, in percentage points for shares.")),
    Definition("significant", _("Significant change"), _(
        # xgettext:no-python-format
        "A change in NPS larger than chance alone explains, at 95% confidence: the difference divided by its "
        "combined standard error is more than 1.96. A change not marked significant may be chance.")),
    Definition("interval", _("Interval"), _(
        # xgettext:no-python-format
        "The NPS ± its margin of error: the range that holds the true NPS with 95% confidence. Groups whose "
        "intervals overlap are not ranked against each other: their answers cannot tell them apart.")),
    Definition("theme_share", _("Share that mention a theme"), _(
        "Of the answers counted in the period shown (or of the promoters, or the detractors), the share whose "
        "reason mentions the theme, with its 95% interval (Wilson). A reason may mention several themes or none, "
        "so the shares do not add up to 100%. Themes are tagged by Pulse and corrected by people; a correction "
        "wins. Below 10 answers the share is marked “too few answers”.")),
    Definition("theme_nps", _("NPS with and without a theme"), _(
        "The NPS of the answers whose reason mentions the theme against the NPS of the other answers of the "
        "same period, and the difference with its 95% interval: ± 1.96 × √(se₁² + se₂²). Marked significant "
        "when the interval leaves out 0 and both sides have at least 10 answers. A theme that goes with a "
        "lower NPS is where customers are unhappy; it does not prove that it causes the score.")),
    Definition("revenue_nps", _("Revenue-weighted NPS"), _(
        "The NPS with each account's answers weighted by the account's annual revenue, so that a large "
        "customer counts for more than a small one. Accounts without an annual revenue are left out.")),
    Definition("revenue_coverage", _("Revenue coverage"), _(
        "The share of the annual revenue of active accounts whose account answered at least once in the last "
        "quarter: this calendar month and the two before it. CustomerGauge's users aim at 80%.")),
    Definition("revenue_at_risk", _("Revenue at risk"), _(
        "The annual revenue of the accounts whose latest answers are detractors and whose follow-up calls "
        "have not been made yet.")),
    Definition("accounts_at_risk", _("Accounts at risk"), _(
        "Accounts ranked by what is known about them: the share of detractors among their answers, with its "
        "interval, detractors not called yet, and levels of the customer (executive, manager, operational) "
        "that have gone silent.")),
]}


def definition_of(key: str) -> Definition:
    """The definition of a figure; a key not defined here is a programming error."""
    try:
        return DEFINITIONS[key]
    except KeyError:
        raise KeyError(f"No definition {key!r}; add it to feedback/definitions.py") from None
