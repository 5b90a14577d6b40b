"""A run's env tried before anything is written: made, reset and stepped a few times."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np

from backflip.config import TrainConfig
from backflip.envs.make import EnvError, make_run_env
from backflip.envs.physics import mujoco_env

TRIAL_STEPS = 20
"""random steps the trial takes."""


def check_env_runs(config: TrainConfig) -> None:
    """Makes the run's env, resets it and takes :data:`TRIAL_STEPS` random steps;
    :class:`EnvError` where it cannot be made, or where a constructor argument it takes
    leaves it unable to run (``frame_skip=0``, ``reset_noise_scale=1e999``, a range given as
    an object): a step of no positive length, an exception, or non-finite observations or
    rewards."""
    try:
        env = make_run_env(config, TRIAL_STEPS)
        try:
            _trial(config, env)
        finally:
            env.close()
    except EnvError:
        raise
    except Exception as err:  # whatever the env's own code raises on arguments it took
        raise EnvError(
            f"{config.env!r} does not run with these --env-kwargs ({type(err).__name__}: {err})"
        ) from None


def _trial(config: TrainConfig, env: gym.Env) -> None:
    dt = float(mujoco_env(env).dt)
    if not (dt > 0 and math.isfinite(dt)):
        raise EnvError(f"{config.env!r} with these --env-kwargs steps {dt} s at a time")
    env.action_space.seed(0)
    obs, _ = env.reset(seed=0)
    for _ in range(TRIAL_STEPS):
        if not np.all(np.isfinite(obs)):
            raise EnvError(f"{config.env!r} with these --env-kwargs gives non-finite observations")
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        if not math.isfinite(float(reward)):
            raise EnvError(f"{config.env!r} with these --env-kwargs gives non-finite rewards")
        if terminated or truncated:
            break
