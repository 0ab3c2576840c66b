"""The services run of .ci/run repeats the answer-page and outbox tests behind PgBouncer
in transaction pooling (DATABASE_POOLER=pgbouncer, see scripts/pgbouncer): show that
they really run there, where consecutive transactions land on different server
connections, so nothing may be kept on a connection between them."""

import os

from django.conf import settings
from django.db import connection

from tests.conftest import needs


def _backend_pids(n: int) -> set[int]:
    pids = set()
    for _ in range(n):
        with connection.cursor() as cursor:  # autocommit: each statement its own transaction
            cursor.execute("SELECT pg_backend_pid()")
            pids.add(cursor.fetchone()[0])
    return pids


def test_statements_land_on_one_server_connection_unless_behind_pgbouncer(transactional_db):
    needs("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    if os.environ.get("DATABASE_POOLER") == "pgbouncer":
        assert settings.DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True
        assert len(_backend_pids(10)) > 1
    else:
        assert len(_backend_pids(10)) == 1
