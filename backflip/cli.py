"""The ``backflip`` command: ``train`` and ``eval`` subcommands."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import tyro

from backflip.checks import UsageError
from backflip.config import TrainConfig


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


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("MUJOCO_GL", "egl")
    args = tyro.extras.subcommand_cli_from_dict(
        {"train": TrainConfig, "eval": EvalArgs}, prog="backflip", args=argv
    )
    try:
        if isinstance(args, TrainConfig):
            return _train(args)
        return _eval(args)
    except UsageError as err:
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
    result = evaluate_run(args.run_dir, args.episodes, args.seed, resolve_device(args.device))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
