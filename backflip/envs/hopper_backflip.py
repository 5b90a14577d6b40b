"""``backflip/HopperBackflip-v0``: the Hopper, free to flip, judged by how well it backflips.

The model is gymnasium's Hopper. Stock Hopper ends an episode when the torso tilts past
0.2 rad, which is every flip; here nothing ends an episode (the run's fixed horizon does).
The pitch ``qpos[2]`` (``rooty``, about +y) grows as the torso tips forward, so a backward
flip is a fall of 2 pi in pitch.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium import utils
from gymnasium.envs.mujoco import MujocoEnv, hopper_v5
from numpy.typing import NDArray

from backflip.envs.registration import HOPPER_BACKFLIP

ENV_ID = HOPPER_BACKFLIP
HOPPER_XML = str(Path(hopper_v5.__file__).parent / "assets" / "hopper.xml")
STAND_HEIGHT = 1.25  # m, torso centre of the standing Hopper
VELOCITY_CLIP = 20.0  # observed velocities are clipped to +-this (m/s, rad/s)
PITCH = 2  # index of rooty in qpos
BODIES = ("torso", "thigh", "leg", "foot")
AIR, FOOT, OTHER = 0, 1, 2
"""What touches the floor (see :meth:`HopperBackflipEnv.floor_contact`): nothing, the foot
alone, or any other part (with or without the foot)."""
# Gymnasium's Hopper camera, further back so that a whole flip stays in the frame.
CAMERA: dict[str, Any] = {
    "trackbodyid": 2,
    "distance": 3.5,
    "lookat": np.array((0.0, 0.0, 1.15)),
    "elevation": -20.0,
}


LANDING_DEG = 45.0
"""a take-off or landing counts as upright with the torso within this of vertical
(degrees)."""
Takeoff = Literal["any", "foot", "upright"]
TAKEOFFS: tuple[Takeoff, ...] = ("any", "foot", "upright")
"""How a phase in the air took off, from least to most: from anything, from the foot alone,
from the foot alone with the torso within :data:`LANDING_DEG` of vertical (a jump)."""


@dataclasses.dataclass(frozen=True)
class BackflipWeights:
    """Weights of the reward terms (per env step; one step is 0.008 s)."""

    rotation: float = 1.0
    """per rad/s of backward rotation of the whole body (see :func:`body_pitch_rate`)
    while no part of it touches the floor, in a phase in the air that took off as
    ``takeoff`` says: turning in the air counts, rolling over on the floor does not.
    Turning forward costs in full, in the air or not, so that turning back in the air and
    forward on the floor does not pay."""
    height: float = 5.0
    """per metre of torso height above standing height (1.25 m): jumping."""
    upright: float = 0.1
    """for standing on the foot alone with the torso within 25 degrees of upright. Small:
    standing still all episode (100) must not beat a flip (about 500)."""
    floor: float = 0.0
    """cost per step while any part but the foot touches the floor: a landing on the back
    or the head, a bounce on the torso, lying down."""
    landing: float = 0.0
    """per rad of backward turn in the air, paid at the step of landing on the foot alone
    with the torso within :data:`LANDING_DEG` of upright after a take-off from the foot
    (at least, or as ``takeoff`` says): a flip counts when it lands."""
    takeoff: Takeoff = "any"
    """what a phase in the air must take off from for its turn to count in ``rotation``
    (see :data:`TAKEOFFS`): with ``foot``, bouncing off the torso or head earns nothing;
    with ``upright``, falling backward off the foot earns nothing either."""
    unlanded: float = 0.0
    """share of a phase's ``rotation`` reward taken back at its touchdown, times
    (1 - cos(torso pitch)) / 2 then (0 upright, 1 upside down): with 1 a half turn that
    lands on the head nets nothing and a whole turn that lands upright keeps it all; with
    0.5 the kept reward still grows with the turn, so partial flips lead to whole ones."""


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


def part_pitches(chain: np.ndarray) -> np.ndarray:
    """``(..., 4)`` pitch of torso, thigh, leg and foot in the world from ``(..., 4)``
    ``[torso pitch, thigh, leg, foot joint]`` (``qpos[2:6]``, rad; or ``qvel[2:6]``,
    rad/s, for the rates)."""
    chain = np.asarray(chain, dtype=np.float64)
    torso = chain[..., :1]
    # The hinges of thigh, leg and foot turn about -y: each subtracts its angle.
    return np.concatenate((torso, torso - np.cumsum(chain[..., 1:], axis=-1)), axis=-1)


def body_pitch(chain: np.ndarray, masses: np.ndarray) -> np.ndarray:
    """``(...)`` pitch (rad) of the whole body from a ``(..., 4)`` chain as
    :func:`part_pitches` takes it (or its rate, from ``qvel[2:6]``): the mass-weighted
    mean over torso, thigh, leg and foot (``masses`` ``(4,)`` kg, in that order).

    The torso alone can turn almost a whole turn by folding hip and knee while the foot
    stays put; the mass-weighted mean hardly moves then, and turns fully in a flip.
    """
    return np.asarray(part_pitches(chain) @ masses / masses.sum())


def body_pitch_rate(qvel: np.ndarray, masses: np.ndarray) -> float:
    """rad/s at which the whole body turns forward (see :func:`body_pitch`)."""
    return float(body_pitch(qvel[PITCH : PITCH + len(BODIES)], masses))


def reward_terms(
    qpos: np.ndarray,
    backward: float,
    contact: int,
    launch: int,
    touchdown: Touchdown | None,
    weights: BackflipWeights,
    dt: float,
) -> dict[str, float]:
    """The judge's reward per step as named terms ``reward_*``; the reward is their sum.

    Args:
        backward: rad/s at which the whole body turns back (minus :func:`body_pitch_rate`).
        contact: what touches the floor, :data:`AIR`, :data:`FOOT` or :data:`OTHER`.
        launch: how the current (or last) phase in the air took off, an index in
            :data:`TAKEOFFS`.
        touchdown: the phase in the air that ended at this step, if one did.
        dt: seconds per env step.
    """
    height, pitch = float(qpos[1]), float(qpos[PITCH])
    upright = math.cos(pitch) > math.cos(math.radians(25)) and contact == FOOT
    least = TAKEOFFS.index(weights.takeoff)
    counted = (contact == AIR and launch >= least) or backward < 0
    landing = unlanded = 0.0
    if touchdown is not None and touchdown.turned > 0:
        if touchdown.clean and touchdown.launch >= max(1, least):
            landing = weights.landing * touchdown.turned
        if touchdown.launch >= least:
            # What the rotation term paid for this phase is the sum of its rates.
            paid = weights.rotation * touchdown.turned / dt
            unlanded = -weights.unlanded * paid * (1 - math.cos(touchdown.pitch)) / 2
    return {
        "reward_rotation": weights.rotation * backward * float(counted),
        "reward_height": weights.height * max(0.0, height - STAND_HEIGHT),
        "reward_upright": weights.upright * float(upright),
        "reward_floor": -weights.floor * float(contact == OTHER),
        "reward_landing": landing,
        "reward_unlanded": unlanded,
    }


def _near_upright(pitch: float) -> bool:
    return math.cos(pitch) > math.cos(math.radians(LANDING_DEG))


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


HANDWRITTEN_VELOCITY_CLIP = 10.0
"""gym's Hopper of 2017 clipped observed velocities to +-10: the hand-written reward read
them so."""


def handwritten_reward(qpos: np.ndarray, qvel: np.ndarray, action: np.ndarray) -> float:
    """The backflip reward OpenAI wrote by hand in two hours (blog post "Learning from
    human preferences", 2017), in gym's Hopper observation: the backward roll rate (minus
    the torso's pitch rate) times (1 + 0.3 x torso height + 0.1 x actions . joint
    velocities + 0.05 x backward slide, minus the forward velocity)."""
    vel = np.clip(qvel, -HANDWRITTEN_VELOCITY_CLIP, HANDWRITTEN_VELOCITY_CLIP)
    backroll, height, backslide = -vel[PITCH], float(qpos[1]), -vel[0]
    vel_act = float(np.dot(action, vel[PITCH + 1 : PITCH + 4]))
    return float(backroll * (1.0 + 0.3 * height + 0.1 * vel_act + 0.05 * backslide))


class HopperBackflipEnv(MujocoEnv, utils.EzPickle):
    """Hopper without early termination, rewarded for backflips.

    Observation ``(12,)``: torso height (m), cos and sin of the pitch, thigh, leg and foot
    angles (rad), then ``qvel`` ``(6,)`` (x, z velocity in m/s, pitch rate and joint rates
    in rad/s), clipped to +-20. The pitch enters as cos and sin so that the observation
    looks the same after each full turn.

    Reward (``reward="judge"``): the sum of ``info["reward_rotation"]``,
    ``info["reward_height"]``, ``info["reward_upright"]``, ``info["reward_floor"]``,
    ``info["reward_landing"]`` and ``info["reward_unlanded"]`` (see :class:`BackflipWeights`);
    no hidden control cost, so a person watching judges by the same reward.
    ``reward="handwritten"``: :func:`handwritten_reward`, as ``info["reward_handwritten"]``.
    """

    metadata = {"render_modes": ["human", "rgb_array", "depth_array"], "render_fps": 125}

    def __init__(
        self,
        rotation_weight: float = BackflipWeights.rotation,
        height_weight: float = BackflipWeights.height,
        upright_weight: float = BackflipWeights.upright,
        floor_weight: float = BackflipWeights.floor,
        landing_weight: float = BackflipWeights.landing,
        takeoff: Takeoff = BackflipWeights.takeoff,
        unlanded_weight: float = BackflipWeights.unlanded,
        reset_noise_scale: float = 5e-3,
        reward: Literal["judge", "handwritten"] = "judge",
        **kwargs: Any,
    ) -> None:
        weights = (
            rotation_weight,
            height_weight,
            upright_weight,
            floor_weight,
            landing_weight,
            takeoff,
            unlanded_weight,
        )
        utils.EzPickle.__init__(self, *weights, reset_noise_scale, reward, **kwargs)
        if reward not in ("judge", "handwritten"):
            raise ValueError(f"reward must be judge or handwritten, got {reward!r}")
        if takeoff not in TAKEOFFS:
            raise ValueError(f"takeoff must be one of {', '.join(TAKEOFFS)}, got {takeoff!r}")
        self.reward = reward
        self.weights = BackflipWeights(*weights)
        self.air = AirPhase()
        self._reset_noise_scale = reset_noise_scale
        observation_space = gym.spaces.Box(-np.inf, np.inf, shape=(12,), dtype=np.float64)
        MujocoEnv.__init__(
            self,
            HOPPER_XML,
            frame_skip=4,
            observation_space=observation_space,
            default_camera_config=CAMERA,
            **kwargs,
        )
        self.masses = np.array([self.model.body(n).mass[0] for n in BODIES])
        self._floor = self.model.geom("floor").id
        self._foot_on_floor_pair = np.sort([self.model.geom("foot_geom").id, self._floor])

    def _get_obs(self) -> NDArray[np.float64]:
        qpos, qvel = self.data.qpos, self.data.qvel
        pitch = qpos[PITCH]
        return np.concatenate(
            (
                [qpos[1], math.cos(pitch), math.sin(pitch)],
                qpos[3:],
                np.clip(qvel, -VELOCITY_CLIP, VELOCITY_CLIP),
            )
        )

    def floor_contact(self) -> int:
        """:data:`AIR`, :data:`FOOT` or :data:`OTHER`: what touches the floor now."""
        pairs = self.data.contact.geom[: self.data.ncon]
        touching = np.sort(pairs[np.any(pairs == self._floor, axis=1)], axis=1)
        if len(touching) == 0:
            return AIR
        return FOOT if np.all(touching == self._foot_on_floor_pair) else OTHER

    def step(
        self, action: NDArray[np.float32]
    ) -> tuple[NDArray[np.float64], np.float64, bool, bool, dict[str, np.float64]]:
        self.do_simulation(action, self.frame_skip)
        if self.reward == "handwritten":
            value = handwritten_reward(self.data.qpos, self.data.qvel, np.asarray(action))
            terms = {"reward_handwritten": value}
        else:
            contact = self.floor_contact()
            backward = -body_pitch_rate(self.data.qvel, self.masses)
            touchdown = self.air.step(contact, float(self.data.qpos[PITCH]), backward * self.dt)
            terms = reward_terms(
                self.data.qpos, backward, contact, self.air.launch, touchdown, self.weights, self.dt
            )
        info = {name: np.float64(value) for name, value in terms.items()}
        if self.render_mode == "human":
            self.render()
        return self._get_obs(), np.float64(sum(terms.values())), False, False, info

    def reset_model(self) -> NDArray[np.float64]:
        low, high = -self._reset_noise_scale, self._reset_noise_scale
        qpos = self.init_qpos + self.np_random.uniform(low, high, size=self.model.nq)
        qvel = self.init_qvel + self.np_random.uniform(low, high, size=self.model.nv)
        self.set_state(qpos, qvel)
        self.air = AirPhase()
        return self._get_obs()
