"""The layout of a run directory, and its checkpoints (crash-safe, no pickle)."""

from __future__ import annotations

import contextlib
import csv
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path


class RunDirError(ValueError):
    """A run directory that cannot be used as asked."""


class RunDir:
    """Paths of one run; checkpoints are folders made whole before ``LATEST`` names them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / "config.json"
        self.labels = root / "labels.sqlite"
        self.checkpoints = root / "checkpoints"
        self.policies = root / "policies"
        self.tensorboard = root / "tb"
        self.metrics = root / "metrics.csv"
        self.summary = root / "summary.json"
        self.videos = root / "videos"

    def create(self) -> None:
        for folder in (self.root, self.checkpoints, self.policies, self.tensorboard):
            folder.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Held while a trainer writes the run: a second trainer is refused, not mixed in."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RunDirError(f"{self.root} is in use by another backflip train") from None
            yield

    def latest_checkpoint(self) -> Path | None:
        """The newest complete checkpoint folder, or None before the first one."""
        pointer = self.checkpoints / "LATEST"
        if not pointer.exists():
            return None
        folder = self.checkpoints / pointer.read_text().strip()
        if not (folder / "COMPLETE").exists():
            raise RunDirError(f"checkpoint {folder} is incomplete or missing (corrupted run)")
        return folder

    def new_checkpoint(self, step: int) -> Path:
        folder = self.checkpoints / f"step_{step:09d}"
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        return folder

    def commit_checkpoint(self, folder: Path, keep: int = 2) -> None:
        """Marks ``folder`` complete, points ``LATEST`` at it and prunes older ones."""
        (folder / "COMPLETE").touch()
        tmp = self.checkpoints / "LATEST.tmp"
        tmp.write_text(folder.name)
        os.replace(tmp, self.checkpoints / "LATEST")
        folders = sorted(p for p in self.checkpoints.glob("step_*") if p.is_dir())
        complete = [p for p in folders if (p / "COMPLETE").exists()]
        for old in [p for p in folders if p not in complete] + complete[:-keep]:
            if old != folder:
                shutil.rmtree(old, ignore_errors=True)

    def append_metrics(self, row: dict[str, object]) -> None:
        new = not self.metrics.exists()
        with self.metrics.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(row))
            if new:
                writer.writeheader()
            writer.writerow(row)
            f.flush()
            os.fsync(f.fileno())
