"""The backflip envs (``backflip/HopperBackflip-v1``, ``-v0`` and the hand-written
reward's): the Hopper, free to flip, judged by how well it backflips.

The model is gymnasium's Hopper. Stock Hopper ends an episode when the torso tilts past
0.2 rad, which is every flip; here nothing ends an episode (the run's fixed horizon does).
The pitch ``qpos[2]`` (``rooty``, about +y) grows as the torso tips forward, so a backward
flip is a fall of 2 pi in pitch.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium import utils
from gymnasium.envs.mujoco import MujocoEnv, hopper_v5
from numpy.typing import NDArray

from backflip.tasks.hopper_backflip.flight import FLIGHT_FEATURES, Flight
from backflip.tasks.hopper_backflip.judge import (
    AIR,
    FOOT,
    OTHER,
    PITCH,
    TAKEOFFS,
    AirPhase,
    BackflipWeights,
    StayWatch,
    Takeoff,
    Touchdown,
)

HOPPER_XML = str(Path(hopper_v5.__file__).parent / "assets" / "hopper.xml")
VELOCITY_CLIP = 20.0  # observed velocities are clipped to +-this (m/s, rad/s)
BODIES = ("torso", "thigh", "leg", "foot")
# Gymnasium's Hopper camera, further back so that a whole flip stays in the frame.
CAMERA: dict[str, Any] = {
    "trackbodyid": 2,
    "distance": 3.5,
    "lookat": np.array((0.0, 0.0, 1.15)),
    "elevation": -20.0,
}


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


HANDWRITTEN_VELOCITY_CLIP = 10.0
"""gym's Hopper of 2017 clipped observed velocities to +-10: the hand-written reward read
them so."""


def handwritten_reward(qpos: np.ndarray, qvel: np.ndarray, action: np.ndarray) -> float:
    """The backflip reward OpenAI wrote by hand in two hours (blog post "Learning from
    human preferences", 2017), in gym's Hopper observation: the backward roll rate (minus
    the torso's pitch rate) times (1 + 0.3 x torso height + 0.1 x actions . joint
    velocities + 0.05 x backward slide, minus the forward velocity)."""
    return float(handwritten_rewards(qpos, qvel, np.asarray(action)))


def handwritten_rewards(qpos: np.ndarray, qvel: np.ndarray, action: np.ndarray) -> np.ndarray:
    """:func:`handwritten_reward` of ``(..., nq)`` ``qpos``, ``(..., nv)`` ``qvel`` and
    ``(..., 3)`` ``action`` (a batch of worlds or one): ``(...)``."""
    vel = np.clip(qvel, -HANDWRITTEN_VELOCITY_CLIP, HANDWRITTEN_VELOCITY_CLIP)
    backroll, height, backslide = -vel[..., PITCH], qpos[..., 1], -vel[..., 0]
    vel_act = np.sum(action * vel[..., PITCH + 1 : PITCH + 4], axis=-1)
    return np.asarray(backroll * (1.0 + 0.3 * height + 0.1 * vel_act + 0.05 * backslide))


class HopperBackflipEnv(MujocoEnv, utils.EzPickle):
    """Hopper without early termination, rewarded for backflips.

    Observation ``(12,)``: torso height (m), cos and sin of the pitch, thigh, leg and foot
    angles (rad), then ``qvel`` ``(6,)`` (x, z velocity in m/s, pitch rate and joint rates
    in rad/s), clipped to +-20. The pitch enters as cos and sin so that the observation
    looks the same after each full turn. With ``flight_obs``, ``(20,)``: then also what
    the judge remembers of the flight (:meth:`flight_features`), so that a reward of
    observation and action can tell a turn in the air from a fall, and a landing after a
    whole turn from standing still.

    Reward (``reward="judge"``): the sum of ``info["reward_rotation"]``,
    ``info["reward_height"]``, ``info["reward_upright"]``, ``info["reward_floor"]``,
    ``info["reward_landing"]``, ``info["reward_unlanded"]``, ``info["reward_extension"]`` and
    ``info["reward_opening"]`` (``BackflipWeights`` in ``judge.py``;
    ``landing_stay`` is its ``stay``, ``extension_weight`` its ``extension``,
    ``opening_weight`` its ``opening``; ``takeoff``, ``landing_takeoff``, ``turn_cap`` and
    ``landing_min_turns`` are its fields of those names); no hidden
    control cost, so a person watching judges by the same reward.
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
        landing_stay: float = BackflipWeights.stay,
        extension_weight: float = BackflipWeights.extension,
        opening_weight: float = BackflipWeights.opening,
        turn_cap: float = BackflipWeights.turn_cap,
        landing_takeoff: Takeoff = BackflipWeights.landing_takeoff,
        landing_min_turns: float = BackflipWeights.landing_min_turns,
        reset_noise_scale: float = 5e-3,
        reward: Literal["judge", "handwritten"] = "judge",
        flight_obs: bool = False,
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
            landing_stay,
            extension_weight,
            opening_weight,
            turn_cap,
            landing_takeoff,
            landing_min_turns,
        )
        utils.EzPickle.__init__(self, *weights, reset_noise_scale, reward, flight_obs, **kwargs)
        if reward not in ("judge", "handwritten"):
            raise ValueError(f"reward must be judge or handwritten, got {reward!r}")
        for name, given in (("takeoff", takeoff), ("landing_takeoff", landing_takeoff)):
            if given not in TAKEOFFS:
                raise ValueError(f"{name} must be one of {', '.join(TAKEOFFS)}, got {given!r}")
        self.reward = reward
        self.flight_obs = flight_obs
        self.weights = BackflipWeights(*weights)
        self._reset_noise_scale = reset_noise_scale
        size = 12 + (FLIGHT_FEATURES if flight_obs else 0)
        observation_space = gym.spaces.Box(-np.inf, np.inf, shape=(size,), dtype=np.float64)
        MujocoEnv.__init__(
            self,
            HOPPER_XML,
            frame_skip=4,
            observation_space=observation_space,
            default_camera_config=CAMERA,
            **kwargs,
        )
        self.flight = Flight(self.weights, self.dt)
        """what the judge remembers of the flight."""
        self.masses = np.array([self.model.body(n).mass[0] for n in BODIES])
        self._floor = self.model.geom("floor").id
        self._foot_on_floor_pair = np.sort([self.model.geom("foot_geom").id, self._floor])

    def _get_obs(self) -> NDArray[np.float64]:
        qpos, qvel = self.data.qpos, self.data.qvel
        pitch = qpos[PITCH]
        parts = [
            [qpos[1], math.cos(pitch), math.sin(pitch)],
            qpos[3:],
            np.clip(qvel, -VELOCITY_CLIP, VELOCITY_CLIP),
        ]
        if self.flight_obs:
            parts.append(self.flight_features())
        return np.concatenate(parts)

    def flight_features(self) -> NDArray[np.float64]:
        """``(8,)``: what the judge remembers of the flight (``Flight.features``)."""
        return self.flight.features()

    @property
    def air(self) -> AirPhase:
        """the current (or last) phase in the air."""
        return self.flight.air

    @property
    def stay(self) -> StayWatch:
        """a clean landing waiting out its stay."""
        return self.flight.stay

    @property
    def touchdown(self) -> Touchdown | None:
        """the phase in the air that the last step ended, if it ended one."""
        return self.flight.touchdown

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
            self._remember_flight()
            value = handwritten_reward(self.data.qpos, self.data.qvel, np.asarray(action))
            terms = {"reward_handwritten": value}
        else:
            backward, contact, touchdown, landed = self._remember_flight()
            terms = self.flight.judge(self.data.qpos, backward, contact, touchdown, landed)
        info = {name: np.float64(value) for name, value in terms.items()}
        if self.render_mode == "human":
            self.render()
        return self._get_obs(), np.float64(sum(terms.values())), False, False, info

    def _remember_flight(self) -> tuple[float, int, Touchdown | None, Touchdown | None]:
        """Advances the judge's memory of the flight by the step just simulated; returns
        the body's backward turn rate (rad/s), what touches the floor, and the touchdown
        and completed landing of this step, if any."""
        contact = self.floor_contact()
        backward = -body_pitch_rate(self.data.qvel, self.masses)
        touchdown, landed = self.flight.step(contact, float(self.data.qpos[PITCH]), backward)
        return backward, contact, touchdown, landed

    def restarted(self) -> None:
        """The physics were put into another state (a training restart, see
        ``backflip/envs/restarts.py``): the judge forgets the phase it was in, and a phase
        in the air that this state is in counts as taken off from anything."""
        self.flight.restarted(self.floor_contact(), float(self.data.qpos[PITCH]))

    def reset_model(self) -> NDArray[np.float64]:
        low, high = -self._reset_noise_scale, self._reset_noise_scale
        qpos = self.init_qpos + self.np_random.uniform(low, high, size=self.model.nq)
        qvel = self.init_qvel + self.np_random.uniform(low, high, size=self.model.nv)
        self.set_state(qpos, qvel)
        self.flight.reset()
        return self._get_obs()
