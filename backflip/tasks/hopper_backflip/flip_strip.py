"""``flip_strip.png``: one clean backflip of the final policy as a row of frames, from
take-off through the turn to the landing and a moment after it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import imageio.v3 as iio
import numpy as np

from backflip.tasks.base import Picture, Render
from backflip.tasks.hopper_backflip.clean_flips import CleanFlip, clean_flip_phases, stay_steps
from backflip.tasks.hopper_backflip.flips import (
    chain_pitches,
    floor_contacts_in_states,
    physics_env,
)
from backflip.video.frames import caption

NAME = "flip_strip.png"
STAGES = ("take-off", "1/4 turn", "1/2 turn", "3/4 turn", "landing", "stayed up")
GAP = 4  # px of white between frames


def strip_steps(flip: CleanFlip, body: np.ndarray) -> list[int]:
    """Steps to show for ``flip`` (one per :data:`STAGES`): its take-off, the steps where
    the whole body (``body``: ``(T,)`` unwrapped pitch, rad) has made a quarter, half and
    three quarters of its turn, its landing and the end of its stay up (0.25 s later, or
    the take-off into the next flip)."""
    turned = body[flip.take_off] - body[flip.take_off : flip.land + 1]
    marks = [flip.take_off + int(np.argmax(turned >= f * turned[-1])) for f in (0.25, 0.5, 0.75)]
    return [flip.take_off, *marks, flip.land, flip.counted]


def first_flip_strip(render: Render, states: np.ndarray) -> np.ndarray | None:
    """``(H, 6 W + 5 GAP, 3)`` uint8: the first clean backflip in the ``(T, 1 + nq + nv)``
    physics states of one episode, a captioned frame per :data:`STAGES`; ``None`` where
    the episode has none."""
    pitches, body = chain_pitches(states)
    flips = clean_flip_phases(floor_contacts_in_states(states), pitches[:, 0], body, stay_steps())
    if not flips:
        return None
    steps = strip_steps(flips[0], body)
    times = [f"t={step * physics_env().dt:.2f} s" for step in steps]
    lines = [list(pair) for pair in zip(STAGES, times, strict=True)]
    frames = caption(render(states[steps]), lines)
    gap = np.full((frames.shape[1], GAP, 3), 255, dtype=np.uint8)
    return np.concatenate([part for frame in frames for part in (frame, gap)][:-1], axis=1)


def flip_strip(episodes: Iterator[np.ndarray], render: Render, folder: Path) -> Picture:
    """Writes :func:`first_flip_strip` of the first evaluation episode (of ``episodes``'
    physics states, in order) that has a clean backflip to ``folder/flip_strip.png``;
    writes nothing where none has one."""
    count = 0
    for episode, states in enumerate(episodes):
        count += 1
        strip = first_flip_strip(render, states)
        if strip is not None:
            path = folder / NAME
            iio.imwrite(path, strip)
            return Picture(NAME, f"the first clean backflip, evaluation episode {episode}", path)
    return Picture(NAME, f"no clean backflip in {count} evaluation episodes", None)
