"""Lists in slices, for batched writes and task hand-outs."""

from collections.abc import Iterator

# Rows per INSERT or UPDATE ... IN (...) when writing many.
INSERT_BATCH = 5000


def chunks(items: list, size: int) -> Iterator[list]:
    """`items` in slices of at most `size`, in order."""
    for start in range(0, len(items), size):
        yield items[start:start + size]
