import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from surveys.book_import import HEADER, BookFileInvalid, book_csv, book_import
from surveys.models import Account, Contact, Region, Role, User
from tests.factories import ContactFactory

ROOT = Path(__file__).resolve().parents[2]


def row(**fields):
    base = {
        "account_id": "ACC-1",
        "account_name": "Nordic Freight A/S",
        "region": "Nordics",
        "regional_manager_email": "rikke.rm@pulse.test",
        "account_manager_email": "anders.am@pulse.test",
        "contact_email": "karen@nordicfreight.dk",
        "contact_name": "Karen Kjær",
        "contact_phone": "+45 20 30 40 50",
        "contact_level": "executive",
        "language": "da",
    }
    base.update(fields)
    return base


def good_rows():
    return [
        row(),
        row(contact_email="ole@nordicfreight.dk", contact_name="Ole Olsen", contact_level="manager",
            regional_manager_email=""),
        row(account_id="ACC-2", account_name="Alpen Logistik GmbH", region="DACH",
            regional_manager_email="dieter.rm@pulse.test", account_manager_email="greta.am@pulse.test",
            contact_email="hans@alpen.de", contact_name="Hans Huber", contact_level="operational", language="en"),
    ]


def book_snapshot():
    """Everything an import may touch, to prove a rejected file changed nothing."""
    return (
        list(User.objects.order_by("pk").values_list("email", "role", "password", "full_name")),
        list(Region.objects.order_by("pk").values_list("name", "manager_id")),
        list(Account.objects.order_by("pk").values_list("external_id", "name", "region_id", "owner_id",
                                                        "annual_revenue", "updated_at")),
        list(Contact.objects.order_by("pk").values_list("account_id", "email", "name", "phone", "level", "language",
                                                        "updated_at")),
    )


@pytest.fixture
def existing_book(db):
    book_import(data=book_csv(good_rows()))
    return book_snapshot()


def rejected(data: bytes) -> list:
    with pytest.raises(BookFileInvalid) as caught:
        book_import(data=data)
    return caught.value.problems


# --- A good file ------------------------------------------------------------------------

def test_import_creates_regions_staff_accounts_and_contacts(db):
    summary = book_import(data=book_csv(good_rows()))

    assert (summary.accounts_created, summary.contacts_created, summary.regions_created) == (2, 3, 2)
    nordics = Region.objects.get(name="Nordics")
    assert nordics.manager.email == "rikke.rm@pulse.test"
    assert nordics.manager.role == Role.REGIONAL_MANAGER
    account = Account.objects.get(external_id="ACC-1")
    assert account.name == "Nordic Freight A/S" and account.region == nordics and account.active
    assert account.owner.email == "anders.am@pulse.test" and account.owner.role == Role.ACCOUNT_MANAGER
    karen = Contact.objects.get(email="karen@nordicfreight.dk")
    assert (karen.name, karen.phone, karen.level, karen.language) == (
        "Karen Kjær", "+45 20 30 40 50", "executive", "da")
    assert Contact.objects.get(email="hans@alpen.de").language == "en"


def test_staff_named_in_the_file_are_created_without_a_usable_password(db):
    summary = book_import(data=book_csv(good_rows()))

    assert sorted((u.email, u.role) for u in summary.staff_created) == [
        ("anders.am@pulse.test", "am"), ("dieter.rm@pulse.test", "rm"),
        ("greta.am@pulse.test", "am"), ("rikke.rm@pulse.test", "rm"),
    ]
    for user in User.objects.all():
        assert not user.has_usable_password()
        assert not user.is_staff and not user.is_superuser
    # No name is made up from the address (it reached customers as "Am2 from Acme"): a
    # file without the name columns leaves new staff without one.
    assert User.objects.get(email="anders.am@pulse.test").full_name == ""


def test_existing_staff_are_reused_matched_by_email_in_any_case(db, director):
    am = User.objects.create_user("Anders.AM@pulse.test", password="x-secret-1", role="am")
    rows = good_rows()
    rows[2]["account_manager_email"] = "DORTE@pulse.test"  # the director owns an account
    summary = book_import(data=book_csv(rows))

    assert {u.email for u in summary.staff_created} == {"rikke.rm@pulse.test", "dieter.rm@pulse.test"}
    assert Account.objects.get(external_id="ACC-1").owner == am
    assert Account.objects.get(external_id="ACC-2").owner == director
    director.refresh_from_db()
    am.refresh_from_db()
    assert director.role == "director" and am.check_password("x-secret-1")


def test_an_account_manager_named_as_regional_manager_becomes_one(db):
    user = User.objects.create_user("rikke.rm@pulse.test", role="am")
    summary = book_import(data=book_csv(good_rows()))
    user.refresh_from_db()
    assert user.role == Role.REGIONAL_MANAGER
    assert summary.staff_promoted == [user]


def test_a_byte_order_mark_columns_in_any_order_and_spreadsheet_noise_are_fine(db):
    header = list(reversed(HEADER))
    lines = [",".join(h.upper() for h in header)]
    lines += [",".join(r[h] for h in header) for r in good_rows()]
    lines.insert(2, ",,,,,,,,,")  # an empty spreadsheet row
    data = "\ufeff" + "\r\n".join(lines) + "\r\n\r\n"
    summary = book_import(data=data.encode("utf-8"))
    assert (summary.rows, summary.contacts_created) == (3, 3)
    assert Contact.objects.get(email="karen@nordicfreight.dk").name == "Karen Kjær"


def test_a_row_without_contact_columns_only_describes_the_account(db):
    rows = [row(contact_email="", contact_name="", contact_phone="", contact_level="", language="")]
    summary = book_import(data=book_csv(rows))
    assert summary.accounts_created == 1 and summary.contacts_created == 0
    assert Account.objects.get().contacts.count() == 0


def test_language_is_read_leniently(db):
    rows = good_rows()
    rows[0]["language"] = "da-DK"
    rows[1]["language"] = "EN"
    rows[2]["language"] = ""
    book_import(data=book_csv(rows))
    assert dict(Contact.objects.values_list("email", "language")) == {
        "karen@nordicfreight.dk": "da", "ole@nordicfreight.dk": "en", "hans@alpen.de": "en",
    }


# --- Re-import --------------------------------------------------------------------------

def test_reimport_updates_in_place_keyed_by_account_id_and_email(existing_book):
    karen = Contact.objects.get(email="karen@nordicfreight.dk")
    karen_id, account_id = karen.pk, karen.account_id
    Contact.objects.filter(pk=karen_id).update(opted_out_at="2026-01-05T10:00:00Z")
    Account.objects.filter(pk=account_id).update(active=False)

    rows = good_rows()
    rows[0].update(contact_email="KAREN@NordicFreight.dk", contact_name="Karen Kjær Holm", contact_phone="+45 99",
                   contact_level="manager", account_name="Nordic Freight Group A/S")
    rows[1].update(account_name="Nordic Freight Group A/S")
    rows[2].update(account_manager_email="anders.am@pulse.test")  # ACC-2 changes owner
    rows.append(row(account_id="ACC-2", account_name="Alpen Logistik GmbH", region="DACH",
                    regional_manager_email="", account_manager_email="anders.am@pulse.test",
                    contact_email="new@alpen.de", contact_name="Neu", contact_level="manager", language="en"))
    summary = book_import(data=book_csv(rows))

    assert (summary.accounts_created, summary.accounts_updated, summary.accounts_unchanged) == (0, 2, 0)
    assert (summary.contacts_created, summary.contacts_updated, summary.contacts_unchanged) == (1, 1, 2)
    assert summary.staff_created == [] and summary.regions_created == 0
    karen = Contact.objects.get(pk=karen_id)
    assert karen.account_id == account_id
    assert (karen.email, karen.name, karen.phone, karen.level) == (
        "KAREN@NordicFreight.dk", "Karen Kjær Holm", "+45 99", "manager")
    # An import never resubscribes a contact, nor reactivates an account.
    assert karen.opted_out_at is not None
    assert not Account.objects.get(pk=account_id).active
    assert Account.objects.get(pk=account_id).name == "Nordic Freight Group A/S"
    assert Account.objects.get(external_id="ACC-2").owner.email == "anders.am@pulse.test"
    assert Contact.objects.count() == 4 and Account.objects.count() == 2


def test_reimporting_the_same_file_changes_nothing(existing_book):
    summary = book_import(data=book_csv(good_rows()))
    assert (summary.accounts_unchanged, summary.contacts_unchanged) == (2, 3)
    assert (summary.accounts_updated, summary.contacts_updated, summary.accounts_created) == (0, 0, 0)
    assert book_snapshot() == existing_book


def test_contacts_not_in_the_file_are_kept(existing_book):
    extra = ContactFactory(account=Account.objects.get(external_id="ACC-1"))
    book_import(data=book_csv(good_rows()[:1]))
    assert Contact.objects.filter(pk=extra.pk).exists()
    assert Contact.objects.count() == 4


# --- Bad files: every problem reported with its line, nothing changed ----------------------

def one_bad(line_index: int, **fields) -> bytes:
    rows = good_rows()
    rows[line_index].update(fields)
    return book_csv(rows)


BAD_ROWS = [
    ("unknown level", one_bad(1, contact_level="boss"), 3, "contact_level", "unknown level 'boss'"),
    ("missing level", one_bad(1, contact_level=""), 3, "contact_level", "unknown level missing"),
    ("bad contact email", one_bad(0, contact_email="karen(at)nordicfreight.dk"), 2, "contact_email",
     "bad email address 'karen(at)nordicfreight.dk'"),
    ("bad AM email", one_bad(2, account_manager_email="greta@"), 4, "account_manager_email",
     "bad email address 'greta@'"),
    ("missing AM", one_bad(2, account_manager_email=""), 4, "account_manager_email", "missing account manager"),
    ("bad RM email", one_bad(2, regional_manager_email="dieter"), 4, "regional_manager_email", "bad email"),
    ("missing account id", one_bad(1, account_id=""), 3, "account_id", "missing account id"),
    ("missing contact email", one_bad(1, contact_email=""), 3, "contact_email", "missing contact email"),
    ("two owners", one_bad(1, account_manager_email="greta.am@pulse.test"), 3, "account_manager_email",
     "account ACC-1 is given two owners: 'greta.am@pulse.test' here, 'anders.am@pulse.test' on line 2"),
    ("two regions", one_bad(1, region="DACH", regional_manager_email=""), 3, "region",
     "account ACC-1 is given two regions: 'DACH' here, 'Nordics' on line 2"),
    ("two names", one_bad(1, account_name="Nordic Freight"), 3, "account_name",
     "account ACC-1 is given two names"),
    ("two regional managers", one_bad(1, regional_manager_email="someone.else@pulse.test"), 3,
     "regional_manager_email",
     "region Nordics is given two regional managers: 'someone.else@pulse.test' here, 'rikke.rm@pulse.test' on line 2"),
    ("unknown language", one_bad(2, language="klingon"), 4, "language", "unknown language 'klingon' (use en, da)"),
    ("same contact twice", one_bad(1, contact_email="Karen@nordicfreight.dk"), 3, "contact_email",
     "appears twice (first on line 2)"),
    ("too long", one_bad(2, contact_phone="1" * 51), 4, "contact_phone", "longer than 50 characters"),
]


@pytest.mark.parametrize("data, line, column, reason", [case[1:] for case in BAD_ROWS],
                         ids=[case[0] for case in BAD_ROWS])
def test_a_bad_row_imports_nothing_and_says_where_and_why(existing_book, data, line, column, reason):
    problems = rejected(data)
    assert [(p.line, p.column) for p in problems] == [(line, column)], problems
    assert reason in problems[0].reason
    assert f"line {line}, {column}: " in str(problems[0])
    assert book_snapshot() == existing_book


BAD_FILES = [
    ("empty", b"", 1, "the file is empty"),
    ("only whitespace", b"\n \r\n", 1, "the file is empty"),
    ("only a byte order mark", b"\xef\xbb\xbf", 1, "the file is empty"),
    ("header only", book_csv([]), 2, "the file has a header but no rows"),
    ("wrong header", b"account,name,email\nA1,Acme,x@y.dk\n", 1, "wrong header (missing account_id"),
    ("a column missing", book_csv(good_rows()).replace(b",language", b"", 1), 1, "missing language"),
    ("semicolons", book_csv(good_rows()).replace(b",", b";"), 1, "separated by semicolons"),
    ("Excel workbook", b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4, 1, "Excel workbook"),
    ("binary", b"\x00\x01\x02garbage\x00" * 50, 1, "binary file, not a CSV file"),
    ("UTF-16", "\ufeffaccount_id,account_name\n".encode("utf-16"), 1, "UTF-16"),
    ("unterminated quote", book_csv(good_rows()) + b'ACC-9,"Open quote,Nordics\n', 5, "not valid CSV"),
]


@pytest.mark.parametrize("data, line, reason", [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES])
def test_a_file_that_is_not_a_customer_csv_imports_nothing(existing_book, data, line, reason):
    problems = rejected(data)
    assert problems[0].line == line, problems
    assert reason in problems[0].reason, problems
    assert book_snapshot() == existing_book


def test_not_utf8_reports_every_line_with_a_foreign_byte(existing_book):
    rows = good_rows()
    rows[0]["contact_name"] = "Søren Ærø"
    rows[2]["contact_name"] = "Jürgen"
    data = book_csv(rows).decode().encode("latin-1")
    problems = rejected(data)
    assert [p.line for p in problems] == [2, 4]
    assert "not UTF-8" in problems[0].reason and "CSV UTF-8" in problems[0].reason
    assert book_snapshot() == existing_book


def test_every_bad_row_is_reported_not_just_the_first(existing_book):
    rows = good_rows() + [
        row(account_id="ACC-3", account_name="Three", contact_email="a@three.dk", contact_level="chief"),
        row(account_id="ACC-4", account_name="Four", contact_email="b@four", language="xx"),
        row(account_id="", account_name="Five", contact_email="c@five.dk"),
    ]
    data = book_csv(rows) + b"ACC-6,Six,Nordics\n"
    error = pytest.raises(BookFileInvalid, book_import, data=data).value
    assert [(p.line, p.column) for p in error.problems] == [
        (5, "contact_level"), (6, "contact_email"), (6, "language"), (7, "account_id"), (8, ""),
    ]
    assert error.problems[-1].reason == "expected 10 columns, found 3"
    assert error.bad_lines == 4
    assert book_snapshot() == existing_book


def test_a_quoted_field_over_two_lines_keeps_later_line_numbers_right(db):
    rows = good_rows()
    rows[0]["account_name"] = "Nordic\nFreight"
    rows[1]["account_name"] = "Nordic\nFreight"
    rows[2]["contact_level"] = "boss"
    problems = rejected(book_csv(rows))
    assert [p.line for p in problems] == [6]


# --- Annual revenue (optional column) -----------------------------------------------------

def revenue_rows(acc1="1250000", acc1_other="", acc2="98000.50"):
    """good_rows() with an annual_revenue column: ACC-1's on its first row (its second row
    leaves it empty), ACC-2's on its only row."""
    rows = good_rows()
    for r, value in zip(rows, (acc1, acc1_other, acc2), strict=True):
        r["annual_revenue"] = value
    return rows


def revenues() -> dict:
    return dict(Account.objects.values_list("external_id", "annual_revenue"))


def test_the_revenue_column_sets_each_accounts_revenue(db):
    summary = book_import(data=book_csv(revenue_rows()))
    assert revenues() == {"ACC-1": Decimal("1250000"), "ACC-2": Decimal("98000.50")}
    assert summary.accounts_with_revenue == 2
    assert "annual revenue: given for 2 of 2 accounts (the others: not known)" in summary.lines()


def test_a_file_without_the_column_imports_as_before_and_keeps_the_revenue(db):
    book_import(data=book_csv(revenue_rows()))
    before = book_snapshot()
    rows = good_rows()
    rows[2]["account_name"] = "Alpen Logistik AG"  # a change, so ACC-2 is written
    summary = book_import(data=book_csv(rows))
    assert summary.accounts_with_revenue is None and not any(line.startswith("annual") for line in summary.lines())
    assert (summary.accounts_updated, summary.accounts_unchanged) == (1, 1)
    assert revenues() == {"ACC-1": Decimal("1250000"), "ACC-2": Decimal("98000.50")}
    assert Account.objects.get(external_id="ACC-2").name == "Alpen Logistik AG"
    assert book_snapshot()[3] == before[3]  # contacts untouched


def test_reimporting_the_same_revenue_changes_nothing(db):
    book_import(data=book_csv(revenue_rows(acc1="1250000.00")))
    before = book_snapshot()
    summary = book_import(data=book_csv(revenue_rows(acc1="1250000")))  # the same amount, written otherwise
    assert (summary.accounts_updated, summary.accounts_unchanged) == (0, 2)
    assert book_snapshot() == before


def test_a_new_revenue_updates_and_an_empty_one_means_not_known(db):
    book_import(data=book_csv(revenue_rows()))
    summary = book_import(data=book_csv(revenue_rows(acc1="", acc1_other="1300000", acc2="")))
    assert revenues() == {"ACC-1": Decimal("1300000"), "ACC-2": None}
    assert (summary.accounts_updated, summary.accounts_with_revenue) == (2, 1)


def test_the_revenue_column_may_come_anywhere_in_any_case(db):
    rows = revenue_rows()
    header = ["ANNUAL_REVENUE", *HEADER]
    lines = [",".join(header)] + [",".join([r["annual_revenue"], *(r[h] for h in HEADER)]) for r in rows]
    book_import(data=("\n".join(lines) + "\n").encode())
    assert revenues() == {"ACC-1": Decimal("1250000"), "ACC-2": Decimal("98000.50")}


BAD_REVENUES = [
    ("decimal comma and k", "12,5k", "'12,5k' is not an amount"),
    ("thousands separators", "1,250,000", "'1,250,000' is not an amount"),
    ("spaces", "1 250 000", "'1 250 000' is not an amount"),
    ("a currency", "EUR 5000", "'EUR 5000' is not an amount"),
    ("a currency sign", "€5000", "'€5000' is not an amount"),
    ("an exponent", "1e6", "'1e6' is not an amount"),
    ("negative", "-5000", "'-5000' is negative"),
    ("three decimals", "1000.125", "'1000.125' has more than 2 decimals"),
    ("too large", "12345678901234", "'12345678901234' is too large (at most 9,999,999,999,999)"),
]


@pytest.mark.parametrize("value, reason", [case[1:] for case in BAD_REVENUES], ids=[case[0] for case in BAD_REVENUES])
def test_a_bad_revenue_names_the_row_and_imports_nothing(db, value, reason):
    book_import(data=book_csv(revenue_rows()))
    before = book_snapshot()
    problems = rejected(book_csv(revenue_rows(acc2=value)))
    assert [(p.line, p.column) for p in problems] == [(4, "annual_revenue")], problems
    assert str(problems[0]).startswith(f"line 4, annual_revenue: annual revenue of account ACC-2: {reason}")
    assert book_snapshot() == before


def test_an_account_given_two_revenues_is_a_problem(existing_book):
    problems = rejected(book_csv(revenue_rows(acc1="1250000", acc1_other="1300000")))
    assert [(p.line, p.column) for p in problems] == [(3, "annual_revenue")]
    assert problems[0].reason == ("account ACC-1 is given two annual revenues: '1300000' here, "
                                  "'1250000' on line 2")
    assert book_snapshot() == existing_book


def test_an_unknown_column_is_still_refused_and_the_message_names_the_optional_one(db):
    data = book_csv(good_rows()).replace(b",language", b",language,revenue", 1)
    [problem] = rejected(data)
    assert "unknown revenue" in problem.reason
    assert "(and optionally annual_revenue, account_manager_name, regional_manager_name)" in problem.reason


# --- Staff names (optional columns) -------------------------------------------------------

def named_rows(am="Anders Nielsen", rm="Rikke Madsen"):
    """good_rows() with the name columns: ACC-1's AM and RM named on its first row only."""
    rows = good_rows()
    for r in rows:
        r["account_manager_name"] = r["regional_manager_name"] = ""
    rows[0].update(account_manager_name=am, regional_manager_name=rm)
    return rows


def names() -> dict:
    return dict(User.objects.values_list("email", "full_name"))


def test_the_name_columns_name_the_staff(db):
    summary = book_import(data=book_csv(named_rows()))
    assert names() == {"anders.am@pulse.test": "Anders Nielsen", "rikke.rm@pulse.test": "Rikke Madsen",
                       "greta.am@pulse.test": "", "dieter.rm@pulse.test": ""}
    assert summary.staff_renamed == []  # new staff are created with their names


def test_a_name_in_the_file_replaces_the_name_an_empty_one_keeps_it(db):
    User.objects.create_user("anders.am@pulse.test", role="am", full_name="Am2")
    User.objects.create_user("greta.am@pulse.test", role="am", full_name="Greta Grün")
    summary = book_import(data=book_csv(named_rows()))
    assert names()["anders.am@pulse.test"] == "Anders Nielsen"
    assert names()["greta.am@pulse.test"] == "Greta Grün"  # her rows leave the column empty
    assert [user.email for user in summary.staff_renamed] == ["anders.am@pulse.test"]
    assert "staff: 2 created without a password, 1 given the file's name" in summary.lines()
    assert book_import(data=book_csv(named_rows())).staff_renamed == []  # the same file again


def test_a_file_without_the_name_columns_keeps_the_staffs_names(db):
    book_import(data=book_csv(named_rows()))
    summary = book_import(data=book_csv(good_rows()))
    assert names()["anders.am@pulse.test"] == "Anders Nielsen" and summary.staff_renamed == []


def test_a_person_named_as_account_manager_and_as_regional_manager_gets_one_name(db):
    rows = named_rows(rm="")
    rows[2].update(regional_manager_email="anders.am@pulse.test", regional_manager_name="Anders Nielsen")
    book_import(data=book_csv(rows))
    assert names()["anders.am@pulse.test"] == "Anders Nielsen"


def test_line_breaks_and_control_characters_in_a_name_become_spaces(db):
    book_import(data=book_csv(named_rows(am="Anders\r\nBcc: evil@example.com\x07 Nielsen  ")))
    assert names()["anders.am@pulse.test"] == "Anders Bcc: evil@example.com Nielsen"


def test_two_names_for_one_person_are_a_problem(existing_book):
    rows = named_rows()
    rows[1]["account_manager_name"] = "Anders Andersen"
    rows[2].update(regional_manager_email="anders.am@pulse.test", regional_manager_name="A. Nielsen")
    problems = rejected(book_csv(rows))
    assert [(p.line, p.column) for p in problems] == [(3, "account_manager_name"), (4, "regional_manager_name")]
    assert problems[0].reason == ("anders.am@pulse.test is given two names: 'Anders Andersen' here, "
                                  "'Anders Nielsen' on line 2")
    assert book_snapshot() == existing_book


def test_a_regional_managers_name_needs_their_address_and_a_name_its_length(existing_book):
    rows = named_rows()
    rows[1]["regional_manager_name"] = "Rikke Madsen"  # this row gives no regional_manager_email
    rows[2]["account_manager_name"] = "G" * 201
    problems = rejected(book_csv(rows))
    assert [(p.line, p.column, p.reason) for p in problems] == [
        (3, "regional_manager_name", "a regional manager's name needs their regional_manager_email on the same row"),
        (4, "account_manager_name", "longer than 200 characters"),
    ]
    assert book_snapshot() == existing_book


def test_command_says_how_many_accounts_were_given_a_revenue(db, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(book_csv(revenue_rows(acc2="")))
    out = StringIO()
    call_command("import_customers", str(path), stdout=out)
    assert "annual revenue: given for 1 of 2 accounts (the others: not known)" in out.getvalue()


# --- The command --------------------------------------------------------------------------

def big_file(tmp_path, n: int, revenue: bool = False) -> Path:
    rows = [
        row(account_id=f"ACC-{i // 3}", account_name=f"Customer {i // 3}", region=f"Region {i // 3 % 4}",
            regional_manager_email=f"rm{i // 3 % 4}@pulse.test", account_manager_email=f"am{i // 3 % 12}@pulse.test",
            contact_email=f"person{i}@customer{i // 3}.dk",
            contact_level=("executive", "manager", "operational")[i % 3],
            **({"annual_revenue": str(1000 * (i // 3)) if i % 3 == 0 else ""} if revenue else {}))
        for i in range(n)
    ]
    path = tmp_path / "customers.csv"
    path.write_bytes(book_csv(rows))
    return path


def test_command_imports_a_long_file_showing_progress(db, tmp_path):
    path = big_file(tmp_path, 6000)
    out = StringIO()
    call_command("import_customers", str(path), stdout=out)
    output = out.getvalue()
    assert "rows checked: 6,000 / 6,000" in output
    assert "rows checked: 5,000" in output or "rows checked: 3,000" in output
    assert "accounts written: 2,000 / 2,000" in output
    assert "contacts written: 6,000 / 6,000" in output
    assert "contacts: 6,000 created, 0 updated" in output
    assert "staff: 16 created without a password" in output
    assert Contact.objects.count() == 6000 and Account.objects.count() == 2000

    out = StringIO()
    call_command("import_customers", str(path), stdout=out)
    assert "contacts: 0 created, 0 updated, 6,000 unchanged" in out.getvalue()


def test_command_reports_every_problem_and_fails(existing_book, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(one_bad(1, contact_level="boss").replace(b"hans@alpen.de", b"hans@"))
    err = StringIO()
    with pytest.raises(CommandError, match=r"2 bad line\(s\), 2 problem\(s\); nothing was imported"):
        call_command("import_customers", str(path), stdout=StringIO(), stderr=err)
    assert "line 3, contact_level: unknown level 'boss'" in err.getvalue()
    assert "line 4, contact_email: bad email address 'hans@'" in err.getvalue()
    assert book_snapshot() == existing_book


def test_command_exits_non_zero_on_a_bad_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes("account_id;name\n1;Søren\n".encode("latin-1"))
    result = subprocess.run([sys.executable, "manage.py", "import_customers", str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "line 2: not UTF-8 text" in result.stderr
    assert "nothing was imported" in result.stderr


def test_command_check_only_reads(existing_book, tmp_path):
    path = tmp_path / "customers.csv"
    rows = good_rows()
    rows[0]["contact_name"] = "Someone Else"
    path.write_bytes(book_csv(rows))
    out = StringIO()
    call_command("import_customers", str(path), "--check", stdout=out)
    assert "All 3 rows are fine; nothing was written (--check)." in out.getvalue()
    assert book_snapshot() == existing_book
    path.write_bytes(one_bad(1, contact_level="boss"))
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_customers", str(path), "--check", stdout=StringIO(), stderr=StringIO())


def test_command_says_when_the_file_is_missing(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_customers", str(tmp_path / "nope.csv"))


@pytest.mark.parametrize("revenue", [False, True], ids=["", "with revenue"])
@pytest.mark.parametrize("n", [15, 90])  # SQLite splits inserts at 999 parameters (99 contacts)
def test_the_import_writes_in_bulk_the_query_count_does_not_grow_with_the_file(db, tmp_path, max_queries, n,
                                                                               revenue):
    data = big_file(tmp_path, n, revenue=revenue).read_bytes()
    # 14, the new accounts' summaries and their part in the revenue sums (3), a look at the
    # suppression list, the audit entry, their rows among the accounts at risk (read, written: 2)
    with max_queries(27):
        summary = book_import(data=data)
    assert summary.contacts_created == n
    with max_queries(11):
        book_import(data=data)  # unchanged: reads only, and the audit log's entry
