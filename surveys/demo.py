"""The demo book (seed_demo step 1). Filled in by the foundation issue."""

DEMO_PASSWORD = "pulse-demo"


def seed_book(*, seed: int, stdout) -> str:
    return ""


def demo_logins() -> dict:
    return {"password": DEMO_PASSWORD, "users": []}
