"""``curves.png``: true return over steps and labels; learned vs oracle clip returns."""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from backflip.preference.reward_model import RewardModel  # noqa: E402
from backflip.storage.clip_files import load_clips  # noqa: E402


def read_metrics(path: Path) -> dict[str, np.ndarray]:
    """``metrics.csv`` as float columns (NaN where a round had no value)."""
    with path.open() as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise FileNotFoundError(f"{path} has no rows yet")
    return {
        key: np.array([float(r[key]) if r[key] not in ("", None) else np.nan for r in rows])
        for key in rows[0]
    }


def curves_png(
    metrics_csv: Path,
    path: Path,
    width: int = 1200,
    height: int = 400,
    model: RewardModel | None = None,
    heldout: Path | None = None,
) -> None:
    """Writes a ``width`` x ``height`` pixel PNG with three panels; the third needs the
    run's reward ``model`` and its ``heldout`` clips file."""
    metrics = read_metrics(metrics_csv)
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
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
