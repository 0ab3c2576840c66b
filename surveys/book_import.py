"""The customer book import: one CSV file in, regions, staff, accounts and contacts out.

Two phases, so that a bad file never leaves half a book behind:

1. `book_file_parse(data)` reads and checks every row (encoding, header, each field,
   and what the rows say together: one owner, region and name per account, one
   regional manager per region). It touches no table. Any problem raises
   `BookFileInvalid` carrying every problem with its line number.
2. `book_rows_write(rows)` writes in one transaction with bulk statements: staff and
   regions first, then accounts (upsert keyed by `external_id`), then contacts (keyed
   by account and case-insensitive email; new ones inserted, changed ones updated in
   batches). Opt-out and bounce marks, and an account's `active` flag, are never
   touched by an import. People erased on request (surveys.suppression) are left out
   and counted as suppressed: a re-import never brings them back. The summaries
   follow in the same transaction (surveys.tallies): accounts moved to another owner
   or region, contacts given another level, contacts added.

The optional `annual_revenue` column (in the program's currency) sets each account's
revenue: given on any of the account's rows, empty on all of them means not known. A
file without the column leaves the revenue the accounts have.

The optional `account_manager_name` and `regional_manager_name` columns give the staff
their names as customers read them ("Anders Nielsen from Acme will call you"): given on
any of the person's rows, they replace the name the person has; empty, they leave it.
Staff are never given a name made up from their email address: without one, customers
read the company's name instead.

`book_import(data=...)` does both; the management command calls it, and the upload page's
jobs (surveys.book_import_jobs) call the two phases in the worker. `book_rows_check(rows)`
counts what an import would change and writes nothing ("Check only", `--check`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from .audit import audit_record
from .batching import chunks
from .models import Account, Contact, Level, Region, Role, User, header_text_clean
from .revenue_tallies import accounts_revenue_refresh
from .suppression import emails_suppressed
from .tallies import account_contacts_recount, accounts_locked, accounts_moved, contact_levels_changed

HEADER = (
    "account_id",
    "account_name",
    "region",
    "regional_manager_email",
    "account_manager_email",
    "contact_email",
    "contact_name",
    "contact_phone",
    "contact_level",
    "language",
)
# Columns a file may leave out; without them an import changes nothing they describe.
OPTIONAL_COLUMNS = ("annual_revenue", "account_manager_name", "regional_manager_name")
STAFF_NAME_COLUMNS = ("account_manager_name", "regional_manager_name")
STAFF_NAME_MAX = User._meta.get_field("full_name").max_length
CONTACT_COLUMNS = ("contact_email", "contact_name", "contact_phone", "contact_level")
MAX_LENGTHS = {
    "account_id": Account._meta.get_field("external_id").max_length,
    "account_name": Account._meta.get_field("name").max_length,
    "region": Region._meta.get_field("name").max_length,
    "regional_manager_email": 254,
    "account_manager_email": 254,
    "contact_email": 254,
    "contact_name": Contact._meta.get_field("name").max_length,
    "contact_phone": Contact._meta.get_field("phone").max_length,
}
LEVELS = {choice.value for choice in Level}
_REVENUE_FIELD = Account._meta.get_field("annual_revenue")
REVENUE_MAX = Decimal(10) ** (_REVENUE_FIELD.max_digits - _REVENUE_FIELD.decimal_places) - 1
AMOUNT = re.compile(r"-?\d+(\.\d+)?")
WRITE_BATCH = 2000
LOOKUP_CHUNK = 5000
# Checking reports its progress every this many rows (the upload page's progress bar).
PROGRESS_EVERY = 1000

# progress(stage, done, total): stage is "validated", "accounts" or "contacts".
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Problem:
    line: int
    column: str  # "" when the problem is the whole line or the whole file
    reason: str

    def __str__(self):
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


class BookFileInvalid(Exception):
    """The file cannot be imported; nothing was written. `problems` lists every one."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the customer file; nothing was imported")

    @property
    def bad_lines(self) -> int:
        return len({p.line for p in self.problems})


@dataclass(slots=True)
class BookRow:
    line: int
    account_id: str
    account_name: str
    region: str
    rm_email: str  # lower case, "" when not given
    am_email: str  # lower case
    contact_email: str  # as written; "" for a row that only describes the account
    contact_name: str
    contact_phone: str
    level: str
    language: str
    annual_revenue: Decimal | None = None  # None: empty, or no such column
    revenue_column: bool = False  # the file has the annual_revenue column
    am_name: str = ""  # "" when empty or no such column: the name stays as it is
    rm_name: str = ""


@dataclass
class ImportSummary:
    rows: int = 0
    regions_created: int = 0
    regions_updated: int = 0
    accounts_created: int = 0
    accounts_updated: int = 0
    accounts_unchanged: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    contacts_unchanged: int = 0
    # Rows of people erased on request (surveys.suppression): left out.
    contacts_suppressed: int = 0
    staff_created: list[User] = field(default_factory=list)
    staff_promoted: list[User] = field(default_factory=list)
    # Staff who had another name (or none) and were given the file's.
    staff_renamed: list[User] = field(default_factory=list)
    # Accounts given an annual revenue; None when the file has no annual_revenue column.
    accounts_with_revenue: int | None = None

    @property
    def accounts(self) -> int:
        return self.accounts_created + self.accounts_updated + self.accounts_unchanged

    @property
    def staff_updated(self) -> int:
        return len({user.pk for user in (*self.staff_promoted, *self.staff_renamed)})

    def lines(self) -> list[str]:
        revenue = [] if self.accounts_with_revenue is None else [
            f"annual revenue: given for {self.accounts_with_revenue:,} of {self.accounts:,} accounts "
            f"(the others: not known)"
        ]
        return [
            f"rows: {self.rows:,}",
            f"accounts: {self.accounts_created:,} created, {self.accounts_updated:,} updated, "
            f"{self.accounts_unchanged:,} unchanged",
            f"contacts: {self.contacts_created:,} created, {self.contacts_updated:,} updated, "
            f"{self.contacts_unchanged:,} unchanged"
            + (f", {self.contacts_suppressed:,} suppressed (erased on request; not imported)"
               if self.contacts_suppressed else ""),
            f"regions: {self.regions_created:,} created, {self.regions_updated:,} given a new regional manager",
            f"staff: {len(self.staff_created):,} created without a password"
            + (f", {len(self.staff_promoted):,} made regional managers" if self.staff_promoted else "")
            + (f", {len(self.staff_renamed):,} given the file's name" if self.staff_renamed else ""),
            *revenue,
        ]


# --- Reading the file -------------------------------------------------------------------

_BINARY_SIGNATURES = [
    (b"PK\x03\x04", "an Excel workbook (or another zip file)"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel workbook"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "an image"),
    (b"\xff\xd8\xff", "an image"),
]
_SAVE_AS = "In Excel: File › Save As › “CSV UTF-8 (comma delimited)”."


def _decode(data: bytes) -> str:
    """The file's text, or BookFileInvalid saying why it is not a UTF-8 CSV file."""
    if not data.strip():
        raise BookFileInvalid([Problem(1, "", "the file is empty")])
    for signature, what in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise BookFileInvalid([Problem(1, "", f"this is {what}, not a CSV file. {_SAVE_AS}")])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BookFileInvalid([Problem(1, "", f"the file is UTF-16 text; Pulse reads UTF-8. {_SAVE_AS}")])
    if b"\x00" in data[:65536]:
        raise BookFileInvalid([Problem(1, "", f"this is a binary file, not a CSV file. {_SAVE_AS}")])
    try:
        return data.decode("utf-8-sig")  # a byte order mark (Excel's "CSV UTF-8") is fine
    except UnicodeDecodeError:
        pass
    problems = []
    for number, raw in enumerate(data.split(b"\n"), 1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as error:
            bad = raw[error.start : error.start + 1].hex().upper()
            problems.append(
                Problem(number, "", f"not UTF-8 text (byte 0x{bad} at character {error.start + 1}); "
                                    f"the file was probably saved as Latin-1/Windows. {_SAVE_AS}")
            )
    raise BookFileInvalid(problems)


def _lines(text: str) -> Iterator[str]:
    """The text's lines, ends kept, one at a time (StringIO would copy the text 4 times over)."""
    end_of_line = "\n" if "\n" in text or "\r" not in text else "\r"  # old Mac files end lines with CR
    start = 0
    while start < len(text):
        end = text.find(end_of_line, start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, fields) per CSV record; quoted fields may span lines."""
    reader = csv.reader(_lines(text), strict=True)
    previous = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise BookFileInvalid([Problem(reader.line_num, "", f"not valid CSV: {error}")])
        yield previous + 1, fields
        previous = reader.line_num


def _check_header(fields: list[str]) -> dict[str, int] | Problem:
    names = [f.strip().lower() for f in fields]
    if len(fields) == 1 and (";" in fields[0] or "\t" in fields[0]):
        sep = "semicolons" if ";" in fields[0] else "tabs"
        return Problem(1, "", f"the columns are separated by {sep}; Pulse expects commas. {_SAVE_AS}")
    missing = [name for name in HEADER if name not in names]
    unknown = [name for name in names if name not in HEADER and name not in OPTIONAL_COLUMNS]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if missing or unknown or repeated:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if unknown:
            parts.append("unknown " + ", ".join(n or "(empty)" for n in unknown))
        if repeated:
            parts.append("repeated " + ", ".join(repeated))
        return Problem(1, "", "wrong header (" + "; ".join(parts) + "). The first line must be: " + ",".join(HEADER)
                       + " (and optionally " + ", ".join(OPTIONAL_COLUMNS) + ")")
    return {name: names.index(name) for name in (*HEADER, *OPTIONAL_COLUMNS) if name in names}


def _revenue(text: str) -> Decimal | None | str:
    """An annual revenue: a Decimal, None when empty, or why it is not one (a str)."""
    if not text:
        return None
    if not AMOUNT.fullmatch(text):
        return (f"'{text}' is not an amount: write the number alone, such as 1250000 or 1250000.50, with a point "
                f"for decimals and no currency, spaces, thousands separators or k/m")
    amount = Decimal(text)
    if amount < 0:
        return f"'{text}' is negative; an annual revenue is 0 or more (leave it empty when not known)"
    if amount.as_tuple().exponent < -_REVENUE_FIELD.decimal_places:
        return f"'{text}' has more than {_REVENUE_FIELD.decimal_places} decimals"
    if amount > REVENUE_MAX:
        return f"'{text}' is too large (at most {REVENUE_MAX:,})"
    return amount


def _language(value: str) -> str | None:
    code = value.strip().lower().replace("_", "-").split("-")[0]
    if not code:
        return settings.LANGUAGE_CODE
    return code if code in dict(settings.LANGUAGES) else None


class _EmailCheck:
    """validate_email with a memory: staff addresses repeat on every row."""

    def __init__(self):
        self.known: dict[str, bool] = {}

    def __call__(self, value: str) -> bool:
        ok = self.known.get(value)
        if ok is None:
            try:
                validate_email(value)
                ok = True
            except ValidationError:
                ok = False
            if len(self.known) < 50_000:
                self.known[value] = ok
        return ok


def _row_or_problems(line: int, value: dict[str, str], is_email: _EmailCheck) -> BookRow | list[Problem]:
    """One row's fields checked on their own: a BookRow, or what is wrong with them."""
    bad = [Problem(line, name, f"longer than {limit} characters")
           for name, limit in MAX_LENGTHS.items() if len(value[name]) > limit]
    for name, what in [("account_id", "account id"), ("account_name", "account name"), ("region", "region")]:
        if not value[name]:
            bad.append(Problem(line, name, f"missing {what}"))
    am_email = value["account_manager_email"].lower()
    if not am_email:
        bad.append(Problem(line, "account_manager_email", "missing account manager email"))
    elif not is_email(am_email):
        bad.append(Problem(line, "account_manager_email", f"bad email address '{am_email}'"))
    rm_email = value["regional_manager_email"].lower()
    if rm_email and not is_email(rm_email):
        bad.append(Problem(line, "regional_manager_email", f"bad email address '{rm_email}'"))
    contact_email, level = value["contact_email"], value["contact_level"].lower()
    if any(value[name] for name in CONTACT_COLUMNS):  # else the row only describes the account
        if not contact_email:
            bad.append(Problem(line, "contact_email", "missing contact email"))
        elif not is_email(contact_email):
            bad.append(Problem(line, "contact_email", f"bad email address '{contact_email}'"))
        if level not in LEVELS:
            shown = f"'{value['contact_level']}'" if level else "missing"
            bad.append(Problem(line, "contact_level", f"unknown level {shown} (use executive, manager or operational)"))
    language = _language(value["language"])
    if language is None:
        supported = ", ".join(code for code, _ in settings.LANGUAGES)
        bad.append(Problem(line, "language", f"unknown language '{value['language']}' (use {supported})"))
    names = {column: header_text_clean(value.get(column, "")) for column in STAFF_NAME_COLUMNS}
    for column, name in names.items():
        if len(name) > STAFF_NAME_MAX:
            bad.append(Problem(line, column, f"longer than {STAFF_NAME_MAX} characters"))
    if names["regional_manager_name"] and not rm_email:
        bad.append(Problem(line, "regional_manager_name",
                           "a regional manager's name needs their regional_manager_email on the same row"))
    revenue_column = "annual_revenue" in value
    revenue = _revenue(value["annual_revenue"]) if revenue_column else None
    if isinstance(revenue, str):
        bad.append(Problem(line, "annual_revenue", f"annual revenue of account {value['account_id']}: {revenue}"))
    if bad:
        return bad
    return BookRow(
        line=line, account_id=value["account_id"], account_name=value["account_name"], region=value["region"],
        rm_email=rm_email, am_email=am_email, contact_email=contact_email, contact_name=value["contact_name"],
        contact_phone=value["contact_phone"], level=level, language=language, annual_revenue=revenue,
        revenue_column=revenue_column, am_name=names["account_manager_name"], rm_name=names["regional_manager_name"],
    )


class _Agreement:
    """What the rows must agree on: one owner, region and name per account, one
    regional manager per region, one name per member of staff, each contact once per account."""

    ACCOUNT_FACTS = [("am_email", "account_manager_email", "owner"), ("region", "region", "region"),
                     ("account_name", "account_name", "name")]

    def __init__(self, place: str = "line"):
        self.place = place  # what a row's number counts: a file's "line", a batch's "record"
        self.account_first: dict[str, BookRow] = {}
        self.region_manager: dict[str, tuple[str, int]] = {}
        self.contact_first: dict[tuple[str, str], int] = {}
        self.revenue_first: dict[str, BookRow] = {}  # the first row giving an account's revenue
        self.staff_name_first: dict[str, tuple[str, int]] = {}  # email: (name, line)

    def problems(self, row: BookRow) -> list[Problem]:
        found = []
        earlier = self.account_first.setdefault(row.account_id, row)
        for attr, column, what in self.ACCOUNT_FACTS if earlier is not row else []:
            here, there = getattr(row, attr), getattr(earlier, attr)
            if here != there:
                found.append(Problem(row.line, column, f"account {row.account_id} is given two {what}s: "
                                                       f"'{here}' here, '{there}' on {self.place} {earlier.line}"))
        if row.annual_revenue is not None:  # an empty cell leaves it to the account's other rows
            earlier = self.revenue_first.setdefault(row.account_id, row)
            if earlier.annual_revenue != row.annual_revenue:
                found.append(Problem(row.line, "annual_revenue",
                                     f"account {row.account_id} is given two annual revenues: "
                                     f"'{row.annual_revenue}' here, "
                                     f"'{earlier.annual_revenue}' on {self.place} {earlier.line}"))
        if row.rm_email:
            manager, line = self.region_manager.setdefault(row.region, (row.rm_email, row.line))
            if manager != row.rm_email:
                found.append(Problem(row.line, "regional_manager_email",
                                     f"region {row.region} is given two regional managers: "
                                     f"'{row.rm_email}' here, '{manager}' on {self.place} {line}"))
        for email, name, column in ((row.am_email, row.am_name, "account_manager_name"),
                                    (row.rm_email, row.rm_name, "regional_manager_name")):
            if not name:
                continue
            first, line = self.staff_name_first.setdefault(email, (name, row.line))
            if first != name:
                found.append(Problem(row.line, column, f"{email} is given two names: '{name}' here, "
                                                       f"'{first}' on {self.place} {line}"))
        if row.contact_email:
            line = self.contact_first.setdefault((row.account_id, row.contact_email.lower()), row.line)
            if line != row.line:
                found.append(Problem(row.line, "contact_email",
                                     f"contact {row.contact_email} of account {row.account_id} appears twice "
                                     f"(first on {self.place} {line})"))
        return found


def book_file_precheck(data: bytes) -> None:
    """What can be told of a file at once, before it is queued: empty, not text, not UTF-8,
    not the customer file's header. BookFileInvalid says which; the rows are checked later."""
    text = _decode(data)
    first = next(_records(text[: text.find("\n") + 1] or text), None)
    if first is None:
        raise BookFileInvalid([Problem(1, "", "the file is empty")])
    columns = _check_header(first[1])
    if isinstance(columns, Problem):
        raise BookFileInvalid([columns])


def book_file_parse(data: bytes, *, progress: Progress | None = None) -> list[BookRow]:
    """Every row of a customer file, checked; BookFileInvalid lists every problem."""
    text = _decode(data)
    expected_rows = max(text.count("\n"), 1)
    records = _records(text)
    first = next(records, None)
    if first is None:
        raise BookFileInvalid([Problem(1, "", "the file is empty")])
    columns = _check_header(first[1])
    if isinstance(columns, Problem):
        raise BookFileInvalid([columns])

    width = len(first[1])
    is_email, agreement = _EmailCheck(), _Agreement()
    problems: list[Problem] = []
    rows: list[BookRow] = []
    seen = 0
    for line, fields in records:
        seen += 1
        if progress and seen % PROGRESS_EVERY == 0:
            progress("validated", seen, expected_rows)
        if not any(f.strip() for f in fields):
            continue  # blank line, or a spreadsheet's empty row of commas
        if len(fields) != width:
            problems.append(Problem(line, "", f"expected {width} columns, found {len(fields)}"))
            continue
        row = _row_or_problems(line, {name: fields[i].strip() for name, i in columns.items()}, is_email)
        if isinstance(row, list):
            problems.extend(row)
            continue
        problems.extend(agreement.problems(row))
        rows.append(row)
    if progress:
        progress("validated", seen, seen)
    if problems:
        raise BookFileInvalid(sorted(problems, key=lambda p: p.line))
    if not rows:
        raise BookFileInvalid([Problem(2, "", "the file has a header but no rows")])
    return rows


def book_records_parse(records: list) -> list[BookRow]:
    """The records of a batch sent to the API, each a JSON object with a file's columns as
    keys, checked by the same rules as a file's rows: BookFileInvalid lists every problem,
    its `line` the record's index (from 0). Values are text; `null` is empty, and
    annual_revenue may be a number. A batch gives annual_revenue on every record (null
    when not known) or on none, as a file has the column or not."""
    problems: list[Problem] = []
    rows: list[BookRow] = []
    is_email, agreement = _EmailCheck(), _Agreement(place="record")
    with_revenue = any(isinstance(record, dict) and "annual_revenue" in record for record in records)
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            problems.append(Problem(index, "", "a record is a JSON object of the customer file's columns"))
            continue
        bad = [Problem(index, name, "missing field") for name in HEADER if name not in record]
        bad += [Problem(index, str(name), "unknown field") for name in record
                if name not in HEADER and name not in OPTIONAL_COLUMNS]
        if with_revenue and "annual_revenue" not in record:
            bad.append(Problem(index, "annual_revenue", "other records of this batch give annual_revenue: give it "
                                                        "on every record (null when not known) or on none"))
        value = {}
        for name, item in record.items():
            if item is None:
                item = ""
            elif name == "annual_revenue" and isinstance(item, int | float | Decimal) and not isinstance(item, bool):
                item = str(item)
            elif not isinstance(item, str):
                bad.append(Problem(index, str(name), "must be text (a JSON string)"))
                continue
            value[name] = item.strip()
        if bad:
            problems.extend(bad)
            continue
        row = _row_or_problems(index, value, is_email)
        if isinstance(row, list):
            problems.extend(row)
            continue
        problems.extend(agreement.problems(row))
        rows.append(row)
    if problems:
        raise BookFileInvalid(sorted(problems, key=lambda p: p.line))
    return rows


# --- Writing the book ---------------------------------------------------------------------

def _write_staff(rows: list[BookRow], summary: ImportSummary) -> dict[str, int]:
    wanted: dict[str, str] = {}
    names: dict[str, str] = {}  # the file's names (the rows agree on them)
    for row in rows:
        wanted.setdefault(row.am_email, Role.ACCOUNT_MANAGER)
        if row.rm_email:
            wanted[row.rm_email] = Role.REGIONAL_MANAGER
        if row.am_name:
            names[row.am_email] = row.am_name
        if row.rm_name:
            names[row.rm_email] = row.rm_name
    existing: dict[str, User] = {}
    for chunk in chunks(list(wanted), LOOKUP_CHUNK):
        for user in User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=chunk):
            existing[user.email.lower()] = user
    # An account manager named as a region's manager becomes a regional manager;
    # nobody else's role changes (a director who owns an account stays a director).
    promoted = [
        user for email, user in existing.items()
        if wanted[email] == Role.REGIONAL_MANAGER and user.role == Role.ACCOUNT_MANAGER
    ]
    for user in promoted:
        user.role = Role.REGIONAL_MANAGER
    if promoted:
        User.objects.bulk_update(promoted, ["role"])
    # A name is given only when the file has one: a guess from the email address
    # ("Am2") would reach customers as if it were the person's name.
    renamed = [user for email, user in existing.items() if names.get(email, user.full_name) != user.full_name]
    for user in renamed:
        user.full_name = names[user.email.lower()]
    if renamed:
        User.objects.bulk_update(renamed, ["full_name"])
    new = [
        User(email=email, role=role, full_name=names.get(email, ""), password=make_password(None))
        for email, role in wanted.items() if email not in existing
    ]
    created = User.objects.bulk_create(new, batch_size=WRITE_BATCH)
    if any(user.pk is None for user in created):  # backends that do not return ids
        created = list(User.objects.filter(email__in=[u.email for u in new]))
    summary.staff_created = sorted(created, key=lambda u: (u.role, u.email))
    summary.staff_promoted = promoted
    summary.staff_renamed = renamed
    ids = {email: user.pk for email, user in existing.items()}
    ids.update({user.email: user.pk for user in created})
    return ids


def _write_regions(rows: list[BookRow], staff: dict[str, int], summary: ImportSummary) -> dict[str, int]:
    managers: dict[str, int | None] = {}
    for row in rows:
        if row.rm_email:
            managers[row.region] = staff[row.rm_email]
        else:
            managers.setdefault(row.region, None)
    existing = {region.name: region for region in Region.objects.filter(name__in=list(managers))}
    changed = []
    for name, region in existing.items():
        manager = managers[name]
        if manager is not None and region.manager_id != manager:
            region.manager_id = manager
            changed.append(region)
    if changed:
        Region.objects.bulk_update(changed, ["manager"])
    new = [Region(name=name, manager_id=managers[name]) for name in managers if name not in existing]
    Region.objects.bulk_create(new)
    summary.regions_created, summary.regions_updated = len(new), len(changed)
    return {region.name: region.pk for region in Region.objects.filter(name__in=list(managers))}


def _write_accounts(rows, staff, regions, summary, progress) -> tuple[dict[str, int], set[int]]:
    """{external id: pk} of the file's accounts, and the pks of those created."""
    accounts: dict[str, BookRow] = {}
    revenues: dict[str, Decimal] = {}
    for row in rows:
        accounts.setdefault(row.account_id, row)
        if row.annual_revenue is not None:
            revenues.setdefault(row.account_id, row.annual_revenue)
    # Without the column the file says nothing of revenue: what the accounts have stays.
    with_revenue = bool(rows) and rows[0].revenue_column
    fields = ["name", "region_id", "owner_id", *(["annual_revenue"] if with_revenue else [])]
    ids: dict[str, int] = {}
    current: dict[str, tuple] = {}
    for chunk in chunks(list(accounts), LOOKUP_CHUNK):
        for pk, external_id, *values in Account.objects.filter(external_id__in=chunk).values_list(
            "pk", "external_id", *fields
        ):
            ids[external_id] = pk
            current[external_id] = tuple(values)
    writes = []
    for external_id, row in accounts.items():
        values = (row.account_name, regions[row.region], staff[row.am_email],
                  *([revenues.get(external_id)] if with_revenue else []))
        if current.get(external_id) == values:
            continue
        writes.append(Account(external_id=external_id, **dict(zip(fields, values, strict=True))))
    if with_revenue:
        summary.accounts_with_revenue = len(revenues)
    summary.accounts_created = sum(1 for a in writes if a.external_id not in current)
    summary.accounts_updated = len(writes) - summary.accounts_created
    summary.accounts_unchanged = len(accounts) - len(writes)
    # Owner and region as they are under the rows' locks (an owner change page may have
    # moved one since the read above): the summaries move from there.
    moved_from = accounts_locked([ids[a.external_id] for a in writes if a.external_id in current])
    done = 0
    for batch in chunks(writes, WRITE_BATCH):
        # One statement per batch: INSERT ... ON CONFLICT (external_id) DO UPDATE.
        Account.objects.bulk_create(
            batch, update_conflicts=True, unique_fields=["external_id"],
            update_fields=["name", "region", "owner", "updated_at", *(["annual_revenue"] if with_revenue else [])],
        )
        done += len(batch)
        if progress:
            progress("accounts", done, len(writes))
    missing = [a.external_id for a in writes if a.external_id not in ids]
    if any(a.pk is None for a in writes):
        for chunk in chunks(missing, LOOKUP_CHUNK):
            ids.update(Account.objects.filter(external_id__in=chunk).values_list("external_id", "pk"))
    else:
        ids.update((a.external_id, a.pk) for a in writes)
    accounts_moved(
        (ids[a.external_id], moved_from[ids[a.external_id]], (a.owner_id, a.region_id))
        for a in writes if a.external_id in current
    )
    # A new revenue changes the revenue sums (a move did above; a new account is counted
    # with its summary row, account_contacts_recount).
    accounts_revenue_refresh(ids[a.external_id] for a in writes if a.external_id in current)
    return ids, {ids[a.external_id] for a in writes if a.external_id not in current}


CONTACT_FIELDS = ("email", "name", "phone", "level", "language")


def _write_contacts(rows, accounts, summary, progress) -> set[int]:
    """Returns the pks of the accounts that gained contacts."""
    current: dict[tuple[int, str], tuple] = {}
    account_ids = sorted({accounts[row.account_id] for row in rows if row.contact_email})
    for chunk in chunks(account_ids, LOOKUP_CHUNK):
        for pk, account_id, *values in Contact.objects.filter(account_id__in=chunk).values_list(
            "pk", "account_id", *CONTACT_FIELDS
        ):
            current[(account_id, values[0].lower())] = (pk, tuple(values))
    new, changed, levels_changed = [], [], []
    now = timezone.now()
    unchanged = 0
    suppressed = emails_suppressed(row.contact_email for row in rows if row.contact_email)
    for row in rows:
        if not row.contact_email:
            continue
        if suppressed and row.contact_email.lower() in suppressed:
            summary.contacts_suppressed += 1
            continue
        account_id = accounts[row.account_id]
        values = (row.contact_email, row.contact_name, row.contact_phone, row.level, row.language)
        known = current.get((account_id, row.contact_email.lower()))
        if known is None:
            new.append((account_id, *values))
        elif known[1] != values:
            changed.append((known[0], *values))
            if known[1][3] != row.level:
                levels_changed.append((known[0], known[1][3], row.level))
        else:
            unchanged += 1
    summary.contacts_created, summary.contacts_updated, summary.contacts_unchanged = len(new), len(changed), unchanged
    total, done = len(new) + len(changed), 0
    for batch in chunks(new, WRITE_BATCH):
        # Model instances are built per batch: 100,000 at once would cost ~150 MB.
        Contact.objects.bulk_create(
            [Contact(account_id=account_id, **dict(zip(CONTACT_FIELDS, values, strict=True)))
             for account_id, *values in batch]
        )
        done += len(batch)
        if progress:
            progress("contacts", done, total)
    for batch in chunks(changed, WRITE_BATCH):
        _update_contacts(batch, now)
        done += len(batch)
        if progress:
            progress("contacts", done, total)
    # The summaries in the same transaction: counts by level follow the contacts.
    contact_levels_changed(levels_changed)
    return {account_id for account_id, *_values in new}


def _update_contacts(batch: list[tuple], now) -> None:
    """UPDATE a batch of contacts (pk, email, name, phone, level, language) in one statement."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Contact._meta.db_table)
        rows_sql = ",".join(["(%s,%s,%s,%s,%s,%s)"] * len(batch))
        params = [value for item in batch for value in item]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS c SET email = v.email, name = v.name, phone = v.phone, level = v.level, "
                f"language = v.language, updated_at = %s "
                f"FROM (VALUES {rows_sql}) AS v(id, email, name, phone, level, language) WHERE c.id = v.id",
                [now, *params],
            )
        return
    objs = [
        Contact(pk=pk, updated_at=now, **dict(zip(CONTACT_FIELDS, values, strict=True)))
        for pk, *values in batch
    ]
    Contact.objects.bulk_update(objs, [*CONTACT_FIELDS, "updated_at"])


@transaction.atomic
def book_rows_write(rows: list[BookRow], *, progress: Progress | None = None, by: User | None = None) -> ImportSummary:
    """Write checked rows (from book_file_parse) in one transaction, recorded in the audit
    log as `by`'s (None: the command's)."""
    summary = ImportSummary(rows=len(rows))
    staff = _write_staff(rows, summary)
    regions = _write_regions(rows, staff, summary)
    accounts, created = _write_accounts(rows, staff, regions, summary, progress)
    gained_contacts = _write_contacts(rows, accounts, summary, progress)
    account_contacts_recount(created | gained_contacts)
    _import_audit(summary, by=by)
    return summary


def book_rows_check(rows: list[BookRow]) -> ImportSummary:
    """What writing the rows would change, counted by writing them and rolling back:
    the same rules as an import, and the book as it was."""
    with transaction.atomic():
        summary = book_rows_write(rows)
        transaction.set_rollback(True)
    return summary


def _import_audit(summary: ImportSummary, *, by: User | None) -> None:
    audit_record("customer_book_imported", by=by, details={
        "rows": summary.rows,
        "accounts_created": summary.accounts_created, "accounts_updated": summary.accounts_updated,
        "contacts_created": summary.contacts_created, "contacts_updated": summary.contacts_updated,
        "regions_created": summary.regions_created, "regions_updated": summary.regions_updated,
        "staff_created": len(summary.staff_created), "staff_promoted": [user.email for user in summary.staff_promoted],
    })
    # Written in bulk, so auditlog sees no save: each promotion as the admin's role change would be.
    for user in summary.staff_promoted:
        audit_record("role_changed", by=by, target=user, changes={"role": [Role.ACCOUNT_MANAGER, user.role]})


def book_import(*, data: bytes, progress: Progress | None = None, by: User | None = None) -> ImportSummary:
    """Import a customer file: every row checked first; any problem imports nothing."""
    rows = book_file_parse(data, progress=progress)
    return book_rows_write(rows, progress=progress, by=by)


def book_sample_csv() -> bytes:
    """The sample file offered on the upload page: every column, two rows of one account."""
    account = {
        "account_id": "ACC-1001", "account_name": "Nordic Freight A/S", "region": "North",
        "regional_manager_email": "rikke.rm@example.com", "account_manager_email": "anders.am@example.com",
        "annual_revenue": "1250000", "account_manager_name": "Anders Nielsen",
        "regional_manager_name": "Rikke Holm",
    }
    return book_csv([
        {**account, "contact_email": "mette@nordicfreight.example", "contact_name": "Mette Jensen",
         "contact_phone": "+45 12 34 56 78", "contact_level": "executive", "language": "da"},
        {**account, "contact_email": "ole@nordicfreight.example", "contact_name": "Ole Olsen",
         "contact_phone": "", "contact_level": "operational", "language": "en"},
    ])


def book_csv(rows: Iterable[dict]) -> bytes:
    """A customer file from dicts keyed by HEADER, and by the optional columns any of them
    has (tests, the demo and the benchmark)."""
    rows = list(rows)
    optional = [name for name in OPTIONAL_COLUMNS if any(name in row for row in rows)]
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=[*HEADER, *optional], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
