"""``backflip video``: policy, progress and labelled-pair videos, and the learning curves."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from backflip.checks import UsageError
from backflip.envs.render import ClipRenderer, Quality, RenderError
from backflip.finished_run import FinishedRun
from backflip.video.curves import curves_png
from backflip.video.pairs_video import load_ensemble, pairs_video
from backflip.video.policy_videos import policy_video, progress_video


def writable_folder(folder: Path) -> Path:
    """Creates ``folder`` if needed; :class:`UsageError` when it can't be written to."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"cannot create output folder {folder}: {err.strerror}") from None
    if not os.access(folder, os.W_OK):
        raise UsageError(f"output folder {folder} is not writable")
    return folder


def make_videos(
    root: Path,
    out: Path | None,
    quality: Quality,
    episodes: int,
    width: int,
    height: int,
) -> dict[str, Path]:
    """Writes ``policy.mp4``, ``progress.mp4``, ``pairs.mp4`` (learned-reward runs) and
    ``curves.png`` into ``out`` (default ``RUN_DIR/videos``); returns what it wrote."""
    run = FinishedRun.open(root, torch.device("cpu"))
    folder = writable_folder(out or run.run_dir.videos)
    try:
        renderer = ClipRenderer(run.config.env, width, height, quality)
        return _write_all(run, renderer, folder, episodes)
    except RenderError as err:
        raise UsageError(str(err)) from None
    except FileNotFoundError as err:  # a run without clips, labels or policies yet
        raise UsageError(f"{root}: {err}") from None


def _write_all(
    run: FinishedRun, renderer: ClipRenderer, folder: Path, episodes: int
) -> dict[str, Path]:
    written: dict[str, Path] = {}
    # The progress video loads older policies into the agent: the final one goes first.
    written["policy"] = folder / "policy.mp4"
    policy_video(run, renderer, written["policy"], episodes)
    written["progress"] = folder / "progress.mp4"
    progress_video(run, renderer, written["progress"])
    ensemble = None
    if run.config.reward == "learned":
        obs_dim = int(run.agent.observation_space.shape[0])  # type: ignore[index]
        act_dim = int(run.agent.action_space.shape[0])  # type: ignore[index]
        ensemble = load_ensemble(run, obs_dim, act_dim)
        written["pairs"] = folder / "pairs.mp4"
        pairs_video(run, renderer, ensemble, written["pairs"])
    written["curves"] = folder / "curves.png"
    curves_png(
        run.run_dir.metrics,
        written["curves"],
        ensemble=ensemble,
        heldout_npz=run.checkpoint / "heldout_clips.npz",
    )
    renderer.close()
    print(
        f"rendered {renderer.frames_rendered} frames in {renderer.render_seconds:.1f} s "
        f"({renderer.frames_rendered / max(renderer.render_seconds, 1e-9):.0f} frames/s)"
    )
    return written
