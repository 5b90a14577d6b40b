"""What a grid is: its axes and the flags shared by every run, saved in ``grid.json``;
and its cells, each an ordinary run directory."""

from __future__ import annotations

import dataclasses
import json
import shlex
from pathlib import Path
from typing import Any

from backflip.errors import BackflipError
from backflip.storage.atomic import atomic_write_text

GRID_FORMAT = 1
OWN_FLAGS = (
    "--env",
    "--algo",
    "--labels",
    "--seed",
    "--steps",
    "--run-dir",
    "--reward",
    "--resume",
)
"""``backflip train`` flags that the grid sets itself, per cell."""


class GridError(BackflipError):
    """A grid that cannot be run or reported as asked."""


def parse_seeds(text: str) -> tuple[int, ...]:
    """``"0-4"`` -> (0, 1, 2, 3, 4); ``"0,2,7"`` -> (0, 2, 7); ``"3"`` -> (3,)."""
    try:
        if "-" in text.strip("-"):
            first, last = (int(part) for part in text.split("-", 1))
            seeds = tuple(range(first, last + 1))
        else:
            seeds = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise GridError(f"--seeds {text!r}: give a range 0-4, a list 0,2,7 or one seed") from None
    if not seeds:
        raise GridError(f"--seeds {text!r} is an empty range")
    if min(seeds) < 0:
        raise GridError(f"--seeds {text!r}: seeds must be non-negative")
    if len(set(seeds)) != len(seeds):
        raise GridError(f"--seeds {text!r} names a seed twice")
    return seeds


@dataclasses.dataclass(frozen=True)
class Cell:
    """One run of the grid: a learned-reward run with ``labels`` labels, or the
    true-reward baseline (``labels`` None) of its env, algo and seed."""

    env: str
    algo: str
    labels: int | None
    seed: int

    @property
    def name(self) -> str:
        """``<env>-<algo>-<labels or true>-s<seed>``, the run directory's name."""
        budget = "true" if self.labels is None else str(self.labels)
        return f"{self.env.replace('/', '_')}-{self.algo}-{budget}-s{self.seed}"

    def train_args(self, steps: int, run_dir: Path) -> list[str]:
        """The grid's own ``backflip train`` flags for this cell."""
        reward = ["--reward", "true"] if self.labels is None else ["--labels", str(self.labels)]
        return [
            *("--env", self.env, "--algo", self.algo, "--steps", str(steps)),
            *("--seed", str(self.seed), *reward, "--run-dir", str(run_dir)),
        ]


@dataclasses.dataclass(frozen=True)
class GridSpec:
    """The axes of a grid and the ``backflip train`` flags every run gets."""

    envs: tuple[str, ...]
    algos: tuple[str, ...]
    labels: tuple[int, ...]
    seeds: tuple[int, ...]
    steps: int
    train_flags: tuple[str, ...] = ()
    baselines: bool = True
    """a true-reward baseline per (env, algo, seed), for the scores."""

    def __post_init__(self) -> None:
        if not self.envs:
            raise GridError("--env: name at least one env")
        if not self.baselines and not self.labels:
            raise GridError("--no-baselines needs --labels: a grid of nothing")
        bad = [n for n in self.labels if n <= 0]
        if bad:
            raise GridError(f"--labels must be positive, got {bad[0]}")
        if self.steps <= 0:
            raise GridError(f"--steps must be positive, got {self.steps}")
        own = [f for f in self.train_flags if f.split("=")[0] in OWN_FLAGS]
        if own:
            raise GridError(f"{own[0]} after -- is set by backflip grid itself; use its own flag")

    def cells(self) -> list[Cell]:
        """Per (env, algo, seed): the baseline (unless ``baselines`` is off), then one
        learned run per label budget."""
        return [
            Cell(env, algo, labels, seed)
            for env in self.envs
            for algo in self.algos
            for seed in self.seeds
            for labels in ((None,) if self.baselines else ()) + self.labels
        ]

    def to_json(self) -> dict[str, Any]:
        return {"format": GRID_FORMAT, **dataclasses.asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GridSpec:
        if data.get("format") != GRID_FORMAT:
            raise GridError(f"grid.json is of format {data.get('format')}, not {GRID_FORMAT}")
        try:
            return cls(
                envs=tuple(data["envs"]),
                algos=tuple(data["algos"]),
                labels=tuple(data["labels"]),
                seeds=tuple(data["seeds"]),
                steps=int(data["steps"]),
                train_flags=tuple(data["train_flags"]),
                baselines=bool(data.get("baselines", True)),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise GridError(f"grid.json is malformed ({err})") from None

    def differences(self, saved: GridSpec) -> list[str]:
        """The flags whose values differ from the ``saved`` grid's, as the user would type
        them."""
        flags = {"envs": "--env", "algos": "--algo", "labels": "--labels", "seeds": "--seeds"}
        flags["baselines"] = "--baselines"
        out = []
        for field in dataclasses.fields(self):
            mine, theirs = getattr(self, field.name), getattr(saved, field.name)
            if mine != theirs:
                flag = flags.get(field.name, f"--{field.name.replace('_', '-')}")
                if field.name == "train_flags":
                    out.append(
                        f"flags after -- {shlex.join(mine)!r} (grid has {shlex.join(theirs)!r})"
                    )
                else:
                    out.append(f"{flag} {_show(mine)} (grid has {_show(theirs)})")
        return out


def _show(value: object) -> str:
    return " ".join(map(str, value)) if isinstance(value, tuple) else str(value)


class GridDir:
    """The paths of a grid's folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.spec = self.root / "grid.json"
        self.runs = self.root / "runs"
        self.report = self.root / "report.md"
        self.results = self.root / "results.csv"
        self.failures = self.root / "failures.json"
        self.local_ray = self.root / ".local-ray.json"
        self.lock = self.root / ".lock"

    def run_dir(self, cell: Cell) -> Path:
        return self.runs / cell.name

    def read_spec(self) -> tuple[GridSpec, dict[str, str]]:
        """The saved grid, and the ``command`` and git ``commit`` that last ran it."""
        try:
            data = json.loads(self.spec.read_text())
        except FileNotFoundError:
            raise GridError(f"{self.root} holds no grid (no grid.json)") from None
        except ValueError as err:
            raise GridError(f"{self.spec} is corrupted ({err})") from None
        made = {key: str(data.get(key, "unknown")) for key in ("command", "commit")}
        return GridSpec.from_json(data), made

    def write_spec(self, spec: GridSpec, made: dict[str, str]) -> None:
        """Saves the grid with the ``command`` and ``commit`` that run it now."""
        self.root.mkdir(parents=True, exist_ok=True)
        text = json.dumps({**spec.to_json(), **made}, indent=2) + "\n"
        atomic_write_text(self.spec, text)

    def read_failures(self) -> dict[str, str]:
        """``{cell name: error}`` of the cells that failed in the last run."""
        if not self.failures.exists():
            return {}
        return dict(json.loads(self.failures.read_text()))

    def write_failures(self, failures: dict[str, str]) -> None:
        atomic_write_text(self.failures, json.dumps(failures, indent=2) + "\n")
