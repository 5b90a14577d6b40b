"""Which task an env id has, and the plug-ins that bring tasks and their envs.

A plug-in is a module whose import registers its envs with gymnasium and its task here
(:func:`register_task`), naming the task class by ``"module:attribute"`` so that nothing
heavy is imported until a task is asked for. The built-in plug-ins are listed in
:data:`BUILT_IN`; other packages add theirs through the ``backflip.tasks`` entry-point
group. Generic code imports this module and :mod:`backflip.tasks.base`, never a plug-in.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from importlib import metadata

from backflip.tasks.base import Task

BUILT_IN = (
    "backflip.tasks.hopper_backflip",
    "backflip.tasks.dmc",
    "backflip.tasks.meta_world",
    "backflip.tasks.inverted_pendulum",
)
"""Plug-in modules shipped with backflip."""
ENTRY_POINTS = "backflip.tasks"
"""The entry-point group of other packages' plug-ins (a module to import)."""

_TASKS: dict[str, str] = {}


def register_task(env_ids: tuple[str, ...], task: str) -> None:
    """Names ``task`` (``"module:attribute"``, a :class:`Task` subclass) as the task of
    each of ``env_ids``; ``ValueError`` for an env id that has another task."""
    for env_id in env_ids:
        if _TASKS.get(env_id, task) != task:
            raise ValueError(f"{env_id} already has the task {_TASKS[env_id]}, not {task}")
        _TASKS[env_id] = task


def load_plugins() -> None:
    """Imports the built-in plug-ins and those of installed packages; one that fails to
    load is a warning, not an error: its envs are then unknown."""
    for module in BUILT_IN:
        importlib.import_module(module)
    for entry in plugin_entry_points():
        try:
            entry.load()
        except Exception as err:  # another package's bug must not stop every command
            warnings.warn(
                f"backflip: the task plug-in {entry.name} ({entry.value}) did not load: "
                f"{type(err).__name__}: {err}",
                stacklevel=2,
            )


def plugin_entry_points() -> list[metadata.EntryPoint]:
    """The installed packages' entry points of :data:`ENTRY_POINTS`."""
    return list(metadata.entry_points(group=ENTRY_POINTS))


def task_env_ids() -> tuple[str, ...]:
    """The env ids that have a registered task."""
    return tuple(_TASKS)


def task_for(env_id: str) -> Task:
    """The task of ``env_id``: its plug-in's, or the generic :class:`Task`."""
    return _task(_TASKS.get(env_id))


@functools.cache
def _task(path: str | None) -> Task:
    if path is None:
        return Task()
    module, _, name = path.partition(":")
    made = getattr(importlib.import_module(module), name)()
    if not isinstance(made, Task):
        raise TypeError(f"{path} is not a backflip Task")
    return made
