"""What a grid's runs came to: one row per cell, and the scores of each label budget."""

from __future__ import annotations

import dataclasses
import math

from backflip.grid.spec import Cell, GridDir, GridSpec
from backflip.grid.stats import Estimate, estimate, iqm, mean, normalized_score
from backflip.storage.run_dir import RunDir


@dataclasses.dataclass(frozen=True)
class CellResult:
    """A cell and its ``summary.json`` (None while it is unfinished)."""

    cell: Cell
    summary: dict[str, object] | None
    error: str | None = None

    @property
    def status(self) -> str:
        return "done" if self.summary else "failed" if self.error else "missing"

    def value(self, key: str) -> float:
        """A figure of the summary, NaN when there is none."""
        raw = (self.summary or {}).get(key)
        return math.nan if raw is None else float(raw)  # type: ignore[arg-type]


@dataclasses.dataclass(frozen=True)
class Group:
    """The learned runs of one (env, algo, label budget), beside their baselines."""

    env: str
    algo: str
    labels: int
    learned: list[CellResult]
    baselines: dict[int, CellResult]
    """by seed"""

    def done(self) -> list[CellResult]:
        """The learned runs that have finished, baseline or not."""
        return [run for run in self.learned if run.summary]

    def paired(self) -> list[tuple[CellResult, CellResult]]:
        """(learned, baseline) of the seeds where both have finished."""
        return [
            (run, self.baselines[run.cell.seed])
            for run in self.learned
            if run.summary and self.baselines.get(run.cell.seed, CellResult(run.cell, None)).summary
        ]

    def figures(self, key: str) -> tuple[list[float], list[float]]:
        """``key`` of the learned runs and of their baselines, over the paired seeds."""
        pairs = self.paired()
        return [run.value(key) for run, _ in pairs], [base.value(key) for _, base in pairs]

    def scores(self) -> list[float]:
        """Per paired seed: (learned − random) / (baseline − random) of the final true
        return, the random policy evaluated on the same episodes as both; NaN where the
        baseline did not beat the random policy."""
        return [
            normalized_score(
                run.value("eval_true_return_mean"),
                base.value("eval_true_return_mean"),
                run.value("random_true_return_mean"),
            )
            for run, base in self.paired()
        ]

    def score_of_means(self) -> float:
        """(mean learned − mean random) / (mean baseline − mean random) over the paired
        seeds: less swayed than the mean score by one seed whose baseline failed."""
        learned, base = self.figures("eval_true_return_mean")
        random, _ = self.figures("random_true_return_mean")
        if not learned:
            return math.nan
        return normalized_score(sum(learned), sum(base), sum(random))

    def unscored_seeds(self) -> list[int]:
        """Paired seeds without a score: their baseline did not beat the random policy."""
        pairs = zip(self.paired(), self.scores(), strict=True)
        return [run.cell.seed for (run, _), score in pairs if math.isnan(score)]

    def score_mean(self) -> Estimate:
        """Mean score over the seeds that have one."""
        return estimate(_scored(self.scores()), mean)

    def score_iqm(self) -> Estimate:
        return estimate(_scored(self.scores()), iqm)


def _scored(scores: list[float]) -> list[float]:
    return [s for s in scores if not math.isnan(s)]


def collect(grid: GridDir, spec: GridSpec) -> list[CellResult]:
    failures = grid.read_failures()
    out = []
    for cell in spec.cells():
        summary = RunDir(grid.run_dir(cell)).read_summary()
        out.append(CellResult(cell, summary, None if summary else failures.get(cell.name)))
    return out


def groups(spec: GridSpec, results: list[CellResult]) -> list[Group]:
    by_cell = {r.cell: r for r in results}
    out = []
    for env in spec.envs:
        for algo in spec.algos:
            baselines = {s: by_cell.get(Cell(env, algo, None, s)) for s in spec.seeds}
            for labels in spec.labels:
                learned = [by_cell[Cell(env, algo, labels, s)] for s in spec.seeds]
                done = {s: run for s, run in baselines.items() if run is not None}
                out.append(Group(env, algo, labels, learned, done))
    return out
