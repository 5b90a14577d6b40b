"""The arguments of ``backflip eval``, ``video`` and ``label`` (``train``'s are the run's
configuration, ``backflip/config.py``). Light imports only: ``backflip --help`` is fast."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Literal

import tyro


@dataclasses.dataclass(frozen=True)
class EvalArgs:
    """Evaluate a run's latest policy on the env's reward; prints one JSON line."""

    run_dir: Annotated[Path, tyro.conf.Positional]
    """the run directory written by backflip train."""
    episodes: int | None = None
    """evaluation episodes (and as many for the random policy); default: the run's
    --eval-episodes, which with the run's own episode seeds reproduces summary.json."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """auto, cpu or cuda."""


@dataclasses.dataclass(frozen=True)
class VideoArgs:
    """Write policy.mp4, progress.mp4, pairs.mp4 and curves.png of a run."""

    run_dir: Annotated[Path, tyro.conf.Positional]
    """the run directory written by backflip train."""
    out: Path | None = None
    """output folder; default RUN_DIR/videos."""
    quality: Literal["fast", "high"] = "fast"
    """fast: no shadows, reflections or anti-aliasing (software rendering); high: all."""
    episodes: int = 2
    """episodes of the final policy in policy.mp4."""
    width: int = 320
    """frame width in pixels."""
    height: int = 240
    """frame height in pixels."""


@dataclasses.dataclass(frozen=True)
class LabelArgs:
    """Open the clip comparison window for a run that trains with --oracle human."""

    run_dir: Annotated[Path, tyro.conf.Positional]
    """the run directory of backflip train --oracle human."""
    labeller: str | None = None
    """name stored with each answer; default: your OS user name."""
    width: int = 320
    """width of each clip in pixels."""
    height: int = 240
    """height of each clip in pixels."""
    synthetic_human: bool = False
    """answer with the run's synthetic teacher by posting key presses (tests, demos)."""
    max_labels: int | None = None
    """quit after this many answers."""
    screenshot: Path | None = None
    """save a PNG of the window once the first pair shows."""
    wait_s: float = 0.0
    """seconds to wait for a trainer that is just starting to create the run."""
