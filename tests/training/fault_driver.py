"""``backflip`` with a fault injected at one of its write points, for the fault tests.

    python fault_driver.py ACTION TARGET K WHEN -- BACKFLIP ARGS...

``TARGET`` names a function as ``module:attribute`` (``module:Class.method``); on its
``K``-th call, ``before`` or ``after`` the real call, ``ACTION`` happens:

- ``kill``: ``os._exit(137)``, no cleanup, as after ``kill -9``;
- ``fill=PATH``: zeros are written to ``PATH`` until its disk is full, and the run goes on;
- ``trace=PATH``: every call of every target (``TARGET`` a comma-separated list, ``K`` and
  ``WHEN`` unused) appends the target's name as a line to ``PATH``.

Nothing in the package knows about this: the driver patches the named function, then runs
``backflip.cli.main``.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def fill_disk(path: Path) -> None:
    """Writes zeros to ``path`` until its file system has no block left."""
    with path.open("wb", buffering=0) as f:
        for chunk in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    f.write(bytes(chunk))
            except OSError as err:
                if err.errno not in (errno.ENOSPC, errno.EDQUOT):
                    raise


def patch(target: str, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    """Replaces the function ``module:attr.path`` by ``wrap(function)``."""
    module, _, attrs = target.partition(":")
    owner: Any = importlib.import_module(module)
    *path, name = attrs.split(".")
    for attr in path:
        owner = getattr(owner, attr)
    setattr(owner, name, wrap(getattr(owner, name)))


def fault(action: str, k: int, when: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A wrapper that does ``action`` on the ``k``-th call, ``when`` before or after it."""

    def wrap(real: Callable[..., Any]) -> Callable[..., Any]:
        calls = 0

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            if calls == k and when == "before":
                act(action)
            result = real(*args, **kwargs)
            if calls == k and when == "after":
                act(action)
            return result

        return wrapper

    return wrap


def act(action: str) -> None:
    if action == "kill":
        os._exit(137)
    fill_disk(Path(action.removeprefix("fill=")))


def trace(path: Path, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with path.open("a") as f:
                f.write(name + "\n")
            return real(*args, **kwargs)

        return wrapper

    return wrap


def main(argv: list[str]) -> int:
    cut = argv.index("--")
    (action, targets, k, when), command = argv[:cut], argv[cut + 1 :]
    if action.startswith("trace="):
        for target in targets.split(","):
            patch(target, trace(Path(action.removeprefix("trace=")), target))
    else:
        patch(targets, fault(action, int(k), when))
    from backflip.cli import main as backflip

    return backflip(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
