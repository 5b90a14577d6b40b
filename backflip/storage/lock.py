"""An exclusive lock on a file: one writer at a time for a run or a grid."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[bool]:
    """Holds an ``flock`` on ``path`` for the block; yields False at once (holding
    nothing) when another process holds it. The kernel frees it when the holder dies,
    even by ``kill -9``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
