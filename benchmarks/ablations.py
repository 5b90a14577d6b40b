"""One table of several grids that differ only in the ``backflip train`` flags after ``--``:
an ablation, each grid a row, the first grid the reference.

Every grid but the reference has one (env, algo, label budget); the reference may have
more, and its row is the one of the others' budget. Per grid: its flags, the score per
seed, the mean score with its 95% bootstrap interval, the change of the mean from the
reference's as the mean of per-seed differences with its own interval (the seeds are
paired: same baselines, same random policy), held-out preference accuracy, and the learned
runs' wall time and reward-fit time in seconds, mean over seeds.

    python benchmarks/ablations.py grids/part1d grids/abl-timing grids/abl-noties
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

import numpy as np

from backflip.grid.results import Group, collect, groups
from backflip.grid.spec import GridDir
from backflip.grid.stats import estimate


def group_of(folder: Path, like: Group | None = None) -> Group:
    """The grid's (env, algo, label budget): its only one, or the one of ``like``;
    SystemExit saying why not."""
    grid = GridDir(folder)
    spec, _ = grid.read_spec()
    found = groups(spec, collect(grid, spec))
    if like is not None:
        found = [
            g for g in found if (g.env, g.algo, g.labels) == (like.env, like.algo, like.labels)
        ]
    if len(found) != 1:
        raise SystemExit(f"{folder}: {len(found)} matching label budgets or envs, need 1")
    return found[0]


def flags_of(folder: Path) -> str:
    spec, _ = GridDir(folder).read_spec()
    return f"`{shlex.join(spec.train_flags)}`" if spec.train_flags else "(defaults)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("grids", nargs="+", type=Path, help="grid folders, the reference first")
    args = parser.parse_args()
    rows = [group_of(folder) for folder in args.grids[1:]]
    reference = group_of(args.grids[0], like=rows[0] if rows else None)
    ref_scores = dict(
        zip([r.cell.seed for r, _ in reference.paired()], reference.scores(), strict=True)
    )
    print(
        "| grid | flags | score per seed | mean [95% CI] | change [95% CI] | pref. accuracy "
        "| wall s | reward fits s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for folder, group in zip(args.grids, [reference, *rows], strict=True):
        seeds = [run.cell.seed for run, _ in group.paired()]
        scores = dict(zip(seeds, group.scores(), strict=True))
        change = [scores[s] - ref_scores[s] for s in seeds if s in ref_scores]
        wall, _ = group.figures("wall_s")
        fits, _ = group.figures("reward_fit_s")
        accuracy, _ = group.figures("pref_accuracy")
        per_seed = ", ".join(f"{scores[s]:.2f}" for s in seeds)
        print(
            f"| {folder.name} | {flags_of(folder)} | {per_seed} | {group.score_mean()} "
            f"| {estimate(change) if folder != args.grids[0] else '–'} "
            f"| {np.mean(accuracy):.2f} | {np.mean(wall):.0f} | {np.mean(fits):.0f} |"
        )


if __name__ == "__main__":
    main()
