"""Clean backflips: off the floor from the foot, a whole turn back in the air, onto the
foot, and still up a moment later, as a person watching would call it a backflip.

A flip by ``flips_in_states`` of ``flips.py`` counts any complete backward turn with half
of it in the air: bouncing on the head and turning between bounces counts there, and so
does one fall backward. Here each of these is checked, per airborne phase
(the steps with nothing touching the floor):

- take-off: the step before the phase has the foot alone on the floor, the torso within
  :data:`UPRIGHT_DEG` of vertical;
- the turn: between take-off and landing the whole body (mass-weighted pitch of torso,
  thigh, leg and foot) turns at least a full turn back, less the two end tolerances, so
  a torso turning over folded legs is not one, nor is a roll on the floor (no phase);
- landing: the step after the phase has the foot alone on the floor, the torso within
  :data:`UPRIGHT_DEG` of vertical;
- staying up: for :data:`STAY_S` after landing no other part touches the floor and the
  torso stays within :data:`FALL_DEG` of vertical (it may hop), or, sooner, it takes off
  again as a flip must, from the foot alone with the torso within :data:`UPRIGHT_DEG`:
  a flip straight into the next one has landed on its foot as surely as one that stands.

The flip counts at the end of that stay; one whose stay the episode cuts short is not
counted.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from backflip.tasks.hopper_backflip.flips import (
    chain_pitches,
    floor_contacts_in_states,
    physics_env,
)
from backflip.tasks.hopper_backflip.judge import AIR, FALL_DEG, FOOT, LANDING_DEG, OTHER

UPRIGHT_DEG = LANDING_DEG
"""the torso is near upright at take-off and landing: within this of vertical (degrees;
the tolerance of the backflip judge's landing term, 45)."""
STAY_S = 0.25
"""seconds after landing that it must stay up (the torso within :data:`FALL_DEG` of
vertical, the judge's tolerance)."""


def _off_vertical(pitch: np.ndarray) -> np.ndarray:
    """``|pitch|`` wrapped to [0, pi] (rad): 0 is upright."""
    return np.abs(np.angle(np.exp(1j * pitch)))


@dataclasses.dataclass(frozen=True)
class CleanFlip:
    """One airborne phase that made clean backflips (steps index the episode's states)."""

    take_off: int
    """the last step on the foot before the phase."""
    land: int
    """the first step back on the foot."""
    counted: int
    """the step its stay up ended: :data:`STAY_S` after landing, or the next take-off."""
    turns: int
    """clean backflips it made (two for a double turn)."""


def clean_flip_phases(
    contacts: np.ndarray, torso: np.ndarray, body: np.ndarray, stay_steps: int
) -> list[CleanFlip]:
    """The airborne phases that made clean backflips, in order.

    Args:
        contacts: ``(T,)`` what touches the floor: ``AIR``, ``FOOT`` or ``OTHER``.
        torso: ``(T,)`` torso pitch (rad, ``qpos[2]``: it falls as the body turns back).
        body: ``(T,)`` unwrapped pitch of the whole body (rad).
        stay_steps: steps after landing that it must stay up (see :data:`STAY_S`); a
            phase whose stay the episode cuts short is not counted.
    """
    contacts, torso, body = np.asarray(contacts), np.asarray(torso), np.asarray(body)
    upright = _off_vertical(torso) <= math.radians(UPRIGHT_DEG)
    standing = (contacts == FOOT) & upright
    least_turn = 2 * math.pi - 2 * math.radians(UPRIGHT_DEG)
    air = np.concatenate(([False], contacts == AIR, [False]))
    starts = np.flatnonzero(~air[:-1] & air[1:])  # first airborne step of each phase
    ends = np.flatnonzero(air[:-1] & ~air[1:])  # first step back on the floor
    found = []
    for k, (start, land) in enumerate(zip(starts, ends, strict=True)):
        take_off, done = start - 1, land + stay_steps
        if k + 1 < len(starts) and starts[k + 1] - 1 < done and standing[starts[k + 1] - 1]:
            done = starts[k + 1] - 1  # off again into the next phase: the stay is over
        if take_off < 0 or done >= len(contacts):
            continue
        if not (standing[take_off] and standing[land]):
            continue
        turned = body[take_off] - body[land]  # backward is a fall in pitch
        stay = slice(land, done + 1)
        stays_up = not np.any(contacts[stay] == OTHER) and bool(
            np.all(_off_vertical(torso[stay]) <= math.radians(FALL_DEG))
        )
        if turned >= least_turn and stays_up:
            turns = int((turned + 2 * math.radians(UPRIGHT_DEG)) // (2 * math.pi))
            found.append(CleanFlip(int(take_off), int(land), int(done), turns))
    return found


def clean_flips(
    contacts: np.ndarray, torso: np.ndarray, body: np.ndarray, stay_steps: int
) -> np.ndarray:
    """``(T,)`` clean backflips completed up to each step (arguments as
    :func:`clean_flip_phases`): a flip counts at the end of its stay on the foot."""
    flips = np.zeros(len(contacts), dtype=np.int64)
    for flip in clean_flip_phases(contacts, torso, body, stay_steps):
        flips[flip.counted :] += flip.turns
    return flips


def clean_flips_in_states(states: np.ndarray, contacts: np.ndarray | None = None) -> np.ndarray:
    """``(T,)`` clean backflips completed up to each of the ``(T, 1 + nq + nv)`` physics
    states of one backflip-env episode; ``contacts``: their
    :func:`floor_contacts_in_states`, if already known."""
    contacts = floor_contacts_in_states(states) if contacts is None else contacts
    pitches, body = chain_pitches(states)
    return clean_flips(contacts, pitches[:, 0], body, stay_steps())


def stay_steps() -> int:
    """:data:`STAY_S` in steps of the backflip env."""
    return round(STAY_S / physics_env().dt)
