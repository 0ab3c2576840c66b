"""Shared fixtures: roles, a real SMTP server, a real browser, a real Celery worker.

Services: with DATABASE_URL/REDIS_URL set (the services configuration) the tests
that need a worker start one; without them those tests are skipped, unless CI=true,
where a missing service or browser fails the run instead.
"""

import os
import shutil
import uuid
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from tests import factories
from tests.webhook_receiver import webhook_endpoint, webhook_receiver  # noqa: F401 - webhooks' fixtures

# Property tests draw their examples from a fixed seed (the suite is deterministic) and
# have no per-example deadline: on a busy shared machine a slow example is not a bug.
hypothesis_settings.register_profile("pulse", derandomize=True, deadline=None)
hypothesis_settings.load_profile("pulse")

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses
# to run where a loop is running unless told it is safe (it is: one thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]


# Neither DATABASE_URL nor REDIS_URL: the embedded configuration, where tests of the
# services have nothing to run against (CI runs them in its services configuration).
EMBEDDED_CONFIGURATION = not (os.environ.get("DATABASE_URL") or os.environ.get("REDIS_URL"))


def pytest_unconfigure(config):
    """SQLite leaves the test database's -wal and -shm files behind the database file
    pytest-django removed (settings: TEST NAME)."""
    from django.conf import settings

    name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and name:
        for suffix in ("-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)


def needs(what: str, available: bool) -> None:
    """Skip when a real part is missing; in CI, fail instead (never skip silently),
    except Redis/PostgreSQL in the embedded configuration."""
    if available:
        return
    if IN_CI and not (EMBEDDED_CONFIGURATION and what.startswith(("Redis", "PostgreSQL"))):
        pytest.fail(f"{what} is required in CI and is not available")
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Factories set a password per staff user: MD5 for the whole suite, not PBKDF2's ~0.3 s each."""
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session", autouse=True)
def _broker_of_their_own(tmp_path_factory):
    """Tasks run in-process from the start of the session (see `_tasks_in_process`), and
    embedded, the tests' broker is a folder of their own: never var/broker/, where the
    worker of a `make run` in this checkout listens."""
    from config.celery import app
    from config.settings import filesystem_broker

    before = app.conf.task_always_eager, app.conf.broker_transport_options
    app.conf.task_always_eager = True
    if app.conf.broker_url.startswith("filesystem:"):
        app.conf.broker_transport_options = filesystem_broker(tmp_path_factory.mktemp("broker"))
        app._pool = app.amqp._producer_pool = None
    yield
    app.conf.task_always_eager, app.conf.broker_transport_options = before
    app._pool = app.amqp._producer_pool = None


@pytest.fixture(autouse=True)
def _mail_dir(settings, tmp_path):
    settings.MAIL_DIR = tmp_path / "mail"


@pytest.fixture(autouse=True)
def _rate_limits_of_their_own(settings):
    """Each test counts requests against the limits (surveys.throttle) from zero: the
    cache outlives a test, and every test client comes from the same address."""
    settings.THROTTLE_NAMESPACE = uuid.uuid4().hex


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Tasks run in-process, except in tests that use the real broker and a worker
    (`celery_worker_process`, or marked `broker`)."""
    from config.celery import app

    real = "celery_worker_process" in request.fixturenames or request.node.get_closest_marker("broker")
    before = app.conf.task_always_eager
    app.conf.task_always_eager = not real
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def password():
    return factories.PASSWORD


@pytest.fixture
def am(db):
    return factories.UserFactory(role="am", full_name="Anna Andersen", email="anna@pulse.test")


@pytest.fixture
def rm(db):
    return factories.UserFactory(role="rm", full_name="Rasmus Rask", email="rasmus@pulse.test")


@pytest.fixture
def director(db):
    return factories.UserFactory(role="director", full_name="Dorte Dahl", email="dorte@pulse.test")


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(
        role="admin", full_name="Ada Admin", email="ada@pulse.test", is_staff=True, is_superuser=True
    )


@pytest.fixture
def region(rm):
    return factories.RegionFactory(name="North", manager=rm)


@pytest.fixture
def account(am, region):
    return factories.AccountFactory(owner=am, region=region, name="Nordic Freight A/S")


# --- Real SMTP server ----------------------------------------------------------------

@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on a free loopback port; Django sends to it."""
    from tests.smtp import SmtpSink

    sink = SmtpSink()
    sink.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield sink
    sink.stop()


# --- Real browser --------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    needs("Chromium (/usr/bin/chromium)", os.path.exists(CHROMIUM))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, settings):
    """A fresh browser page; `page.base_url` is the live server. A test fails when the page
    broke the Content-Security-Policy (Chromium logs each blocked script or style)."""
    settings.SITE_URL = live_server.url
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(10_000)
    pg = context.new_page()
    pg.base_url = live_server.url
    csp_violations = []

    def on_console(message):
        if "Content Security Policy" in message.text:
            csp_violations.append(f"{message.page.url if message.page else ''}: {message.text}")

    context.on("console", on_console)  # popups too
    yield pg
    context.close()
    assert not csp_violations, "\n".join(csp_violations)


@pytest.fixture
def sign_in(page, password):
    def _sign_in(user):
        page.goto("/signin/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        return page

    return _sign_in


# --- Real Celery worker (services configuration) -------------------------------------

@pytest.fixture
def celery_worker_process(settings, transactional_db):
    """`celery_worker_process()` starts a real `celery worker` against REDIS_URL and the
    test database; every worker started is stopped at the end."""
    from tests.workers import WorkerProcess

    needs("Redis (REDIS_URL)", bool(os.environ.get("REDIS_URL")))
    needs("PostgreSQL (DATABASE_URL)", bool(os.environ.get("DATABASE_URL")))
    started = []

    def _start(concurrency: int = 1, purge: bool = True, beat: bool = False, **extra_env):
        worker = WorkerProcess(concurrency=concurrency, extra_env=extra_env, beat=beat).start(purge=purge)
        started.append(worker)
        return worker

    yield _start
    for worker in started:
        worker.stop()


# --- Query counts --------------------------------------------------------------------

@pytest.fixture
def max_queries(django_assert_max_num_queries):
    """`with max_queries(12): client.get(url)`; on failure prints every SQL statement."""
    from contextlib import contextmanager

    @contextmanager
    def _max_queries(n):
        try:
            with django_assert_max_num_queries(n) as captured:
                yield captured
        except pytest.fail.Exception:
            print("\n".join(f"{i}. {q['sql']}" for i, q in enumerate(captured.captured_queries, 1)))
            raise

    return _max_queries


@pytest.fixture(autouse=True)
def _language_reset():
    """A request in Danish leaves Danish active in the test thread (the locale middleware
    does not deactivate it); the next test starts in the default language again."""
    yield
    from django.utils import translation

    translation.deactivate()
