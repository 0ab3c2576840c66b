"""Every string a user can see has its Danish: the catalogues hold no empty or fuzzy
translation, `makemessages` would find nothing new in the code and templates, and the
compiled catalogues say what the .po files say (docs/translations.md)."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.utils import translation

from tests.conftest import needs

BASE = Path(settings.BASE_DIR)
CATALOGUES = sorted(BASE.glob("*/locale/da/LC_MESSAGES/django.po")) + [BASE / "locale/da/LC_MESSAGES/django.po"]



def _entries(po: Path) -> list[dict]:
    """The messages of a .po file: msgid, msgstr(s), flags and locations; obsolete ones left out."""
    entries = []
    for block in re.split(r"\n\s*\n", po.read_text(encoding="utf-8").strip()):
        entry = {"flags": set(), "locations": [], "msgstr": []}
        field = None
        for line in block.splitlines():
            if line.startswith("#~"):
                break
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#:"):
                entry["locations"] += [place.rsplit(":", 1)[0] for place in line[2:].split()]
            elif match := re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (\".*\")$", line):
                field = match.group(1)
                value = ast.literal_eval(match.group(2))
                if field.startswith("msgstr"):
                    entry["msgstr"].append(value)
                    field = ("msgstr", len(entry["msgstr"]) - 1)
                else:
                    entry[field] = value
            elif line.startswith('"') and field:
                value = ast.literal_eval(line)
                if isinstance(field, tuple):
                    entry["msgstr"][field[1]] += value
                else:
                    entry[field] += value
        else:
            if entry.get("msgid"):
                entries.append(entry)
    return entries


def _untranslated(po: Path, shown_as: str) -> list[str]:
    return [
        f"{shown_as}: {entry['msgid'][:80]!r} ({', '.join(entry['locations'][:2])})"
        for entry in _entries(po)
        if ("fuzzy" in entry["flags"] or any(text == "" for text in entry["msgstr"]))
    ]


def test_the_catalogues_are_found():
    assert len(CATALOGUES) == 5
    assert all(_entries(po) for po in CATALOGUES)
    assert sum(len(_entries(po)) for po in CATALOGUES) > 900  # the parser read them


def test_every_catalogued_string_has_its_danish():
    untranslated = [line for po in CATALOGUES for line in _untranslated(po, str(po.relative_to(BASE)))]
    assert untranslated == [], "\n".join(untranslated)


def test_the_compiled_catalogues_match_the_po_files():
    """A .po translated but not compiled would still show English."""
    stale = []
    with translation.override("da"):
        for po in CATALOGUES:
            for entry in _entries(po):
                if "msgctxt" in entry or "msgid_plural" in entry or "fuzzy" in entry["flags"] or not entry["msgstr"][0]:
                    continue
                if translation.gettext(entry["msgid"]) == entry["msgid"] != entry["msgstr"][0]:
                    stale.append(f"{po.relative_to(BASE)}: {entry['msgid'][:80]!r}")
    assert stale == [], "run `manage.py compilemessages`:\n" + "\n".join(stale)


def test_makemessages_finds_no_new_string(tmp_path):
    """`makemessages` run on a copy of the project: a string added or changed in the code
    or templates without its Danish shows up as empty or fuzzy there."""
    needs("GNU gettext (xgettext, msgmerge)", bool(shutil.which("xgettext") and shutil.which("msgmerge")))
    copy = tmp_path / "pulse"
    copy.mkdir()
    skip = shutil.ignore_patterns(".*", "__pycache__", "*.pyc", "*.mo", "node_modules")
    for name in ["manage.py", "config", "templates", "locale", "outbox", "surveys", "feedback", "followups", "reports"]:
        source = BASE / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=skip)
        else:
            shutil.copy(source, copy / name)
    run = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "da", "--no-obsolete"],
        cwd=copy, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    new = [
        line
        for po in sorted(copy.glob("*/locale/da/LC_MESSAGES/django.po")) + [copy / "locale/da/LC_MESSAGES/django.po"]
        for line in _untranslated(po, str(po.relative_to(copy)))
    ]
    assert new == [], "run `manage.py makemessages -l da --no-obsolete` and translate:\n" + "\n".join(new)
