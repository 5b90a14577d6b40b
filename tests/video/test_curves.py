"""``curves.png``: count axes that stay readable, for short runs and long ones."""

from __future__ import annotations

from itertools import pairwise

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes

from backflip.video.curves import curves_figure


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


@pytest.mark.parametrize(("steps", "unit"), [(20_000, "k"), (150_000, "k"), (4_000_000, "M")])
def test_steps_and_labels_axes_have_a_few_short_distinct_labels(steps: int, unit: str) -> None:
    rounds = np.arange(1, 41)
    metrics = {
        "step": rounds * steps / len(rounds),
        "labels": rounds * 25.0,
        "true_return": np.sin(rounds),
    }
    fig = curves_figure(metrics)
    steps_ax, labels_ax = fig.axes[:2]
    assert readable_ticks(steps_ax)[-1].endswith(unit)  # e.g. 20k, 4M
    assert readable_ticks(labels_ax)[-1] == "1k"
    plt.close(fig)
