"""The grid report's plots: score against labels, and learning curves."""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from backflip.grid.results import Group  # noqa: E402
from backflip.grid.spec import Cell, GridDir, GridSpec  # noqa: E402
from backflip.storage.run_dir import parse_metrics
from backflip.video.curves import count_axis  # noqa: E402


def score_png(by_budget: list[Group], path: Path) -> None:
    """Mean score against label budget, one line per (env, algo), 95% CI as a band."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    keys = sorted({(g.env, g.algo) for g in by_budget})
    for env, algo in keys:
        mine = sorted((g for g in by_budget if (g.env, g.algo) == (env, algo)), key=_labels)
        estimates = [g.score_mean() for g in mine]
        x = [g.labels for g in mine]
        ax.plot(x, [e.value for e in estimates], marker="o", label=f"{env} ({algo})")
        ax.fill_between(x, [e.low for e in estimates], [e.high for e in estimates], alpha=0.2)
    ax.axhline(1.0, color="grey", linestyle="--", linewidth=1, label="true-reward baseline")
    ax.axhline(0.0, color="grey", linestyle=":", linewidth=1, label="random policy")
    ax.set(xlabel="labels", ylabel="random-normalized score (mean, 95% CI)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _labels(group: Group) -> int:
    return group.labels


def curves_png(grid: GridDir, spec: GridSpec, path: Path) -> None:
    """Writes :func:`curves_figure` as a PNG."""
    fig = curves_figure(grid, spec)
    fig.savefig(path)
    plt.close(fig)


def curves_figure(grid: GridDir, spec: GridSpec) -> Figure:
    """True return of training episodes against env steps, mean over seeds: one panel
    per (env, algo), one line per label budget and one for the baseline."""
    panels = list(itertools.product(spec.envs, spec.algos))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.8), dpi=100)
    for ax, (env, algo) in zip(np.atleast_1d(axes), panels, strict=True):
        steps = np.linspace(0, spec.steps, 50)
        for labels in (None, *spec.labels):
            runs = [_curve(grid.run_dir(Cell(env, algo, labels, s)), steps) for s in spec.seeds]
            found = [r for r in runs if r is not None]
            if not found:
                continue
            name = "true reward" if labels is None else f"{labels} labels"
            style = "--" if labels is None else "-"
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # steps no run has reached
                mean = np.nanmean(found, axis=0)
            ax.plot(steps, mean, style, label=f"{name} ({len(found)} seeds)")
        ax.set(title=f"{env} ({algo})", xlabel="env steps", ylabel="true return")
        count_axis(ax.xaxis)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _curve(run_dir: Path, steps: np.ndarray) -> np.ndarray | None:
    """A run's ``metrics.csv`` true return on the ``steps`` grid (NaN outside its rounds)."""
    metrics = run_dir / "metrics.csv"
    if not metrics.exists():
        return None
    try:  # a report is made of whatever is readable: a damaged file has no curve
        rows = [r for r in parse_metrics(metrics) if r.get("true_return")]
    except ValueError:
        return None
    if not rows:
        return None
    x = np.array([float(r["step"]) for r in rows])
    y = np.array([float(r["true_return"]) for r in rows])
    return np.where((steps >= x[0]) & (steps <= x[-1]), np.interp(steps, x, y), np.nan)
