"""`python manage.py tag_reasons FILE.csv`: tag comments from elsewhere with the product's
tagger and the taxonomy of this database.

In: a UTF-8 CSV with the columns `text` and `language` (en or da); any other columns are
kept. Out, on standard output: the same rows, in the same order, with a `themes` column
added (theme keys separated by ";", empty for none).
"""

import csv
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from feedback.themes import taxonomy_current

REQUIRED = ("text", "language")


class Command(BaseCommand):
    help = "Add a themes column to a CSV of reasons (columns text and language; others kept) on standard output."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file (UTF-8, comma separated), or - for standard input.")

    def handle(self, *args, file: str, **options):
        try:
            source = sys.stdin if file == "-" else Path(file).open(newline="", encoding="utf-8-sig")
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}")
        with source:
            reader = csv.DictReader(source)
            columns = list(reader.fieldnames or [])
            missing = [column for column in REQUIRED if column not in columns]
            if missing:
                raise CommandError(f"{file}: the header has no {' and no '.join(missing)} column")
            current = taxonomy_current()
            writer = csv.DictWriter(self.stdout, fieldnames=columns + ([] if "themes" in columns else ["themes"]),
                                    lineterminator="\n", extrasaction="ignore")
            writer.writeheader()
            for row in reader:
                language = (row.get("language") or "").strip().lower()
                row["themes"] = ";".join(current.theme_keys(row.get("text") or "", language))
                writer.writerow(row)
