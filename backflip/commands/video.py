"""``backflip video``: policy, progress and labelled-pair videos, and the learning curves."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from backflip.commands.args import VideoArgs
from backflip.envs.registration import BACKFLIP_ENVS
from backflip.envs.render import ClipRenderer
from backflip.errors import UsageError
from backflip.training.checkpoints import load_reward_model
from backflip.training.saved_run import SavedRun
from backflip.video.curves import curves_png
from backflip.video.flip_strip import flip_strip
from backflip.video.pairs_video import pairs_video
from backflip.video.policy_videos import policy_video, progress_video


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
    ``curves.png`` and, on the backflip envs where the evaluation episodes hold a clean
    backflip, ``flip_strip.png`` into ``--out`` (default ``RUN_DIR/videos``); returns what
    it wrote."""
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
        if run.config.env in BACKFLIP_ENVS:
            strip = folder / "flip_strip.png"
            episode = flip_strip(run, renderer, strip, run.config.eval_episodes)
            if episode is None:
                print(f"no clean backflip in {run.config.eval_episodes} evaluation episodes")
            else:
                written["flip strip"] = strip
                print(f"flip_strip.png: the first clean backflip, evaluation episode {episode}")
        written["curves"] = folder / "curves.png"
        curves_png(
            run.run_dir.metrics,
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
