"""A configuration as ``config.json`` holds it: every field, nested, with a ``format``."""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any

from backflip.config.checks import ConfigError
from backflip.config.migrations import FORMAT, upgraded
from backflip.config.train import TrainConfig


def config_to_json(config: TrainConfig) -> dict[str, Any]:
    """Every field of ``config`` as JSON types (tuples become lists when dumped)."""
    data = {"format": FORMAT, **dataclasses.asdict(config)}
    data["run_dir"] = str(config.resolved_run_dir())
    data["config"] = None if config.config is None else str(config.config)
    return data


RUN_KEYS = ("format", "run_id")
"""The top-level keys of ``config.json`` that are not settings: its format, and the run's
id (``RunDir.write_config``; runs made before ids have none)."""


def config_from_json(data: object) -> TrainConfig:
    """The config saved by :func:`config_to_json` (or an older format that
    :func:`upgraded` reads); :class:`ConfigError` for any other shape. A ``run_id``
    beside the settings is not one of them: it is left out."""
    if not isinstance(data, dict):
        raise ConfigError("the saved configuration is not a JSON object")
    data = upgraded(data)
    found = data.get("format", 1)
    if found != FORMAT:
        raise ConfigError(
            f"the run directory is from another backflip version (format {found}; this "
            f"version reads format {FORMAT}): start a new run with this version"
        )
    values = {k: v for k, v in data.items() if k not in RUN_KEYS}
    return typing.cast(TrainConfig, from_dict(TrainConfig, values, "", partial=False))


def from_dict(cls: type, data: object, where: str, partial: bool, base: Any = None) -> Any:
    """Builds dataclass ``cls`` from nested JSON-like ``data``. With ``partial=False``
    every field must be there; with ``partial=True`` missing ones keep ``base``'s values
    (or the defaults). A field of another name or of the wrong type is a
    :class:`ConfigError` either way."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where.rstrip('.') or 'config'} is not a table of settings")
    base = cls() if base is None else base
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    missing, unknown = set(names) - set(data), set(data) - set(names)
    if unknown:
        raise ConfigError(f"unknown settings {sorted(where + u for u in unknown)}")
    if missing and not partial:
        raise ConfigError(
            "the saved configuration does not match this version's (missing "
            f"{sorted(where + m for m in missing)})"
        )
    values = {}
    for name in names:
        if name not in data:
            continue
        value, kind = data[name], hints[name]
        if dataclasses.is_dataclass(kind):
            nested = typing.cast(type, kind)
            value = from_dict(nested, value, f"{where}{name}.", partial, getattr(base, name))
        else:
            value = typed(value, kind, where + name)
        values[name] = value
    return dataclasses.replace(base, **values)


def typed(value: object, kind: Any, name: str) -> Any:
    """``value`` as a field of type ``kind`` holds it (lists become tuples, text a
    ``Path``); :class:`ConfigError` naming ``name`` if it is not of that type."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        kind = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is typing.Literal:
        if value in args:
            return value
        raise ConfigError(f"{name} must be one of {', '.join(map(str, args))}, got {value!r}")
    if origin is tuple:
        if isinstance(value, list | tuple):
            return tuple(typed(v, args[0], name) for v in value)
    elif kind is Path:
        if isinstance(value, str):
            return Path(value)
    elif kind is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif isinstance(value, kind):
        return value
    raise ConfigError(f"{name} must be {getattr(kind, '__name__', kind)}, got {value!r}")
