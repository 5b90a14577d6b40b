"""One table of several grids that differ only in the ``backflip train`` flags after ``--``:
an ablation, each grid a row, the first grid the reference.

Every grid but the reference has one (env, algo, label budget); the reference may have
more, and its row is the one of the others' budget. Per grid: its flags, the score per
seed, the mean score with its 95% bootstrap interval, the change of the mean from the
reference's as the mean of per-seed differences with its own interval (the seeds are
paired: same baselines, same random policy), held-out preference accuracy, and the learned
runs' wall time and reward-fit time in seconds, mean over seeds.

    python benchmarks/ablations.py grids/part1d grids/abl-timing grids/abl-noties
    python benchmarks/ablations.py --env Hopper-v5 grids/p2-base100 grids/p2-all100

With ``--env``, grids of several envs give the row of that env.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

import numpy as np

from backflip.grid.results import Group, collect, groups
from backflip.grid.spec import GridDir
from backflip.grid.stats import estimate, format_score


def group_of(folder: Path, like: Group | None = None, env: str | None = None) -> tuple[Group, str]:
    """The grid's (env, algo, label budget), its only one (of ``env``, if given) or the one
    of ``like``, and its flags after ``--``; SystemExit saying why not."""
    grid = GridDir(folder)
    spec, _ = grid.read_spec()
    found = groups(spec, collect(grid, spec))
    if env is not None:
        found = [g for g in found if g.env == env]
    if like is not None:
        key = (like.env, like.algo, like.labels)
        found = [g for g in found if (g.env, g.algo, g.labels) == key]
    if len(found) != 1:
        raise SystemExit(f"{folder}: {len(found)} matching label budgets or envs, need 1")
    flags = f"`{shlex.join(spec.train_flags)}`" if spec.train_flags else "(defaults)"
    return found[0], flags


def seed_scores(group: Group) -> dict[int, float]:
    """Score per seed of the seeds whose learned run and baseline have finished (NaN where
    the baseline did not beat the random policy)."""
    seeds = [run.cell.seed for run, _ in group.paired()]
    return dict(zip(seeds, group.scores(), strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("grids", nargs="+", type=Path, help="grid folders, the reference first")
    parser.add_argument("--env", help="the env's rows, of grids with several envs")
    args = parser.parse_args()
    rows = [group_of(folder, env=args.env) for folder in args.grids[1:]]
    reference = group_of(args.grids[0], like=rows[0][0] if rows else None)
    ref_scores = seed_scores(reference[0])
    print(
        "| grid | flags | score per seed | mean [95% CI] | change [95% CI] | pref. accuracy "
        "| wall s | reward fits s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for k, (folder, (group, flags)) in enumerate(zip(args.grids, [reference, *rows], strict=True)):
        scores = seed_scores(group)
        changes = [v - ref_scores[s] for s, v in scores.items() if s in ref_scores]
        change = estimate([d for d in changes if not np.isnan(d)])  # seeds scored in both
        wall, _ = group.figures("wall_s")
        fits, _ = group.figures("reward_fit_s")
        accuracy, _ = group.figures("pref_accuracy")
        per_seed = ", ".join(map(format_score, scores.values()))
        print(
            f"| {folder.name} | {flags} | {per_seed} "
            f"| {group.score_mean()} | {change if k else '–'} "
            f"| {np.mean(accuracy):.2f} | {np.mean(wall):.0f} | {np.mean(fits):.0f} |"
        )


if __name__ == "__main__":
    main()
