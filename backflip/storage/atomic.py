"""The one way files of a run are written: whole or not at all, even after ``kill -9``."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import BinaryIO

import numpy as np


def atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Calls ``write`` on a temporary file beside ``path``, syncs it to disk, then renames
    it to ``path``: a reader sees the old file or the whole new one, never a part."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """:func:`atomic_write` of UTF-8 text."""
    atomic_write(path, lambda f: f.write(text.encode()))


def atomic_savez(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """:func:`atomic_write` of named arrays as ``.npz`` (read back with ``np.load(path,
    allow_pickle=False)``)."""
    atomic_write(path, lambda f: np.savez(f, **arrays))  # type: ignore[arg-type]
