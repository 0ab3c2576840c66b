"""The invitation and its reminder as an email, in the contact's language."""

import html
import re
from email.utils import formataddr

from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from .emails import email_render
from .models import Contact, Invitation, Program, header_text_clean, header_text_unsafe
from .tokens import invitation_token

EMAIL_LANGUAGES = ("en", "da")


class InvitationEmailError(ValueError):
    """The email cannot be built from these values; the text says which (for the wave page)."""


def _header_values_check(invitation: Invitation, program: Program) -> None:
    """Refuse a line break or control character in what goes into the headers (From, To,
    Reply-To, Subject), naming the value, rather than Django's error about some address.
    The program's values are checked when saved; a contact's or owner's may come from a file."""
    contact, owner = invitation.contact, invitation.account.owner
    header_values = {
        "The survey program's sender name": program.sender_name,
        "The survey program's sender address": program.sender_email,
        "The survey program's company name": program.company_name,
        "The contact's name": contact.name,
        "The contact's address": contact.email,
        "The account owner's name": owner.full_name,
        "The account owner's address": owner.email,
    }
    for what, value in header_values.items():
        if header_text_unsafe(value):
            raise InvitationEmailError(f"{what} has a line break or another control character: {value!r}")


def email_language(contact: Contact) -> str:
    language = (contact.language or "en").lower()[:2]
    return language if language in EMAIL_LANGUAGES else "en"


_PLACEHOLDER = re.compile(r"@@(\w+)@@")
_skeletons: dict = {}


def _email_skeleton(
    name: str, language: str, program: Program, *, has_phone: bool, has_owner_name: bool, has_contact_name: bool
) -> tuple[str, str, str]:
    """The email's subject, text and HTML rendered once per language (and program version)
    with @@placeholders@@ for what differs per message; filled by `_fill`. Rendering three
    templates per message would cost more than sending it."""
    key = (name, language, has_phone, has_owner_name, has_contact_name, program.pk, program.updated_at,
           settings.SITE_URL)
    skeleton = _skeletons.get(key)
    if skeleton is not None:
        return skeleton
    context = {
        "contact_first_name": "@@first_name@@" if has_contact_name else "",
        "account": {"name": "@@account@@"},
        "owner": {"phone": "@@owner_phone@@" if has_phone else "", "email": "@@owner_email@@"},
        "owner_name": "@@owner_name@@" if has_owner_name else "",
        "company": "@@company@@",
        "question": "@@question@@",
        "scores": [(score, f"@@answer_url@@?score={score}") for score in range(11)],
        "answer_url": "@@answer_url@@",
        "unsubscribe_url": "@@unsubscribe_url@@",
        "language": language,
    }
    with translation.override(language):
        skeleton = email_render(name, context)
    if len(_skeletons) > 64:
        _skeletons.clear()
    _skeletons[key] = skeleton
    return skeleton


def _fill(skeleton: str, values: dict, escape: bool) -> str:
    """One pass, so a value that looks like a placeholder stays as it is."""
    if escape:
        return _PLACEHOLDER.sub(lambda m: html.escape(values[m.group(1)], quote=True), skeleton)
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], skeleton)


def sender_display_name(owner_name: str, program: Program) -> str:
    """Who the email is from, as the customer's inbox shows it: the account manager who
    signs it, and the company ("Anders Nielsen, Acme"); the program's sender name for an
    owner without a name. Control characters are taken out: names come from a file."""
    name = header_text_clean(owner_name)
    return f"{name}, {header_text_clean(program.company_name)}" if name else header_text_clean(program.sender_name)


def invitation_email(invitation: Invitation, *, program: Program, reminder: bool = False, connection=None,
                     answer_url: str = "", unsubscribe_url: str = ""):
    """The invitation (or its reminder) as an EmailMultiAlternatives, in the contact's language:
    templates/emails/{invitation,reminder}.{subject.txt,txt,html}. `answer_url` and
    `unsubscribe_url` replace the invitation's own links (the program page's preview).
    Raises InvitationEmailError when a value cannot go into a header."""
    _header_values_check(invitation, program)
    contact = invitation.contact
    owner = invitation.account.owner
    token = invitation_token(invitation)
    unsubscribe_url = unsubscribe_url or settings.SITE_URL + reverse("surveys:unsubscribe", args=[token])
    language = email_language(contact)
    # Customers are never shown a name made up from an address: without one, the email
    # greets them without a name and is signed by the company.
    contact_name, owner_name = header_text_clean(contact.name), header_text_clean(owner.full_name)
    values = {
        "first_name": contact_name.split()[0] if contact_name else "",
        "account": invitation.account.name,
        "owner_name": owner_name,
        "owner_phone": owner.phone,
        "owner_email": owner.email,
        "company": program.company_name,
        "question": program.question(language),
        "answer_url": answer_url or settings.SITE_URL + reverse("answer:answer", args=[token]),
        "unsubscribe_url": unsubscribe_url,
    }
    name = "reminder" if reminder else "invitation"
    subject, text, html_body = _email_skeleton(
        name, language, program, has_phone=bool(owner.phone), has_owner_name=bool(owner_name),
        has_contact_name=bool(contact_name),
    )
    subject, text, html_body = _fill(subject, values, False), _fill(text, values, False), _fill(html_body, values, True)
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
        "Content-Language": language,
    }
    if reminder:
        headers["Message-ID"] = invitation.message_id.replace("@pulse>", "-reminder@pulse>")
        headers["In-Reply-To"] = invitation.message_id
        headers["References"] = invitation.message_id
    else:
        headers["Message-ID"] = invitation.message_id
    message = mail.EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=formataddr((sender_display_name(owner.full_name, program), program.sender_email)),
        to=[formataddr((contact_name, contact.email))],
        reply_to=[formataddr((owner_name, owner.email))],
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(html_body, "text/html")
    return message
