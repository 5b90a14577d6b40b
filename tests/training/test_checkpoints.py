"""A checkpoint restores the whole run; only a damaged file is reported as one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import backflip.training.checkpoints as checkpoints
from backflip.config import AgentConfig, QueryConfig, SACConfig, ScheduleConfig, TrainConfig
from backflip.storage.run_dir import RunDir, RunDirError
from backflip.training.build import build_run
from backflip.training.run import train

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> TrainConfig:
    config = TrainConfig(
        env="HalfCheetah-v5",
        algo="sac",
        steps=200,
        labels=12,
        horizon=50,
        eval_episodes=1,
        schedule=ScheduleConfig(rounds=2),
        query=QueryConfig(segment_len=25, heldout_share=0.5),
        agent=AgentConfig(sac=SACConfig(learning_starts=50)),
        run_dir=tmp_path_factory.mktemp("ckpt") / "run",
    )
    train(config, CPU, progress=False)
    return config


def restored(config: TrainConfig):  # type: ignore[no-untyped-def]
    run = build_run(config, CPU)
    checkpoint = run.run_dir.latest_checkpoint()
    assert checkpoint is not None
    checkpoints.restore_checkpoint(run, checkpoint)
    return run


def test_restore_brings_back_agent_replay_reward_model_and_counters(finished) -> None:
    run, again = restored(finished), restored(finished)
    assert run.agent.num_timesteps == 200 and run.last_round_step == 200
    # 6 episodes of random actions (2 clips each; 4 clips a label, 3 labels), then 4 of RL
    assert run.recorder.episodes_done == 6 + 4
    buffer = run.agent.replay_buffer  # type: ignore[attr-defined]
    assert buffer.full and buffer.rewards.any()  # 200 transitions fill the 200-step buffer
    prefs = run.preferences
    assert prefs is not None and again.preferences is not None
    assert len(prefs.pool.heldout) == prefs.pool.heldout_seen > 0
    obs = np.random.default_rng(0).normal(size=(3, 17))
    acts = np.zeros((3, 6))
    reward = prefs.model.predict(obs, acts, obs)
    np.testing.assert_array_equal(reward, again.preferences.model.predict(obs, acts, obs))
    fresh = build_run(finished, CPU).preferences
    assert fresh is not None
    assert not np.array_equal(reward, fresh.model.predict(obs, acts, obs))  # really loaded


def test_a_damaged_file_is_a_one_line_error(finished, tmp_path) -> None:
    run = build_run(finished, CPU)
    checkpoint = RunDir(finished.resolved_run_dir()).latest_checkpoint()
    assert checkpoint is not None
    good = checkpoint.agent.read_bytes()
    try:
        checkpoint.agent.write_bytes(good[: len(good) // 2])
        with pytest.raises(RunDirError, match="cannot be loaded"):
            checkpoints.restore_checkpoint(run, checkpoint)
    finally:
        checkpoint.agent.write_bytes(good)


def test_a_bug_while_restoring_is_not_called_a_damaged_file(finished, monkeypatch) -> None:
    def broken(agent, state) -> None:  # type: ignore[no-untyped-def]
        raise AttributeError("a bug, not a damaged file")

    monkeypatch.setattr(checkpoints, "set_agent_state", broken)
    run = build_run(finished, CPU)
    checkpoint = run.run_dir.latest_checkpoint()
    assert checkpoint is not None
    with pytest.raises(AttributeError, match="a bug"):
        checkpoints.restore_checkpoint(run, checkpoint)
