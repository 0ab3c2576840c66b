"""`python manage.py rebuild_call_summaries [--check]`: the follow-up call summaries' repair
(beat runs it nightly), or with --check only what disagrees. (Its own command: the answers'
`rebuild_summaries` lives in feedback, which may not import followups.)"""

from django.core.management.base import BaseCommand, CommandError

from followups.call_states import call_states_differences, call_states_rebuild
from followups.revenue_at_risk import revenue_at_risk_differences, revenue_at_risk_rebuild
from followups.risk_states import risk_states_differences, risk_states_rebuild
from followups.tallies import call_summaries_differences, call_summaries_rebuild

SHOWN = 20


class Command(BaseCommand):
    help = "Recompute the follow-up call summaries from the calls (a repair: events keep them exact)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Write nothing; list what disagrees, exit 1 if any.")

    def handle(self, *args, check=False, **options):
        if not check:
            owners = call_summaries_rebuild()
            accounts = call_states_rebuild()
            revenue_at_risk_rebuild()
            risk_states_rebuild()
            self.stdout.write(self.style.SUCCESS(
                f"Call summaries rebuilt for {owners:,} owners, call states for {accounts:,} accounts."))
            return
        differences = (call_summaries_differences() + call_states_differences() + revenue_at_risk_differences()
                       + risk_states_differences())
        for line in differences[:SHOWN]:
            self.stdout.write(line)
        if len(differences) > SHOWN:
            self.stdout.write(f"... and {len(differences) - SHOWN:,} more")
        if differences:
            raise CommandError("The call summaries disagree with the calls; rebuild_call_summaries repairs.")
        self.stdout.write(self.style.SUCCESS("The call summaries agree with the calls."))
