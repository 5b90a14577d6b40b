"""Physics-state readout, so that any recorded step can be re-rendered later."""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium.envs.mujoco import MujocoEnv


def physics_state(env: gym.Env) -> np.ndarray:
    """``(1 + nq + nv [+ k],)`` float64 ``[time, qpos, qvel]`` of a MuJoCo env, then its
    ``extra_state()`` where it has one: what its task changes outside ``qpos`` and ``qvel``
    that a drawing or a restart needs (Meta-World's goal and hand target)."""
    base = mujoco_env(env)
    data = base.data
    parts = [[data.time], data.qpos, data.qvel]
    extra = getattr(base, "extra_state", None)
    if extra is not None:
        parts.append(extra())
    return np.concatenate(parts).astype(np.float64)


def set_physics_state(env: gym.Env, state: np.ndarray) -> None:
    """Put a MuJoCo env into a state returned by :func:`physics_state`."""
    base = mujoco_env(env)
    nq, nv = base.model.nq, base.model.nv
    if len(state) > 1 + nq + nv:
        base.set_extra_state(np.asarray(state[1 + nq + nv :]))  # type: ignore[attr-defined]
    base.set_state(state[1 : 1 + nq], state[1 + nq : 1 + nq + nv])
    base.data.time = float(state[0])


def mujoco_env(env: gym.Env) -> MujocoEnv:
    base = env.unwrapped
    if not isinstance(base, MujocoEnv):
        raise TypeError(f"{type(base).__name__} is not a MuJoCo env")
    return base


class PhysicsInfo(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """The task reward, and ``info["physics_state"]`` (after the step).

    The reward returned is the task reward: the env's reward without the ``info`` terms
    ``hidden`` (its control costs, see ``backflip/envs/costs.py``) and, if ``swap`` is
    ``(out, in)``, with ``info[in]`` in place of ``info[out]`` (see
    ``backflip/envs/alive.py``). It is also ``info["oracle_reward"]``, what the synthetic
    oracle judges by; the env's own reward is ``info["env_reward"]``.
    """

    def __init__(
        self, env: gym.Env, hidden: tuple[str, ...] = (), swap: tuple[str, str] | None = None
    ) -> None:
        mujoco_env(env)
        # env.spec.make() works
        gym.utils.RecordConstructorArgs.__init__(self, hidden=hidden, swap=swap)
        gym.Wrapper.__init__(self, env)
        self.hidden = tuple(hidden)
        self.swap = swap

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        info["physics_state"] = physics_state(self.env)
        return obs, info

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        costs = sum(float(info[term]) for term in self.hidden)
        task = float(reward) - costs
        if self.swap is not None:
            out, into = self.swap
            task += float(info[into]) - float(info[out])
        info["env_reward"] = float(reward)
        info["oracle_reward"] = task
        info["physics_state"] = physics_state(self.env)
        return obs, task, terminated, truncated, info
