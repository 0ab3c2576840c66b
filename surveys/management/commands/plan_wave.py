"""`python manage.py plan_wave [--month YYYY-MM]`: what beat runs before each month, by hand."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from surveys.months import MonthError, month_next_to_plan, month_parse
from surveys.planning import wave_plan
from surveys.program import WaveError


class Command(BaseCommand):
    help = "Plan the monthly wave (default: the next wave to send). Planning again changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="The month the wave sends, as YYYY-MM.")

    def handle(self, *args, month=None, **options):
        try:
            wave_month = month_parse(month) if month is not None else month_next_to_plan(timezone.localdate())
            result = wave_plan(month=wave_month)
        except (MonthError, WaveError) as error:
            raise CommandError(str(error))
        self.stdout.write(
            self.style.SUCCESS(f"Wave {result.wave}: {result.added} contacts added, {result.total} in the wave.")
        )
