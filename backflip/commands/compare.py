"""``backflip compare``: a learned run next to its true-reward baseline, and the score."""

from __future__ import annotations

import math
from pathlib import Path

from backflip.commands.args import CompareArgs
from backflip.errors import UsageError
from backflip.grid.stats import normalized_score
from backflip.storage.run_dir import RunDir

SAME = (
    "env_id",
    "env_kwargs",
    "algo",
    "costs",
    "alive",
    "steps",
    "seed",
    "eval_episodes",
    "eval_horizon",
)
"""What two runs must share to be compared."""
UNSAID: dict[str, object] = {"alive": "healthy", "env_kwargs": []}
"""What a summary from before these keys were saved had."""


def _summary(root: Path) -> dict[str, object]:
    run_dir = RunDir(root)
    summary = run_dir.read_summary()
    if summary is None:
        raise UsageError(f"{root} has no summary.json (has its run finished?)")
    if "eval_true_return_mean" not in summary:
        raise UsageError(f"{run_dir.summary} is not a backflip summary")
    return summary


def run_compare(args: CompareArgs) -> int:
    """Prints the two final returns, a random policy's and the random-normalized score
    (learned - random) / (baseline - random)."""
    learned, baseline = _summary(args.learned), _summary(args.baseline)
    if baseline.get("reward") != "true":
        raise UsageError(f"{args.baseline} is not a true-reward run (--reward true)")
    differ = [
        key
        for key in SAME
        if learned.get(key, UNSAID.get(key)) != baseline.get(key, UNSAID.get(key))
    ]
    if differ:
        raise UsageError(f"the runs differ in {', '.join(differ)}: they cannot be compared")
    mine = float(learned["eval_true_return_mean"])  # type: ignore[arg-type]
    base = float(baseline["eval_true_return_mean"])  # type: ignore[arg-type]
    random = float(learned["random_true_return_mean"])  # type: ignore[arg-type]
    score = normalized_score(mine, base, random)
    verdict = (
        "no score: the baseline did not beat the random policy"
        if math.isnan(score)
        else f"score {score:.2f}"
    )
    print(
        f"{learned['env_id']} {learned['algo']}, {learned['steps']} steps, seed "
        f"{learned['seed']}: learned from {learned['labels']} labels {mine:.1f}  |  "
        f"true-reward baseline {base:.1f}  |  random policy {random:.1f}  |  {verdict}"
    )
    print(f"training wall time: learned {learned['wall_s']} s, baseline {baseline['wall_s']} s")
    return 0
