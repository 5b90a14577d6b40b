"""Task plug-ins: registered by name, loaded lazily, another package's broken plug-in is a
warning, an env id has one task."""

from __future__ import annotations

from importlib import metadata

import pytest

from backflip.tasks import registry
from backflip.tasks.base import QUESTION, Task
from backflip.tasks.registry import load_plugins, register_task, task_for


class Fetching(Task):
    question = "Which clip fetches better?"


def test_an_env_without_a_plugin_has_the_generic_task() -> None:
    task = task_for("Hopper-v5")
    assert type(task) is Task and task.question == QUESTION and task.metrics == ()


def test_a_registered_task_is_made_when_first_asked_for() -> None:
    register_task(("test/Fetch-v0",), f"{__name__}:Fetching")
    assert task_for("test/Fetch-v0").question == "Which clip fetches better?"
    with pytest.raises(ValueError, match="already has the task"):
        register_task(("test/Fetch-v0",), "elsewhere:Other")
    register_task(("test/Fetch-v0",), f"{__name__}:Fetching")  # the same again is fine


def test_a_broken_plugin_of_another_package_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = metadata.EntryPoint("broken", "no_such_module_here", registry.ENTRY_POINTS)
    monkeypatch.setattr(registry, "plugin_entry_points", lambda: [broken])
    with pytest.warns(UserWarning, match="the task plug-in broken .* did not load"):
        load_plugins()
    assert type(task_for("backflip/HopperBackflip-v1")).__name__ == "HopperBackflipTask"
