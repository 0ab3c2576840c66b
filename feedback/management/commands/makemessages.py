"""Django's makemessages, plus the strings of the customer's answer pages.

Those pages are Jinja2 (templates/feedback/answer/*.jinja), whose `{% trans %}` blocks
Django's extractor does not read: without this, every run would drop their Danish as
obsolete. Strings under templates/ (and config/) land in the project's locale/, an app's
Python strings in that app's locale/ (docs/translations.md)."""

from pathlib import Path

from django.conf import settings
from django.core.management.commands import makemessages
from jinja2.ext import babel_extract

ANSWER_PAGES = Path(settings.BASE_DIR) / "templates" / "feedback" / "answer"


def jinja_messages() -> list[tuple[str, int, str]]:
    """(file, line, msgid) of every translatable string of the answer pages."""
    found = []
    for template in sorted(ANSWER_PAGES.glob("*.jinja")):
        with template.open("rb") as source:
            for line, _, message, _ in babel_extract(source, ("_", "gettext"), [], {}):
                found.append((str(template.relative_to(settings.BASE_DIR)), line, message))
    return found


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def jinja_pot_entries() -> str:
    entries = []
    for file, line, message in jinja_messages():
        flags = "#, python-format\n" if "%(" in message else ""
        entries.append(f"#: {file}:{line}\n{flags}msgid {_quoted(message)}\nmsgstr \"\"\n")
    return "\n".join(entries)


class Command(makemessages.Command):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        # Only what ships: tests, benchmarks and scripts hold no user-visible strings.
        parser.set_defaults(ignore_patterns=["tests/*", "bench/*", "scripts/*", "var/*", "static/*"])

    def handle(self, *args, **options):
        options["ignore_patterns"] = list(options["ignore_patterns"])  # Django extends it in place
        super().handle(*args, **options)

    def process_files(self, file_list):
        super().process_files(file_list)
        if self.domain != "django":
            return
        potfile = Path(settings.LOCALE_PATHS[0]) / "django.pot"
        header = "" if potfile.exists() else 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        makemessages.write_pot_file(str(potfile), header + "\n" + jinja_pot_entries() + "\n")
