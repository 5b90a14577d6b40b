"""A run's configuration with nothing left to a default that another version could change:
the env's constructor arguments, defaults included, and the episode lengths."""

from __future__ import annotations

import dataclasses
import inspect
import json
from collections.abc import Mapping
from typing import Any

import gymnasium as gym

from backflip.config import TrainConfig, env_kwarg_items
from backflip.config.agent import MAX_BUFFER
from backflip.envs.make import EnvError, check_env_id, default_horizon

RESERVED = {
    "max_episode_steps": "--horizon sets it",
    "terminate_when_unhealthy": "a run's episodes never end early",
    "render_mode": "backflip renders saved physics states itself",
    "xml_file": "a run's model is its env's own (register an env id for another model)",
}
"""Constructor arguments ``--env-kwargs`` may not give, and why."""
NOT_SAVED = ("default_camera_config",)
"""Constructor arguments that change how frames look, not what a run computes."""


def resolved_config(config: TrainConfig) -> TrainConfig:
    """``config`` with every env constructor argument (see :func:`resolved_env_kwargs`),
    both episode lengths and SAC's replay capacity spelled out; the same for a config
    already resolved."""
    horizon = config.horizon or default_horizon(config.env)
    kwargs = resolved_env_kwargs(config.env, config.env_kwargs_dict())
    sac = config.agent.sac
    buffer = sac.buffer_size or min(config.steps, MAX_BUFFER)
    agent = dataclasses.replace(config.agent, sac=dataclasses.replace(sac, buffer_size=buffer))
    return dataclasses.replace(
        config,
        env_kwargs=env_kwarg_items(kwargs),
        horizon=horizon,
        eval_horizon=config.resolved_eval_horizon(horizon),
        agent=agent,
    )


def resolved_env_kwargs(env_id: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments the env is made with: the constructor's defaults, then its
    registration's, then ``given``; those that are JSON values, as JSON reads them back
    (a tuple as a list), so that a saved run compares equal. :class:`EnvError` for an
    argument of :data:`RESERVED`."""
    for key in given:
        if key in RESERVED:
            raise EnvError(f"--env-kwargs may not set {key}: {RESERVED[key]}")
    spec = check_env_id(env_id)
    defaults = {}
    entry = spec.entry_point
    creator: Any = (
        gym.envs.registration.load_env_creator(entry) if isinstance(entry, str) else entry
    )
    init = creator.__init__ if inspect.isclass(creator) else creator
    for name, parameter in inspect.signature(init).parameters.items():
        if parameter.default is not inspect.Parameter.empty:
            defaults[name] = parameter.default
    merged = {**defaults, **spec.kwargs, **given}
    out = {}
    for key, value in merged.items():
        if key in RESERVED or key in NOT_SAVED:
            continue
        try:
            out[key] = json.loads(json.dumps(value))
        except (TypeError, ValueError):
            continue  # not a setting a run can save (an object); the env keeps its own
    return out
