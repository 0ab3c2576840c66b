"""Past waves and invitations for the demo (seed_demo step 2). Filled in by the waves issue."""


def seed_waves(*, seed: int, stdout) -> str:
    return ""
