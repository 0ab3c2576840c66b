"""A search for a part of a name, whatever the letters' case, in every language: "øster"
finds "Østergaard & Co". PostgreSQL's UPPER folds every letter; SQLite's folds only A to
Z (and its LIKE compares only those without case), so on the embedded database UPPER is
Python's own (`sqlite_upper_register`, on every new connection)."""

from __future__ import annotations

from django.db.models import Q
from django.db.models.functions import Upper


def sqlite_upper_register(sender=None, connection=None, **kwargs) -> None:
    """Receiver of connection_created: on SQLite, UPPER() upper-cases every letter."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "UPPER", 1, lambda text: text.upper() if isinstance(text, str) else text, deterministic=True)


def name_contains(queryset, field: str, text: str):
    """`queryset` narrowed to rows whose `field` (a path such as "account__name") holds
    `text`, in any case."""
    alias = f"{field}_upper"
    return queryset.alias(**{alias: Upper(field)}).filter(Q(**{f"{alias}__contains": text.upper()}))
