"""``--device``: the agent and the reward ensemble live where the user asked."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from backflip.commands.device import resolve_device
from backflip.config import ScheduleConfig, TrainConfig
from backflip.training.build import build_run


def build(tmp_path, device: str, algo: str):
    config = TrainConfig(
        env="HalfCheetah-v5", algo=algo, steps=200, labels=10, horizon=50, run_dir=tmp_path
    )
    return build_run(config, torch.device(device))


def assert_on(run, device_type: str) -> None:
    assert run.agent.device.type == device_type
    assert all(p.device.type == device_type for p in run.agent.policy.parameters())
    assert run.preferences is not None
    ensemble = run.preferences.model.ensemble
    assert all(p.device.type == device_type for p in ensemble.parameters())
    assert ensemble.input_mean.device.type == device_type
    rewards = run.preferences.model.predict(np.zeros((4, 17)), np.zeros((4, 6)), np.zeros((4, 17)))
    assert rewards.shape == (4,) and rewards.dtype == np.float32


@pytest.mark.parametrize("algo", ["sac", "ppo"])
def test_cpu_run_keeps_agent_and_ensemble_on_cpu(tmp_path, algo) -> None:
    assert_on(build(tmp_path, "cpu", algo), "cpu")


@pytest.mark.gpu
@pytest.mark.parametrize("algo", ["sac", "ppo"])
def test_cuda_run_puts_agent_and_ensemble_on_gpu(tmp_path, algo) -> None:
    run = build(tmp_path, "cuda", algo)
    assert_on(run, "cuda")
    # A short learned-reward run works end to end on the GPU.
    from backflip.training.run import train

    config = TrainConfig(
        env="HalfCheetah-v5",
        algo=algo,
        steps=600 if algo == "sac" else 1024,
        labels=20,
        horizon=100,
        schedule=ScheduleConfig(rounds=2),
        eval_episodes=1,
        run_dir=tmp_path / "run",
    )
    summary = train(config, torch.device("cuda"), progress=False)
    assert summary["device"].startswith("cuda")
    assert summary["labels"] == 20


@pytest.mark.skipif(torch.cuda.is_available(), reason="auto is the CPU only without CUDA")
def test_auto_on_the_cpu_is_the_cpu_with_one_thread() -> None:
    # The same run with --device auto and --device cpu: one thread each, the same numbers.
    torch.set_num_threads(2)
    assert resolve_device("auto") == torch.device("cpu")
    assert torch.get_num_threads() == 1
