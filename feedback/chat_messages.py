"""What a chat post says: a detractor alert, a digest or a test, as a Slack Block Kit
message or a Microsoft Teams message with an Adaptive Card (what Teams incoming webhooks
and Workflows take). Built in the active language (the caller overrides it with the
user's).

Each post is a title, facts (label, value), an optional quote (the customer's reason),
optional lines (a digest's detractors, each with its link) and a button. The contact's
name, email and phone never go: the owner finds them behind the link, signed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from surveys.display import date_shown, number_shown

from .models import ChatKind, Response

REASON_MAX = 500  # characters of a reason in an alert
DIGEST_REASON_MAX = 120
DIGEST_LINES_MAX = 10


@dataclass
class Line:
    text: str
    url: str = ""


@dataclass
class Post:
    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    quote: str = ""
    lines: list[Line] = field(default_factory=list)
    button: tuple[str, str] | None = None  # (label, url)

    def body(self, kind: str) -> dict:
        return _teams(self) if kind == ChatKind.TEAMS else _slack(self)


def detractor_post(response: Response, *, url: str) -> Post:
    reason = Truncator(response.reason).chars(REASON_MAX) if response.reason else _("They gave no reason.")
    return Post(
        title=_("Detractor: %(score)s out of 10 at %(account)s") % {
            "score": response.score, "account": response.account.name},
        facts=[
            (_("Score"), f"{response.score} / 10"),
            (_("Category"), response.get_category_display()),
            (_("Account"), response.account.name),
            (_("Owner"), str(response.account.owner)),
        ],
        quote=reason,
        button=(_("Open the answer"), url),
    )


def digest_post(frequency: str, content) -> Post:
    start, end = date_shown(content.start), date_shown(content.end)
    if frequency == "weekly":
        title = _("Your weekly digest, %(start)s to %(end)s") % {"start": start, "end": end}
    else:
        title = _("Your daily digest, %(start)s to %(end)s") % {"start": start, "end": end}
    figures = content.figures
    nps = (f"{number_shown(figures.nps)} ± {number_shown(figures.margin)} (n={figures.n})"
           if figures.n else _("no answers"))
    move = (_("%(move)s points") % {"move": number_shown(content.nps_move, sign=True)}
            if content.nps_move is not None else _("not comparable"))
    lines = [
        Line(
            _("%(score)s at %(account)s (%(owner)s): %(reason)s") % {
                "score": r.score, "account": r.account.name, "owner": r.account.owner,
                "reason": Truncator(r.reason).chars(DIGEST_REASON_MAX) if r.reason else _("no reason")},
            settings.SITE_URL + reverse("response_detail", args=[r.pk]),
        )
        for r in content.detractors[:DIGEST_LINES_MAX]
    ]
    if content.detractor_count > len(lines):
        lines.append(Line(_("... and %(count)s detractors in all.") % {"count": content.detractor_count}))
    return Post(
        title=title,
        facts=[
            (_("New answers"), _("%(n)s (promoters %(p)s, passives %(pa)s, detractors %(d)s)") % {
                "n": figures.n, "p": figures.promoters, "pa": figures.passives, "d": figures.detractors}),
            (_("NPS"), nps),
            (_("Move against the 90 days before"), move),
        ],
        lines=lines,
        button=(_("Open your overview"), settings.SITE_URL + reverse("home")),
    )


def test_post() -> Post:
    return Post(
        title=_("Pulse is connected"),
        quote=_("This is a test message. The detractor alerts and digests you chose will arrive here."),
        button=(_("Notification settings"), settings.SITE_URL + reverse("feedback:notification_settings")),
    )


# --- Slack Block Kit ----------------------------------------------------------------

def _slack_escape(text: str) -> str:
    """Slack reads <...> as links and mentions (<!channel>): a customer's words stay words."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack(post: Post) -> dict:
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": post.title[:150]}}]
    if post.facts:
        blocks.append({"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*{_slack_escape(label)}*\n{_slack_escape(value)}"}
            for label, value in post.facts]})
    if post.quote:
        quoted = "\n".join(f">{line}" for line in _slack_escape(post.quote).splitlines() or [""])
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": quoted}})
    if post.lines:
        text = "\n".join(
            f"• <{line.url}|{_slack_escape(line.text)}>" if line.url else f"• {_slack_escape(line.text)}"
            for line in post.lines)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
    if post.button:
        label, url = post.button
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": label}, "url": url}]})
    # `text` is what notifications and screen readers show.
    return {"text": post.title, "blocks": blocks}


# --- Microsoft Teams: a message with an Adaptive Card -------------------------------

def _teams(post: Post) -> dict:
    body: list[dict] = [{"type": "TextBlock", "text": post.title, "weight": "Bolder", "size": "Medium",
                         "wrap": True}]
    if post.facts:
        body.append({"type": "FactSet", "facts": [{"title": label, "value": value} for label, value in post.facts]})
    if post.quote:
        body.append({"type": "TextBlock", "text": post.quote, "wrap": True, "isSubtle": True})
    for line in post.lines:
        text = f"[{line.text}]({line.url})" if line.url else line.text
        body.append({"type": "TextBlock", "text": text, "wrap": True, "spacing": "Small"})
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
            "version": "1.4", "body": body}
    if post.button:
        label, url = post.button
        card["actions"] = [{"type": "Action.OpenUrl", "title": label, "url": url}]
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}
