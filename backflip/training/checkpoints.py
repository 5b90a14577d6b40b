"""Save a run into a checkpoint and restore it: the one list of what a checkpoint holds.

The file names are ``Checkpoint``'s (``backflip/storage/run_dir.py``). Everything is
torch state dicts loaded with ``weights_only=True``, ``.npz`` arrays and JSON: no pickle.
"""

from __future__ import annotations

import json
import pickle
import zipfile
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
from backflip.preference.reward_model import RewardModel
from backflip.storage.atomic import atomic_savez, atomic_write, atomic_write_text
from backflip.storage.clip_files import load_clips, save_clips
from backflip.storage.run_dir import Checkpoint, RunDirError
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


def save_checkpoint(run: Run, step: int, wall_s: float) -> None:
    """Writes the run's state at ``step`` as a new complete checkpoint (and the policy's
    weights for the progress video)."""
    torch_save(policy_state(run.agent), run.run_dir.policy(step))
    checkpoint = run.run_dir.new_checkpoint(step)
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
    run.run_dir.commit_checkpoint(checkpoint)


def restore_checkpoint(run: Run, checkpoint: Checkpoint) -> None:
    """Puts the run back in the state :func:`save_checkpoint` wrote."""
    device = run.agent.device
    prefs = run.preferences
    try:
        agent = torch_load(checkpoint.agent, device)
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
    except UNREADABLE as err:
        raise RunDirError(f"checkpoint {checkpoint.folder} cannot be loaded ({err})") from None
    set_agent_state(run.agent, agent)
    if replay is not None:
        set_replay_arrays(run.agent, replay)
    if prefs is not None and model is not None and heldout is not None:
        prefs.model.load_state_dict(model)
        prefs.pool.restore(heldout, heldout_seen)
        prefs.fit_s = fit_s
    run.wall_offset, run.last_round_step = wall_s, step
    run.recorder.episodes_done = episodes


def load_agent(agent: BaseAlgorithm, checkpoint: Checkpoint) -> None:
    """Loads a checkpoint's agent into a freshly built ``agent`` (eval, video)."""
    try:
        state = torch_load(checkpoint.agent, agent.device)
    except UNREADABLE as err:
        raise RunDirError(f"{checkpoint.agent} cannot be loaded ({err})") from None
    set_agent_state(agent, state)


def load_policy(agent: BaseAlgorithm, path: Path) -> None:
    """Loads the policy saved after one round (the progress video)."""
    try:
        state = torch_load(path, agent.device)
    except UNREADABLE as err:
        raise RunDirError(f"{path} cannot be loaded ({err})") from None
    set_policy_state(agent, state)


def load_reward_model(checkpoint: Checkpoint, device: torch.device) -> RewardModel:
    """The checkpoint's reward model, rebuilt from its own constructor arguments."""
    try:
        state = torch_load(checkpoint.reward_model, device)
    except UNREADABLE as err:
        raise RunDirError(f"{checkpoint.reward_model} cannot be loaded ({err})") from None
    return RewardModel.from_state(state, device)
