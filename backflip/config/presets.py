"""Named configurations shipped in ``backflip/presets/*.toml``, and a user's own TOML
file of settings: both are partial configurations laid over the defaults and the env's
task's settings (``Task.settings``, ``backflip/tasks/base.py``)."""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from backflip.config.checks import ConfigError
from backflip.config.saved import from_dict
from backflip.config.train import TrainConfig, env_kwarg_items
from backflip.tasks.registry import task_for

NOT_IN_FILES = ("preset", "config", "run_dir", "resume", "label_window")
"""Fields a preset or settings file may not hold: how settings are given, and where and
whether this particular run is written."""


def preset_names() -> list[str]:
    """The presets shipped with this version, by name."""
    folder = resources.files("backflip") / "presets"
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def preset_text(name: str) -> str:
    """The TOML text of preset ``name``; :class:`ConfigError` if there is none."""
    if name not in preset_names():
        raise ConfigError(f"no preset {name!r} (the presets: {', '.join(preset_names())})")
    return (resources.files("backflip") / "presets" / f"{name}.toml").read_text()


def file_text(path: Path) -> str:
    """The text of a settings file; :class:`ConfigError` if it cannot be read."""
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or err
        raise ConfigError(f"--config {path}: cannot read it ({reason})") from None


def settings(text: str, source: str) -> dict[str, Any]:
    """The settings of TOML ``text`` (named ``source`` in errors): tables for the groups
    (``[query]``, ``[agent.ppo]``), keys as the fields; ``env_kwargs`` may be a table."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{source} is not valid TOML ({err})") from None
    refused = sorted(set(data) & set(NOT_IN_FILES))
    if refused:
        raise ConfigError(f"{source} may not set {', '.join(refused)}: give it as a flag")
    unknown = unknown_names(TrainConfig, data, "")
    if unknown:
        raise ConfigError(f"{source}: unknown settings {unknown}")
    if isinstance(data.get("env_kwargs"), dict):
        data["env_kwargs"] = list(env_kwarg_items(data["env_kwargs"]))
    return data


def unknown_names(cls: type, data: dict[str, Any], where: str) -> list[str]:
    """Dotted names in ``data`` that are not fields of dataclass ``cls`` (or its groups)."""
    hints = typing.get_type_hints(cls)
    out = []
    for name, value in data.items():
        if name not in hints:
            out.append(where + name)
        elif dataclasses.is_dataclass(hints[name]) and isinstance(value, dict):
            out += unknown_names(hints[name], value, f"{where}{name}.")
    return sorted(out)


def merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` laid over ``base``, table by table."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def configured(preset: str | None, config: Path | None, env: str | None = None) -> TrainConfig:
    """The defaults, then the task's settings, then ``preset``'s, then those of the file
    ``config``, checked once, as a whole: a file may fix what its preset alone would not
    allow. The task is ``env``'s (the ``--env`` flag), else the file's or the preset's env,
    else the default env's."""
    data: dict[str, Any] = {}
    sources = []
    if preset is not None:
        data = settings(preset_text(preset), f"preset {preset!r}")
        sources.append(f"preset {preset!r}")
    if config is not None:
        data = merged(data, settings(file_text(config), f"--config {config}"))
        sources.append(f"--config {config}")
    env = env or data.get("env") or TrainConfig.env
    given_by_task = task_settings(env)
    if given_by_task:
        data = merged(given_by_task, data)
        sources.insert(0, f"the task of {env}")
    try:
        made = from_dict(TrainConfig, data, "", partial=True)
    except ConfigError as err:
        raise ConfigError(f"{' with '.join(sources)}: {err}") from None
    return dataclasses.replace(typing.cast(TrainConfig, made), preset=preset, config=config)


def task_settings(env: str) -> dict[str, Any]:
    """The settings ``env``'s task gives its runs (``Task.settings``), as a preset's; a
    task's unknown setting is a :class:`ConfigError`."""
    data = plain(task_for(env).settings)
    unknown = unknown_names(TrainConfig, data, "")
    if unknown:
        raise ConfigError(f"the task of {env} has unknown settings {unknown}")
    return data


def plain(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """``mapping`` as nested dicts (a task's settings may be read-only mappings)."""
    return {k: plain(v) if isinstance(v, Mapping) else v for k, v in mapping.items()}
