"""``backflip grid``: a benchmark grid as Ray tasks, and its report."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from backflip.commands.args import GridArgs
from backflip.commands.train import check_env
from backflip.config import TrainConfig
from backflip.errors import UsageError
from backflip.grid.cells import cell_config
from backflip.grid.local_ray import check_reachable
from backflip.grid.report import (
    baseline_table,
    current_commit,
    learned_table,
    publish_report,
    score_table,
    write_report,
)
from backflip.grid.results import collect, groups
from backflip.grid.reuse import reuse_baselines
from backflip.grid.runner import run_cells
from backflip.grid.spec import Cell, GridDir, GridSpec, parse_seeds
from backflip.storage.lock import exclusive


def run_grid(args: GridArgs) -> int:
    """Runs what is missing of the grid in ``--out``, then writes its report; exit status
    1 when a run failed (the others still ran)."""
    grid = GridDir(args.out)
    if args.report:
        spec, made = grid.read_spec()
        return _report(grid, spec, made, args.publish)
    spec, configs = _checked(args, grid)
    made = {"command": shlex.join(["backflip", *sys.argv[1:]]), "commit": current_commit()}
    with exclusive(grid.lock) as held:
        if not held:
            raise UsageError(f"{grid.root} is in use by another backflip grid")
        grid.write_spec(spec, made)
        if args.baselines_from is not None:
            _reuse(grid, configs, args.baselines_from)
        failures = run_cells(grid, configs, args.address, args.cpus_per_run)
        grid.write_failures(failures)
        _report(grid, spec, made, args.publish)
    return 1 if failures else 0


def _checked(args: GridArgs, grid: GridDir) -> tuple[GridSpec, dict[Cell, TrainConfig]]:
    """The grid and each run's configuration; any bad input is an error before anything
    is written or started."""
    if args.steps is None:
        raise UsageError("--steps: say how many env steps each run takes")
    if args.cpus_per_run < 1:
        raise UsageError(f"--cpus-per-run must be at least 1, got {args.cpus_per_run}")
    spec = GridSpec(
        envs=args.env,
        algos=args.algo,
        labels=args.labels,
        seeds=parse_seeds(args.seeds),
        steps=args.steps,
        train_flags=args.train_flags,
        baselines=args.baselines,
    )
    if grid.spec.exists():
        saved, _ = grid.read_spec()
        differences = spec.differences(saved)
        if differences:
            raise UsageError(
                f"--out {grid.root} holds a different grid: {'; '.join(differences)} "
                "(choose another --out, or rerun with the grid's own flags)"
            )
    elif grid.root.exists() and any(grid.root.iterdir()):
        raise UsageError(f"--out {grid.root} is not empty and holds no grid")
    configs = {cell: cell_config(spec, cell, grid.run_dir(cell)) for cell in spec.cells()}
    for env in spec.envs:  # the env builds, and a clip fits in an episode
        check_env(next(c for cell, c in configs.items() if cell.env == env))
    if args.address is not None:
        check_reachable(args.address)
    return spec, configs


def _reuse(grid: GridDir, configs: dict[Cell, TrainConfig], source: Path) -> None:
    copied, skipped = reuse_baselines(grid, configs, source)
    print(f"baselines copied from {source}: {len(copied)}")
    for cell, why in skipped.items():
        print(f"baseline {cell.name} is trained here: {why}")


def _report(grid: GridDir, spec: GridSpec, made: dict[str, str], publish: Path | None) -> int:
    path = write_report(grid, spec, made)
    results = collect(grid, spec)
    by_budget = groups(spec, results)
    if spec.labels:
        print(score_table(by_budget) if spec.baselines else learned_table(by_budget))
    if spec.baselines:
        print(baseline_table(results))
    print(f"report: {path}")
    if publish is not None:
        try:
            print(f"published: {publish_report(grid, publish)}")
        except OSError as err:
            raise UsageError(f"--publish {publish}: {err.strerror or err}") from None
    return 0
