"""GPU vs CPU: SB3 agent steps/s and reward-ensemble throughput, side by side in one run.

python benchmarks/gpu_throughput.py            # needs CUDA for the GPU column
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch
from stable_baselines3.common.vec_env import DummyVecEnv

os.environ.setdefault("MUJOCO_GL", "egl")

from backflip.agents.factory import make_agent  # noqa: E402
from backflip.agents.normalization import normalize  # noqa: E402
from backflip.config import AgentConfig, RewardTrainingConfig, SACConfig  # noqa: E402
from backflip.envs.make import make_env  # noqa: E402
from backflip.preference.ensemble import RewardEnsemble  # noqa: E402
from backflip.preference.reward_training import RewardTrainer  # noqa: E402
from backflip.records import Comparison, Segment  # noqa: E402

ENV = "HalfCheetah-v5"


def agent_steps_per_s(algo: str, device: torch.device, steps: int) -> float:
    config = AgentConfig(sac=SACConfig(learning_starts=100))
    settings = config.settings(algo)
    venv = normalize(DummyVecEnv([lambda: make_env(ENV, horizon=1000)] * settings.n_envs), settings)
    agent = make_agent(algo, venv, config, steps, seed=0, device=device)
    agent.learn(steps // 4)  # warm-up (CUDA kernels, first updates)
    start = time.perf_counter()
    agent.learn(steps, reset_num_timesteps=False)
    return steps / (time.perf_counter() - start)


def ensemble_figures(device: torch.device, n_comparisons: int = 700) -> tuple[float, float]:
    """(reward predictions per second on 100k transitions, optimizer steps per second of
    a fit: 64 comparisons of 50-step clips, read at the default stride)."""
    rng = np.random.default_rng(0)
    obs_dim, act_dim, t = 17, 6, 50
    ensemble = RewardEnsemble(obs_dim, act_dim, n_members=3, seed=0).to(device)
    n = 100_000
    obs, acts = rng.normal(size=(n, obs_dim)), rng.normal(size=(n, act_dim))
    ensemble.predict(obs[:1000], acts[:1000], obs[:1000])
    start = time.perf_counter()
    for _ in range(5):
        ensemble.predict(obs, acts, obs)
    predict_rate = 5 * n / (time.perf_counter() - start)
    w = rng.normal(size=obs_dim)
    segments = {
        i: Segment(
            obs=(o := rng.normal(size=(t + 1, obs_dim))),
            acts=rng.normal(size=(t, act_dim)),
            oracle_rewards=o[1:] @ w,
            states=np.zeros((t + 1, 3)),
            env_id=ENV,
            seed=0,
            episode=i,
            start_step=0,
        )
        for i in range(400)
    }
    pairs = rng.choice(400, size=(n_comparisons, 2))
    comparisons = [
        Comparison(int(a), int(b), float(segments[a].oracle_return > segments[b].oracle_return))
        for a, b in pairs
        if a != b
    ]
    config = RewardTrainingConfig(min_steps=500, max_steps=500)
    trainer = RewardTrainer(ensemble, config, device, seed=0)
    start = time.perf_counter()
    stats = trainer.fit(comparisons, segments)
    return predict_rate, stats.steps / (time.perf_counter() - start)


def main() -> None:
    torch.set_num_threads(1)
    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        devices.append(torch.device("cuda"))
        print("GPU:", torch.cuda.get_device_name(0))
    else:
        print("CUDA not available: CPU figures only")
    print("| figure | " + " | ".join(d.type for d in devices) + " |")
    print("|---|" + "---|" * len(devices))
    rows = {
        "SAC agent steps/s": [agent_steps_per_s("sac", d, 2000) for d in devices],
        "PPO agent steps/s": [agent_steps_per_s("ppo", d, 8192) for d in devices],
    }
    figures = [ensemble_figures(d) for d in devices]
    rows["ensemble reward predictions/s (3 members)"] = [f[0] for f in figures]
    rows["ensemble fit, optimizer steps/s"] = [f[1] for f in figures]
    for name, values in rows.items():
        print(f"| {name} | " + " | ".join(f"{v:,.0f}" for v in values) + " |")


if __name__ == "__main__":
    main()
