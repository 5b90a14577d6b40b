"""What the judge remembers of the flights of a batch of worlds, as arrays: the same
memory and reward terms as one :class:`~backflip.tasks.hopper_backflip.flight.Flight` per
world (``judge.py``'s ``AirPhase``, ``StayWatch`` and ``reward_terms``), computed for all
worlds at once so that thousands of worlds cost a few array operations a step.
``tests/tasks/hopper_backflip/test_flights.py`` checks both agree."""

from __future__ import annotations

import math

import numpy as np

from backflip.tasks.hopper_backflip.flight import FLIGHT_FEATURES, FLIGHT_TURN_CLIP
from backflip.tasks.hopper_backflip.judge import (
    AIR,
    BEND_RAD,
    FALL_DEG,
    FOOT,
    LANDING_DEG,
    OPEN_TURNS,
    OTHER,
    PITCH,
    STAND_HEIGHT,
    TAKEOFFS,
    BackflipWeights,
)
from backflip.tasks.hopper_backflip.landings import LANDING_TURNS

TURN = 2 * math.pi


def near_upright(pitch: np.ndarray, degrees: float = LANDING_DEG) -> np.ndarray:
    """``(n,)`` bool: the torso within ``degrees`` of vertical."""
    return np.cos(pitch) > math.cos(math.radians(degrees))


class Phases:
    """A phase in the air per world, ``(n,)`` each: how it took off (an index in
    ``TAKEOFFS``), the rad turned back, and the torso's pitch at its end."""

    def __init__(self, n: int) -> None:
        self.launch = np.zeros(n, dtype=np.int64)
        self.turned = np.zeros(n)
        self.pitch = np.zeros(n)


class Flights:
    """``n`` worlds' flights: the current phase in the air (``launch``, ``turned``), what
    touched the floor and the pitch at the previous step, the touchdown of the last step
    (``touchdown`` mask and ``ended``), and a clean landing waiting out its stay (``held``
    mask, ``kept``, ``left`` steps)."""

    def __init__(self, weights: BackflipWeights, dt: float, n: int) -> None:
        self.weights, self.dt, self.n = weights, dt, n
        self.stay_steps = round(weights.stay / dt)
        self.contact = np.full(n, FOOT)
        self.pitch = np.zeros(n)
        self.launch = np.zeros(n, dtype=np.int64)
        self.turned = np.zeros(n)
        self.touchdown = np.zeros(n, dtype=bool)
        self.clean = np.zeros(n, dtype=bool)
        self.ended = Phases(n)
        self.held = np.zeros(n, dtype=bool)
        self.kept = Phases(n)
        self.left = np.zeros(n, dtype=np.int64)
        self.stay_contact = np.full(n, FOOT)
        self.stay_pitch = np.zeros(n)

    def start(self, contact: np.ndarray, pitch: np.ndarray, restarted: np.ndarray) -> None:
        """Each world begins an episode: from the standing start (as ``Flight.reset``), or
        where ``restarted``, in the given state (as ``Flight.restarted``)."""
        self.contact = np.where(restarted, contact, FOOT)
        self.pitch = np.where(restarted, pitch, 0.0)
        self.stay_contact, self.stay_pitch = self.contact.copy(), self.pitch.copy()
        self.launch[:] = 0
        self.turned[:] = 0.0
        self.touchdown[:] = False
        self.held[:] = False
        self.left[:] = 0

    def step(
        self, contact: np.ndarray, pitch: np.ndarray, backward: np.ndarray
    ) -> tuple[np.ndarray, Phases]:
        """Advances every world by the step just simulated (``(n,)`` ``contact`` and torso
        ``pitch`` after it, ``backward``: the body's backward turn rate in rad/s); returns
        the ``(n,)`` mask of worlds whose held clean landing completed its stay, and the
        held landings' ``(launch, turned)`` (read them before the next step; as
        ``AirPhase.step`` then ``StayWatch.step``)."""
        was = self.contact
        took_off_air = (contact == AIR) & (was != AIR)
        from_foot = was == FOOT
        launch = from_foot.astype(np.int64) + (from_foot & near_upright(self.pitch))
        self.launch = np.where(took_off_air, launch, self.launch)
        self.turned = np.where(took_off_air, 0.0, self.turned)
        self.turned = np.where(contact == AIR, self.turned + backward * self.dt, self.turned)
        self.touchdown = (contact != AIR) & (was == AIR)
        self.clean = self.touchdown & (contact == FOOT) & near_upright(pitch)
        ended = self.ended
        ended.launch = np.where(self.touchdown, self.launch, ended.launch)
        ended.turned = np.where(self.touchdown, self.turned, ended.turned)
        ended.pitch = np.where(self.touchdown, pitch, ended.pitch)
        self.contact, self.pitch = contact, pitch

        took_off = (contact == AIR) & (self.stay_contact == FOOT) & near_upright(self.stay_pitch)
        self.stay_contact, self.stay_pitch = contact, pitch
        kept = self.kept
        kept.launch = np.where(self.clean, self.launch, kept.launch)
        kept.turned = np.where(self.clean, self.turned, kept.turned)
        self.left = np.where(self.clean, self.stay_steps, self.left)
        self.held |= self.clean
        fell = ~took_off & ((contact == OTHER) | ~near_upright(pitch, FALL_DEG))
        landed = self.held & ~fell & (took_off | (self.left == 0))
        self.left = np.where(self.held & ~fell & ~landed, self.left - 1, self.left)
        self.held &= ~fell & ~landed
        return landed, kept

    def reward_terms(
        self, qpos: np.ndarray, backward: np.ndarray, landed: np.ndarray, done: Phases
    ) -> dict[str, np.ndarray]:
        """The judge's ``(n,)`` reward terms of the step :meth:`step` advanced by (as
        ``judge.reward_terms``), given ``(n, nq)`` ``qpos`` after it."""
        w = self.weights
        contact, launch, turned = self.contact, self.launch, self.turned
        height, pitch = qpos[:, 1], qpos[:, PITCH]
        upright = (np.cos(pitch) > math.cos(math.radians(25))) & (contact == FOOT)
        least = TAKEOFFS.index(w.takeoff)
        least_landing = max(1, least, TAKEOFFS.index(w.landing_takeoff))
        cap = w.turn_cap * TURN
        in_air = (contact == AIR) & (launch >= least)
        counted = (in_air & (turned <= cap)) | (backward < 0)
        bend = np.abs(qpos[:, 3]) + np.abs(qpos[:, 4])
        straight = np.maximum(0.0, 1 - bend / (2 * BEND_RAD))
        opening = np.where(in_air & (turned >= OPEN_TURNS * TURN), w.opening * straight, 0.0)
        least_turn = max(w.landing_min_turns * TURN, 0.0)
        pays = landed & (done.turned > least_turn) & (done.launch >= least_landing)
        landing = np.where(pays, w.landing * np.minimum(done.turned, cap), 0.0)
        ended = self.ended
        counts = self.touchdown & (ended.turned > 0) & (ended.launch >= least)
        counted_turn = np.minimum(ended.turned, cap)
        paid = w.rotation * counted_turn / self.dt
        unlanded = np.where(counts, -w.unlanded * paid * (1 - np.cos(ended.pitch)) / 2, 0.0)
        extension = w.extension * np.minimum(height, STAND_HEIGHT) * counted_turn / TURN
        return {
            "reward_rotation": w.rotation * backward * counted,
            "reward_height": w.height * np.maximum(0.0, height - STAND_HEIGHT),
            "reward_upright": w.upright * upright,
            "reward_floor": -w.floor * (contact == OTHER),
            "reward_landing": landing,
            "reward_unlanded": unlanded,
            "reward_extension": np.where(counts, extension, 0.0),
            "reward_opening": opening,
        }

    def features(self) -> np.ndarray:
        """``(n, 8)``: ``Flight.features`` of every world."""
        features = np.zeros((self.n, FLIGHT_FEATURES))
        rows = np.arange(self.n)
        features[rows, self.contact] = 1.0
        features[rows, 3 + self.launch] = 1.0
        features[:, 6] = self.turned / TURN
        features[:, 7] = np.where(self.held, self.kept.turned / TURN, 0.0)
        features[:, 6:] = np.clip(features[:, 6:], -FLIGHT_TURN_CLIP, FLIGHT_TURN_CLIP)
        return features

    def landings(self) -> np.ndarray:
        """``(n,)`` bool: the worlds whose last step was a landing (``landings.py``)."""
        return self.touchdown & (self.ended.turned >= LANDING_TURNS * TURN) & (self.contact == FOOT)
