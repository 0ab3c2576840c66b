"""Adding signed counts to summary rows keyed by some columns: one upsert per few hundred
rows, in key order (every writer the same order, so no two wait on each other in a
circle). The rollup summaries (surveys.tallies), the revenue sums
(surveys.revenue_tallies) and the follow-up calls' summaries (followups.tallies) use it."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from django.db import connection

from .batching import chunks

ROWS_PER_STATEMENT = 500


@lru_cache(maxsize=64)
def _upsert_sql(table: str, keys: tuple, fields: tuple, rows: int) -> str:
    columns = (*keys, *fields)
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    updates = ", ".join(f"{f} = {table}.{f} + excluded.{f}" for f in fields)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * rows)}"
        f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )


def _key_value(value):
    """A key column's value as the database takes it (dates by the backend's own rule)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return connection.ops.adapt_datefield_value(value)
    return value


def rows_add(table: str, keys: tuple, rows: dict, fields: tuple) -> None:
    """Add signed counts (`fields`) to the rows of `table` keyed by the columns `keys`,
    creating missing rows; in key order, in as few statements as it takes."""
    items = sorted((key, counts) for key, counts in rows.items() if any(counts.values()))
    with connection.cursor() as cursor:
        for batch in chunks(items, ROWS_PER_STATEMENT):
            params = []
            for key, counts in batch:
                params += [*(_key_value(k) for k in key), *(counts[f] for f in fields)]
            cursor.execute(_upsert_sql(table, tuple(keys), tuple(fields), len(batch)), params)
