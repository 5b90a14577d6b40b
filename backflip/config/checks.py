"""The error every configuration check raises, and the check itself."""

from __future__ import annotations

import math

from backflip.errors import BackflipError


class ConfigError(BackflipError):
    """A configuration value no run can use, or a ``config.json`` this version can't read."""


def require(ok: bool, message: str) -> None:
    """Raises :class:`ConfigError` with ``message`` unless ``ok``."""
    if not ok:
        raise ConfigError(message)


def finite(value: float) -> bool:
    """A number that is neither NaN nor infinite."""
    return math.isfinite(value)
