"""The run directory: every path of a run, its checkpoints (crash-safe, no pickle), its lock.

Nothing else in the package spells a file name of a run; adding a file to a checkpoint
means naming it in :class:`Checkpoint` and saving/loading it in
``backflip/training/checkpoints.py``.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from backflip.config import ConfigError, TrainConfig, config_from_json, config_to_json
from backflip.errors import BackflipError
from backflip.storage.atomic import atomic_write_text
from backflip.storage.label_store import LabelStore
from backflip.storage.lock import exclusive


class RunDirError(BackflipError, ValueError):
    """A run directory that cannot be used as asked."""


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """One checkpoint folder (``checkpoints/step_NNNNNNNNN/``) and the files in it."""

    folder: Path

    @property
    def step(self) -> int:
        """Env steps the run had taken when the checkpoint was made."""
        return int(self.folder.name.split("_")[1])

    @property
    def agent(self) -> Path:
        """Networks, optimizers and counters of the agent (torch state dicts)."""
        return self.folder / "agent.pt"

    @property
    def replay(self) -> Path:
        """SAC's replay buffer (``.npz``); absent for PPO."""
        return self.folder / "replay.npz"

    @property
    def reward_model(self) -> Path:
        """The reward ensemble with its constructor arguments, and its trainer's state."""
        return self.folder / "reward_model.pt"

    @property
    def heldout_clips(self) -> Path:
        """The clips held out from queries (``.npz``)."""
        return self.folder / "heldout_clips.npz"

    @property
    def counters(self) -> Path:
        """Step, wall time, episodes and held-out draws so far (JSON)."""
        return self.folder / "counters.json"


class RunDir:
    """Paths of one run; checkpoints are folders made whole before ``LATEST`` names them."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.config = self.root / "config.json"
        self.labels = self.root / "labels.sqlite"
        self.clips = self.root / "clips"
        self.checkpoints = self.root / "checkpoints"
        self.policies = self.root / "policies"
        self.tensorboard = self.root / "tb"
        self.metrics = self.root / "metrics.csv"
        self.summary = self.root / "summary.json"
        self.videos = self.root / "videos"

    def create(self) -> None:
        for folder in (self.root, self.checkpoints, self.policies, self.tensorboard):
            folder.mkdir(parents=True, exist_ok=True)

    def is_empty(self) -> bool:
        """No folder, or an empty one."""
        return not self.root.exists() or not any(self.root.iterdir())

    # -- configuration ----------------------------------------------------------------
    def write_config(self, config: TrainConfig) -> None:
        text = json.dumps(config_to_json(config), indent=2, allow_nan=True) + "\n"
        atomic_write_text(self.config, text)

    def read_config(self) -> TrainConfig:
        """The run's configuration; :class:`RunDirError` if it is missing or unreadable."""
        if not self.root.is_dir():
            raise RunDirError(f"{self.root} is not a directory")
        try:
            data = json.loads(self.config.read_text())
        except FileNotFoundError:
            raise RunDirError(f"{self.root} is not a backflip run (no config.json)") from None
        except (ValueError, UnicodeDecodeError) as err:
            raise RunDirError(f"{self.config} is corrupted ({err})") from None
        try:
            return config_from_json(data)
        except ConfigError as err:
            raise RunDirError(f"{self.config}: {err}") from None

    # -- labels -----------------------------------------------------------------------
    def label_store(self) -> LabelStore:
        """Opens (or creates) the run's label store."""
        return LabelStore(self.labels, self.clips)

    # -- the trainer's lock -----------------------------------------------------------
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Held while a trainer writes the run: a second trainer is refused, not mixed in."""
        with exclusive(self.root / ".lock") as held:
            if not held:
                raise RunDirError(f"{self.root} is in use by another backflip train")
            yield

    # -- checkpoints ------------------------------------------------------------------
    def latest_checkpoint(self) -> Checkpoint | None:
        """The newest complete checkpoint, or None before the first one."""
        pointer = self.checkpoints / "LATEST"
        if not pointer.exists():
            return None
        folder = self.checkpoints / pointer.read_text().strip()
        if not (folder / "COMPLETE").exists():
            raise RunDirError(f"checkpoint {folder} is incomplete or missing (corrupted run)")
        return Checkpoint(folder)

    def new_checkpoint(self, step: int) -> Checkpoint:
        folder = self.checkpoints / f"step_{step:09d}"
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        return Checkpoint(folder)

    def commit_checkpoint(self, checkpoint: Checkpoint, keep: int = 2) -> None:
        """Marks ``checkpoint`` complete, points ``LATEST`` at it and prunes older ones."""
        folder = checkpoint.folder
        (folder / "COMPLETE").touch()
        atomic_write_text(self.checkpoints / "LATEST", folder.name)
        folders = sorted(p for p in self.checkpoints.glob("step_*") if p.is_dir())
        complete = [p for p in folders if (p / "COMPLETE").exists()]
        for old in [p for p in folders if p not in complete] + complete[:-keep]:
            if old != folder:
                shutil.rmtree(old, ignore_errors=True)

    # -- per-round policies -----------------------------------------------------------
    def policy(self, step: int) -> Path:
        """The policy's weights after the round that ended at ``step``."""
        return self.policies / f"step_{step:09d}.pt"

    def saved_policies(self) -> list[tuple[int, Path]]:
        """``(step, path)`` of every saved policy, earliest first."""
        paths = sorted(self.policies.glob("step_*.pt"))
        return [(int(p.stem.split("_")[1]), p) for p in paths]

    # -- metrics and summary ----------------------------------------------------------
    def append_metrics(self, row: dict[str, object]) -> None:
        new = not self.metrics.exists()
        with self.metrics.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(row))
            if new:
                writer.writeheader()
            writer.writerow(row)
            f.flush()
            os.fsync(f.fileno())

    def write_summary(self, summary: dict[str, object]) -> None:
        atomic_write_text(self.summary, json.dumps(summary, indent=2) + "\n")

    def read_summary(self) -> dict[str, object] | None:
        """The finished run's summary; None while the run has none yet."""
        if not self.summary.exists():
            return None
        try:
            data = json.loads(self.summary.read_text())
        except (OSError, ValueError) as err:
            raise RunDirError(f"{self.summary} cannot be read ({err})") from None
        if not isinstance(data, dict):
            raise RunDirError(f"{self.summary} is not a backflip summary")
        return data
