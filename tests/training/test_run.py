"""The run loop: rounds between PPO's rollouts, and the same run twice is the same run."""

from __future__ import annotations

import csv
import dataclasses

import pytest
import torch

from backflip.config import AgentConfig, PPOConfig, ScheduleConfig, TrainConfig
from backflip.storage.run_dir import RunDir
from backflip.training.run import round_ends, train

CPU = torch.device("cpu")
TINY = TrainConfig(
    env="HalfCheetah-v5",
    algo="ppo",
    steps=1000,
    labels=16,
    horizon=50,
    eval_episodes=2,
    schedule=ScheduleConfig(rounds=3),
    agent=AgentConfig(ppo=PPOConfig(n_envs=2, n_steps=64, batch_size=64, n_epochs=2)),
)


def test_round_ends_split_the_steps_evenly_and_end_at_the_last() -> None:
    assert round_ends(TINY) == [334, 668, 1000]
    one = dataclasses.replace(TINY, schedule=ScheduleConfig(rounds=1))
    assert round_ends(one) == [1000]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    folder = tmp_path_factory.mktemp("runs")
    return [
        train(dataclasses.replace(TINY, run_dir=folder / name), CPU, progress=False)
        for name in ("a", "b")
    ]


def test_ppo_rounds_come_between_rollouts(two_runs, tmp_path_factory) -> None:
    """A rollout never mixes rewards of two reward models: each round ends on a whole
    number of rollouts (2 envs x 64 steps), at or after its round end."""
    run_dir = RunDir(tmp_path_factory.getbasetemp() / "runs0" / "a")
    with run_dir.metrics.open() as f:
        steps = [int(row["step"]) for row in csv.DictReader(f)]
    assert all(step % 128 == 0 for step in steps)
    assert steps == [384, 768, 1024]  # the first multiple of 128 at or past 334, 668, 1000
    assert two_runs[0]["labels"] == 16


def test_the_same_config_gives_the_same_run_on_cpu(two_runs) -> None:
    timings = ("wall_s", "reward_fit_s")
    first, second = ({k: v for k, v in s.items() if k not in timings} for s in two_runs)
    assert first == second


def test_the_time_spent_fitting_the_reward_is_accounted(two_runs, tmp_path_factory) -> None:
    """``reward_fit_s`` adds up the fits: it grows over the rounds, within the wall time."""
    run_dir = RunDir(tmp_path_factory.getbasetemp() / "runs0" / "a")
    with run_dir.metrics.open() as f:
        rows = list(csv.DictReader(f))
    fits = [float(row["reward_fit_s"]) for row in rows]
    assert 0 < fits[0] <= fits[-1] < float(rows[-1]["wall_s"])
    assert fits == sorted(fits)
    summary = two_runs[0]
    assert 0 < float(summary["reward_fit_s"]) < float(summary["wall_s"])
