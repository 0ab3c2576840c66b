"""Settings for the benchmarks served over HTTP (bench/dashboards.py, bench/answer_load.py
--worker): the app's own settings, as production runs them (DEBUG off, PostgreSQL with
persistent connections, Redis, set by the environment the scripts pass), plus one
middleware that reports each request's CPU in response headers (bench/middleware.py)."""

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE

# Outermost, so it counts every other middleware too.
MIDDLEWARE = ["bench.middleware.request_cost", *MIDDLEWARE]

# Which process a PostgreSQL backend serves (pg_stat_activity.application_name), so that
# bench/answer_load.py --worker can count the web's and the worker's queries apart.
DATABASES["default"].setdefault("OPTIONS", {})["application_name"] = env("PULSE_BENCH_ROLE", default="pulse")  # noqa: F405
