"""Roll out a policy (or random actions) and measure its returns: the one evaluation of
``summary.json``, ``backflip eval`` and the videos."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from backflip.config import TrainConfig
from backflip.envs.flip_trace import flip_counter
from backflip.envs.make import make_run_env
from backflip.seeds import Seeds

Policy = Callable[[np.ndarray], np.ndarray]


@dataclasses.dataclass(frozen=True)
class Returns:
    """Per-episode returns, each ``(episodes,)``.

    Attributes:
        task: the task reward of the run's ``--costs``: what the oracle judges and
            ``--reward true`` trains on.
        env: the env's registered reward (with its control costs), as published figures.
        flips: complete backflips per episode, on envs that count them (else ``None``).
        clean_flips: clean backflips per episode (``backflip/envs/clean_flips.py``).
        late_clean_flips: clean backflips per episode in its last quarter.
    """

    task: np.ndarray
    env: np.ndarray
    flips: np.ndarray | None = None
    clean_flips: np.ndarray | None = None
    late_clean_flips: np.ndarray | None = None


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
    count_flips = flip_counter(config.env)
    task, env_return = np.zeros(episodes), np.zeros(episodes)
    flips, clean, late = np.zeros(episodes), np.zeros(episodes), np.zeros(episodes)
    for ep in range(episodes):
        obs, info = env.reset(seed=seed + ep)
        states = [info["physics_state"]]
        done = False
        while not done:
            action = env.action_space.sample() if policy is None else policy(obs)
            obs, reward, terminated, truncated, info = env.step(action)
            task[ep] += float(reward)
            env_return[ep] += float(info["env_reward"])
            if count_flips is not None:
                states.append(info["physics_state"])
            done = terminated or truncated
        if count_flips is not None:
            trace = count_flips(np.stack(states))
            flips[ep], clean[ep] = trace.all[-1], trace.clean[-1]
            late[ep] = trace.clean_in_last_quarter()
    env.close()
    if count_flips is None:
        return Returns(task, env_return)
    return Returns(task, env_return, flips, clean, late)


def evaluate(config: TrainConfig, horizon: int, policy: Policy, episodes: int) -> dict[str, float]:
    """A run's policy and a random one on the run's evaluation episodes (see
    :func:`episode_seed`): the keys shared by ``summary.json`` and ``backflip eval``."""
    seed = episode_seed(config, 0)
    final = episode_returns(config, horizon, policy, episodes, seed)
    random = episode_returns(config, horizon, None, episodes, seed)
    flips = {}
    if final.flips is not None and final.clean_flips is not None:
        assert random.flips is not None and random.clean_flips is not None
        assert final.late_clean_flips is not None
        flips = {
            "flips_per_episode": float(final.flips.mean()),
            "random_flips_per_episode": float(random.flips.mean()),
            "clean_flips_per_episode": float(final.clean_flips.mean()),
            "random_clean_flips_per_episode": float(random.clean_flips.mean()),
            "late_clean_flips_per_episode": float(final.late_clean_flips.mean()),
        }
    return {
        "eval_true_return_mean": float(final.task.mean()),
        "eval_true_return_std": float(final.task.std()),
        "random_true_return_mean": float(random.task.mean()),
        "random_true_return_std": float(random.task.std()),
        "eval_env_return_mean": float(final.env.mean()),
        "random_env_return_mean": float(random.env.mean()),
        **flips,
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
