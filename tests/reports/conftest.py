import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Many staff users per test: hash their passwords cheaply."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
