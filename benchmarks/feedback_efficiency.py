"""Feedback efficiency: the share of the true-reward baseline's return reached with N labels.

For each env, the same algo, steps and seeds are run twice: on the env's true reward
(``--reward true``) and on a reward learned from N synthetic comparisons. Prints a
Markdown table (Christiano et al.: 700 labels nearly match RL on the true reward;
target: at least 0.9 of the baseline).

    python benchmarks/feedback_efficiency.py --algo ppo --steps 300000 --labels 700
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from _runs import train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", nargs="+", default=["HalfCheetah-v5", "Hopper-v5"])
    parser.add_argument("--algo", default="ppo", choices=["sac", "ppo"])
    parser.add_argument("--steps", type=int, default=300_000)
    parser.add_argument("--labels", type=int, default=700)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--out", type=Path, default=Path("runs/bench-feedback"))
    args = parser.parse_args()
    rows = []
    for env in args.envs:
        true_returns, learned_returns, random_returns, corrs = [], [], [], []
        for seed in args.seeds:
            common = ["--env", env, "--algo", args.algo, "--steps", str(args.steps)]
            common += ["--seed", str(seed), "--device", "cpu"]
            folder = args.out / f"{env}-s{seed}"
            true = train(folder / "true", *common, "--reward", "true")
            learned = train(folder / "learned", *common, "--labels", str(args.labels))
            true_returns.append(float(true["eval_true_return_mean"]))  # type: ignore[arg-type]
            learned_returns.append(float(learned["eval_true_return_mean"]))  # type: ignore[arg-type]
            random_returns.append(float(learned["random_true_return_mean"]))  # type: ignore[arg-type]
            corrs.append(float(learned["reward_true_corr"]))  # type: ignore[arg-type]
        t, lr, r = np.mean(true_returns), np.mean(learned_returns), np.mean(random_returns)
        rows.append(
            f"| {env} | {args.algo} | {args.steps:,} | {args.labels} | {len(args.seeds)} "
            f"| {r:.0f} | {t:.0f} | {lr:.0f} | {lr / t:.2f} | {np.mean(corrs):.2f} |"
        )
    print(
        "| env | algo | steps | labels | seeds | random | true reward | learned reward "
        "| learned / true | reward corr |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
