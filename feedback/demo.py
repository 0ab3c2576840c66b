"""Answers for the demo (seed_demo step 3). Filled in by the routing and rollups issue."""


def seed_answers(*, seed: int, stdout) -> str:
    return ""
