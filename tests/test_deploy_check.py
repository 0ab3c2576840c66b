"""`manage.py check --deploy` is clean with production settings from the environment
(HTTPS site, a real secret key, its host): secure cookies, HTTP redirected, HSTS."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _check(extra: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update({"SECRET_KEY": secrets.token_urlsafe(50), "SITE_URL": "https://pulse.example.com",
                "ALLOWED_HOSTS": "pulse.example.com", "DEBUG": "0", **extra})
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_production_settings():
    result = _check({"SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_names_what_is_missing_on_plain_http():
    result = _check({"SITE_URL": "http://pulse.example.com", "SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout  # the weak key
    assert "security.W012" in result.stderr + result.stdout  # cookies not secure


def test_empty_values_as_docker_compose_passes_them_mean_the_defaults():
    empty = {name: "" for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
                                   "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER", "SECRET_KEY_FALLBACKS")}
    result = _check(empty)
    assert result.returncode == 0, result.stdout + result.stderr
