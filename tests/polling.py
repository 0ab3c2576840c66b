"""Waiting for work done by other processes, without sleeping blindly: poll with a bound."""

import time

import pytest


def wait_for(what: str, check, timeout: float = 120.0, every: float = 0.1, describe=lambda: ""):
    """Poll `check` until it returns something true; fail after `timeout` seconds, saying
    how things stood (`describe()`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.0f} s. {describe()}")
        time.sleep(every)
