"""What a learned reward pays for staying upright: the task reward's survive term against
the rest, in finished runs of an env with a healthy bonus (Hopper, Walker2d, Ant).

Per run: the share of labelled clips in which the body is ever upright ("healthy" as the
env defines it) and in which it is upright for most of the clip; then a least-squares fit
of the final reward model's clip returns on the run's held-out clips, ``R = a * survive
+ b * rest + c``, next to the oracle's own ``a = b = 1``. A learned ``a`` near 0 means the
model never learned that staying upright pays.

    python benchmarks/reward_terms.py grids/part1d/runs/Walker2d-v5-ppo-700-s{0,1,2,3,4}
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from backflip.envs.make import make_env
from backflip.envs.physics import mujoco_env, set_physics_state
from backflip.records import Segment
from backflip.storage.clip_files import load_clips
from backflip.storage.run_dir import RunDir
from backflip.training.checkpoints import load_reward_model


def healthy_steps(env, clip: Segment) -> int:
    """Steps of ``clip`` after which the env calls the body healthy."""
    base = mujoco_env(env)
    count = 0
    for state in clip.states[1:]:
        set_physics_state(env, state)
        count += bool(base.is_healthy)
    return count


def survive_weight(model, env, clips: list[Segment]) -> tuple[float, float]:
    """Least-squares weights ``(a, b)`` of the learned clip returns on the survive term
    and on the rest of the oracle's return."""
    bonus = float(mujoco_env(env)._healthy_reward)
    survive = np.array([bonus * healthy_steps(env, c) for c in clips])
    rest = np.array([c.oracle_return for c in clips]) - survive
    learned = model.ensemble.clip_returns(clips).mean(axis=0)
    design = np.stack([survive, rest, np.ones_like(rest)], axis=1)
    (a, b, _), *_ = np.linalg.lstsq(design, learned, rcond=None)
    return float(a), float(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="finished learned run folders")
    args = parser.parse_args()
    print("| run | labelled clips ever upright | upright most of the clip | a | b |")
    print("|---|---|---|---|---|")
    for folder in args.runs:
        run = RunDir(folder)
        config = run.read_config()
        env = make_env(config.env, horizon=config.horizon, costs=config.costs)
        env.reset(seed=0)
        checkpoint = run.latest_checkpoint()
        assert checkpoint is not None, f"{folder} has no checkpoint"
        model = load_reward_model(checkpoint, torch.device("cpu"))
        with run.label_store() as store:
            ids = sorted({i for c in store.comparisons() for i in (c.left_id, c.right_id)})
            labelled = [store.load_segment(i) for i in ids]
        steps = np.array([healthy_steps(env, c) for c in labelled])
        ever, most = np.mean(steps > 0), np.mean(steps > len(labelled[0]) / 2)
        a, b = survive_weight(model, env, load_clips(checkpoint.heldout_clips))
        print(f"| {folder.name} | {ever:.2f} | {most:.2f} | {a:.2f} | {b:.2f} |", flush=True)


if __name__ == "__main__":
    main()
