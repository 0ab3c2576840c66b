"""`python manage.py send_wave [--month YYYY-MM]`: what beat runs on the 1st, by hand."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from surveys.dispatch import wave_send
from surveys.months import MonthError, month_parse
from surveys.program import WaveError


class Command(BaseCommand):
    help = "Start sending the planned wave (default: this month's). The workers send it in batches."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="The month of the wave, as YYYY-MM.")
        parser.add_argument(
            "--now", action="store_true", help="Send a wave still in its hold window at once (closes the window)."
        )

    def handle(self, *args, month=None, now=False, **options):
        try:
            wave_month = month_parse(month) if month is not None else timezone.localdate().replace(day=1)
            wave = wave_send(month=wave_month, early=now)
        except (MonthError, WaveError) as error:
            raise CommandError(str(error))
        wave.refresh_from_db()
        self.stdout.write(self.style.SUCCESS(f"Wave {wave}: {wave.get_status_display().lower()}."))
