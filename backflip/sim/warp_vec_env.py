"""``n`` worlds of a locomotion task stepped together with MuJoCo Warp, as an SB3
``VecEnv`` that hands out what ``n`` of the run's fixed-horizon gymnasium envs would
(``backflip/envs/make.py``): observations, the task reward (``--costs``), the env's own
reward and reward terms, ``info["physics_state"]`` and ``info["oracle_reward"]``, and a
truncation of every world after ``horizon`` steps, all worlds together.

MuJoCo Warp computes in float32; states are handed out as float64, as MuJoCo C's.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvStepReturn

from backflip.envs.physics import mujoco_env
from backflip.sim.locomotion import SimError
from backflip.sim.restarts import BatchedRestarts
from backflip.tasks.base import BatchedTask, WorldContacts

NO_CONTACTS = WorldContacts(np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64))


def import_warp() -> tuple[Any, Any]:
    """``(warp, mujoco_warp)``; :class:`SimError` naming the extra when they are missing."""
    try:
        import warp

        warp.config.log_level = warp.LOG_WARNING  # before Warp starts: no line per kernel
        import mujoco_warp
    except ImportError:
        raise SimError(
            "--sim warp needs MuJoCo Warp: pip install 'backflip[warp]' (make does)"
        ) from None
    return warp, mujoco_warp


class WarpVecEnv(VecEnv):
    """``n`` worlds of ``template``'s model (a run env from ``make_run_env``) on ``device``
    (a Warp device such as ``cpu`` or ``cuda:0``; None: Warp's default), computed as
    ``task`` says; with ``restarts``, episodes start from remembered states as
    ``--restarts`` asks (``restarts_from``: the task's source, or None for any visited
    state)."""

    def __init__(
        self,
        template: gym.Env,
        task: BatchedTask,
        n: int,
        horizon: int,
        hidden: tuple[str, ...],
        device: str | None = None,
        restarts: BatchedRestarts | None = None,
        restarts_from: str | None = None,
    ) -> None:
        super().__init__(n, template.observation_space, template.action_space)
        if horizon < 1:
            raise ValueError(f"horizon must be >= 1, got {horizon}")
        self.wp, self.mjw = import_warp()
        base = mujoco_env(template)
        self.task, self.horizon, self.hidden = task, horizon, hidden
        self.restarts, self.restarts_from = restarts, restarts_from
        self.frame_skip = int(base.frame_skip)
        with self.wp.ScopedDevice(device):
            self.model = self.mjw.put_model(base.model)
            self.data = self.mjw.put_data(base.model, base.data, nworld=n)
        self.device = device
        self.rng = np.random.default_rng()
        self.qpos = np.zeros((n, base.model.nq))
        self.qvel = np.zeros((n, base.model.nv))
        self.time = np.zeros(n)
        self.returns = np.zeros(n)
        self.t = 0
        self.started = time.time()
        self._actions = np.zeros((n, *template.action_space.shape))  # type: ignore[misc]

    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        """The worlds' start states come from ``seed`` from the next reset on."""
        self.rng = np.random.default_rng(seed)
        return [seed] * self.num_envs

    def reset(self) -> np.ndarray:
        qpos, qvel = self.task.reset_states(self.rng, self.num_envs)
        times = np.zeros(self.num_envs)
        draws = [None] * self.num_envs if self.restarts is None else self.restarts.draw(len(qpos))
        restarted = np.array([state is not None for state in draws])
        nq = qpos.shape[1]
        for i, state in enumerate(draws):
            if state is not None:
                times[i], qpos[i], qvel[i] = state[0], state[1 : 1 + nq], state[1 + nq :]
        self.set_states(times, qpos, qvel)
        self.task.started(self.qpos, self.qvel, self.contacts(), restarted)
        self.returns[:] = 0.0
        self.t = 0
        states = self.physics_states()
        self.reset_infos = [
            {"physics_state": state, **({"restarted": True} if again else {})}
            for state, again in zip(states, restarted, strict=True)
        ]
        return self.task.observe(self.qpos, self.qvel).astype(np.float32)

    def contacts(self) -> WorldContacts:
        """The contacts of every world, as the last step (or ``forward``) found them (none
        for a task that does not read them)."""
        if not self.task.uses_contacts:
            return NO_CONTACTS
        count = int(self.data.nacon.numpy()[0])  # only these leave the device
        geom = self.data.contact.geom[:count].numpy().reshape(count, 2).astype(np.int64)
        return WorldContacts(geom, self.data.contact.worldid[:count].numpy())

    def set_states(self, times: np.ndarray, qpos: np.ndarray, qvel: np.ndarray) -> None:
        """Puts every world into the given ``(n,)`` times, ``(n, nq)`` and ``(n, nv)``
        states, from rest otherwise (as MuJoCo's ``mj_resetData`` and ``set_state``)."""
        wp, mjw = self.wp, self.mjw
        with wp.ScopedDevice(self.device):
            mjw.reset_data(self.model, self.data)
            self.data.qpos.assign(qpos.astype(np.float32))
            self.data.qvel.assign(qvel.astype(np.float32))
            self.data.time.assign(times.astype(np.float32))
            mjw.forward(self.model, self.data)
        self._read()

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions, dtype=np.float64).reshape(self._actions.shape)

    def step_wait(self) -> VecEnvStepReturn:
        wp, mjw = self.wp, self.mjw
        x_before = self.qpos[:, 0].copy()
        with wp.ScopedDevice(self.device):
            self.data.ctrl.assign(self._actions.astype(np.float32))
            for _ in range(self.frame_skip):
                mjw.step(self.model, self.data)
        self._read()
        env_reward, terms = self.task.reward_terms(
            x_before, self.qpos, self.qvel, self._actions, self.contacts()
        )
        task_reward = env_reward - sum((terms[t] for t in self.hidden), np.zeros(self.num_envs))
        self.returns += task_reward
        self.t += 1
        obs = self.task.observe(self.qpos, self.qvel).astype(np.float32)
        states = self.physics_states()
        if self.restarts is not None:
            source = self.restarts_from
            self.restarts.remember(states, None if source is None else self.task.picked(source))
        infos: list[dict[str, Any]] = [
            {
                **{name: float(values[i]) for name, values in terms.items()},
                "x_position": float(self.qpos[i, 0]),
                "env_reward": float(env_reward[i]),
                "oracle_reward": float(task_reward[i]),
                "physics_state": states[i],
            }
            for i in range(self.num_envs)
        ]
        dones = np.full(self.num_envs, self.t >= self.horizon)
        if self.t >= self.horizon:
            elapsed = round(time.time() - self.started, 6)
            for i, info in enumerate(infos):
                info["terminal_observation"] = obs[i]
                info["TimeLimit.truncated"] = True
                info["episode"] = {"r": float(self.returns[i]), "l": self.t, "t": elapsed}
            obs = self.reset()
        return obs, task_reward.astype(np.float32), dones, infos

    def physics_states(self) -> np.ndarray:
        """``(n, 1 + nq + nv)`` float64 ``[time, qpos, qvel]`` of every world."""
        return np.concatenate([self.time[:, None], self.qpos, self.qvel], axis=1)

    def _read(self) -> None:
        self.qpos = self.data.qpos.numpy().astype(np.float64)
        self.qvel = self.data.qvel.numpy().astype(np.float64)
        self.time = self.data.time.numpy().astype(np.float64)

    def close(self) -> None:
        pass

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        if attr_name == "render_mode":  # asked by VecEnv's constructor
            return [None] * self.num_envs
        raise AttributeError(f"the worlds of --sim warp have no attribute {attr_name}")

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        raise AttributeError(f"the worlds of --sim warp have no attribute {attr_name}")

    def env_method(
        self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any
    ) -> list[Any]:
        raise AttributeError(f"the worlds of --sim warp have no method {method_name}")

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False] * self.num_envs
