"""`python manage.py find_new_themes`: group the reasons no theme covers now (as the
monthly scheduled run does) and print the groups; an administrator sees them on the
themes page."""

from django.core.management.base import BaseCommand

from feedback.theme_candidates import MONTHS
from feedback.theme_discovery import new_themes_find


class Command(BaseCommand):
    help = "Group the recent reasons that no theme covers, for an administrator to make themes of."

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=MONTHS,
                            help=f"How many months of answers to read (default {MONTHS}).")

    def handle(self, *args, months=MONTHS, **options):
        candidates = new_themes_find(months=months)
        for candidate in candidates:
            self.stdout.write(f"{candidate.size:>5} reasons: {', '.join(candidate.words_shown)}")
        grouped = candidates[0].reasons_grouped if candidates else 0
        self.stdout.write(self.style.SUCCESS(
            f"{len(candidates)} groups found" + (f" among {grouped:,} reasons without a theme" if candidates else "")
            + f" (last {months} months)."))
