"""``backflip compare``: a learned run next to its true-reward baseline, and the score."""

from __future__ import annotations

import json
from pathlib import Path

from backflip.commands.args import CompareArgs
from backflip.errors import UsageError
from backflip.storage.run_dir import RunDir

SAME = ("env_id", "algo", "costs", "steps", "seed", "eval_episodes", "eval_horizon")
"""What two runs must share to be compared."""


def _summary(root: Path) -> dict[str, object]:
    path = RunDir(root).summary
    if not path.exists():
        raise UsageError(f"{root} has no summary.json (has its run finished?)")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise UsageError(f"{path} cannot be read ({err})") from None
    if not isinstance(data, dict) or "eval_true_return_mean" not in data:
        raise UsageError(f"{path} is not a backflip summary")
    return data


def run_compare(args: CompareArgs) -> int:
    """Prints the two final returns, a random policy's and the random-normalized score
    (learned - random) / (baseline - random)."""
    learned, baseline = _summary(args.learned), _summary(args.baseline)
    if baseline.get("reward") != "true":
        raise UsageError(f"{args.baseline} is not a true-reward run (--reward true)")
    differ = [key for key in SAME if learned.get(key) != baseline.get(key)]
    if differ:
        raise UsageError(f"the runs differ in {', '.join(differ)}: they cannot be compared")
    mine = float(learned["eval_true_return_mean"])  # type: ignore[arg-type]
    base = float(baseline["eval_true_return_mean"])  # type: ignore[arg-type]
    random = float(learned["random_true_return_mean"])  # type: ignore[arg-type]
    score = (mine - random) / (base - random) if base != random else float("nan")
    print(
        f"{learned['env_id']} {learned['algo']}, {learned['steps']} steps, seed "
        f"{learned['seed']}: learned from {learned['labels']} labels {mine:.1f}  |  "
        f"true-reward baseline {base:.1f}  |  random policy {random:.1f}  |  "
        f"score {score:.2f}"
    )
    print(f"training wall time: learned {learned['wall_s']} s, baseline {baseline['wall_s']} s")
    return 0
