"""Staff accounts: the set-password link an administrator sends to new (imported) staff.

Built on Django's password reset machinery (PasswordResetForm, the default token
generator, the password_reset_confirm page): the link sets a first password exactly as
it would reset a forgotten one, and stops working once used.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm

from .emails import email_message
from .models import User


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
