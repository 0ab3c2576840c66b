"""`python manage.py tag_all_reasons`: tag every answer's reason with the current
taxonomy (after an upgrade, or after the themes changed), in batches, keeping people's
corrections. Running it twice changes nothing the second time."""

import sys
import time

from django.core.management.base import BaseCommand

from feedback.response_themes import BATCH, reasons_tag_all


class Command(BaseCommand):
    help = "Tag every answer's reason with themes again (people's corrections are kept)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=BATCH, help=f"Answers per transaction (default {BATCH}).")

    def handle(self, *args, batch=BATCH, verbosity=1, **options):
        started = time.monotonic()
        bar = sys.stderr if verbosity >= 1 and sys.stderr.isatty() else None

        def progress(done: int, total: int) -> None:
            if bar is None:
                return
            width = 30
            filled = width * done // max(total, 1)
            rate = done / max(time.monotonic() - started, 1e-9)
            bar.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} answers  {rate:,.0f}/s ")
            bar.flush()

        done, changed = reasons_tag_all(batch=batch, progress=progress)
        if bar is not None:
            bar.write("\n")
        seconds = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(
            f"Tagged {done:,} answers in {seconds:.1f} s; the themes of {changed:,} changed."
        ))
