"""Clips in ``.npz`` files, in the one array format of ``backflip/records.py`` (no pickle)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from backflip.records import Segment, segments_from_arrays, segments_to_arrays
from backflip.storage.atomic import atomic_savez


def save_clips(path: Path, segments: Sequence[Segment]) -> None:
    """Writes equal-length clips to ``path`` atomically (see ``atomic_write``)."""
    atomic_savez(path, segments_to_arrays(segments))


def load_clips(path: Path) -> list[Segment]:
    """The clips of a file written by :func:`save_clips`."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}  # each read once
    return segments_from_arrays(arrays)
