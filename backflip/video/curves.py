"""``curves.png``: true return over steps and labels; learned vs oracle clip returns."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import ticker  # noqa: E402
from matplotlib.axis import Axis  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from backflip.storage import run_dir  # noqa: E402
from backflip.storage.clip_files import load_clips  # noqa: E402

if TYPE_CHECKING:  # the grid's plots import count_axis without loading torch
    from backflip.preference.reward_model import RewardModel


def read_metrics(path: Path) -> dict[str, np.ndarray]:
    """``metrics.csv`` as float columns (NaN where a round had no value); a damaged file is
    a one-line ``RunDirError`` that says how to repair it."""
    rows = run_dir.read_metrics(path)
    if not rows:
        raise FileNotFoundError(f"{path} has no rows yet")
    return {key: np.array([float(r[key]) if r[key] else np.nan for r in rows]) for key in rows[0]}


def count_axis(axis: Axis, ticks: int = 6) -> None:
    """At most ``ticks`` round ticks on an axis of counts (env steps, labels), labelled
    short (``500``, ``20k``, ``1.5M``), so that long runs' labels don't run together."""
    steps = [1, 2, 2.5, 5, 10]
    axis.set_major_locator(ticker.MaxNLocator(nbins=ticks - 1, steps=steps, integer=True))
    axis.set_major_formatter(ticker.EngFormatter(sep=""))


def curves_png(
    metrics_csv: Path,
    path: Path,
    width: int = 1200,
    height: int = 400,
    model: RewardModel | None = None,
    heldout: Path | None = None,
) -> None:
    """Writes :func:`curves_figure` as a ``width`` x ``height`` pixel PNG."""
    fig = curves_figure(read_metrics(metrics_csv), width, height, model, heldout)
    fig.savefig(path, dpi=fig.dpi)
    plt.close(fig)


def curves_figure(
    metrics: dict[str, np.ndarray],
    width: int = 1200,
    height: int = 400,
    model: RewardModel | None = None,
    heldout: Path | None = None,
) -> Figure:
    """Three panels of a run's ``metrics``: true return over steps and over labels, and
    learned vs oracle returns of held-out clips (needs the run's reward ``model`` and its
    ``heldout`` clips file)."""
    dpi = 100
    fig, axes = plt.subplots(1, 3, figsize=(width / dpi, height / dpi), dpi=dpi)
    axes[0].plot(metrics["step"], metrics["true_return"], marker=".")
    axes[0].set(xlabel="environment steps", ylabel="true return (training episodes)")
    axes[1].plot(metrics["labels"], metrics["true_return"], marker=".")
    axes[1].set(xlabel="labels", ylabel="true return (training episodes)")
    scatter = axes[2]
    if model is not None and heldout is not None and heldout.exists():
        clips = load_clips(heldout)
        predicted = model.ensemble.clip_returns(clips).mean(axis=0) if clips else np.zeros(0)
        oracle = np.array([c.oracle_return for c in clips])
        scatter.scatter(oracle, predicted, s=8, alpha=0.6)
        corr = model.correlation(clips)
        scatter.set_title(f"held-out clips: r = {float('nan') if corr is None else corr:.3f}")
        scatter.set(xlabel="oracle's clip return", ylabel="learned clip return")
    else:
        scatter.text(0.5, 0.5, "no learned reward\n(--reward true)", ha="center", va="center")
        scatter.set_axis_off()
    for ax in axes[:2]:
        count_axis(ax.xaxis)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
