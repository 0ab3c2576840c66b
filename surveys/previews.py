"""Previews for the program page: the invitation as a contact would get it, built from a
sample contact of the book, in memory only: nothing is saved and nothing is sent."""

from django.urls import reverse

from .invitation_email import EMAIL_LANGUAGES, invitation_email
from .models import Account, Contact, Invitation, Program, Region, User

# The languages customers are written to, named in their own language.
PREVIEW_LANGUAGES = [(code, {"en": "English", "da": "Dansk"}[code]) for code in EMAIL_LANGUAGES]

# A made-up contact for a book with nobody in it yet, per language.
_MADE_UP = {
    "en": ("Jane Doe", "jane.doe@example.com", "Example Industries Ltd", "Alex Smith"),
    "da": ("Mette Hansen", "mette.hansen@example.com", "Eksempel Industri A/S", "Lars Jensen"),
}


def preview_contact(language: str) -> tuple[Contact, bool]:
    """A contact to show the previews with, and whether it is made up: the first reachable
    contact of an active account who reads `language`, else the first of any language,
    else a made-up one (unsaved). Its language is set to `language` in memory only."""
    reachable = (Contact.objects.select_related("account__owner")
                 .filter(account__active=True, opted_out_at=None, bounced_at=None, erased_at=None)
                 .order_by("pk"))
    contact = reachable.filter(language__istartswith=language).first() or reachable.first()
    made_up = contact is None
    if made_up:
        name, email, account_name, owner_name = _MADE_UP[language]
        owner = User(email="account.manager@example.com", full_name=owner_name, phone="+45 12 34 56 78")
        account = Account(name=account_name, owner=owner, region=Region(name="Example"))
        contact = Contact(account=account, name=name, email=email)
    contact.language = language
    return contact, made_up


def invitation_preview(*, language: str, program: Program):
    """The invitation email (an unsent EmailMultiAlternatives) to a sample contact, and
    whether the contact is made up. Its score buttons open the answer page's preview."""
    contact, made_up = preview_contact(language)
    # Unsaved, with a token that no stored invitation has: its link would answer nothing.
    invitation = Invitation(contact=contact, account=contact.account, token_nonce="0" * 32, token_hash="")
    # Links within the staff site, where the preview is read.
    answer_preview = reverse("program_answer_preview", args=[language])
    preview_page = reverse("surveys:program_invitation_preview", args=[language])
    message = invitation_email(invitation, program=program, answer_url=answer_preview,
                               unsubscribe_url=preview_page + "#unsubscribe")
    return message, contact, made_up
