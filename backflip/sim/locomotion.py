"""The gymnasium v5 locomotion tasks' observations, rewards and reset draws for a batch of
worlds, as their envs compute them for one (``gymnasium/envs/mujoco/*_v5.py``).

Every array has the batch first: ``qpos`` ``(n, nq)``, ``qvel`` ``(n, nv)``, ``action``
``(n, nu)``; rewards are ``(n,)`` per env step.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from gymnasium.envs.mujoco import MujocoEnv

from backflip.errors import BackflipError
from backflip.tasks.base import WorldContacts
from backflip.tasks.registry import task_env_ids, task_for

HEALTHY_CHECKS = {"HalfCheetah-v5": None, "Hopper-v5": "hopper", "Walker2d-v5": "walker"}
"""The gymnasium env ids the batched simulator runs, and how each decides it is healthy
(task plug-ins batch their own envs: ``Task.batched``)."""


class SimError(BackflipError, ValueError):
    """A run the batched simulator cannot run."""


@dataclasses.dataclass(frozen=True)
class Locomotion:
    """One locomotion task's settings, read from a made gymnasium env (so its
    ``--env-kwargs`` count)."""

    healthy_check: str | None
    """None (the cheetah is always healthy), ``hopper`` or ``walker``."""
    dt: float
    """seconds per env step."""
    forward_weight: float
    ctrl_cost_weight: float
    healthy_reward: float
    healthy_z: tuple[float, float]
    healthy_angle: tuple[float, float]
    healthy_state: tuple[float, float]
    """bounds of ``[qpos, qvel][2:]`` (the hopper's check only)."""
    reset_noise: float
    exclude_x: bool
    """the observation leaves out the x position."""
    clip_velocity: bool
    """the observation clips velocities to [-10, 10] (the hopper and the walker)."""
    init_qpos: np.ndarray
    init_qvel: np.ndarray
    uses_contacts: bool = False

    def observe(self, qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
        """``(n, obs_dim)`` float64 observations."""
        position = qpos[:, 1:] if self.exclude_x else qpos
        velocity = np.clip(qvel, -10, 10) if self.clip_velocity else qvel
        return np.concatenate([position, velocity], axis=1)

    def healthy(self, qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
        """``(n,)`` bool: each world's healthy check, as its env's ``is_healthy``."""
        if self.healthy_check is None:
            return np.ones(len(qpos), dtype=bool)
        z, angle = qpos[:, 1], qpos[:, 2]
        ok = (self.healthy_z[0] < z) & (z < self.healthy_z[1])
        ok &= (self.healthy_angle[0] < angle) & (angle < self.healthy_angle[1])
        if self.healthy_check == "hopper":
            state = np.concatenate([qpos, qvel], axis=1)[:, 2:]
            low, high = self.healthy_state
            ok &= np.all((low < state) & (state < high), axis=1)
        return ok

    def started(
        self, qpos: np.ndarray, qvel: np.ndarray, contacts: WorldContacts, restarted: np.ndarray
    ) -> None:
        """Nothing to remember: the reward reads each step alone."""

    def reward_terms(
        self,
        x_before: np.ndarray,
        qpos: np.ndarray,
        qvel: np.ndarray,
        action: np.ndarray,
        contacts: WorldContacts | None = None,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The env's reward ``(n,)`` and its ``info`` terms by the env's own names."""
        x_velocity = (qpos[:, 0] - x_before) / self.dt
        terms = {
            "x_velocity": x_velocity,
            "reward_forward": self.forward_weight * x_velocity,
            "reward_ctrl": -self.ctrl_cost_weight * np.sum(np.square(action), axis=1),
        }
        if self.healthy_check is not None:
            terms["reward_survive"] = self.healthy(qpos, qvel) * self.healthy_reward
        reward = terms["reward_forward"] + terms["reward_ctrl"] + terms.get("reward_survive", 0.0)
        return reward, terms

    def picked(self, source: str) -> np.ndarray:
        """No restart sources of its own (any visited state can still be one)."""
        raise KeyError(source)

    def reset_states(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` start states ``(qpos (n, nq), qvel (n, nv))``, drawn as the env's
        ``reset_model`` draws them (the cheetah's velocities normal, the others' uniform)."""
        nq, nv, scale = len(self.init_qpos), len(self.init_qvel), self.reset_noise
        qpos = self.init_qpos + rng.uniform(-scale, scale, size=(n, nq))
        if self.healthy_check is None:
            qvel = self.init_qvel + scale * rng.standard_normal((n, nv))
        else:
            qvel = self.init_qvel + rng.uniform(-scale, scale, size=(n, nv))
        return qpos, qvel


def locomotion(env_id: str, env: MujocoEnv) -> Locomotion:
    """The batched form of ``env`` (made as ``env_id``); :class:`SimError` for an env the
    batched simulator does not run."""
    if env_id not in HEALTHY_CHECKS:
        raise SimError(
            f"--sim warp runs {', '.join(batched_env_ids())}; not {env_id} (use --sim mujoco)"
        )
    check = HEALTHY_CHECKS[env_id]
    far = (-np.inf, np.inf)
    return Locomotion(
        healthy_check=check,
        dt=float(env.dt),
        forward_weight=float(env._forward_reward_weight),  # type: ignore[attr-defined]
        ctrl_cost_weight=float(env._ctrl_cost_weight),  # type: ignore[attr-defined]
        healthy_reward=float(getattr(env, "_healthy_reward", 0.0)),
        healthy_z=tuple(getattr(env, "_healthy_z_range", far)),
        healthy_angle=tuple(getattr(env, "_healthy_angle_range", far)),
        healthy_state=tuple(getattr(env, "_healthy_state_range", far)),
        reset_noise=float(env._reset_noise_scale),  # type: ignore[attr-defined]
        exclude_x=bool(env._exclude_current_positions_from_observation),  # type: ignore[attr-defined]
        clip_velocity=check is not None,
        init_qpos=np.array(env.init_qpos),
        init_qvel=np.array(env.init_qvel),
    )


def batched_env_ids() -> list[str]:
    """Every env id the batched simulator runs: the gymnasium ones and those whose task
    batches its env."""
    plugins = [env_id for env_id in task_env_ids() if task_for(env_id).batches]
    return [*HEALTHY_CHECKS, *plugins]
