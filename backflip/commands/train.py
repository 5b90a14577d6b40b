"""``backflip train``: checks the input, then trains (or resumes) a run and prints its
result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from backflip.commands.device import resolve_device
from backflip.config import VISITED, TrainConfig, config_differences
from backflip.envs.resolve import resolved_config
from backflip.envs.trial import check_env_runs
from backflip.errors import BackflipError, UsageError
from backflip.sim.build import check_sim
from backflip.storage.run_dir import RunDir
from backflip.tasks.base import describe
from backflip.tasks.registry import task_for
from backflip.training.build import segment_steps, training_horizon
from backflip.training.run import train

T = TypeVar("T")


def run_train(config: TrainConfig) -> int:
    device = resolve_device(config.device)
    config = resolved_config(config)
    check_env(config)
    check_run_dir(config)
    window = None
    if config.label_window:  # a second process: the window must not wait on training
        folder = str(config.resolved_run_dir())
        command = [sys.executable, "-m", "backflip.cli", "label", folder, "--wait-s", "120"]
        window = subprocess.Popen(command)
    try:
        summary = train(config, device)
    finally:
        if window is not None and window.poll() is None:
            print("training finished; close the labelling window when you are done")
    print(json.dumps(summary))
    print(
        f"run directory: {config.resolved_run_dir()}\n"
        f"final true return {summary['eval_true_return_mean']:.1f} "
        f"± {summary['eval_true_return_std']:.1f}  |  "
        f"random policy {summary['random_true_return_mean']:.1f}"
    )
    line = describe(task_for(config.env).metrics, summary)
    if line is not None:
        print(line)
    return 0


def check_env(config: TrainConfig) -> None:
    """The env builds (a MuJoCo env of this gymnasium) and runs, ``--sim`` can run it, a
    clip fits in an episode, and the restarts' source is one the env's task has."""
    check_env_runs(config)
    sources = (VISITED, *task_for(config.env).restart_sources)
    if config.restarts_from not in sources:
        raise UsageError(
            f"--restarts-from {config.restarts_from}: {config.env} restarts from "
            f"{' or '.join(sources)}"
        )
    check_sim(config)
    horizon = training_horizon(config)
    clip = segment_steps(config)
    if clip > horizon:
        raise UsageError(
            f"a clip ({clip} steps, --query.segment-len or --query.segment-seconds) is longer "
            f"than an episode ({horizon} steps)"
        )


def check_run_dir(config: TrainConfig) -> None:
    """A new run needs a new folder; ``--resume`` needs an intact run made the same way."""
    run_dir = RunDir(config.resolved_run_dir())
    if run_dir.root.exists() and not run_dir.root.is_dir():
        raise UsageError(f"--run-dir {run_dir.root} is a file, not a folder")
    if not config.resume:
        if not run_dir.is_empty():
            raise UsageError(
                f"run directory {run_dir.root} already exists: pass --resume to continue it, "
                "or choose another --run-dir"
            )
        check_creatable(run_dir.root)
        return
    if run_dir.is_empty():
        raise UsageError(f"--resume: no run to resume in {run_dir.root}")
    if os.statvfs(run_dir.root).f_flag & os.ST_RDONLY:
        raise UsageError(f"--resume: {run_dir.root} is on a read-only filesystem")
    saved = _resume_step(lambda: resolved_config(run_dir.read_config()))
    differences = config_differences(saved, config)
    if differences:
        raise UsageError(f"--resume: the run was made differently: {'; '.join(differences)}")
    checkpoint = _resume_step(run_dir.latest_checkpoint)
    if config.reward == "learned":
        if checkpoint is not None and not run_dir.labels.exists():
            raise UsageError(f"--resume: {run_dir.labels} is missing: the run's labels are gone")
        _resume_step(run_dir.label_store).close()


def check_creatable(folder: Path) -> None:
    """``folder`` can be made and written in: its nearest existing ancestor is a folder,
    writable, on a filesystem that is not read-only."""
    ancestor = folder
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(f"--run-dir {folder}: {ancestor} is a file, not a folder")
    if os.statvfs(ancestor).f_flag & os.ST_RDONLY:
        raise UsageError(f"--run-dir {folder}: {ancestor} is on a read-only filesystem")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UsageError(f"--run-dir {folder}: {ancestor} is not writable")


def _resume_step(step: Callable[[], T]) -> T:
    """``step()``, with ``--resume: `` before the message of the error it may raise."""
    try:
        return step()
    except BackflipError as err:
        raise UsageError(f"--resume: {err}") from None
