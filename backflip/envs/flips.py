"""Count backflips: complete backward turns of the Hopper, from physics states."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from backflip.envs.hopper_backflip import BODIES, ENV_ID, PITCH, part_pitches


def flips_so_far(pitch: np.ndarray) -> np.ndarray:
    """``(T,)`` int: complete backward turns up to each step of a ``(T,)`` pitch trace
    (rad, as ``qpos[2]``).

    A flip counts when the torso has turned 2 pi further backward than at the start of
    the trace and than at any earlier flip; turning forward again does not undo it, and
    rocking back and forth never adds up to one. Wrapped angles are unwrapped first.
    """
    pitch = np.unwrap(np.asarray(pitch, dtype=np.float64))
    if pitch.size == 0:
        return np.zeros(0, dtype=np.int64)
    backward = np.maximum.accumulate(np.maximum(pitch[0] - pitch, 0.0))  # pitch falls backward
    return np.floor(backward / (2 * math.pi) + 1e-9).astype(np.int64)


def count_flips(pitch: np.ndarray) -> int:
    """Complete backward turns in a whole ``(T,)`` pitch trace (see :func:`flips_so_far`)."""
    so_far = flips_so_far(pitch)
    return int(so_far[-1]) if so_far.size else 0


def flips_in_states(states: np.ndarray) -> np.ndarray:
    """``(T,)`` complete backflips up to each of the ``(T, 1 + nq + nv)`` states of one
    episode: backward turns of the torso that the thigh, leg and foot made too.

    Folding hip, knee and ankle turns the torso up to 345 degrees against the foot, so a
    torso alone can seem to turn over; all four parts turn fully only in a real flip.
    """
    qpos_chain = np.asarray(states)[:, 1 + PITCH : 1 + PITCH + len(BODIES)]
    pitches = part_pitches(qpos_chain)  # (T, 4)
    return np.min([flips_so_far(pitches[:, i]) for i in range(pitches.shape[1])], axis=0)


def count_flips_in_states(states: np.ndarray) -> int:
    """Complete backflips in the ``(T, 1 + nq + nv)`` states of one episode."""
    so_far = flips_in_states(states)
    return int(so_far[-1]) if so_far.size else 0


def flip_counter(env_id: str) -> Callable[[np.ndarray], int] | None:
    """:func:`count_flips_in_states` for the backflip env; ``None`` for other envs."""
    return count_flips_in_states if env_id == ENV_ID else None
