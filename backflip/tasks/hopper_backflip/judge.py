"""The backflip judge: the reward terms by which the backflip envs
(``backflip/HopperBackflip-v1`` and ``-v0``) say how well the Hopper backflips, and what
the judge remembers of the phases in the air.

Angles are the torso's pitch ``qpos[2]`` (rad; it falls as the Hopper turns back); one env
step is 0.008 s.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Literal

import numpy as np

STAND_HEIGHT = 1.25  # m, torso centre of the standing Hopper
PITCH = 2  # index of rooty in qpos
AIR, FOOT, OTHER = 0, 1, 2
"""What touches the floor (see ``HopperBackflipEnv.floor_contact``): nothing, the foot
alone, or any other part (with or without the foot)."""

LANDING_DEG = 45.0
"""a take-off or landing counts as upright with the torso within this of vertical
(degrees)."""
OPEN_TURNS = 0.75
"""turns of a phase in the air after which ``opening`` pays for a straight leg: a flip
opens its tuck in its last quarter turn, to land standing."""
BEND_RAD = math.radians(150.0)
"""how far the hip and the knee bend from straight (both range over [-150, 0] degrees)."""
FALL_DEG = 60.0
"""after a landing, the Hopper is still up while the torso stays within this of vertical
(degrees) and no part but the foot touches the floor."""
Takeoff = Literal["any", "foot", "upright"]
TAKEOFFS: tuple[Takeoff, ...] = ("any", "foot", "upright")
"""How a phase in the air took off, from least to most: from anything, from the foot alone,
from the foot alone with the torso within :data:`LANDING_DEG` of vertical (a jump)."""


@dataclasses.dataclass(frozen=True)
class BackflipWeights:
    """Weights of the reward terms (per env step; one step is 0.008 s)."""

    rotation: float = 1.0
    """per rad/s of backward rotation of the whole body (``body_pitch_rate`` in
    ``env.py``) while no part of it touches the floor, in a phase
    in the air that took off as ``takeoff`` says: turning in the air counts, rolling over
    on the floor does not. Turning forward costs in full, in the air or not, so that
    turning back in the air and forward on the floor does not pay."""
    height: float = 5.0
    """per metre of torso height above standing height (1.25 m): jumping."""
    upright: float = 0.1
    """for standing on the foot alone with the torso within 25 degrees of upright. Small:
    standing still all episode (100) must not beat a flip (about 500)."""
    floor: float = 0.0
    """cost per step while any part but the foot touches the floor: a landing on the back
    or the head, a bounce on the torso, lying down."""
    landing: float = 0.0
    """per rad of backward turn in the air, paid for landing on the foot alone with the
    torso within :data:`LANDING_DEG` of upright after a take-off from the foot (at least,
    or as ``takeoff`` says), ``stay`` seconds after the landing: a flip counts when it
    lands."""
    takeoff: Takeoff = "any"
    """what a phase in the air must take off from for its turn to count in ``rotation``
    (see :data:`TAKEOFFS`): with ``foot``, bouncing off the torso or head earns nothing;
    with ``upright``, falling backward off the foot earns nothing either."""
    unlanded: float = 0.0
    """share of a phase's ``rotation`` reward taken back at its touchdown, times
    (1 - cos(torso pitch)) / 2 then (0 upright, 1 upside down): with 1 a half turn that
    lands on the head nets nothing and a whole turn that lands upright keeps it all; with
    0.5 the kept reward still grows with the turn, so partial flips lead to whole ones."""
    stay: float = 0.0
    """seconds the Hopper must stay up after such a landing (see :data:`FALL_DEG`) before
    ``landing`` pays: with 0 it pays at the landing step; with the clean-flip counter's
    0.25 s (``clean_flips.py``) a landing that falls over earns nothing."""
    extension: float = 0.0
    """per metre of torso height (up to standing height) at the touchdown that ends a phase
    in the air whose turn counts in ``rotation``, times the turns it made: a flip that
    opens its tuck before touching down (about 1.2 m) earns more than one that lands
    folded on its knees (0.5 m) or its back (0.2 m). Times the turn, so hops earn nothing."""
    opening: float = 0.0
    """per step in the air of a phase that took off as ``takeoff`` asks, once it has
    turned :data:`OPEN_TURNS` (past ``turn_cap`` too): times the leg's straightness,
    1 - (hip + knee bend) / (2 x 150 degrees), from 0 fully tucked to 1 straight as in
    standing. Pays the opening of the tuck in the air before the touchdown, rather than
    the pose that the touchdown ends in."""
    turn_cap: float = math.inf
    """most turns (of 2 pi rad) of one phase in the air that ``rotation``, ``landing`` and
    ``unlanded`` count: with 1, turning on past a whole turn earns nothing more, so a flip
    and a half that lands on the back is no better than one flip that lands upright."""
    landing_takeoff: Takeoff = "foot"
    """what a phase in the air must take off from for ``landing`` to pay its landing (at
    least, or as ``takeoff`` says): with ``upright``, only a flip that both took off and
    landed as a clean backflip does (``clean_flips.py``), so the bonus asks
    for the upright take-off that the next flip after a landing needs."""
    landing_min_turns: float = 0.0
    """fewest turns (of 2 pi rad) a phase in the air must have made for ``landing`` to pay
    its landing: with 0.75, a hop that leans back a little and lands upright earns no
    landing bonus, only a (nearly) whole turn does."""


@dataclasses.dataclass(frozen=True)
class Touchdown:
    """A phase in the air that ended at this step."""

    turned: float
    """rad the whole body turned back in the air."""
    launch: int
    """how it took off: an index in :data:`TAKEOFFS`."""
    pitch: float
    """the torso's pitch when it ended (rad)."""
    clean: bool
    """it ended on the foot alone with the torso within :data:`LANDING_DEG` of upright."""


def reward_terms(
    qpos: np.ndarray,
    backward: float,
    contact: int,
    launch: int,
    turned: float,
    touchdown: Touchdown | None,
    landed: Touchdown | None,
    weights: BackflipWeights,
    dt: float,
) -> dict[str, float]:
    """The judge's reward per step as named terms ``reward_*``; the reward is their sum.

    Args:
        backward: rad/s at which the whole body turns back (minus ``body_pitch_rate``).
        contact: what touches the floor, :data:`AIR`, :data:`FOOT` or :data:`OTHER`.
        launch: how the current (or last) phase in the air took off, an index in
            :data:`TAKEOFFS`.
        turned: rad the whole body has turned back since that take-off, this step's
            turn included.
        touchdown: the phase in the air that ended at this step, if one did.
        landed: the clean landing whose stay (``weights.stay``) is complete at this step,
            if one is (see :class:`StayWatch`).
        dt: seconds per env step.
    """
    height, pitch = float(qpos[1]), float(qpos[PITCH])
    upright = math.cos(pitch) > math.cos(math.radians(25)) and contact == FOOT
    least = TAKEOFFS.index(weights.takeoff)
    least_landing = max(1, least, TAKEOFFS.index(weights.landing_takeoff))
    cap = weights.turn_cap * 2 * math.pi
    counted = (contact == AIR and launch >= least and turned <= cap) or backward < 0
    landing = unlanded = extension = opening = 0.0
    if contact == AIR and launch >= least and turned >= OPEN_TURNS * 2 * math.pi:
        bend = abs(float(qpos[3])) + abs(float(qpos[4]))  # hip and knee, rad
        opening = weights.opening * max(0.0, 1 - bend / (2 * BEND_RAD))
    least_turn = max(weights.landing_min_turns * 2 * math.pi, 0.0)
    if landed is not None and landed.turned > least_turn and landed.launch >= least_landing:
        landing = weights.landing * min(landed.turned, cap)
    if touchdown is not None and touchdown.turned > 0 and touchdown.launch >= least:
        counted_turn = min(touchdown.turned, cap)
        # What the rotation term paid for this phase is the sum of its rates (to the cap).
        paid = weights.rotation * counted_turn / dt
        unlanded = -weights.unlanded * paid * (1 - math.cos(touchdown.pitch)) / 2
        extension = weights.extension * min(height, STAND_HEIGHT) * counted_turn / (2 * math.pi)
    return {
        "reward_rotation": weights.rotation * backward * float(counted),
        "reward_height": weights.height * max(0.0, height - STAND_HEIGHT),
        "reward_upright": weights.upright * float(upright),
        "reward_floor": -weights.floor * float(contact == OTHER),
        "reward_landing": landing,
        "reward_unlanded": unlanded,
        "reward_extension": extension,
        "reward_opening": opening,
    }


def _near_upright(pitch: float, degrees: float = LANDING_DEG) -> bool:
    return math.cos(pitch) > math.cos(math.radians(degrees))


@dataclasses.dataclass
class AirPhase:
    """What the judge remembers of the current phase in the air, step by step."""

    contact: int = FOOT
    """what touched the floor at the previous step."""
    pitch: float = 0.0
    """the torso's pitch at the previous step (rad)."""
    launch: int = 0
    """how the current (or last) phase in the air took off: an index in :data:`TAKEOFFS`."""
    turned: float = 0.0
    """rad the whole body has turned back since that take-off."""

    def step(self, contact: int, pitch: float, backward_rad: float) -> Touchdown | None:
        """Advances by one env step (``contact`` and torso ``pitch`` after it,
        ``backward_rad``: the body's backward turn in it); returns the phase in the air
        that ended with this step, if one did."""
        touchdown = None
        if contact == AIR:
            if self.contact != AIR:
                from_foot = self.contact == FOOT
                self.launch = int(from_foot) + int(from_foot and _near_upright(self.pitch))
                self.turned = 0.0
            self.turned += backward_rad
        elif self.contact == AIR:
            clean = contact == FOOT and _near_upright(pitch)
            touchdown = Touchdown(self.turned, self.launch, pitch, clean)
        self.contact, self.pitch = contact, pitch
        return touchdown


@dataclasses.dataclass
class StayWatch:
    """Holds a clean landing until the Hopper has stayed up ``steps`` steps after it, or
    has taken off again from the foot alone with the torso within :data:`LANDING_DEG` of
    upright (into the next flip), as ``clean_flips.py`` counts them."""

    steps: int
    """env steps to stay up after the landing step (0: the landing counts at once)."""
    held: Touchdown | None = None
    left: int = 0
    contact: int = FOOT
    """what touched the floor at the previous step."""
    pitch: float = 0.0
    """the torso's pitch at the previous step (rad)."""

    def step(self, touchdown: Touchdown | None, contact: int, pitch: float) -> Touchdown | None:
        """Advances by one env step (the touchdown :meth:`AirPhase.step` returned for it,
        ``contact`` and torso ``pitch`` after it); returns the held landing whose stay
        completes with this step, if one does. A new clean landing replaces one held."""
        took_off = contact == AIR and self.contact == FOOT and _near_upright(self.pitch)
        self.contact, self.pitch = contact, pitch
        if touchdown is not None and touchdown.clean:
            self.held, self.left = touchdown, self.steps
        if self.held is None:
            return None
        if not took_off and (contact == OTHER or not _near_upright(pitch, FALL_DEG)):
            self.held = None
            return None
        if took_off or self.left == 0:
            landed, self.held = self.held, None
            return landed
        self.left -= 1
        return None
