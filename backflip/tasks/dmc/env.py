"""DeepMind Control Suite tasks as gymnasium MuJoCo envs, on DMC's own models.

The models are the ``dm_control`` package's XML files and the rewards its
``rewards.tolerance``; the simulation is run here, step for step as ``dm_control`` runs it
(``dm_control/mujoco/engine.py``: ``mj_step2``, the rest of the substeps, then ``mj_step1``
so that positions and sensors are those of the new state), because ``dm_control``'s own
``Physics`` does not load with the MuJoCo this package pins. Episodes start as DMC's do
(``dm_control/suite/walker.py``, ``cheetah.py``); random draws come from the env's seeded
generator, so a seed gives other initial states than the same seed in ``dm_control``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import mujoco
import numpy as np
from gymnasium import spaces
from gymnasium.envs.mujoco import MujocoEnv
from numpy.typing import NDArray

CAMERA = {"trackbodyid": 1, "distance": 4.0, "elevation": -10.0, "azimuth": 90.0}


def suite_model(name: str) -> Path:
    """The path of ``dm_control``'s ``suite/<name>.xml``; ``ImportError`` naming the extra
    to install when ``dm_control`` is not installed (it is not imported: only its files
    are read)."""
    spec = importlib.util.find_spec("dm_control")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "the DeepMind Control Suite tasks need dm_control: pip install 'backflip[dmc]'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "suite" / f"{name}.xml"


def tolerance(x: float, **kwargs: Any) -> float:
    """``dm_control.utils.rewards.tolerance`` (numpy only), as a float."""
    from dm_control.utils import rewards

    return float(rewards.tolerance(x, **kwargs))


class DMCEnv(MujocoEnv):
    """A DMC task: ``frame_skip`` physics steps per control step, DMC's way of stepping,
    observation and reward from the subclass."""

    metadata = {"render_modes": ["human", "rgb_array", "depth_array"]}

    def __init__(self, model: str, frame_skip: int, **kwargs: Any) -> None:
        path = suite_model(model)
        timestep = self.load_model(path).opt.timestep
        self.metadata = {**self.metadata, "render_fps": int(np.round(1 / (timestep * frame_skip)))}
        MujocoEnv.__init__(
            self, str(path), frame_skip, None, default_camera_config=CAMERA, **kwargs
        )
        mujoco.mj_forward(self.model, self.data)
        size = len(self.observation())
        self.observation_space = spaces.Box(-np.inf, np.inf, (size,), np.float64)

    def load_model(self, path: Path) -> mujoco.MjModel:
        """The task's model from DMC's XML file (a task may edit it first)."""
        return mujoco.MjModel.from_xml_path(str(path))

    def _initialize_simulation(self) -> tuple[mujoco.MjModel, mujoco.MjData]:
        model = self.load_model(Path(self.fullpath))
        model.vis.global_.offwidth = max(model.vis.global_.offwidth, self.width)
        model.vis.global_.offheight = max(model.vis.global_.offheight, self.height)
        return model, mujoco.MjData(model)

    def _set_action_space(self) -> spaces.Box:
        low, high = self.model.actuator_ctrlrange.copy().astype(np.float32).T
        self.action_space = spaces.Box(low=low, high=high, dtype=np.float32)
        return self.action_space

    def step(
        self, action: NDArray[np.float32]
    ) -> tuple[NDArray[np.float64], np.float64, bool, bool, dict[str, np.float64]]:
        self.data.ctrl[:] = action
        dm_control_step(self.model, self.data, self.frame_skip)
        reward = np.float64(self.task_reward())
        if self.render_mode == "human":
            self.render()
        return self.observation(), reward, False, False, {"reward_task": reward}

    def reset_model(self) -> np.ndarray:
        # dm_control's reset_context: forward after the reset, the task's start, forward
        self._forward_without_actuation()
        self.initialize_episode()
        self._forward_without_actuation()
        return self.observation()

    def _forward_without_actuation(self) -> None:
        flags = int(self.model.opt.disableflags)
        self.model.opt.disableflags = flags | int(mujoco.mjtDisableBit.mjDSBL_ACTUATION)
        try:
            mujoco.mj_forward(self.model, self.data)
        finally:
            self.model.opt.disableflags = flags

    def initialize_episode(self) -> None:
        raise NotImplementedError

    def _get_obs(self) -> np.ndarray:
        """The observation, by the name ``backflip/envs/restarts.py`` asks every MuJoCo env."""
        return self.observation()

    def extra_state(self) -> np.ndarray:
        """The actuators' own state (the quadruped's filters; empty for the others), which a
        restart needs beyond ``qpos`` and ``qvel``."""
        return self.data.act.copy()

    def set_extra_state(self, extra: np.ndarray) -> None:
        self.data.act[:] = extra

    def observation(self) -> np.ndarray:
        raise NotImplementedError

    def task_reward(self) -> float:
        raise NotImplementedError

    def subtree_velocity_x(self) -> float:
        """Forward speed of the torso's subtree's centre of mass (its sensor), m/s."""
        return float(self.data.sensor("torso_subtreelinvel").data[0])


def dm_control_step(model: mujoco.MjModel, data: mujoco.MjData, nstep: int) -> None:
    """``nstep`` physics steps as ``dm_control``'s legacy step takes them."""
    if int(model.opt.integrator) != int(mujoco.mjtIntegrator.mjINT_RK4):
        mujoco.mj_step2(model, data)
        if nstep > 1:
            mujoco.mj_step(model, data, nstep - 1)
    else:
        mujoco.mj_step(model, data, nstep)
    mujoco.mj_step1(model, data)


class WalkerEnv(DMCEnv):
    """DMC's planar walker: ``move_speed`` 0 is ``walker_stand``, 1 ``walker_walk``, 8
    ``walker_run``. Control step 0.025 s (10 physics steps), 1000 steps an episode."""

    clip_camera = "side"  # clips are drawn as DMC shows the walker
    STAND_HEIGHT = 1.2

    def __init__(self, move_speed: float = 1.0, **kwargs: Any) -> None:
        self.move_speed = move_speed
        super().__init__("walker", frame_skip=10, **kwargs)

    def initialize_episode(self) -> None:
        randomize_joints(self.model, self.data, self.np_random)

    def observation(self) -> np.ndarray:
        orientations = self.data.xmat[1:, [0, 2]].ravel()  # each body's xx and xz
        height = [self.data.body("torso").xpos[2]]
        return np.concatenate([orientations, height, self.data.qvel]).astype(np.float64)

    def task_reward(self) -> float:
        height = float(self.data.body("torso").xpos[2])
        standing = tolerance(height, bounds=(self.STAND_HEIGHT, float("inf")), margin=0.6)
        upright = (1 + float(self.data.body("torso").xmat[8])) / 2
        stand = (3 * standing + upright) / 4
        if self.move_speed == 0:
            return stand
        move = tolerance(
            self.subtree_velocity_x(),
            bounds=(self.move_speed, float("inf")),
            margin=self.move_speed / 2,
            value_at_margin=0.5,
            sigmoid="linear",
        )
        return stand * (5 * move + 1) / 6


class CheetahEnv(DMCEnv):
    """DMC's ``cheetah_run``: control step 0.01 s, 1000 steps an episode."""

    clip_camera = "side"
    RUN_SPEED = 10.0

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("cheetah", frame_skip=1, **kwargs)

    def initialize_episode(self) -> None:
        limited = self.model.jnt_limited == 1
        lower, upper = self.model.jnt_range[limited].T
        self.data.qpos[limited] = self.np_random.uniform(lower, upper)
        dm_control_step(self.model, self.data, 200)  # settle before the episode
        self.data.time = 0.0

    def observation(self) -> np.ndarray:
        return np.concatenate([self.data.qpos[1:], self.data.qvel]).astype(np.float64)

    def task_reward(self) -> float:
        return tolerance(
            self.subtree_velocity_x(),
            bounds=(self.RUN_SPEED, float("inf")),
            margin=self.RUN_SPEED,
            value_at_margin=0,
            sigmoid="linear",
        )


def randomize_joints(model: mujoco.MjModel, data: mujoco.MjData, rng: np.random.Generator) -> None:
    """DMC's ``randomize_limited_and_rotational_joints`` for hinges and slides: a limited
    one uniform in its range, an unlimited hinge uniform in [-pi, pi]."""
    hinge, slide = int(mujoco.mjtJoint.mjJNT_HINGE), int(mujoco.mjtJoint.mjJNT_SLIDE)
    for joint in range(model.njnt):
        kind = int(model.jnt_type[joint])
        if kind not in (hinge, slide):
            raise NotImplementedError("ball and free joints are not randomized here")
        address = model.jnt_qposadr[joint]
        if model.jnt_limited[joint]:
            data.qpos[address] = rng.uniform(*model.jnt_range[joint])
        elif kind == hinge:
            data.qpos[address] = rng.uniform(-np.pi, np.pi)
