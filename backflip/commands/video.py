"""``backflip video``: policy, progress and labelled-pair videos, and the learning curves."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from backflip.commands.args import VideoArgs
from backflip.envs.render import ClipRenderer
from backflip.errors import UsageError
from backflip.evaluation import episode_seed, episode_states
from backflip.tasks.registry import task_for
from backflip.training.checkpoints import load_reward_model
from backflip.training.saved_run import SavedRun
from backflip.video.curves import curves_png
from backflip.video.pairs_video import pairs_video
from backflip.video.policy_videos import policy_video, progress_video


def evaluation_episodes(run: SavedRun) -> Iterator[np.ndarray]:
    """The physics states of the run's evaluation episodes, one episode at a time."""
    for episode in range(run.config.eval_episodes):
        seed = episode_seed(run.config, episode)
        yield episode_states(run.config, run.eval_horizon, run.policy, seed)[0]


def run_video(args: VideoArgs) -> int:
    if args.episodes < 1 or args.width < 16 or args.height < 16:
        raise UsageError("--episodes must be >= 1 and --width/--height >= 16")
    for path in make_videos(args).values():
        print(path)
    return 0


def writable_folder(folder: Path) -> Path:
    """Creates ``folder`` if needed; :class:`UsageError` when it can't be written to."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"cannot create output folder {folder}: {err.strerror}") from None
    if not os.access(folder, os.W_OK):
        raise UsageError(f"output folder {folder} is not writable")
    return folder


def make_videos(args: VideoArgs) -> dict[str, Path]:
    """Writes ``policy.mp4``, ``progress.mp4``, ``pairs.mp4`` (learned-reward runs),
    ``curves.png`` and the task's own pictures (``backflip/tasks/base.py``) into ``--out``
    (default ``RUN_DIR/videos``); returns what it wrote."""
    device = torch.device("cpu")
    run = SavedRun.open(args.run_dir, device)
    folder = writable_folder(args.out or run.run_dir.videos)
    renderer = ClipRenderer(run.config.env, args.width, args.height, args.quality)
    written: dict[str, Path] = {}
    try:
        # The progress video loads older policies into the agent: the final one goes first.
        written["policy"] = folder / "policy.mp4"
        policy_video(run, renderer, written["policy"], args.episodes)
        written["progress"] = folder / "progress.mp4"
        progress_video(run, renderer, written["progress"])
        model = None
        if run.config.reward == "learned":
            model = load_reward_model(run.checkpoint, device)
            written["pairs"] = folder / "pairs.mp4"
            pairs_video(run, renderer, model, written["pairs"])
        for picture in task_for(run.config.env).pictures(
            evaluation_episodes(run), renderer.render, folder
        ):
            print(f"{picture.name}: {picture.note}")
            if picture.path is not None:
                written[picture.name] = picture.path
        written["curves"] = folder / "curves.png"
        # The checkpoint's copy of the table: whole even where the run's file was damaged.
        metrics = run.checkpoint.metrics
        curves_png(
            metrics if metrics.exists() else run.run_dir.metrics,
            written["curves"],
            model=model,
            heldout=run.checkpoint.heldout_clips,
        )
    except FileNotFoundError as err:  # a run without clips, labels or policies yet
        raise UsageError(f"{args.run_dir}: {err}") from None
    finally:
        renderer.close()
    frames, seconds = renderer.frames_rendered, renderer.render_seconds
    print(
        f"rendered {frames} frames in {seconds:.1f} s ({frames / max(seconds, 1e-9):.0f} frames/s)"
    )
    return written
