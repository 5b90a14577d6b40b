"""The run loop: rounds between PPO's rollouts, and the same run twice is the same run."""

from __future__ import annotations

import csv
import dataclasses

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

from backflip.config import AgentConfig, ExploreConfig, PPOConfig, ScheduleConfig, TrainConfig
from backflip.envs.restarts import VisitedStateRestarts
from backflip.preference.reward_training import FitStats
from backflip.storage.run_dir import RunDir
from backflip.training.build import build_run
from backflip.training.checkpoints import restore_checkpoint
from backflip.training.run import pretrain, random_clips, round_ends, train, trapped_warning

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


def without_timings(summary: dict[str, object]) -> dict[str, object]:
    """A run's summary less its wall-clock times, which differ between identical runs."""
    return {k: v for k, v in summary.items() if k not in ("wall_s", "reward_fit_s")}


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
    first, second = (without_timings(s) for s in two_runs)
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


def test_pebble_explores_on_the_state_entropy_then_hands_back_the_learned_reward(
    tmp_path: pytest.TempPathFactory,
) -> None:
    config = dataclasses.replace(
        TINY, run_dir=tmp_path / "pebble", explore=ExploreConfig(pebble_steps=256)
    )
    run = build_run(config, CPU)
    assert run.learned is not None and run.preferences is not None
    pretrain(run, None)
    clips = run.recorder.drain()
    assert run.agent.num_timesteps == 256  # two rollouts of 2 envs x 64 steps
    assert len(clips) == 4  # one from each episode it finished: 2 envs x 2 of 50 steps
    # PPO's last rollout was paid the entropy estimate, log(1 + distance) >= 0 (scaled by
    # the reward normalizer's std, not shifted); the untrained learned reward is not.
    rewards = run.agent.rollout_buffer.rewards  # type: ignore[attr-defined]
    assert np.all(rewards >= 0) and np.any(rewards > 0)
    assert run.learned.reward_fn == run.preferences.model.predict


def test_a_true_reward_run_pretrains_on_the_state_entropy_only_when_asked(tmp_path) -> None:
    """``--explore.pebble-baseline``: the baseline explores as the learned run does, then
    is paid the task reward; without it, a true-reward run ignores ``pebble_steps``."""
    true = dataclasses.replace(TINY, reward="true", labels=0)
    plain = build_run(
        dataclasses.replace(
            true, run_dir=tmp_path / "plain", explore=ExploreConfig(pebble_steps=256)
        ),
        CPU,
    )
    assert plain.learned is None
    explore = ExploreConfig(pebble_steps=256, pebble_baseline=True)
    run = build_run(dataclasses.replace(true, run_dir=tmp_path / "b", explore=explore), CPU)
    assert run.learned is not None and run.learned.reward_fn is None
    pretrain(run, None)
    assert run.agent.num_timesteps == 256
    assert run.learned.reward_fn is None  # the task's reward passes through again
    assert run.recorder.drain() == []  # a baseline asks nothing
    # The last rollout was paid the entropy: >= 0 everywhere; the cheetah's own reward,
    # forward speed of a barely trained policy, is negative at some steps.
    rewards = run.agent.rollout_buffer.rewards  # type: ignore[attr-defined]
    assert np.all(rewards >= 0)
    run.agent.learn(128, reset_num_timesteps=False)
    assert np.any(run.agent.rollout_buffer.rewards < 0)  # type: ignore[attr-defined]


def test_a_sac_baseline_forgets_the_entropys_replay_after_pretraining(tmp_path) -> None:
    explore = ExploreConfig(pebble_steps=120, pebble_baseline=True)
    config = dataclasses.replace(
        TINY, algo="sac", reward="true", labels=0, run_dir=tmp_path / "sac", explore=explore
    )
    run = build_run(config, CPU)
    pretrain(run, None)
    buffer = run.agent.replay_buffer  # type: ignore[attr-defined]
    assert run.agent.num_timesteps >= 120 and buffer.size() == 0


def test_a_run_with_pebble_and_rune_asks_all_its_labels_and_keeps_runes_clock(
    tmp_path: pytest.TempPathFactory,
) -> None:
    explore = ExploreConfig(pebble_steps=256, rune_beta=0.05, rune_decay=1e-3)
    config = dataclasses.replace(TINY, run_dir=tmp_path / "both", explore=explore)
    summary = train(config, CPU, progress=False)
    assert summary["labels"] == 16
    run = build_run(dataclasses.replace(config, resume=True), CPU)
    restore_checkpoint(run, run.run_dir.latest_checkpoint())
    assert run.rune is not None and run.learned is not None
    assert run.learned.reward_fn == run.rune
    assert run.agent.num_timesteps == 1024


def test_restarts_wrap_each_training_env_with_a_stream_of_its_own(tmp_path) -> None:
    config = dataclasses.replace(TINY, run_dir=tmp_path / "restarts", restarts=0.5)
    run = build_run(config, CPU)
    envs = [monitor.env for monitor in run.recorder.venv.envs]  # type: ignore[attr-defined]
    assert all(isinstance(env, VisitedStateRestarts) and env.share == 0.5 for env in envs)
    draws = {float(env.rng.random()) for env in envs}
    assert len(draws) == len(envs)
    plain = build_run(dataclasses.replace(TINY, run_dir=tmp_path / "plain"), CPU)
    assert not any(
        isinstance(monitor.env, VisitedStateRestarts)
        for monitor in plain.recorder.venv.envs  # type: ignore[attr-defined]
    )


def test_a_runs_numbers_do_not_depend_on_how_many_threads_blas_may_use(tmp_path) -> None:
    """PEBBLE's distances are float32 matrix products, which numpy's BLAS rounds
    differently on two threads than on one: the run pins it to one, so a run made where
    ``OMP_NUM_THREADS`` is unset matches one made where it is 1."""
    ppo = dataclasses.replace(TINY.agent.ppo, n_envs=8, n_steps=128)
    config = dataclasses.replace(
        TINY, steps=8192, explore=ExploreConfig(pebble_steps=4096), agent=AgentConfig(ppo=ppo)
    )
    summaries = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            run_config = dataclasses.replace(config, run_dir=tmp_path / f"blas{threads}")
            summaries.append(train(run_config, CPU, progress=False))
    one, two = (without_timings(s) for s in summaries)
    assert one == two


@pytest.mark.parametrize("cut", ["episodes", "resets"])
def test_the_random_phase_cuts_its_clips_from_episodes_or_from_resets(cut, tmp_path) -> None:
    schedule = ScheduleConfig(rounds=3, random_clips=cut)
    config = dataclasses.replace(TINY, schedule=schedule, run_dir=tmp_path)
    run = build_run(config, CPU)
    assert run.preferences is not None
    clips = random_clips(run, run.preferences)
    starts = {clip.start_step for clip in clips}
    # clips cut from whole episodes start anywhere in them; from resets, at their start
    assert (starts == {0}) if cut == "resets" else (max(starts) > 0)
    assert len(clips) >= 8


def test_a_trapped_member_is_reported_with_the_loss_that_frees_it() -> None:
    stats = FitStats(0.6, 0.44, 0.7, 0.56, 100, 1000, 1e-4)
    assert stats.trapped(1000) and not stats.trapped(2000)
    assert not dataclasses.replace(stats, train_accuracy=0.6).trapped(1000)
    line = trapped_warning(stats, 0.1)
    assert "44%" in line and "1,000" in line and "--reward-training.random-answer-prob 0" in line
    assert "random-answer-prob" not in trapped_warning(stats, 0.0)
