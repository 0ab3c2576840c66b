"""Which (owner, region) pairs a scope of accounts holds: how a summary row keyed by the
pair (the rollup's, the calls', the themes') is found in or out of a scope.

Every scope (surveys.selectors.accounts_visible_to, maybe of one region or owner) holds all
the accounts of an owner in a region or none of them, so a pair's first account decides.
The pairs are read from the accounts' (owner, region, id) index, one probe per pair, so the
read costs the same at a thousand accounts and at a million; then one read keeps those of
the scope. A page reads a dozen summaries of one scope: during a GET the answer is kept
for the request, by the scope's SQL (built anew per read, the querysets are not the same
object), and never past it.
"""

from __future__ import annotations

import threading
from collections import defaultdict

from django.core.signals import request_finished, request_started
from django.db import connection
from django.db.models import Q, QuerySet

from .models import Account

_request = threading.local()


def _request_begins(sender=None, environ=None, **kwargs) -> None:
    # Only a GET or HEAD keeps the answer: a POST may move accounts and read again.
    method = (environ or {}).get("REQUEST_METHOD", "")
    _request.pairs = {} if method in ("GET", "HEAD") else None


def _request_ends(sender=None, **kwargs) -> None:
    _request.pairs = None


request_started.connect(_request_begins, dispatch_uid="surveys.scope_pairs.begins")
request_finished.connect(_request_ends, dispatch_uid="surveys.scope_pairs.ends")


def _first_account_of_each_pair() -> dict[int, tuple[int, int]]:
    """{first account id: (owner id, region id)} of every pair that has accounts: a walk
    down the index, from each pair to the next one (a recursive query, as PostgreSQL has no
    skip scan)."""
    account = connection.ops.quote_name(Account._meta.db_table)
    after = (f"FROM {account} a WHERE (a.owner_id, a.region_id) > (pair.owner_id, pair.region_id)"
             " ORDER BY a.owner_id, a.region_id LIMIT 1")
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE pair(owner_id, region_id) AS ("
            f" SELECT * FROM (SELECT owner_id, region_id FROM {account}"
            f"  ORDER BY owner_id, region_id LIMIT 1) first_pair"
            f" UNION ALL"
            f" SELECT (SELECT a.owner_id {after}), (SELECT a.region_id {after})"
            f" FROM pair WHERE pair.owner_id IS NOT NULL)"
            f" SELECT pair.owner_id, pair.region_id, (SELECT a.id FROM {account} a"
            f"  WHERE a.owner_id = pair.owner_id AND a.region_id = pair.region_id ORDER BY a.id LIMIT 1)"
            f" FROM pair WHERE pair.owner_id IS NOT NULL"
        )
        return {first: (owner_id, region_id) for owner_id, region_id, first in cursor.fetchall()}


def _scope_condition(accounts_qs: QuerySet[Account]) -> Q:
    pairs = _first_account_of_each_pair()
    owners_by_region = defaultdict(list)
    for pk in accounts_qs.filter(pk__in=list(pairs)).values_list("pk", flat=True) if pairs else []:
        owner_id, region_id = pairs[pk]
        owners_by_region[region_id].append(owner_id)
    # A condition per region, not per pair: a page builds a dozen reads with it.
    scope = Q(pk__in=[])
    for region_id, owner_ids in sorted(owners_by_region.items()):
        scope |= Q(region_id=region_id, owner_id__in=sorted(owner_ids))
    return scope


def scope_pairs_condition(accounts_qs: QuerySet[Account]) -> Q:
    """The rows, of any summary keyed by (owner_id, region_id), that add up accounts of
    `accounts_qs` (a scope that is not every account: see surveys.selectors.pairs_in_scope)."""
    memo = getattr(_request, "pairs", None)
    if memo is None:
        return _scope_condition(accounts_qs)
    key = accounts_qs.query.sql_with_params()
    key = (key[0], tuple(map(str, key[1])))
    if key not in memo:
        memo[key] = _scope_condition(accounts_qs)
    return memo[key]
