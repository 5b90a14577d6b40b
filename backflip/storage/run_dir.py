"""The run directory: every path of a run, its checkpoints (crash-safe, no pickle), its lock.

Nothing else in the package spells a file name of a run; adding a file to a checkpoint
means naming it in :class:`Checkpoint` and saving/loading it in
``backflip/training/checkpoints.py``.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from backflip.config import ConfigError, TrainConfig, config_from_json, config_to_json
from backflip.errors import BackflipError
from backflip.storage.atomic import atomic_write, atomic_write_text
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

    @property
    def made_with(self) -> Path:
        """What the checkpoint's networks were made for: env id, algo, reward, observation
        and action shapes (JSON; absent in checkpoints of older versions)."""
        return self.folder / "made_with.json"

    @property
    def metrics(self) -> Path:
        """The run's ``metrics.csv`` up to and including this checkpoint's row (absent in
        checkpoints of older versions)."""
        return self.folder / "metrics.csv"


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
        """Saves ``config`` as ``config.json`` with the run's id (``run_id``, beside
        ``format``): a new random one for a new run, the one it has when rewritten."""
        try:
            run_id = self.run_id() or uuid.uuid4().hex
        except RunDirError:  # an unreadable config.json being replaced
            run_id = uuid.uuid4().hex
        saved = config_to_json(config)
        data = {"format": saved.pop("format"), "run_id": run_id, **saved}
        atomic_write_text(self.config, json.dumps(data, indent=2, allow_nan=True) + "\n")

    def read_config(self) -> TrainConfig:
        """The run's configuration; :class:`RunDirError` if it is missing or unreadable."""
        if not self.root.is_dir():
            raise RunDirError(f"{self.root} is not a directory")
        try:
            return config_from_json(self._saved_config())
        except ConfigError as err:
            raise RunDirError(f"{self.config}: {err}") from None

    def run_id(self) -> str | None:
        """The id :meth:`write_config` gave the run; None before ``config.json`` exists and
        for runs made before runs had ids. :class:`RunDirError` if it is unreadable."""
        if not self.config.is_file():
            return None
        data = self._saved_config()
        found = data.get("run_id") if isinstance(data, dict) else None
        return found if isinstance(found, str) else None

    def _saved_config(self) -> object:
        """``config.json`` as JSON; :class:`RunDirError` if it is missing or unreadable."""
        try:
            return json.loads(self.config.read_text())
        except FileNotFoundError:
            raise RunDirError(f"{self.root} is not a backflip run (no config.json)") from None
        except (ValueError, UnicodeDecodeError) as err:
            raise RunDirError(f"{self.config} is corrupted ({err})") from None

    # -- labels -----------------------------------------------------------------------
    def label_store(self, read_only: bool = False) -> LabelStore:
        """Opens (or creates) the run's label store, refusing one that belongs to another
        run (``LabelStoreError``; see :class:`LabelStore`'s ``run_id``). ``read_only``:
        open an existing one to read only (a finished run on a read-only filesystem)."""
        return LabelStore(self.labels, self.clips, run_id=self.run_id(), read_only=read_only)

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
    def metrics_table(self, row: dict[str, object]) -> str:
        """``metrics.csv``'s text with ``row`` last: the rows of the latest checkpoint's
        table (of the run's file, beside a checkpoint older than such tables), then
        ``row``, under ``row``'s columns."""
        latest = self.latest_checkpoint()
        rows: list[dict[str, str]] = []
        if latest is not None and latest.metrics.exists():
            rows = read_metrics(latest.metrics)
        elif latest is not None and self.metrics.exists():
            rows = [r for r in read_metrics(self.metrics) if float(r["step"]) <= latest.step]
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=list(row), restval="", extrasaction="ignore")
        writer.writeheader()
        writer.writerows([*rows, row])
        return text.getvalue()

    def publish_metrics(self, checkpoint: Checkpoint) -> None:
        """Replaces the run's ``metrics.csv`` (whole, atomically) by ``checkpoint``'s table:
        after each checkpoint, and on ``--resume`` (a lost row, a cut or empty file
        repaired)."""
        table = checkpoint.metrics.read_bytes()
        atomic_write(self.metrics, lambda f: f.write(table))

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


def parse_metrics(path: Path) -> list[dict[str, str]]:
    """The rows of a ``metrics.csv`` (a run's or a checkpoint's), each a cell per column
    (``""`` where a round had no value); ``ValueError`` saying what is wrong with a damaged
    file (empty, its last line cut, rows merged, a cell not a number, steps out of order).
    ``FileNotFoundError`` for a missing one."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"not text: {err}") from None
    if not text:
        raise ValueError("it is empty")
    if not text.endswith("\n"):
        raise ValueError("its last line is cut off")
    header, *lines = list(csv.reader(io.StringIO(text)))
    if "step" not in header:
        raise ValueError("its first line is not the header")
    rows, last = [], -1
    for number, cells in enumerate(lines, start=2):
        if len(cells) != len(header):
            raise ValueError(f"line {number} has {len(cells)} cells, not {len(header)}")
        for cell in cells:
            try:
                float(cell or 0)
            except ValueError:
                raise ValueError(f"line {number}: {cell!r} is not a number") from None
        row = dict(zip(header, cells, strict=True))
        step = float(row["step"] or -1)
        if step <= last or not step.is_integer():
            raise ValueError(f"line {number}: step {row['step']!r} does not follow {last}")
        rows.append(row)
        last = int(step)
    return rows


def read_metrics(path: Path) -> list[dict[str, str]]:
    """:func:`parse_metrics` for readers of a run: a damaged file is a
    :class:`RunDirError` that names it and says how to repair it."""
    try:
        return parse_metrics(path)
    except ValueError as err:
        raise RunDirError(
            f"{path} is damaged ({err}): run the run's `backflip train ... --resume` "
            "command to repair it from its latest checkpoint"
        ) from None
