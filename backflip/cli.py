"""The ``backflip`` command: ``train`` and ``eval`` subcommands."""

from __future__ import annotations

import dataclasses
import json
import sys
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


def main(argv: list[str] | None = None) -> int:
    args = tyro.extras.subcommand_cli_from_dict(
        {"train": TrainConfig, "eval": EvalArgs, "video": VideoArgs}, prog="backflip", args=argv
    )
    try:
        if isinstance(args, TrainConfig):
            return _train(args)
        if isinstance(args, VideoArgs):
            return _video(args)
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
    summary = train(config, device)
    run_dir = config.resolved_run_dir()
    print(json.dumps(summary))
    print(
        f"run directory: {run_dir}\n"
        f"final true return {summary['eval_true_return_mean']:.1f} "
        f"± {summary['eval_true_return_std']:.1f}  |  "
        f"random policy {summary['random_true_return_mean']:.1f}"
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


if __name__ == "__main__":
    sys.exit(main())
