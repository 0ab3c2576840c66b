"""`python manage.py import_customers FILE.csv`: load or update the customer book.

Every row is checked before anything is written; a file with any bad row imports
nothing, lists every problem with its line number and exits with status 1.
"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from surveys.book_import import HEADER, OPTIONAL_COLUMNS, BookFileInvalid, book_file_parse, book_import


class Command(BaseCommand):
    help = ("Import the customer book from a UTF-8 CSV file with the header " + ",".join(HEADER)
            + " (and optionally " + ",".join(OPTIONAL_COLUMNS) + ").")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The CSV file (UTF-8, comma separated).")
        parser.add_argument("--check", action="store_true", help="Check every row, write nothing.")

    def handle(self, *args, file: Path, check=False, verbosity=1, **options):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}")
        started = time.monotonic()
        shown = {}

        def progress(stage: str, done: int, total: int) -> None:
            # A line at most every 10% (and at the end) of each stage.
            step = max(total // 10, 1)
            if verbosity < 1 or (done < total and done // step == shown.get(stage, -1)):
                return
            shown[stage] = done // step
            label = {"validated": "rows checked", "accounts": "accounts written",
                     "contacts": "contacts written"}[stage]
            self.stdout.write(f"  {label}: {done:,} / {total:,}  ({time.monotonic() - started:.1f} s)")

        self.stdout.write(f"Importing {file} ({len(data):,} bytes)")
        try:
            if check:
                rows = book_file_parse(data, progress=progress)
                message = f"All {len(rows):,} rows are fine; nothing was written (--check)."
                self.stdout.write(self.style.SUCCESS(message))
                return
            summary = book_import(data=data, progress=progress)
        except BookFileInvalid as invalid:
            for problem in invalid.problems:
                self.stderr.write(f"  {problem}")
            raise CommandError(
                f"{invalid.bad_lines:,} bad line(s), {len(invalid.problems):,} problem(s); nothing was imported."
            )
        self.stdout.write(self.style.SUCCESS(f"Imported in {time.monotonic() - started:.1f} s"))
        for line in summary.lines():
            self.stdout.write(f"  {line}")
        if summary.staff_created:
            self.stdout.write(
                "  New staff have no password yet: send them a set-password link from the admin "
                "(Users › select › “Send set-password link”) or the import page."
            )
