"""Bench-only (bench/http_settings.py): each response carries what it cost on the server.

    X-Bench-Web-Cpu-Us   CPU of this worker process while the request ran (a sync worker
                         serves one request at a time, so all of it is this request's)
    X-Bench-Db-Cpu-Us    CPU of the PostgreSQL backend of this worker's connection
                         (from /proc; absent when it cannot be read). Parallel query
                         workers are other processes and are not counted here.
    X-Bench-Queries      SQL statements run

A streamed response's body is produced after these are set: the export is measured
from outside instead (bench/dashboards.py).
"""

import time

from django.db import connection
from django.db.backends.signals import connection_created

from bench._scratch import cpu_seconds


def _remember_backend_pid(sender, connection, **kwargs):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            connection.bench_backend_pid = cursor.fetchone()[0]


connection_created.connect(_remember_backend_pid)


def _backend_cpu() -> float | None:
    pid = getattr(connection, "bench_backend_pid", None) if connection.connection is not None else None
    return cpu_seconds(pid) if pid else 0.0  # no connection yet: the backend it opens starts at 0


def request_cost(get_response):
    def middleware(request):
        queries = 0

        def count(execute, sql, params, many, context):
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        web_before, db_before = time.process_time(), _backend_cpu()
        with connection.execute_wrapper(count):
            response = get_response(request)
        web_after, db_after = time.process_time(), _backend_cpu()
        response["X-Bench-Web-Cpu-Us"] = str(round((web_after - web_before) * 1e6))
        if db_before is not None and db_after is not None:
            response["X-Bench-Db-Cpu-Us"] = str(round((db_after - db_before) * 1e6))
        response["X-Bench-Queries"] = str(queries)
        return response

    return middleware
