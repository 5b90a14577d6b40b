"""Count backflips: complete backward turns of the Hopper, from physics states."""

from __future__ import annotations

import functools
import math

import numpy as np

from backflip.envs.physics import set_physics_state
from backflip.tasks.hopper_backflip.env import BODIES, HopperBackflipEnv, body_pitch, part_pitches
from backflip.tasks.hopper_backflip.judge import AIR, PITCH

AIR_TURN = math.pi
"""rad of backward turn of the whole body, off the floor, that a flip needs: half a turn."""


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


@functools.cache
def physics_env() -> HopperBackflipEnv:
    """One env per process, only to read the contacts, masses and step length (``dt``, s)
    of given physics states."""
    return HopperBackflipEnv()


def floor_contacts_in_states(states: np.ndarray) -> np.ndarray:
    """``(T,)`` int8: what touches the floor (``AIR``, ``FOOT`` or ``OTHER`` of
    ``env.py``) in each of the ``(T, 1 + nq + nv)`` physics
    states."""
    env = physics_env()
    contacts = np.empty(len(states), dtype=np.int8)
    for i, state in enumerate(states):
        set_physics_state(env, state)  # runs mj_forward, which finds the contacts
        contacts[i] = env.floor_contact()
    return contacts


def off_floor_in_states(states: np.ndarray) -> np.ndarray:
    """``(T,)`` bool: no part of the body touches the floor, in each physics state."""
    return floor_contacts_in_states(states) == AIR


def chain_pitches(states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unwrapped pitch (rad) of torso, thigh, leg and foot ``(T, 4)`` and of the whole
    body ``(T,)`` (see ``body_pitch``) in ``(T, 1 + nq + nv)`` physics states."""
    chain = np.unwrap(np.asarray(states)[:, 1 + PITCH : 1 + PITCH + len(BODIES)], axis=0)
    return part_pitches(chain), body_pitch(chain, physics_env().masses)


def flips_in_states(states: np.ndarray, contacts: np.ndarray | None = None) -> np.ndarray:
    """``(T,)`` complete backflips up to each of the ``(T, 1 + nq + nv)`` states of one
    episode.

    A backflip is a complete backward turn (see :func:`flips_so_far`) of the torso that
    the thigh, leg and foot make too, of which the whole body turned at least
    :data:`AIR_TURN` with no part touching the floor. Folding hip, knee and ankle turns
    the torso up to 345 degrees against the foot, so a torso alone can seem to turn
    over; and a roll over the back on the floor is no flip. ``contacts``: the states'
    :func:`floor_contacts_in_states`, if already known.
    """
    pitches, body = chain_pitches(states)
    turns = np.min([flips_so_far(pitches[:, i]) for i in range(pitches.shape[1])], axis=0)
    off = (floor_contacts_in_states(states) if contacts is None else contacts) == AIR
    turned_in_air = np.maximum(body[:-1] - body[1:], 0.0) * (off[:-1] & off[1:])
    air_so_far = np.concatenate(([0.0], np.cumsum(turned_in_air)))  # (T,) rad
    flips = np.zeros(len(states), dtype=np.int64)
    count, last = 0, 0
    for t in np.nonzero(np.diff(turns))[0] + 1:  # steps at which a turn completes
        if air_so_far[t] - air_so_far[last] >= AIR_TURN - 1e-9:
            count += int(turns[t] - turns[t - 1])
            flips[t:] = count
        last = int(t)
    return flips


def count_flips_in_states(states: np.ndarray) -> int:
    """Complete backflips in the ``(T, 1 + nq + nv)`` states of one episode."""
    so_far = flips_in_states(states)
    return int(so_far[-1]) if so_far.size else 0
