"""Staff accounts: the set-password link an administrator sends to new (imported) staff,
and the one anyone may ask for on "Forgot your password?".

Built on Django's password reset machinery (PasswordResetForm, the default token
generator, the password_reset_confirm page): the link sets a first password exactly as
it would reset a forgotten one, and stops working once used.

The public form must not tell whether an address has an account, by its page or by its
time: the request only counts the ask against its limits and publishes it to the outbox,
the same for every address; the worker looks the address up and sends the link, or
nothing.
"""

import hashlib
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from outbox.services import outbox_publish

from .emails import email_message
from .models import User
from .throttle import throttle_exceeded

log = logging.getLogger(__name__)


class StaffPasswordResetForm(PasswordResetForm):
    """Django's reset form, also for staff who never had a password.

    Django leaves out users with an unusable password; in Pulse those are staff
    created by the customer import, and "Forgot your password?" is how they get a
    fresh link when their invitation has expired. Inactive staff still get nothing.
    """

    def get_users(self, email):
        return User.objects.filter(email__iexact=email, is_active=True)

    def save(self, **kwargs):
        kwargs.update(_link_base())
        return super().save(**kwargs)

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        # Django's logs a failure and goes on; the worker's raises it, for the outbox to retry.
        subject = " ".join(render_to_string(subject_template_name, context).split())
        body = render_to_string(email_template_name, context)
        EmailMultiAlternatives(subject, body, from_email, [to_email], headers={"X-Pulse-Kind": "password_reset"}).send()


class _InviteForm(StaffPasswordResetForm):
    def __init__(self, user: User):
        super().__init__(data={"email": user.email})
        self.user = user
        self.is_valid()

    def get_users(self, email):
        return [self.user]

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        # Unlike the public form, failures are not swallowed: the administrator is told.
        email_message("staff_invite", context, to=[to_email], from_email=from_email).send()


def _link_base() -> dict:
    """Links in emails start with SITE_URL, whichever host the request came to."""
    site = urlsplit(settings.SITE_URL)
    return {"domain_override": site.netloc, "use_https": site.scheme == "https"}


def staff_send_set_password_links(*, users, invited_by: User | None = None) -> tuple[list[User], list[User]]:
    """Email each active user a link to set their password. Returns (sent, not_sent)."""
    sent, not_sent = [], []
    for user in users:
        if not user.is_active:
            not_sent.append(user)
            continue
        try:
            with translation.override(user.email_language):
                _InviteForm(user).save(
                    subject_template_name="emails/staff_invite.subject.txt",
                    email_template_name="emails/staff_invite.txt",
                    html_email_template_name="emails/staff_invite.html",
                    extra_email_context={"invited_by": invited_by, "site_url": settings.SITE_URL},
                )
        except Exception:  # noqa: BLE001 - one failed address must not stop the others
            not_sent.append(user)
        else:
            sent.append(user)
    return sent, not_sent


def password_reset_ask(*, email: str, address: str, language: str) -> bool:
    """Someone asked for a link to set the password of `email`, from `address`: publish
    it for the worker (password_reset_email_send), unless the email or the address has
    asked too often lately. The same work whether or not the email has an account.
    Returns whether it was published (the asker is never told)."""
    email = email.strip().lower()
    if throttle_exceeded(
        ("reset-email", hashlib.sha256(email.encode()).hexdigest(), settings.PASSWORD_RESET_RATE_PER_EMAIL),
        ("reset-addr", address, settings.PASSWORD_RESET_RATE_PER_ADDRESS),
    ):
        log.warning("password reset asked too often (from %s): nothing sent", address)
        return False
    outbox_publish("password_reset_asked", email=email, language=language)
    return True


def password_reset_email_send(*, email: str, language: str) -> None:
    """Email the active staff user with that address a link to set a password, in the
    language they chose for Pulse, else the asker's (the page's); nothing when there is
    none (the outbox's "password_reset_asked" handler). A failure raises, for the outbox to
    retry; a second run sends a second link, which works as well as the first."""
    form = StaffPasswordResetForm(data={"email": email})
    if not form.is_valid():
        return
    chosen = next((user.language for user in form.get_users(email) if user.language), "")
    with translation.override(chosen or language):
        form.save()
