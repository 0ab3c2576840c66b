"""`python manage.py erase_contact EMAIL`: erase a person's personal data on request.

Every contact with that address (any case, any account) is anonymised; their answers stay
in the figures as anonymous ones; the address goes on the suppression list, so no import
or wave brings them back. It lives on top because it needs every app (reports.personal_data).
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from reports.personal_data import person_erase


class Command(BaseCommand):
    help = "Erase a contact's personal data (every contact row with that email address) and never survey them again."

    def add_arguments(self, parser):
        parser.add_argument("email", help="The contact's email address.")

    def handle(self, *args, email: str, **options):
        email = email.strip()
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"'{email}' is not an email address.")
        erased = person_erase(email=email)
        if not erased.contacts:
            self.stdout.write("No contact has this address. It is on the suppression list now: no import adds it.")
            return
        self.stdout.write(self.style.SUCCESS(
            f"Erased {erased.contacts} contact row(s): name, address, phone, the words of their answers and the "
            f"notes about them. Their {erased.answers_kept} answer(s) stay in the figures as anonymous answers; "
            f"{erased.mail_copies} stored email cop{'y' if erased.mail_copies == 1 else 'ies'} deleted. "
            "The address is on the suppression list: never imported or surveyed again."
        ))
