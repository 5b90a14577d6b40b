"""Restarts from landings: training episodes that start where a chain of flips goes on or
ends, on the foot just after a touchdown from a turn back, often a little over-turned or
tipped."""

from __future__ import annotations

import math

import gymnasium as gym

from backflip.tasks.hopper_backflip.flight import Flight
from backflip.tasks.hopper_backflip.judge import FOOT

LANDING_TURNS = 0.5
"""fewest turns back (of 2 pi rad) in the air before a touchdown that counts as a landing."""
LANDING_CAPACITY = 500
"""landings remembered: the latest, so that restarts follow the policy as it improves."""


class Landings:
    """The restart source ``landings``: a step that ended a phase in the air on the foot
    alone after at least :data:`LANDING_TURNS` turns back, upright or not. Which states are
    landings is read from MuJoCo's contacts and the body's turn (the flight the judge
    remembers), not from the judge's reward."""

    capacity = LANDING_CAPACITY

    def __call__(self, env: gym.Env) -> bool:
        return landed(env.unwrapped.flight)  # type: ignore[attr-defined]  # the backflip env's


def landed(flight: Flight) -> bool:
    """Whether the step ``flight`` last advanced by is a landing (see :class:`Landings`)."""
    touchdown = flight.touchdown
    return (
        touchdown is not None
        and touchdown.turned >= LANDING_TURNS * 2 * math.pi
        and flight.air.contact == FOOT
    )
