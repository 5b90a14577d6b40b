"""Wall-time overhead of learning the reward: ``--reward learned`` vs ``--reward true``.

Same algo, steps and seed, one after the other in one run; prints the ratio
(target: at most 1.15). The wall time is the run's training time (``summary.json``'s
``wall_s``: gathering, queries, reward fits, RL), not the final evaluation.

    python benchmarks/overhead.py --algo sac --steps 20000 --labels 300
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _runs import train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="HalfCheetah-v5")
    parser.add_argument("--algo", default="sac", choices=["sac", "ppo"])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--labels", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=Path("runs/bench-overhead"))
    args = parser.parse_args()
    common = ["--env", args.env, "--algo", args.algo, "--steps", str(args.steps)]
    common += ["--seed", str(args.seed), "--device", args.device, "--eval-episodes", "1"]
    true = train(args.out / "true", *common, "--reward", "true")
    learned = train(args.out / "learned", *common, "--labels", str(args.labels))
    ratio = float(learned["wall_s"]) / float(true["wall_s"])  # type: ignore[arg-type]
    print(
        f"{args.env} {args.algo} {args.steps} steps, {args.labels} labels: "
        f"true reward {true['wall_s']} s, learned reward {learned['wall_s']} s, "
        f"ratio {ratio:.3f} (target <= 1.15)"
    )


if __name__ == "__main__":
    main()
