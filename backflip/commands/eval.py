"""``backflip eval``: a run's latest policy on the run's own evaluation episodes."""

from __future__ import annotations

import json

from backflip.commands.args import EvalArgs
from backflip.commands.device import resolve_device
from backflip.errors import UsageError
from backflip.evaluation import evaluate
from backflip.training.saved_run import SavedRun


def run_eval(args: EvalArgs) -> int:
    """Prints one JSON line; for a finished run its figures are ``summary.json``'s."""
    if args.episodes is not None and args.episodes < 1:
        raise UsageError(f"--episodes must be at least 1, got {args.episodes}")
    run = SavedRun.open(args.run_dir, resolve_device(args.device))
    config = run.config
    episodes = args.episodes or config.eval_episodes
    result = {
        "run_dir": str(args.run_dir),
        "env_id": config.env,
        "algo": config.algo,
        "reward": config.reward,
        "steps": int(run.agent.num_timesteps),
        "episodes": episodes,
        "horizon": run.eval_horizon,
        **evaluate(config, run.eval_horizon, run.policy, episodes),
    }
    print(json.dumps(result))
    return 0
