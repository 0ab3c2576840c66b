"""`python manage.py send_wave [--month YYYY-MM]`: what beat runs on the 1st, by hand."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from surveys.dispatch import wave_send, wave_send_summary
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
        self._summary_write(wave_send_summary(wave))

    def _summary_write(self, summary):
        lines = [
            f"  planned:                   {summary.planned}",
            f"  held out:                  {summary.held}",
            f"  sent now:                  {summary.sent}",
            f"  queued for the dispatcher: {summary.queued}",
        ]
        if summary.failed:
            lines.append(f"  failed or bounced:         {summary.failed}")
        if not summary.queued:
            lines.append("Nothing is left to send.")
        else:
            # Only what we know: the dispatcher runs every minute while beat runs; the exact
            # minute and how long the workers take are not known here.
            pace = f", {summary.rate} emails a second" if summary.rate else ""
            if summary.due:
                lines.append(
                    f"The dispatcher hands out the {summary.due} still due on its next run"
                    f" (every minute while the worker and beat run: `make run`{pace})."
                )
            with_workers = summary.queued - summary.due
            if with_workers:
                when = timezone.localtime(summary.lease_ends_at) if summary.lease_ends_at else None
                again = f"; any not sent by {when:%Y-%m-%d %H:%M} are handed out again" if when else ""
                lines.append(f"{with_workers} are with the workers{again}.")
        self.stdout.write("\n".join(lines))
