"""The grid's own overhead: the same runs through ``backflip grid`` (on a local Ray) and
as plain ``backflip train`` processes, two at a time, one after the other in one go.

    python benchmarks/grid_overhead.py --env Hopper-v5 --labels 50 --seeds 0-1 --steps 20000
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from backflip.grid.spec import GridDir, GridSpec, parse_seeds

CLI = [sys.executable, "-m", "backflip.cli"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="Hopper-v5")
    parser.add_argument("--labels", type=int, default=50)
    parser.add_argument("--seeds", default="0-1")
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("runs/bench-grid-overhead"))
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    flags = ("--eval-episodes", "2")
    spec = GridSpec(
        (args.env,), ("ppo",), (args.labels,), parse_seeds(args.seeds), args.steps, flags
    )
    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}

    direct = GridDir(args.out / "direct")
    commands = [
        [
            *CLI,
            "train",
            *cell.train_args(spec.steps, direct.run_dir(cell)),
            "--device",
            "cpu",
            *flags,
        ]
        for cell in spec.cells()
    ]
    start = time.perf_counter()
    with ThreadPoolExecutor(args.parallel) as pool:
        done = pool.map(lambda c: subprocess.run(c, env=env, capture_output=True), commands)
        assert all(p.returncode == 0 for p in done)
    direct_s = time.perf_counter() - start

    grid = [*CLI, "grid", "--env", args.env, "--labels", str(args.labels), "--seeds", args.seeds]
    grid += ["--steps", str(args.steps), "--out", str(args.out / "grid"), "--", *flags]
    start = time.perf_counter()
    subprocess.run(grid, env=env, check=True, capture_output=True)
    grid_s = time.perf_counter() - start
    print(
        f"{len(commands)} runs ({args.env}, ppo, {args.steps} steps, {args.labels} labels and "
        f"baselines): directly {args.parallel} at a time {direct_s:.1f} s, through backflip "
        f"grid {grid_s:.1f} s, ratio {grid_s / direct_s:.2f}"
    )


if __name__ == "__main__":
    main()
