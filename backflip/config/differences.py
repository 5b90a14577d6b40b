"""What differs between a run's saved configuration and the one a command gives."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from backflip.config.train import TrainConfig

RESUMABLE_CHANGES = ("resume", "device", "run_dir", "label_window", "preset", "config")
"""Fields that may differ between a run and its resumption: where and how it runs, and
how its settings were given (the settings themselves must match)."""


def flat_fields(config: object, prefix: str = "") -> dict[str, object]:
    """``{"teacher.beta": inf, ...}``: every leaf field of a nested config by dotted name."""
    out: dict[str, object] = {}
    for field in dataclasses.fields(typing.cast(Any, config)):
        value = getattr(config, field.name)
        if dataclasses.is_dataclass(value):
            out.update(flat_fields(value, f"{prefix}{field.name}."))
        else:
            out[prefix + field.name] = value
    return out


def config_differences(saved: TrainConfig, given: TrainConfig) -> list[str]:
    """Fields (other than :data:`RESUMABLE_CHANGES`) whose values differ, as flags."""
    old, new = flat_fields(saved), flat_fields(given)
    return [
        f"--{name.replace('_', '-')} {_shown(new[name])} (run has {_shown(old[name])})"
        for name in old
        if name not in RESUMABLE_CHANGES and old[name] != new[name]
    ]


def _shown(value: object) -> str:
    if isinstance(value, tuple):
        return " ".join(map(str, value)) or "(none)"
    return str(value)
