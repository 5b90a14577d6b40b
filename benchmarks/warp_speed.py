"""MuJoCo C against MuJoCo Warp (``--sim warp``), side by side in one run: env steps/s of
random actions for N worlds, then a learned-reward PPO run's agent steps/s and wall time
with each simulator on the same settings.

    python benchmarks/warp_speed.py --device cpu --worlds 8 64
    python benchmarks/warp_speed.py --device cuda --worlds 1024 4096 --steps 2000000
    python benchmarks/warp_speed.py --device cuda --worlds 1024 --steps 4000000 \
        -- --preset backflip   # make backflip's settings (flags after -- as for train)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv

os.environ.setdefault("MUJOCO_GL", "egl")

from backflip.config.parse import parse_train  # noqa: E402
from backflip.envs.make import make_run_env  # noqa: E402
from backflip.sim.build import warp_vec_env  # noqa: E402
from backflip.training.run import train  # noqa: E402


def env_steps_per_s(venv: VecEnv, steps: int) -> float:
    """Env steps (worlds x steps) per second of uniform random actions."""
    rng = np.random.default_rng(0)
    low, high = venv.action_space.low, venv.action_space.high  # type: ignore[attr-defined]
    venv.reset()
    venv.step(rng.uniform(low, high, size=(venv.num_envs, *low.shape)))  # compile, warm up
    start = time.perf_counter()
    for _ in range(steps):
        venv.step(rng.uniform(low, high, size=(venv.num_envs, *low.shape)))
    return venv.num_envs * steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default="Hopper-v5", help="unless a preset after -- names one")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--worlds", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--env-steps", type=int, default=50, help="steps of each world")
    parser.add_argument("--steps", type=int, default=20_000, help="agent steps of the runs")
    parser.add_argument("train_flags", nargs="*", help="backflip train flags, after --")
    args = parser.parse_args()
    device = torch.device(args.device)
    flags = ["--algo", "ppo", *args.train_flags]
    if "--preset" not in flags and "--env" not in flags:
        flags = ["--env", args.env, *flags]
    config = dataclasses.replace(parse_train(flags, "warp_speed.py --"), device=args.device)
    horizon = config.horizon or 1000
    print(f"{config.env} on {device}: env steps/s of random actions")
    print("| worlds | MuJoCo | MuJoCo Warp | ratio |\n|---|---|---|---|")
    for n in args.worlds:
        plain = DummyVecEnv([lambda: make_run_env(config, horizon)] * n)
        c = env_steps_per_s(plain, args.env_steps)
        worlds = warp_vec_env(config, horizon, n, device, restarts_seed=0)
        w = env_steps_per_s(worlds, args.env_steps)
        print(f"| {n} | {c:,.0f} | {w:,.0f} | {w / c:.2f} |")
    n = args.worlds[-1]
    print(f"\nPPO from {config.labels} synthetic labels, {args.steps:,} steps, {n} envs, one")
    print("evaluation episode, one run at a time:")
    print("| sim | wall s | agent steps/s |\n|---|---|---|")
    ppo = dataclasses.replace(config.agent.ppo, n_envs=n, n_steps=max(8, 2048 // n))
    run = dataclasses.replace(
        config,
        steps=args.steps,
        eval_episodes=1,
        agent=dataclasses.replace(config.agent, ppo=ppo),
    )
    with tempfile.TemporaryDirectory() as folder:
        for sim in ("mujoco", "warp"):
            start = time.perf_counter()
            train(
                dataclasses.replace(run, sim=sim, run_dir=Path(folder) / sim),
                device,
                progress=False,
            )
            wall = time.perf_counter() - start
            print(f"| {sim} | {wall:.0f} | {args.steps / wall:,.0f} |")


if __name__ == "__main__":
    main()
