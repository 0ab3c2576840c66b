"""ORM queries by ids, compiled once per process and run many times with other ids.

Building a queryset's SQL (Django's compiler) costs more CPU than PostgreSQL spends
running a small indexed read, and the worker runs the same few for every answer: an
answer's call state, revenue at risk and accounts at risk each read its one account.

    def _states(account_ids):  # a module-level function: it is the cache's key
        return AccountCallState.objects.filter(pk__in=account_ids).values_list("pk", "flag")

    rows = ids_rows(_states, [account_id])

compiles `_states` once per number of ids (up to CACHED_IDS) and database, with stand-in
ids, and then only puts the ids in their places among the parameters. Rows come back as
values_list gives them (the database's converters applied: SQLite's dates and decimals).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

# An event touches one account, or a few; a longer list is compiled each time.
CACHED_IDS = 8
# Stand-ins for the ids while the query is compiled: no row has a negative id.
_FIRST_STAND_IN = -(2**62)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    slots: tuple[tuple[int, int], ...]  # (position among the params, which id)
    compiler: object  # the ORM's compiler, kept for its converters
    converters: dict


def _compile(build: Callable[[list[int]], QuerySet], ids: list[int], using: str) -> _Compiled:
    compiler = build(ids).query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    converters = compiler.get_converters([expression for expression, _, _ in compiler.select])
    return _Compiled(sql=sql, params=tuple(params), slots=(), compiler=compiler, converters=converters)


@lru_cache(maxsize=128)
def _compiled(build: Callable[[list[int]], QuerySet], count: int, using: str) -> _Compiled:
    stand_ins = [_FIRST_STAND_IN + i for i in range(count)]
    compiled = _compile(build, stand_ins, using)
    which = {stand_in: i for i, stand_in in enumerate(stand_ins)}
    slots = tuple((position, which[param]) for position, param in enumerate(compiled.params)
                  if type(param) is int and param in which)
    if {i for _, i in slots} != set(range(count)):
        raise ValueError(f"{build.__qualname__} does not pass each id to the query as a parameter")
    return _Compiled(sql=compiled.sql, params=compiled.params, slots=slots, compiler=compiled.compiler,
                     converters=compiled.converters)


def ids_sql(build: Callable[[list[int]], QuerySet], ids: Iterable[int], *,
            using: str = DEFAULT_DB_ALIAS) -> tuple[str, list]:
    """(sql, params) of `build(ids)`; `ids` not empty."""
    ids = list(ids)
    return _sql(_for(build, ids, using), ids)


def ids_rows(build: Callable[[list[int]], QuerySet], ids: Iterable[int], *,
             using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    """The rows of `build(ids)`, a values_list() query; [] when `ids` is empty."""
    ids = list(ids)
    if not ids:
        return []
    compiled = _for(build, ids, using)
    sql, params = _sql(compiled, ids)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if compiled.converters:
        rows = [tuple(row) for row in compiled.compiler.apply_converters(rows, compiled.converters)]
    return rows


def _for(build, ids: list[int], using: str) -> _Compiled:
    if len(ids) > CACHED_IDS or len(set(ids)) != len(ids):
        return _compile(build, ids, using)
    return _compiled(build, len(ids), using)


def _sql(compiled: _Compiled, ids: list[int]) -> tuple[str, list]:
    params = list(compiled.params)
    for position, which in compiled.slots:
        params[position] = ids[which]
    return compiled.sql, params
