"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

The stack must have web (gunicorn, migrating on start), worker, beat, PostgreSQL and
Redis, each with a health check, and web, worker and beat must all get every
environment variable config/settings.py reads, from one shared block.
"""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ["web", "worker", "beat"]


def interpolate(value):
    """${VAR:-default} and ${VAR} as docker compose resolves them in a clean shell."""
    if not isinstance(value, str):
        return value
    return re.sub(r"\$\{(\w+)(?::?-([^}]*))?\}", lambda m: m.group(2) or "", value).replace("$$", "$")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def command_text(service) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def settings_env_names() -> set[str]:
    source = (ROOT / "config" / "settings.py").read_text()
    names = set(re.findall(r"\benv(?:\.\w+)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", source))
    names |= set(re.findall(r"os\.environ(?:\.get\(|\[)\s*[\"']([A-Z][A-Z0-9_]*)[\"']", source))
    # Set by the test runner in its parallel processes, never by a deployment.
    return names - {"PYTEST_XDIST_WORKER"}


def test_the_stack_has_web_worker_beat_postgres_and_redis(services):
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)


def test_settings_read_the_documented_variables():
    assert {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "EMAIL_HOST", "EMAIL_PORT", "SITE_URL", "SECRET_KEY",
            "DEBUG", "ALLOWED_HOSTS"} <= settings_env_names()


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_variable_the_settings_read_is_set(services, name):
    environment = services[name]["environment"]
    assert isinstance(environment, dict), "use a mapping, so the test can read it"
    missing = settings_env_names() - set(environment)
    assert not missing, f"{name} lacks {sorted(missing)}"
    env = {key: interpolate(value) for key, value in environment.items()}
    assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379")
    assert env["EMAIL_URL"] or (env["EMAIL_HOST"] and env["EMAIL_PORT"])
    assert len(env["SECRET_KEY"]) >= 50
    assert env["DEBUG"].lower() in ("false", "0", "no", "off")
    assert "localhost" in env["ALLOWED_HOSTS"] and "127.0.0.1" in env["ALLOWED_HOSTS"]  # health check host


def test_web_worker_and_beat_share_one_environment(services):
    web, worker, beat = (services[name]["environment"] for name in APP_SERVICES)
    assert web == worker == beat


def test_web_runs_migrations_then_gunicorn(services):
    command = command_text(services["web"])
    assert "manage.py migrate --noinput" in command
    assert "gunicorn config.wsgi:application" in command
    assert command.index("migrate") < command.index("gunicorn")
    assert "--bind 0.0.0.0:8000" in command
    assert "8000:8000" in services["web"]["ports"]


def test_worker_and_beat_run_celery(services):
    assert re.search(r"celery -A config worker\b", command_text(services["worker"]))
    assert re.search(r"celery -A config beat\b", command_text(services["beat"]))
    for name in ["worker", "beat"]:
        assert services[name]["depends_on"]["web"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", ["web", "worker", "beat", "postgres", "redis"])
def test_every_service_has_a_health_check(services, name):
    check = services[name]["healthcheck"]
    assert check["test"][0] in ("CMD", "CMD-SHELL") and len(check["test"]) > 1
    assert check.get("interval") and check.get("retries")


def test_health_checks_ask_the_right_thing(services):
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "ping" in services["redis"]["healthcheck"]["test"]


def test_web_waits_for_healthy_postgres_and_redis(services):
    depends = services["web"]["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"


def test_postgres_credentials_match_the_database_url(services):
    url = interpolate(services["web"]["environment"]["DATABASE_URL"])
    user, password, database = re.match(r"postgres://(\w+):(\w+)@postgres:5432/(\w+)", url).groups()
    pg = services["postgres"]["environment"]
    assert (pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"], pg["POSTGRES_DB"]) == (user, password, database)


def test_the_dockerfile_builds_the_app_image(services):
    assert services["web"]["build"] in (".", {"context": "."})
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.M)
    assert "COPY requirements.lock" in dockerfile
    assert re.search(r"pip install (--\S+ )*-r requirements\.lock", dockerfile)
    assert "collectstatic" in dockerfile  # whitenoise serves the static files with DEBUG off
    assert "gunicorn" in (ROOT / "requirements.lock").read_text()
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and "var" in ignored
