"""``backflip train``'s flags as a :class:`TrainConfig`: the defaults, then the env's task's
settings, then ``--preset``, then ``--config FILE``, then every other flag given."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from pathlib import Path

import tyro

from backflip.config.checks import ConfigError
from backflip.config.presets import configured
from backflip.config.train import TrainConfig


def flag_value(args: Sequence[str], flag: str) -> str | None:
    """The last value given to ``flag`` (``--flag V`` or ``--flag=V``), if any."""
    found = None
    for k, arg in enumerate(args):
        if arg == flag and k + 1 < len(args):
            found = args[k + 1]
        elif arg.startswith(flag + "="):
            found = arg.partition("=")[2]
    return found


def parse_train(args: Sequence[str], prog: str = "backflip train") -> TrainConfig:
    """Parses ``backflip train``'s flags. ``--help`` and a flag tyro can't parse print
    and exit as tyro does (``SystemExit``); values no run can use are a
    :class:`ConfigError`."""
    preset = flag_value(args, "--preset")
    config = flag_value(args, "--config")
    env = flag_value(args, "--env")
    base = configured(preset, None if config is None else Path(config), env)
    return tyro.cli(TrainConfig, args=list(args), default=base, prog=prog)


def parse_train_quietly(args: Sequence[str]) -> TrainConfig:
    """:func:`parse_train` without output: a flag it can't parse is a
    :class:`ConfigError` naming the flags."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            return parse_train(args)
        except SystemExit:
            pass
    raise ConfigError(f"not all `backflip train` flags: {' '.join(args)}")
