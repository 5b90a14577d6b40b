"""Named configurations shipped in ``backflip/presets/*.toml``, and a user's own TOML
file of settings: both are partial configurations laid over the defaults."""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from importlib import resources
from pathlib import Path
from typing import Any

from backflip.config.checks import ConfigError
from backflip.config.saved import from_dict
from backflip.config.train import TrainConfig

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


def apply_settings(base: TrainConfig, text: str, source: str) -> TrainConfig:
    """``base`` with the settings of TOML ``text`` (named ``source`` in errors) laid
    over it: tables for the groups (``[query]``, ``[agent.ppo]``), keys as the fields."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{source} is not valid TOML ({err})") from None
    refused = sorted(set(data) & set(NOT_IN_FILES))
    if refused:
        raise ConfigError(f"{source} may not set {', '.join(refused)}: give it as a flag")
    try:
        return typing.cast(TrainConfig, from_dict(TrainConfig, data, "", partial=True, base=base))
    except ConfigError as err:
        raise ConfigError(f"{source}: {err}") from None


def configured(preset: str | None, config: Path | None) -> TrainConfig:
    """The defaults, then ``preset``'s settings, then those of the file ``config``."""
    base = TrainConfig()
    if preset is not None:
        base = apply_settings(base, preset_text(preset), f"preset {preset!r}")
    if config is not None:
        base = apply_settings(base, file_text(config), f"--config {config}")
    return dataclasses.replace(base, preset=preset, config=config)
