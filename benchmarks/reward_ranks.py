"""How a learned reward ranks policies it never trained: a learned-reward run's final
reward model scores other runs' final policies (of the same env) next to the task reward.

Each policy plays the learned run's first ``--episodes`` evaluation episodes (the same
seeds for all); per policy the mean task return (the oracle's or judge's reward) and the
mean learned return (the ensemble's normalized units, what the agent was trained on), and
over the policies the rank correlation of the two. A learned reward that pays its own
policy more than a policy the task reward pays far more has never seen that behaviour in
a labelled clip: its agent cannot be led there.

    python benchmarks/reward_ranks.py runs/LEARNED runs/OTHER ... [--episodes 2]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr

from backflip.config import TrainConfig
from backflip.envs.make import make_run_env
from backflip.evaluation import episode_seed
from backflip.preference.reward_model import RewardModel
from backflip.storage.run_dir import RunDirError
from backflip.training.checkpoints import load_reward_model
from backflip.training.saved_run import SavedRun


def episode_scores(
    config: TrainConfig, horizon: int, run: SavedRun, model: RewardModel, seed: int
) -> tuple[float, float]:
    """``run``'s policy on one episode of ``config``'s env: (task return, learned return)."""
    env = make_run_env(config, horizon)
    obs, _ = env.reset(seed=seed)
    steps: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    task, done = 0.0, False
    while not done:
        act = run.policy(obs)
        next_obs, reward, terminated, truncated, _ = env.step(act)
        steps.append((obs, act, next_obs))
        task += float(reward)
        obs, done = next_obs, terminated or truncated
    env.close()
    obs_, acts, next_ = (np.stack(column) for column in zip(*steps, strict=True))
    return task, float(model.predict(obs_, acts, next_).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("learned", type=Path, help="a finished learned-reward run")
    parser.add_argument("others", nargs="+", type=Path, help="runs whose policies it scores")
    parser.add_argument("--episodes", type=int, default=2, help="evaluation episodes each")
    args = parser.parse_args()
    if args.episodes < 1:
        parser.error(f"--episodes must be at least 1, got {args.episodes}")
    torch.set_num_threads(1)
    cpu = torch.device("cpu")
    try:
        learned = SavedRun.open(args.learned, cpu)
        others = [SavedRun.open(path, cpu) for path in args.others]
    except RunDirError as err:
        parser.error(str(err))
    if learned.config.reward != "learned":
        parser.error(f"{args.learned} was trained on the true reward: it has no learned one")
    model = load_reward_model(learned.checkpoint, cpu)
    task_means, learned_means = [], []
    print(f"learned reward of {args.learned}, {args.episodes} episodes of {learned.eval_horizon}")
    print(f"{'policy':40s} {'task return':>12s} {'learned return':>15s}")
    for path, run in zip([args.learned, *args.others], [learned, *others], strict=True):
        if run.config.env != learned.config.env:
            parser.error(f"{path} is a run of {run.config.env}, not {learned.config.env}")
        scores = [
            episode_scores(
                learned.config, learned.eval_horizon, run, model, episode_seed(learned.config, i)
            )
            for i in range(args.episodes)
        ]
        task, score = np.mean(scores, axis=0)
        task_means.append(task)
        learned_means.append(score)
        print(f"{str(path)[-40:]:40s} {task:12.1f} {score:15.1f}")
    if len(task_means) > 2:
        rho = spearmanr(task_means, learned_means).statistic
        print(f"rank correlation over the {len(task_means)} policies: {rho:.2f}")


if __name__ == "__main__":
    main()
