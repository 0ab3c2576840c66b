"""Emails are three templates: templates/emails/<name>.{subject.txt,txt,html}."""

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def email_render(name: str, context: dict) -> tuple[str, str, str]:
    """Subject (on one line), plain text and HTML of the email `name`."""
    subject = " ".join(render_to_string(f"emails/{name}.subject.txt", context).split())
    return subject, render_to_string(f"emails/{name}.txt", context), render_to_string(f"emails/{name}.html", context)


def email_message(name: str, context: dict, *, to: list[str], **kwargs) -> EmailMultiAlternatives:
    """The email `name` rendered with `context`, both parts attached, ready to send."""
    subject, text, html = email_render(name, context)
    # Staff emails only (invitations are made in invitation_email): the embedded outbox
    # filters by it.
    kwargs["headers"] = {"X-Pulse-Kind": name, **kwargs.get("headers", {})}
    message = EmailMultiAlternatives(subject=subject, body=text, to=to, **kwargs)
    message.attach_alternative(html, "text/html")
    return message
