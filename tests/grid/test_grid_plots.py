"""The grid's ``curves.png``: env-step axes that stay readable, short grids to long."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes

from backflip.grid.plots import curves_figure, curves_png
from backflip.grid.spec import GridDir, GridSpec


def readable_ticks(ax: Axes) -> list[str]:
    """The x tick labels drawn inside ``ax``'s limits, checked to be few, short, distinct,
    apart, and whole (no ``1e6`` offset printed beside the axis)."""
    ax.figure.canvas.draw()
    low, high = ax.get_xlim()
    shown = [t for t in ax.get_xticklabels() if low <= t.get_position()[0] <= high]
    texts = [t.get_text() for t in shown]
    assert 3 <= len(texts) <= 6, texts
    assert len(set(texts)) == len(texts) and all(len(t) <= 5 for t in texts), texts
    boxes = sorted((t.get_window_extent() for t in shown), key=lambda box: box.x0)
    assert all(a.x1 < b.x0 for a, b in pairwise(boxes)), texts  # none overlap
    assert ax.xaxis.get_offset_text().get_text() == ""
    return texts


def _grid(root: Path, steps: int) -> tuple[GridDir, GridSpec]:
    """A grid whose runs hold only a ``metrics.csv`` of 40 rounds up to ``steps``."""
    grid = GridDir(root)
    spec = GridSpec(("Hopper-v5", "HalfCheetah-v5"), ("sac",), (100,), (0, 1), steps)
    for cell in spec.cells():
        folder = grid.run_dir(cell)
        folder.mkdir(parents=True)
        rows = [f"{steps * i // 40},{np.sin(i + cell.seed):.3f}" for i in range(1, 41)]
        (folder / "metrics.csv").write_text("\n".join(["step,true_return", *rows]) + "\n")
    return grid, spec


@pytest.mark.parametrize(("steps", "unit"), [(20_000, "k"), (4_000_000, "M")])
def test_every_panels_step_axis_has_a_few_short_distinct_labels(
    tmp_path: Path, steps: int, unit: str
) -> None:
    grid, spec = _grid(tmp_path, steps)
    fig = curves_figure(grid, spec)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert readable_ticks(ax)[-1].endswith(unit)  # e.g. 20k, 4M
        assert len(ax.get_lines()) == 2  # the baseline and the 100-label runs
    plt.close(fig)
    curves_png(grid, spec, tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 0
