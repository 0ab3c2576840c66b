from django.db import migrations

# PostgreSQL compiles a query with LLVM when its estimated cost passes jit_above_cost. The
# rollup pages' queries pass it on large books and then spend over a second compiling a
# query that runs in milliseconds (1.5 s of 1.6 s measured on /region/ at 100,000 answers).
# Set on the database, so that it holds behind PgBouncer too (a connection option would
# not pass a transaction pooler). Needs the database's owner; without that, a notice.
JIT_OFF = """
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'jit stays on: only the database owner may turn it off (ALTER DATABASE ... SET jit = off)';
END
$$;
"""
JIT_DEFAULT = """
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I RESET jit', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    NULL;
END
$$;
"""


def jit_off(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:  # no parameters: the % in format() stays
            cursor.execute(JIT_OFF)
            cursor.execute("SET jit = off")  # this session too: the setting applies to new ones


def jit_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(JIT_DEFAULT)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0005_summaries_kept_by_events")]

    operations = [migrations.RunPython(jit_off, jit_default)]
