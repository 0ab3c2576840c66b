#!/usr/bin/env python3
"""Keep Pulse's customer book in step with a CRM's export, through the REST API.

    PULSE_KEY=pulse_... scripts/sync_book.py customers.csv --url https://pulse.example.com

Reads a customer file (the import's columns: README, "The customer file"), sends it in
batches of 1,000 records to POST /api/v1/book/batches and prints what changed. Run it
every night: a book already in step changes nothing. A batch with a bad record changes
nothing and its problems are printed with their line in the file; the script then stops
(exit 1), so that a half-synced book is never taken for a whole one. Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import urllib.error
import urllib.request

BATCH = 1_000
COUNTED = ("accounts", "contacts")


def batches(path: str):
    """(first line number, records) per batch; the header is line 1."""
    with open(path, newline="", encoding="utf-8-sig") as file:
        reader = csv.DictReader(file)
        records, first = [], 2
        for line, record in enumerate(reader, start=2):
            records.append({name: value for name, value in record.items() if name})
            if len(records) == BATCH:
                yield first, records
                records, first = [], line + 1
        if records:
            yield first, records


def post(url: str, key: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def sync(path: str, *, url: str, key: str, out=sys.stdout) -> dict:
    """Sends every batch; returns the totals per kind and outcome."""
    totals = {kind: {"created": 0, "updated": 0, "unchanged": 0} for kind in COUNTED}
    for first_line, records in batches(path):
        status, body = post(f"{url.rstrip('/')}/api/v1/book/batches", key, {"records": records})
        if status != 200:
            print(f"lines {first_line}-{first_line + len(records) - 1}: {status} {body.get('detail', '')}", file=out)
            for error in body.get("errors", []):
                print(f"  line {first_line + error['index']}: {error.get('field', '')} {error['detail']}", file=out)
            raise SystemExit(1)
        for kind in COUNTED:
            for outcome in totals[kind]:
                totals[kind][outcome] += body[kind][outcome]
    for kind in COUNTED:
        print(f"{kind}: " + ", ".join(f"{n} {outcome}" for outcome, n in totals[kind].items()), file=out)
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="the customer file (CSV, UTF-8)")
    parser.add_argument("--url", default=os.environ.get("PULSE_URL", "http://127.0.0.1:8000"))
    args = parser.parse_args()
    key = os.environ.get("PULSE_KEY")
    if not key:
        raise SystemExit("Set PULSE_KEY to an API key acting as an administrator (Settings › API keys).")
    sync(args.file, url=args.url, key=key)


if __name__ == "__main__":
    main()
