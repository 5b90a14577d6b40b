"""What the judge remembers of one Hopper's flight, advanced step by step from its physics:
the backflip env's own, or one world's of a batch (``batched.py``)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from backflip.tasks.hopper_backflip.judge import (
    AirPhase,
    BackflipWeights,
    StayWatch,
    Touchdown,
    reward_terms,
)

FLIGHT_FEATURES = 8
"""numbers that :meth:`Flight.features` adds to the observation."""
FLIGHT_TURN_CLIP = 2.0
"""observed turns of a phase in the air are clipped to +-this (turns)."""


class Flight:
    """The current phase in the air (``air``), a clean landing waiting out its stay
    (``stay``) and the touchdown of the last step, if it made one (``touchdown``)."""

    def __init__(self, weights: BackflipWeights, dt: float) -> None:
        self.weights, self.dt = weights, dt
        self.stay_steps = round(weights.stay / dt)
        self.air = AirPhase()
        self.stay = StayWatch(self.stay_steps)
        self.touchdown: Touchdown | None = None

    def reset(self) -> None:
        """The standing start of an episode."""
        self.air = AirPhase()
        self.stay = StayWatch(self.stay_steps)
        self.touchdown = None

    def restarted(self, contact: int, pitch: float) -> None:
        """The physics were put into another state, touching the floor as ``contact``
        says with torso ``pitch`` (rad): the judge forgets the phase it was in, and a
        phase in the air that this state is in counts as taken off from anything."""
        self.air = AirPhase(contact=contact, pitch=pitch)
        self.stay = StayWatch(self.stay_steps, contact=contact, pitch=pitch)
        self.touchdown = None

    def step(
        self, contact: int, pitch: float, backward: float
    ) -> tuple[Touchdown | None, Touchdown | None]:
        """Advances by the step just simulated (``contact`` and torso ``pitch`` after it,
        ``backward``: the body's backward turn rate in rad/s); returns the touchdown and
        the completed clean landing of this step, if any."""
        self.touchdown = touchdown = self.air.step(contact, pitch, backward * self.dt)
        return touchdown, self.stay.step(touchdown, contact, pitch)

    def judge(
        self,
        qpos: np.ndarray,
        backward: float,
        contact: int,
        touchdown: Touchdown | None,
        landed: Touchdown | None,
    ) -> dict[str, float]:
        """The judge's reward terms for the step :meth:`step` advanced by."""
        air = self.air
        return reward_terms(
            qpos,
            backward,
            contact,
            air.launch,
            air.turned,
            touchdown,
            landed,
            self.weights,
            self.dt,
        )

    def features(self) -> NDArray[np.float64]:
        """``(8,)``: one-hot of what touched the floor after the last step (``AIR``,
        ``FOOT``, ``OTHER``), one-hot of how the current (or last) phase in the air took
        off (an index in ``TAKEOFFS``), the turns (of 2 pi) the body has made back since
        that take-off, and the turns of a clean landing still waiting out its stay (0 if
        none); turns clipped to +-2."""
        features = np.zeros(FLIGHT_FEATURES)
        features[self.air.contact] = 1.0
        features[3 + self.air.launch] = 1.0
        features[6] = self.air.turned / (2 * math.pi)
        if self.stay.held is not None:
            features[7] = self.stay.held.turned / (2 * math.pi)
        features[6:] = np.clip(features[6:], -FLIGHT_TURN_CLIP, FLIGHT_TURN_CLIP)
        return features
