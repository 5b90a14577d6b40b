"""``backflip eval``: the true return of a finished (or running) run's latest policy."""

from __future__ import annotations

from pathlib import Path

import torch

from backflip.evaluate import episode_returns, returns_summary
from backflip.finished_run import FinishedRun


def evaluate_run(root: Path, episodes: int, seed: int, device: torch.device) -> dict[str, object]:
    """Loads the run's latest agent checkpoint and measures true returns."""
    run = FinishedRun.open(root, device)
    config = run.config
    final = episode_returns(config.env, run.eval_horizon, run.policy, episodes, seed)
    random = episode_returns(config.env, run.eval_horizon, None, episodes, seed)
    return {
        "run_dir": str(root),
        "env_id": config.env,
        "algo": config.algo,
        "reward": config.reward,
        "steps": int(run.agent.num_timesteps),
        "episodes": episodes,
        "horizon": run.eval_horizon,
        **returns_summary(final, random),
    }
