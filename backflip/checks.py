"""Checks of user input that end in one clear line instead of a traceback."""

from __future__ import annotations

import json
import math

import torch

from backflip.config import TrainConfig, config_differences, load_config
from backflip.envs.make import EnvError, check_env_id, default_horizon, make_env
from backflip.preference.label_store import LabelStore
from backflip.preference.oracle import TeacherConfig
from backflip.run_dir import RunDir, RunDirError


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when present; ``cuda`` without CUDA is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda was asked for, but CUDA is not available on this machine")
    if name not in ("cpu", "cuda"):
        raise UsageError(f"--device must be auto, cpu or cuda, got {name!r}")
    return torch.device(name)


def limit_cpu_threads(device: torch.device) -> None:
    """One torch thread on CPU: small networks run faster without thread hand-offs."""
    if device.type == "cpu":
        torch.set_num_threads(1)


def check_train_config(config: TrainConfig) -> None:
    """Raises :class:`UsageError` for values no run can use."""
    try:
        check_env_id(config.env)
        make_env(config.env, horizon=1).close()  # a MuJoCo env that builds
    except EnvError as err:
        raise UsageError(str(err)) from None
    if config.steps <= 0:
        raise UsageError(f"--steps must be positive, got {config.steps}")
    if config.seed < 0:
        raise UsageError(f"--seed must be non-negative, got {config.seed}")
    if config.rounds > config.steps:
        raise UsageError(f"--rounds {config.rounds} is more than --steps {config.steps}")
    if config.reward == "learned" and config.labels <= 0:
        raise UsageError(f"--labels must be positive, got {config.labels}")
    if config.segment_len <= 0:
        raise UsageError(f"--segment-len must be positive, got {config.segment_len}")
    horizon = config.horizon or default_horizon(config.env)
    if config.horizon is not None and config.horizon <= 0:
        raise UsageError(f"--horizon must be positive, got {config.horizon}")
    if config.eval_horizon is not None and config.eval_horizon <= 0:
        raise UsageError(f"--eval-horizon must be positive, got {config.eval_horizon}")
    if config.segment_len > horizon:
        raise UsageError(
            f"--segment-len {config.segment_len} is longer than an episode ({horizon} steps)"
        )
    if config.ensemble < 1:
        raise UsageError(f"--ensemble must be at least 1, got {config.ensemble}")
    if config.rounds < 1 or config.eval_episodes < 1:
        raise UsageError("--rounds and --eval-episodes must be at least 1")
    if not 0 <= config.initial_fraction <= 1:
        raise UsageError("--initial-fraction must be within [0, 1]")
    if math.isnan(config.teacher_beta):
        raise UsageError("--teacher-beta must be a number")
    try:
        TeacherConfig(
            beta=config.teacher_beta,
            gamma=config.teacher_gamma,
            mistake=config.teacher_mistake,
            skip=config.teacher_skip,
            equal=config.teacher_equal,
        )
    except ValueError as err:
        raise UsageError(str(err)) from None


def check_run_dir(config: TrainConfig) -> None:
    """A new run needs a new folder; ``--resume`` needs an intact run made the same way."""
    run_dir = RunDir(config.resolved_run_dir())
    if run_dir.root.exists() and not run_dir.root.is_dir():
        raise UsageError(f"--run-dir {run_dir.root} is a file, not a folder")
    exists = run_dir.root.exists() and any(run_dir.root.iterdir())
    if not config.resume:
        if exists:
            raise UsageError(
                f"run directory {run_dir.root} already exists: pass --resume to continue it, "
                "or choose another --run-dir"
            )
        return
    if not exists:
        raise UsageError(f"--resume: no run to resume in {run_dir.root}")
    try:
        saved = load_config(run_dir.config)
    except FileNotFoundError:
        raise UsageError(f"--resume: {run_dir.config} is missing (not a backflip run)") from None
    except (ValueError, TypeError, json.JSONDecodeError) as err:
        raise UsageError(f"--resume: {run_dir.config} is corrupted ({err})") from None
    differences = config_differences(saved, config)
    if differences:
        raise UsageError(f"--resume: the run was made differently: {'; '.join(differences)}")
    try:
        checkpoint = run_dir.latest_checkpoint()
        if config.reward == "learned":
            if checkpoint is not None and not run_dir.labels.exists():
                raise RunDirError(f"{run_dir.labels} is missing: the run's labels are gone")
            LabelStore(run_dir.root).close()
    except (RunDirError, ValueError) as err:
        raise UsageError(f"--resume: {err}") from None
