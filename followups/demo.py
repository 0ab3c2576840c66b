"""Follow-up calls for the demo (seed_demo step 4). Filled in by the follow-up issue."""


def seed_calls(*, seed: int, stdout) -> str:
    return ""
