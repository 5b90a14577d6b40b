"""Count backflips: complete backward turns of the Hopper's torso, from physics states."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from backflip.envs.hopper_backflip import ENV_ID, PITCH


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


def pitch_of(states: np.ndarray) -> np.ndarray:
    """``(T,)`` torso pitch (rad) of ``(T, 1 + nq + nv)`` ``[time, qpos, qvel]`` states."""
    return np.asarray(states)[:, 1 + PITCH]


def flips_in_states(states: np.ndarray) -> int:
    """Flips in the ``(T, 1 + nq + nv)`` states of one episode."""
    return count_flips(pitch_of(states))


def flip_counter(env_id: str) -> Callable[[np.ndarray], int] | None:
    """:func:`flips_in_states` for the backflip env; ``None`` for envs that don't flip."""
    return flips_in_states if env_id == ENV_ID else None
