"""Clips in ``.npz`` files, in the one array format of ``backflip/records.py`` (no pickle)."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from backflip.errors import BackflipError
from backflip.records import Segment, segments_from_arrays, segments_to_arrays
from backflip.storage.atomic import atomic_savez


def save_clips(path: Path, segments: Sequence[Segment]) -> None:
    """Writes equal-length clips to ``path`` atomically (see ``atomic_write``)."""
    atomic_savez(path, segments_to_arrays(segments))


class ClipFileError(BackflipError, ValueError):
    """A clip file that is not one :func:`save_clips` wrote."""


def load_clips(path: Path) -> list[Segment]:
    """The clips of a file written by :func:`save_clips`; :class:`ClipFileError` for a file
    that holds pickled objects (never loaded) or is damaged. A missing file raises
    ``FileNotFoundError``."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}  # each read once
        return segments_from_arrays(arrays)
    except FileNotFoundError:
        raise
    except ValueError as err:
        if "allow_pickle" in str(err):
            raise ClipFileError(
                f"{path} holds pickled objects, which backflip never loads: it is not a clip "
                "file backflip wrote"
            ) from None
        raise ClipFileError(f"{path} is not a valid clip file ({err})") from None
    except (OSError, KeyError, IndexError, zipfile.BadZipFile) as err:
        raise ClipFileError(f"{path} is damaged ({type(err).__name__}: {err})") from None
