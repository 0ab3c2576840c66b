"""Pulse settings: one module, read from the environment, embedded defaults.

Every configuration runs the same processes: web, a Celery worker and beat (the
Procfile; `make run` starts all three). Nothing set: SQLite in var/, a broker that is
a folder (var/broker/), emails written to var/mail/ where the outbox page (DEBUG on)
shows them. With DATABASE_URL and REDIS_URL set: PostgreSQL, Redis as broker and cache.
"""

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

# The embedded database, broker, beat's schedule and mail (tests give their processes a scratch one).
VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env("SECRET_KEY", default="embedded-only-not-secret-" + "x" * 40)
# Former keys, comma separated, while what they signed may still come back: sessions,
# password-reset links, the answer page's stamp, and the invitations' links (surveys.tokens).
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "csp",
    "axes",
    "rest_framework",  # the REST API (REST_FRAMEWORK below)
    "drf_spectacular",
    # Before surveys: its admin module registers the log model, and surveys.admin replaces that.
    "auditlog",
    "outbox",
    "surveys",
    "feedback",
    "followups",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The staff pages' Content-Security-Policy (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who made a model change that django-auditlog records, and from where (signed-in staff).
    "surveys.audit.AuditActorMiddleware",
    # The language a signed-in member of staff chose, over the browser's (LocaleMiddleware).
    "surveys.staff_language.StaffLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it watches the sign-in view's outcome.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "surveys.context_processors.navigation",
                "feedback.context_processors.inbox_count",
                "config.navigation.section_tabs",
            ],
        },
    },
    {
        # Only the customer's answer pages (*.jinja): see config/jinja2.py.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "config.jinja2.environment"},
    },
]

# --- Database -----------------------------------------------------------------
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'pulse.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server, the shell and seed_demo share the file without locks.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not the in-memory default: the live server's threads then have their own
    # connections instead of sharing the test's, and one broken test cannot break the rest.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"pulse-test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# DATABASE_POOLER=pgbouncer: DATABASE_URL points at PgBouncer in transaction pooling
# mode, where a server-side cursor (a named cursor kept across queries) may land on
# another server connection; Django then fetches .iterator() results client-side.
DATABASE_POOLER = env("DATABASE_POOLER", default="")
if DATABASE_POOLER == "pgbouncer":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Broker, cache, Celery ------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")


def redis_url_of_test_process(url: str, worker: str) -> str:
    """REDIS_URL for one of the parallel test processes (pytest-xdist's gw0, gw1, ...): the
    database after the given one by the process's number, so that no process's worker
    takes another's tasks and no purge empties another's queue."""
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) + int(worker.removeprefix("gw"))
    return urlunsplit(parts._replace(path=f"/{database % 16}"))


if os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw"):
    # The workers and servers a test starts inherit the URL as it is, and are no test process.
    test_process = os.environ.pop("PYTEST_XDIST_WORKER")
    if REDIS_URL:
        REDIS_URL = os.environ["REDIS_URL"] = redis_url_of_test_process(REDIS_URL, test_process)

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def filesystem_broker(folder: Path) -> dict:
    """kombu's filesystem transport in `folder`: a message is a file, so web, worker and
    beat on one machine share a broker that needs no server."""
    (folder / "queue").mkdir(parents=True, exist_ok=True)
    (folder / "control").mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
        # Each consumer lists its folder this often (kombu's default, 1 s, outlasts a 1 s ping).
        "polling_interval": 0.2,
    }


# max_retries/interval_start: with Redis down, publishing fails at once (the outbox
# re-drives it later) instead of kombu retrying for 6 s inside a customer's request.
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost/"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"visibility_timeout": 3600, "max_retries": 1, "interval_start": 0}
    if REDIS_URL
    else filesystem_broker(VAR_DIR / "broker")
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_BACKEND = None
# Tasks go to the worker in every configuration; tests/conftest.py runs them in-process.
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# A killed worker's task goes back to the queue: acknowledge after the work, one at
# a time, and keep every time limit and retry far below the visibility timeout.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# SQLite takes one writer at a time: one worker child (prefork, so time limits hold and
# the parent still answers /healthz's ping during a long task). Otherwise, one per core.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    CELERY_WORKER_CONCURRENCY = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "Europe/Copenhagen"

# --- Email ----------------------------------------------------------------------
EMAIL_URL = env("EMAIL_URL", default="")
EMAIL_HOST = env("EMAIL_HOST", default="")
MAIL_DIR = Path(env("MAIL_DIR", default=str(VAR_DIR / "mail")))
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
elif EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
else:
    # Each message a .eml file in MAIL_DIR; /dev/outbox/ shows them (DEBUG on).
    EMAIL_BACKEND = "surveys.mailbox.MailDirBackend"
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Pulse <pulse@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Auth -----------------------------------------------------------------------
AUTH_USER_MODEL = "surveys.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
# "Forgot your password?" asks beyond these send nothing (the page says the same);
# counted like the answer page's limits, below.
PASSWORD_RESET_RATE_PER_EMAIL = env("PASSWORD_RESET_RATE_PER_EMAIL", default="5/h")
PASSWORD_RESET_RATE_PER_ADDRESS = env("PASSWORD_RESET_RATE_PER_ADDRESS", default="20/h")

# Five failed sign-ins for one email from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# The audit log (surveys.audit): staff actions and, through django-auditlog, changes to the
# models each app registers in its AppConfig.ready, in one table. A foreign key's change
# is kept as the names it had (an owner "Anna Berg" -> "Bo Holm"), readable without a
# query and after the row is gone.
AUDITLOG_LOGENTRY_MODEL = "surveys.AuditEntry"
AUDITLOG_USE_FK_STRING_REPRESENTATION = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Served over HTTPS (SITE_URL says so): secure cookies, HTTP redirected, HSTS. Behind a
# proxy that ends TLS, SECURE_PROXY_SSL_HEADER names the header it sets (e.g.
# HTTP_X_FORWARDED_PROTO, meaning "https"); set it only when the proxy always sets it.
HTTPS = SITE_URL.startswith("https://")


def env_unless_empty(read, name, default):
    """docker compose passes an unset variable as "" (${NAME:-}): that means the default."""
    return read(name, default=default) if env(name, default="") else default


SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env_unless_empty(env.bool, "SECURE_SSL_REDIRECT", HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer's health check may ask over HTTP
SECURE_HSTS_SECONDS = env_unless_empty(env.int, "SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_unless_empty(env.bool, "SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_unless_empty(env.bool, "SECURE_HSTS_PRELOAD", False)
if env("SECURE_PROXY_SSL_HEADER", default=""):
    SECURE_PROXY_SSL_HEADER = (env("SECURE_PROXY_SSL_HEADER"), "https")
# Every page's Content-Security-Policy (django-csp): scripts, styles and images from our
# own static files only (htmx included), no inline script, style or handler, no plugins,
# no framing. The customer's answer page sets its own, stricter one (no script at all,
# its inline stylesheet allowed by hash: feedback.views_public), which the middleware
# leaves as it is. The DEBUG-only outbox page loosens style-src for the emails it shows
# (config/urls.py). Django's admin needs nothing more: no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}
# Preloading HSTS into browsers is the domain owner's choice (SECURE_HSTS_PRELOAD), not a default.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD or not HTTPS else ["security.W021"]

# --- The customer's answer page (feedback.views_public) ---------------------------
# Fixed-window limits in the cache (surveys.throttle; fail open when it is down); "N/s|m|h".
ANSWER_RATE_PER_TOKEN = env("ANSWER_RATE_PER_TOKEN", default="30/m")
ANSWER_RATE_PER_ADDRESS = env("ANSWER_RATE_PER_ADDRESS", default="120/m")
# A submit sooner than this after the form was served marks the answer suspect: faster
# than any person (the page must reach the screen before a thumb can press Send), well
# under the second a person needs with the score already chosen from the email.
ANSWER_MIN_SECONDS = 0.5
CSRF_FAILURE_VIEW = "feedback.views_public.csrf_failure"

# --- Outbox (outbox.services) ------------------------------------------------------
# A handler that fails this many times stops being retried: the admin's outbox page
# and /healthz show it until someone retries it.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)

# --- i18n -----------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("da", "Dansk")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True

# --- Static ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Customer files: the upload page accepts up to this many bytes.
CUSTOMER_IMPORT_MAX_BYTES = 50 * 1024 * 1024

# --- The REST API, /api/v1/ (surveys.api_foundation) ---------------------------------
# Django REST Framework, for its serializers, browsable API and the OpenAPI 3 schema that
# drf-spectacular makes from the views (GET /api/v1/schema, a stable interface).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "surveys.api_auth.ApiKeyAuthentication",  # Authorization: Bearer <key>
        "rest_framework.authentication.SessionAuthentication",  # signed-in staff, browsable API
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "surveys.api_auth.ReadOnlyKeysRead",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["surveys.api_auth.ApiKeyRateThrottle"],
    "EXCEPTION_HANDLER": "surveys.api_foundation.problem_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pulse API",
    "DESCRIPTION": "The customer book, answers, calls and figures of Pulse. Errors are RFC 9457 problem details.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
}
# Requests per API key (or signed-in user) in a fixed window, "N/s|m|h" (surveys.throttle).
API_RATE_PER_KEY = env("API_RATE_PER_KEY", default="600/m")
# Records in one request to the customer book's endpoints.
API_BOOK_BATCH_MAX = env.int("API_BOOK_BATCH_MAX", default=1000)
# Each request made with an API key, in the audit log once answered.
MIDDLEWARE.insert(MIDDLEWARE.index("axes.middleware.AxesMiddleware"),
                  "surveys.api_foundation.ApiRequestAuditMiddleware")
# --- end of the REST API

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}

# --- Chat alerts (feedback.chat) ---------------------------------------------------
# Lets chat webhooks be plain HTTP on loopback or private addresses, and Slack ones
# off hooks.slack.com: for a receiver on this machine (DEBUG, the tests). Off in
# production: HTTPS to the internet only.
CHAT_WEBHOOKS_ALLOW_PRIVATE = env_unless_empty(env.bool, "CHAT_WEBHOOKS_ALLOW_PRIVATE", DEBUG)

# --- Webhooks (surveys.webhooks) ----------------------------------------------------
# Endpoints on this machine or a private network are refused unless allowed (on in
# DEBUG, and in tests, whose receivers listen on loopback).
WEBHOOKS_ALLOW_PRIVATE = env_unless_empty(env.bool, "WEBHOOKS_ALLOW_PRIVATE", DEBUG)
WEBHOOKS_TIMEOUT = env.float("WEBHOOKS_TIMEOUT", default=10.0)  # seconds per attempt
