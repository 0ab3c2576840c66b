"""PostgreSQL's settings that the app relies on, kept on the database by a migration so
that they hold for every connection, behind PgBouncer too."""

from django.db import connection

from tests.conftest import needs


def test_jit_is_off_for_every_connection_to_the_database(db):
    # Compiling the rollups' queries with LLVM cost over a second per page on a large book.
    needs("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase"
            " WHERE d.datname = current_database() AND s.setrole = 0"
        )
        [settings] = cursor.fetchone()
        cursor.execute("SHOW jit")
        [jit_now] = cursor.fetchone()
    assert "jit=off" in settings
    assert jit_now == "off"
