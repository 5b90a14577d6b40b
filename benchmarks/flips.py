"""Backflips per evaluation episode of a grid's runs on the backflip envs: all flips,
clean ones and clean ones in the episode's last quarter, per seed and mean, with a random
policy's on the same episodes (see README, "The backflip").

One row per (env, label budget or true-reward baseline); "seeds ≥ 2 clean" counts the
seeds whose runs make at least two clean flips per episode and at least one in the last
quarter (the README's target for the backflip: it lands and goes again).

    python benchmarks/flips.py grids/backflip
    python benchmarks/flips.py grids/backflip --recount  # replays with today's counters

``--recount`` plays each finished run's evaluation episodes again (its final policy and
the random one, the same seeds) and counts with the counters of the code at hand, for
runs whose ``summary.json`` was written by an older counter.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from backflip.evaluation import evaluate
from backflip.grid.results import CellResult, collect
from backflip.grid.spec import GridDir
from backflip.training.saved_run import SavedRun

KEYS = ("flips_per_episode", "clean_flips_per_episode", "late_clean_flips_per_episode")


def per_seed(runs: list[CellResult], key: str) -> str:
    """``key`` per seed and its mean, as ``a, b, c (mean m)``."""
    values = [run.value(key) for run in runs]
    return f"{', '.join(f'{v:.1f}' for v in values)} (mean {np.mean(values):.2f})"


def recounted(result: CellResult, run_dir: Path) -> CellResult:
    """``result`` with the figures of its run's evaluation played again."""
    run = SavedRun.open(run_dir, torch.device("cpu"))
    figures = evaluate(run.config, run.eval_horizon, run.policy, run.config.eval_episodes)
    return dataclasses.replace(result, summary={**(result.summary or {}), **figures})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("grids", nargs="+", type=Path, help="grid folders")
    parser.add_argument("--recount", action="store_true", help="replay with today's counters")
    args = parser.parse_args()
    rows: dict[tuple[str, str], list[CellResult]] = defaultdict(list)
    for folder in args.grids:
        grid = GridDir(folder)
        spec, _ = grid.read_spec()
        for result in collect(grid, spec):
            if result.summary and "flips_per_episode" in result.summary:
                if args.recount:
                    result = recounted(result, grid.run_dir(result.cell))
                kind = "true reward" if result.cell.labels is None else f"{result.cell.labels}"
                rows[(result.cell.env, kind)].append(result)
    print(
        "| env | labels | seeds | flips per episode | clean | clean in the last quarter "
        "| seeds ≥ 2 clean | random: flips, clean |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for (env, kind), runs in sorted(rows.items()):
        runs.sort(key=lambda run: run.cell.seed)
        good = sum(run.value(KEYS[1]) >= 2 and run.value(KEYS[2]) >= 1 for run in runs)
        random = [run.value("random_flips_per_episode") for run in runs]
        random_clean = [run.value("random_clean_flips_per_episode") for run in runs]
        print(
            f"| {env} | {kind} | {', '.join(str(run.cell.seed) for run in runs)} "
            f"| {' | '.join(per_seed(runs, key) for key in KEYS)} | {good} of {len(runs)} "
            f"| {np.mean(random):.2f}, {np.mean(random_clean):.2f} |"
        )


if __name__ == "__main__":
    main()
