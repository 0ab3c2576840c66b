"""`python manage.py seed_demo [--if-empty]`: a lived-in demo book, logins printed.

Each app adds its part as a step, in the order the product flows: the book, past
waves and invitations, answers, follow-up calls. It needs every app, so it lives on top.
"""

from django.core.management.base import BaseCommand

from feedback.demo import seed_answers
from followups.demo import seed_calls
from surveys.demo import demo_logins, seed_book
from surveys.demo_waves import seed_waves
from surveys.models import Account

STEPS = [seed_book, seed_waves, seed_answers, seed_calls]


class Command(BaseCommand):
    help = "Load a realistic demo book with history and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when accounts exist.")
        parser.add_argument("--seed", type=int, default=7, help="Random seed, for a repeatable book.")

    def handle(self, *args, if_empty=False, seed=7, **options):
        if if_empty and Account.objects.exists():
            self.stdout.write("The database already holds a book; seed_demo left it as it is.")
            return
        for step in STEPS:
            summary = step(seed=seed, stdout=self.stdout)
            if summary:
                self.stdout.write(f"  {summary}")
        logins = demo_logins()
        self.stdout.write(self.style.SUCCESS(f"\nDemo logins (password for all: {logins['password']})"))
        for role, email in logins["users"]:
            self.stdout.write(f"  {role:<28} {email}")
