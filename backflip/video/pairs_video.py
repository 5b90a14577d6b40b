"""``pairs.mp4``: labelled clip pairs side by side, with the oracle's answer and the model's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from backflip.envs.render import ClipRenderer
from backflip.preference.reward_model import RewardModel
from backflip.training.saved_run import SavedRun
from backflip.video.frames import caption, side_by_side, write_video

ANSWERS = {1.0: "left is better", 0.0: "right is better", 0.5: "about equal"}


def pairs_video(
    run: SavedRun,
    renderer: ClipRenderer,
    model: RewardModel,
    path: Path,
    count: int = 6,
    repeats: int = 2,
) -> int:
    """Up to ``count`` answered comparisons spread over the run, each looped ``repeats``."""
    with run.run_dir.label_store(read_only=True) as store:
        comparisons = store.comparisons()
        if not comparisons:
            raise FileNotFoundError(f"{run.run_dir.labels} holds no answered comparison")
        picks = sorted({round(i) for i in np.linspace(0, len(comparisons) - 1, count)})
        chosen = [comparisons[i] for i in picks]
        clips = [(store.load_segment(c.left_id), store.load_segment(c.right_id)) for c in chosen]
    probs = model.ensemble.preference_probs([a for a, _ in clips], [b for _, b in clips]).mean(
        axis=0
    )

    def chunks() -> Iterator[np.ndarray]:
        for n, (comparison, (left, right), p) in enumerate(zip(chosen, clips, probs, strict=True)):
            assert comparison.label is not None
            frames = side_by_side(renderer.render(left.states), renderer.render(right.states))
            lines = [
                f"pair {n + 1}/{len(chosen)}  oracle: {ANSWERS[comparison.label]}",
                f"reward model: P(left better) = {p:.2f}",
            ]
            labelled = caption(frames, [lines] * len(frames))
            for _ in range(repeats):
                yield labelled

    return write_video(path, chunks())
