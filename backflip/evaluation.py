"""Roll out a policy (or random actions) and measure its returns: the one evaluation of
``summary.json``, ``backflip eval`` and the videos."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from backflip.config import TrainConfig
from backflip.envs.make import make_run_env
from backflip.seeds import Seeds
from backflip.tasks.registry import task_for

Policy = Callable[[np.ndarray], np.ndarray]


@dataclasses.dataclass(frozen=True)
class Returns:
    """Per-episode returns, each ``(episodes,)``, and the task's metrics.

    Attributes:
        task: the task reward of the run's ``--costs``: what the oracle judges and
            ``--reward true`` trains on.
        env: the env's registered reward (with its control costs), as published figures.
        metrics: each of the task's metrics (``backflip/tasks/base.py``) by name,
            ``(episodes,)``.
    """

    task: np.ndarray
    env: np.ndarray
    metrics: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)


def episode_seed(config: TrainConfig, episode: int) -> int:
    """The reset seed of evaluation episode ``episode`` (0-based) of a run: the same in
    ``summary.json``, ``backflip eval`` and ``backflip video``."""
    return Seeds.of(config.seed).evaluation + episode


def episode_returns(
    config: TrainConfig, horizon: int | None, policy: Policy | None, episodes: int, seed: int
) -> Returns:
    """Returns on the run's fixed-horizon env, episode ``k`` reset with ``seed + k``;
    ``policy=None`` acts uniformly at random."""
    env = make_run_env(config, horizon)
    env.action_space.seed(seed)
    task = task_for(config.env)
    returns, env_return = np.zeros(episodes), np.zeros(episodes)
    metrics = {metric.name: np.zeros(episodes) for metric in task.metrics}
    from_info = {m.name: m.info_key for m in task.metrics if m.info_key is not None}
    for ep in range(episodes):
        obs, info = env.reset(seed=seed + ep)
        states = [info["physics_state"]]
        done = False
        while not done:
            action = env.action_space.sample() if policy is None else policy(obs)
            obs, reward, terminated, truncated, info = env.step(action)
            returns[ep] += float(reward)
            env_return[ep] += float(info["env_reward"])
            if metrics:
                states.append(info["physics_state"])
            for name, key in from_info.items():
                metrics[name][ep] = max(metrics[name][ep], float(info[key]))
            done = terminated or truncated
        if len(from_info) < len(metrics):
            for name, value in task.episode_metrics(np.stack(states)).items():
                metrics[name][ep] = value
    env.close()
    return Returns(returns, env_return, metrics)


def evaluate(config: TrainConfig, horizon: int, policy: Policy, episodes: int) -> dict[str, float]:
    """A run's policy and a random one on the run's evaluation episodes (see
    :func:`episode_seed`): the keys shared by ``summary.json`` and ``backflip eval``,
    the task's metrics (and a random policy's, as ``random_<name>``) among them."""
    seed = episode_seed(config, 0)
    final = episode_returns(config, horizon, policy, episodes, seed)
    random = episode_returns(config, horizon, None, episodes, seed)
    metrics = {}
    for name, values in final.metrics.items():
        metrics[name] = float(values.mean())
        metrics["random_" + name] = float(random.metrics[name].mean())
    return {
        "eval_true_return_mean": float(final.task.mean()),
        "eval_true_return_std": float(final.task.std()),
        "random_true_return_mean": float(random.task.mean()),
        "random_true_return_std": float(random.task.std()),
        "eval_env_return_mean": float(final.env.mean()),
        "random_env_return_mean": float(random.env.mean()),
        **metrics,
    }


def episode_states(
    config: TrainConfig, horizon: int, policy: Policy, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """One episode's physics states ``(T + 1, 1 + nq + nv)`` and task rewards ``(T,)``."""
    env = make_run_env(config, horizon)
    obs, info = env.reset(seed=seed)
    states, rewards = [info["physics_state"]], []
    done = False
    while not done:
        obs, reward, terminated, truncated, info = env.step(policy(obs))
        states.append(info["physics_state"])
        rewards.append(float(reward))
        done = terminated or truncated
    env.close()
    return np.stack(states), np.asarray(rewards)
