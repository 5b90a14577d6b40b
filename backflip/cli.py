"""The ``backflip`` command: ``train`` and ``eval`` subcommands."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Literal

import tyro

from backflip.checks import UsageError
from backflip.config import TrainConfig
from backflip.envs.make import EnvError
from backflip.run_dir import RunDirError


@dataclasses.dataclass(frozen=True)
class EvalArgs:
    """Evaluate a run's final policy on the env's true reward; prints one JSON line."""

    run_dir: Annotated[Path, tyro.conf.Positional]
    """the run directory written by backflip train."""
    episodes: int = 10
    """evaluation episodes (and as many for the random policy)."""
    seed: int = 10_000
    """seed of the first evaluation episode."""
    device: str = "auto"
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


def main(argv: list[str] | None = None) -> int:
    args = tyro.extras.subcommand_cli_from_dict(
        {"train": TrainConfig, "eval": EvalArgs, "video": VideoArgs, "label": LabelArgs},
        prog="backflip",
        args=argv,
    )
    try:
        if isinstance(args, TrainConfig):
            return _train(args)
        if isinstance(args, VideoArgs):
            return _video(args)
        if isinstance(args, LabelArgs):
            return _label(args)
        return _eval(args)
    except (UsageError, RunDirError, EnvError) as err:
        print(f"backflip: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("backflip: interrupted; continue with the same command and --resume", file=sys.stderr)
        return 130


def _train(config: TrainConfig) -> int:
    from backflip.checks import (
        check_run_dir,
        check_train_config,
        limit_cpu_threads,
        resolve_device,
    )
    from backflip.loop import train

    device = resolve_device(config.device)
    limit_cpu_threads(device)
    check_train_config(config)
    check_run_dir(config)
    if config.label_window and config.oracle != "human":
        raise UsageError("--label-window needs --oracle human")
    window = None
    if config.label_window:  # a second process: the window must not wait on training
        folder = str(config.resolved_run_dir())
        command = [sys.executable, "-m", "backflip.cli", "label", folder, "--wait-s", "120"]
        window = subprocess.Popen(command)
    try:
        summary = train(config, device)
    finally:
        if window is not None and window.poll() is None:
            print("training finished; close the labelling window when you are done")
    run_dir = config.resolved_run_dir()
    print(json.dumps(summary))
    print(
        f"run directory: {run_dir}\n"
        f"final true return {summary['eval_true_return_mean']:.1f} "
        f"± {summary['eval_true_return_std']:.1f}  |  "
        f"random policy {summary['random_true_return_mean']:.1f}"
    )
    if "flips_per_episode" in summary:
        print(
            f"backflips per episode {summary['flips_per_episode']:.2f}  |  "
            f"random policy {summary['random_flips_per_episode']:.2f}"
        )
    return 0


def _eval(args: EvalArgs) -> int:
    from backflip.checks import resolve_device
    from backflip.eval_run import evaluate_run

    if args.episodes < 1:
        raise UsageError(f"--episodes must be at least 1, got {args.episodes}")
    if args.seed < 0:
        raise UsageError(f"--seed must be non-negative, got {args.seed}")
    result = evaluate_run(args.run_dir, args.episodes, args.seed, resolve_device(args.device))
    print(json.dumps(result))
    return 0


def _video(args: VideoArgs) -> int:
    from backflip.video.make_videos import make_videos

    if args.episodes < 1 or args.width < 16 or args.height < 16:
        raise UsageError("--episodes must be >= 1 and --width/--height >= 16")
    written = make_videos(
        args.run_dir, args.out, args.quality, args.episodes, args.width, args.height
    )
    for path in written.values():
        print(path)
    return 0


def _label(args: LabelArgs) -> int:
    from backflip.config import load_config
    from backflip.loop import teacher_config
    from backflip.preference.label_window import LabelWindow, default_labeller
    from backflip.preference.oracle import SyntheticOracle

    deadline = time.monotonic() + args.wait_s
    while not (args.run_dir / "labels.sqlite").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    if not (args.run_dir / "config.json").exists():
        raise UsageError(f"{args.run_dir} is not a backflip run (no config.json)")
    try:
        config = load_config(args.run_dir / "config.json")
    except (ValueError, TypeError) as err:
        raise UsageError(f"{args.run_dir / 'config.json'} is corrupted ({err})") from None
    if config.reward != "learned" or not (args.run_dir / "labels.sqlite").exists():
        raise UsageError(f"{args.run_dir} has no labels to give: start it with --oracle human")
    if args.width < 16 or args.height < 16:
        raise UsageError("--width and --height must be at least 16")
    teacher = SyntheticOracle(teacher_config(config), config.seed) if args.synthetic_human else None
    window = LabelWindow(
        args.run_dir,
        config.env,
        args.labeller or default_labeller(),
        args.width,
        args.height,
        synthetic_human=teacher,
        max_labels=args.max_labels,
        screenshot=args.screenshot,
    )
    print(f"labels given: {window.run()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
