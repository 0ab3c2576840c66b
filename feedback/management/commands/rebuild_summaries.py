"""`python manage.py rebuild_summaries [--check]`: the rollup summaries' repair (beat runs it
nightly), or with --check only what it would set right."""

from django.core.management.base import BaseCommand, CommandError

from feedback.response_owners import response_owners_differences
from feedback.summaries import answers_not_mirrored, summary_rebuild
from feedback.theme_tallies import theme_summaries_differences
from surveys.models import Invitation
from surveys.tallies_rebuild import tallies_differences

SHOWN = 20


class Command(BaseCommand):
    help = ("Recompute the rollup summaries (the themes' too) from the answers and invitations (a repair: events "
            "keep them exact).")

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Write nothing; list what disagrees, exit 1 if any.")

    def handle(self, *args, check=False, **options):
        if not check:
            accounts = summary_rebuild()
            self.stdout.write(self.style.SUCCESS(f"Summaries rebuilt for {accounts:,} accounts."))
            return
        not_mirrored = answers_not_mirrored(Invitation.objects.all()).count()
        differences = tallies_differences() + theme_summaries_differences() + response_owners_differences()
        if not_mirrored:
            self.stdout.write(f"{not_mirrored:,} invitations do not mirror their answer")
        for line in differences[:SHOWN]:
            self.stdout.write(line)
        if len(differences) > SHOWN:
            self.stdout.write(f"... and {len(differences) - SHOWN:,} more")
        if not_mirrored or differences:
            raise CommandError("The summaries disagree with the answers and invitations; rebuild_summaries repairs.")
        self.stdout.write(self.style.SUCCESS("The summaries agree with the answers and invitations."))
