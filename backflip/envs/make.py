"""Build the envs a run acts in, by gymnasium id."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import gymnasium as gym
import mujoco
from gymnasium.envs.mujoco import MujocoEnv

from backflip.config import Alive, Costs, TrainConfig
from backflip.envs.alive import HEIGHT_SWAP, alive_swap
from backflip.envs.costs import hidden_terms
from backflip.envs.fixed_horizon import FixedHorizon
from backflip.envs.physics import PhysicsInfo, mujoco_env
from backflip.errors import BackflipError


class EnvError(BackflipError, ValueError):
    """An env id that cannot be used for a run."""


def check_env_id(env_id: str) -> gym.envs.registration.EnvSpec:
    """The env's spec; raises :class:`EnvError` for unknown or non-MuJoCo ids."""
    try:
        spec = gym.spec(env_id)
    except gym.error.Error as err:
        raise EnvError(f"unknown env id {env_id!r} ({err})") from None
    return spec


def default_horizon(env_id: str) -> int:
    """The env's registered episode length (1000 for the MuJoCo locomotion tasks)."""
    return int(check_env_id(env_id).max_episode_steps or 1000)


def env_dt(env_id: str, env_kwargs: Mapping[str, Any] | None = None) -> float:
    """Seconds of simulated time per env step (its ``frame_skip`` among ``env_kwargs``)."""
    env = make_env(env_id, horizon=1, costs="visible", env_kwargs=env_kwargs)
    try:
        return float(mujoco_env(env).dt)
    finally:
        env.close()


def make_run_env(config: TrainConfig, horizon: int | None) -> gym.Env:
    """The env a run acts in, is judged in and is evaluated in: its ``--env``, ``--costs``
    and ``--alive``, with a fixed ``horizon``."""
    return make_env(
        config.env,
        horizon=horizon,
        costs=config.costs,
        alive=config.alive,
        env_kwargs=config.env_kwargs_dict(),
    )


@contextlib.contextmanager
def _without_asset_deprecations() -> Iterator[None]:
    """Drops MuJoCo's deprecation warning about gymnasium's own HalfCheetah model
    (``settotalmass``), which a user cannot act on; it would also write
    ``MUJOCO_LOG.TXT`` into the working directory. Other warnings pass through."""
    previous = mujoco.get_mju_user_warning()

    def warn(message: str) -> None:
        if "settotalmass" not in message and previous is not None:
            previous(message)

    mujoco.set_mju_user_warning(warn)
    try:
        yield
    finally:
        mujoco.set_mju_user_warning(previous)


def make_env(
    env_id: str,
    horizon: int | None = None,
    fixed_horizon: bool = True,
    render_mode: str | None = None,
    costs: Costs = "hidden",
    alive: Alive = "healthy",
    env_kwargs: Mapping[str, Any] | None = None,
) -> gym.Env:
    """A MuJoCo env with the task reward and physics-state info, fixed horizon by default.

    Args:
        env_id: gymnasium id, e.g. ``"HalfCheetah-v5"``.
        horizon: episode length in steps; ``None`` keeps the registered one.
        fixed_horizon: remove early termination (see ``backflip/envs/fixed_horizon.py``).
        render_mode: passed to ``gym.make``.
        costs: ``hidden`` takes the env's control costs out of its reward (an env whose
            cost terms are not known is an :class:`EnvError`); ``visible`` keeps them.
        alive: ``height`` pays the torso's height in place of the healthy bonus (see
            ``backflip/envs/alive.py``; an :class:`EnvError` where it is not listed).
        env_kwargs: more arguments for the env's constructor (``--env-kwargs``); one it
            does not take is an :class:`EnvError`.
    """
    spec = check_env_id(env_id)
    horizon = horizon or default_horizon(env_id)
    kwargs: dict[str, Any] = {**(env_kwargs or {}), "max_episode_steps": horizon}
    if fixed_horizon:
        # Where the env has a health check, its bonus stays a reward term; only the
        # termination goes.
        kwargs["terminate_when_unhealthy"] = False
    with _without_asset_deprecations():
        try:
            try:
                env = gym.make(spec, render_mode=render_mode, **kwargs)
            except TypeError:
                kwargs.pop("terminate_when_unhealthy", None)
                env = gym.make(spec, render_mode=render_mode, **kwargs)
        except (gym.error.Error, ImportError) as err:  # old versions, missing extras
            raise EnvError(f"{env_id!r} cannot be made here ({err})") from None
        except (TypeError, ValueError, ArithmeticError) as err:  # --env-kwargs it can't take
            why = str(err).split(" was raised from the environment creator")[0]
            raise EnvError(f"{env_id!r} cannot be made with these --env-kwargs: {why}") from None
    if not isinstance(env.unwrapped, MujocoEnv):
        env.close()
        raise EnvError(f"{env_id!r} is not a MuJoCo env (backflip needs physics states)")
    hidden = hidden_terms(env_id, costs)
    if hidden is None:
        env.close()
        raise EnvError(
            f"the control costs of {env_id!r} are not known, so they cannot be hidden: "
            "use --costs visible"
        )
    try:
        swap = alive_swap(env_id, alive)
    except KeyError:
        env.close()
        raise EnvError(
            f"--alive height is known for {', '.join(sorted(HEIGHT_SWAP))}, not {env_id!r}"
        ) from None
    env = PhysicsInfo(env, hidden, swap)
    return FixedHorizon(env, horizon) if fixed_horizon else env
