"""scripts/sync_book.py, the README's CRM-style sync: a 12,000-contact book sent through the
API over real HTTP twice; the second run changes nothing. A bad line is named by its line."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from surveys.book_import import HEADER
from surveys.models import Account, Contact
from tests.conftest import needs
from tests.surveys.api_client import key_for

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "sync_book.py"


def _book(path: Path, contacts: int, bad_line: int | None = None) -> Path:
    """`contacts` contacts, four an account, in three regions with an AM per 100 accounts."""
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=HEADER)
        writer.writeheader()
        for n in range(contacts):
            account = n // 4
            region = ("Nordics", "DACH", "Benelux")[account % 3]
            writer.writerow({
                "account_id": f"CRM-{account:05d}", "account_name": f"Customer {account} A/S", "region": region,
                "regional_manager_email": f"rm.{region.lower()}@pulse.test",
                "account_manager_email": f"am{account // 100}@pulse.test",
                "contact_email": "not-an-email" if n + 2 == bad_line else f"c{n}@customer{account}.example",
                "contact_name": f"Contact {n}", "contact_phone": "", "contact_level": "manager", "language": "da",
            })
    return path


def _run(book: Path, url: str, token: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), str(book), "--url", url], capture_output=True, text=True,
                          env={**os.environ, "PULSE_KEY": token}, timeout=600)


@pytest.mark.django_db(transaction=True)
def test_a_crm_syncs_12000_contacts_twice_and_the_second_run_changes_nothing(live_server, admin_user, tmp_path):
    needs("PostgreSQL (DATABASE_URL)", bool(os.environ.get("DATABASE_URL")))
    token = key_for(admin_user, by=admin_user)[1]
    book = _book(tmp_path / "crm.csv", 12_000)
    first = _run(book, live_server.url, token)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "accounts: 3000 created, 0 updated, 0 unchanged" in first.stdout
    assert "contacts: 12000 created, 0 updated, 0 unchanged" in first.stdout
    assert (Account.objects.filter(external_id__startswith="CRM-").count(),
            Contact.objects.filter(account__external_id__startswith="CRM-").count()) == (3000, 12000)
    second = _run(book, live_server.url, token)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "accounts: 0 created, 0 updated, 3000 unchanged" in second.stdout
    assert "contacts: 0 created, 0 updated, 12000 unchanged" in second.stdout


@pytest.mark.django_db(transaction=True)
def test_a_bad_line_stops_the_sync_and_is_named(live_server, admin_user, tmp_path):
    needs("PostgreSQL (DATABASE_URL)", bool(os.environ.get("DATABASE_URL")))
    token = key_for(admin_user, by=admin_user)[1]
    result = _run(_book(tmp_path / "crm.csv", 1_500, bad_line=1_205), live_server.url, token)
    assert result.returncode == 1
    assert "lines 1002-1501: 422" in result.stdout and "line 1205: contact_email" in result.stdout
    # The first batch (lines 2-1001) went in; the bad one changed nothing.
    assert Contact.objects.filter(account__external_id__startswith="CRM-").count() == 1000
