"""Save a run into a checkpoint and restore it: the one list of what a checkpoint holds.

The file names are ``Checkpoint``'s (``backflip/storage/run_dir.py``). Everything is
torch state dicts loaded with ``weights_only=True``, ``.npz`` arrays and JSON: no pickle.
"""

from __future__ import annotations

import contextlib
import errno
import json
import pickle
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm

from backflip.agents.checkpoint import (
    agent_state,
    policy_state,
    replay_arrays,
    set_agent_state,
    set_policy_state,
    set_replay_arrays,
)
from backflip.config import TrainConfig
from backflip.errors import ResumableError
from backflip.preference.reward_model import RewardModel
from backflip.storage.atomic import atomic_savez, atomic_write, atomic_write_text
from backflip.storage.clip_files import load_clips, save_clips
from backflip.storage.run_dir import Checkpoint, RunDir, RunDirError, parse_metrics
from backflip.training.build import Run

UNREADABLE = (
    OSError,
    EOFError,
    zipfile.BadZipFile,
    pickle.UnpicklingError,
    RuntimeError,  # torch.load of a truncated archive
    ValueError,  # JSON and .npz that don't parse
    KeyError,  # a file without the entries it should have
)
"""What reading a damaged checkpoint file raises. Only reading is guarded: an error while
the read states are put in place is a bug and keeps its traceback."""


def torch_save(obj: object, path: Path) -> None:
    atomic_write(path, lambda f: torch.save(obj, f))


def torch_load(path: Path, device: torch.device | str) -> Any:
    return torch.load(path, map_location=device, weights_only=True)


def save_checkpoint(run: Run, step: int, wall_s: float, row: dict[str, object]) -> Checkpoint:
    """Writes the run's state at ``step`` as a new complete checkpoint, with the metrics
    table up to its ``row`` (and the policy's weights for the progress video); then the
    run's ``metrics.csv`` from that table. A failed write (a full disk) is a
    :class:`RunDirError` that leaves the previous checkpoint the latest."""
    run_dir = run.run_dir
    with writing(f"checkpoint step_{step:09d}"):
        table = run_dir.metrics_table(row)
        checkpoint = run_dir.new_checkpoint(step)
        try:
            torch_save(policy_state(run.agent), run_dir.policy(step))
            _write_checkpoint(run, checkpoint, step, wall_s, table)
        except BaseException:  # what it wrote goes, to free the space it took
            shutil.rmtree(checkpoint.folder, ignore_errors=True)
            with contextlib.suppress(OSError):
                run_dir.policy(step).unlink(missing_ok=True)
            raise
        run_dir.commit_checkpoint(checkpoint)
    with writing(str(run_dir.metrics)):
        run_dir.publish_metrics(checkpoint)
    return checkpoint


def _write_checkpoint(
    run: Run, checkpoint: Checkpoint, step: int, wall_s: float, table: str
) -> None:
    torch_save(agent_state(run.agent), checkpoint.agent)
    replay = replay_arrays(run.agent)
    if replay is not None:
        atomic_savez(checkpoint.replay, replay)
    prefs = run.preferences
    if prefs is not None:
        torch_save(prefs.model.state_dict(), checkpoint.reward_model)
        save_clips(checkpoint.heldout_clips, prefs.pool.heldout)
    counters = {
        "step": step,
        "wall_s": wall_s,
        "episodes": run.recorder.episodes_done,
        "heldout_seen": prefs.pool.heldout_seen if prefs is not None else 0,
        "fit_s": prefs.fit_s if prefs is not None else 0.0,
    }
    atomic_write_text(checkpoint.counters, json.dumps(counters))
    atomic_write_text(checkpoint.made_with, json.dumps(made_with(run.config, run.agent)))
    atomic_write_text(checkpoint.metrics, table)


def restore_checkpoint(run: Run, checkpoint: Checkpoint) -> None:
    """Puts the run back in the state :func:`save_checkpoint` wrote, and the run's
    ``metrics.csv`` back to the checkpoint's table (a lost last row, a cut or empty file
    repaired)."""
    device = run.agent.device
    prefs = run.preferences
    check_made_with(checkpoint, run.config, run.agent)
    try:
        agent = torch_load(checkpoint.agent, device)
        policy = agent["params"]["policy"]
        replay = None
        if isinstance(run.agent, OffPolicyAlgorithm):
            with np.load(checkpoint.replay, allow_pickle=False) as data:
                replay = {name: data[name] for name in data.files}
        model = heldout = None
        if prefs is not None:
            model = torch_load(checkpoint.reward_model, device)
            heldout = load_clips(checkpoint.heldout_clips)
        counters = json.loads(checkpoint.counters.read_text())
        step, wall_s = int(counters["step"]), float(counters["wall_s"])
        episodes, heldout_seen = int(counters["episodes"]), int(counters["heldout_seen"])
        fit_s = float(counters["fit_s"])
        if checkpoint.metrics.exists():
            parse_metrics(checkpoint.metrics)
    except UNREADABLE as err:
        raise RunDirError(f"checkpoint {checkpoint.folder} cannot be loaded ({err})") from None
    if not checkpoint.metrics.exists():
        _check_older_metrics(run.run_dir, checkpoint)
    check_networks(run.agent, policy, checkpoint.agent)
    set_agent_state(run.agent, agent)
    if replay is not None:
        set_replay_arrays(run.agent, replay)
    if prefs is not None and model is not None and heldout is not None:
        prefs.model.load_state_dict(model)
        prefs.pool.restore(heldout, heldout_seen)
        prefs.fit_s = fit_s
    run.wall_offset, run.last_round_step = wall_s, step
    run.recorder.episodes_done = episodes
    if checkpoint.metrics.exists():
        with writing(str(run.run_dir.metrics)):
            run.run_dir.publish_metrics(checkpoint)


def _check_older_metrics(run_dir: RunDir, checkpoint: Checkpoint) -> None:
    """A checkpoint of an older version holds no metrics table: the run's own
    ``metrics.csv`` goes on, so it must be whole."""
    try:
        if run_dir.metrics.exists():
            parse_metrics(run_dir.metrics)
    except ValueError as err:
        raise RunDirError(
            f"{run_dir.metrics} is damaged ({err}) and checkpoint {checkpoint.folder.name}, "
            "made by an older backflip, holds no copy of it: move it aside to resume "
            "without its rows"
        ) from None


def made_with(config: TrainConfig, agent: BaseAlgorithm) -> dict[str, object]:
    """What a checkpoint's networks fit: env id, algo, reward, observation and action
    shapes (JSON values)."""
    return {
        "env": config.env,
        "algo": config.algo,
        "reward": config.reward,
        "observation_shape": list(agent.observation_space.shape or ()),
        "action_shape": list(agent.action_space.shape or ()),
    }


def check_made_with(checkpoint: Checkpoint, config: TrainConfig, agent: BaseAlgorithm) -> None:
    """:class:`RunDirError` where ``config`` (``config.json``) and the agent built from it
    are not what ``checkpoint`` was made with (``config.json`` edited by hand); a
    checkpoint of an older version, without the record, passes."""
    if not checkpoint.made_with.exists():
        return
    try:
        made = json.loads(checkpoint.made_with.read_text())
        if not isinstance(made, dict):
            raise ValueError("not a JSON object")
    except UNREADABLE as err:
        raise RunDirError(f"{checkpoint.made_with} cannot be loaded ({err})") from None
    now = made_with(config, agent)
    for key, value in now.items():
        if key in made and made[key] != value:
            what = key.replace("_", " ")
            raise RunDirError(
                f"config.json says {what} {value} but checkpoint {checkpoint.folder.name} "
                f"was made with {made[key]}: put config.json back as the run made it"
            )


def check_networks(agent: BaseAlgorithm, policy: dict[str, torch.Tensor], path: Path) -> None:
    """:class:`RunDirError` where the saved ``policy`` (a state dict) does not fit the
    networks of ``agent`` as ``config.json`` builds them (checkpoints of any version)."""
    built = {name: tuple(t.shape) for name, t in agent.policy.state_dict().items()}
    saved = {name: tuple(t.shape) for name, t in policy.items()}
    if built != saved:
        name = next((n for n in built if built[n] != saved.get(n)), None)
        name = name or next(n for n in saved if n not in built)
        raise RunDirError(
            f"the networks in {path} do not fit the run config.json describes ({name}: "
            f"{saved.get(name)} saved, {built.get(name)} built): was config.json edited?"
        )


def load_agent(agent: BaseAlgorithm, checkpoint: Checkpoint, config: TrainConfig) -> None:
    """Loads a checkpoint's agent into a freshly built ``agent`` (eval, video), which
    ``config`` built."""
    check_made_with(checkpoint, config, agent)
    try:
        state = torch_load(checkpoint.agent, agent.device)
        policy = state["params"]["policy"]
    except UNREADABLE as err:
        raise RunDirError(f"{checkpoint.agent} cannot be loaded ({err})") from None
    check_networks(agent, policy, checkpoint.agent)
    set_agent_state(agent, state)


def load_policy(agent: BaseAlgorithm, path: Path) -> None:
    """Loads the policy saved after one round (the progress video)."""
    try:
        state = torch_load(path, agent.device)
        policy = state["policy"]
    except UNREADABLE as err:
        raise RunDirError(f"{path} cannot be loaded ({err})") from None
    check_networks(agent, policy, path)
    set_policy_state(agent, state)


def load_reward_model(checkpoint: Checkpoint, device: torch.device) -> RewardModel:
    """The checkpoint's reward model, rebuilt from its own constructor arguments."""
    try:
        state = torch_load(checkpoint.reward_model, device)
    except UNREADABLE as err:
        raise RunDirError(f"{checkpoint.reward_model} cannot be loaded ({err})") from None
    return RewardModel.from_state(state, device)


@contextlib.contextmanager
def writing(what: str) -> Iterator[None]:
    """Turns a failed write of ``what`` (a full or read-only disk, a quota: an ``OSError``,
    or torch's zip writer's ``RuntimeError``) into a one-line :class:`RunDirError`."""
    try:
        yield
    except (OSError, RuntimeError) as err:
        cause = _os_error(err)
        if cause is None and not _torch_write_failure(err):
            raise  # a RuntimeError of another kind is a bug
        if cause is not None and cause.errno in (errno.ENOSPC, errno.EDQUOT):
            problem, fix = "no space left on device", "free space"
            if cause.errno == errno.EDQUOT:
                problem = "disk quota exceeded"
        elif cause is not None:
            problem, fix = cause.strerror or str(cause), "fix that"
        else:
            problem, fix = f"torch could not write a file ({err})", "check the disk"
        raise CheckpointWriteError(
            f"{problem} while writing {what}: {fix} and run the same command with --resume"
        ) from None


class CheckpointWriteError(RunDirError, ResumableError):
    """A checkpoint that could not be written; the previous one is still ``LATEST``."""


def _os_error(err: BaseException) -> OSError | None:
    """``err`` or the ``OSError`` it was raised while handling (torch's writer wraps one)."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, OSError):
            return seen
        seen = seen.__context__ or seen.__cause__
    return None


def _torch_write_failure(err: BaseException) -> bool:
    """torch's zip writer failing (its message names its source file)."""
    return isinstance(err, RuntimeError) and any(
        word in str(err) for word in ("inline_container", "PytorchStreamWriter")
    )
