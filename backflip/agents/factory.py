"""Build SB3 agents from the run's agent settings, used as they are (no subclasses)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch
from stable_baselines3 import PPO, SAC
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.logger import Logger, configure
from stable_baselines3.common.vec_env import VecEnv

from backflip.config import AgentConfig
from backflip.config.agent import MAX_BUFFER

Algo = Literal["sac", "ppo"]


def make_agent(
    algo: Algo,
    venv: VecEnv,
    config: AgentConfig,
    steps: int,
    seed: int,
    device: torch.device,
    tensorboard_log: Path | None = None,
    inference_only: bool = False,
) -> BaseAlgorithm:
    """SAC or PPO with ``config``'s settings for ``algo``.

    Args:
        algo: ``"sac"`` or ``"ppo"``.
        venv: the (learned-reward) vectorized env the agent acts in.
        config: settings of both algorithms; only ``algo``'s are used.
        steps: the run's env steps (SAC's default replay capacity).
        seed: seeds the agent's torch and action sampling.
        device: where the agent's networks live.
        tensorboard_log: folder for SB3's TensorBoard logs (one logger for the whole run,
            however many ``learn()`` calls it takes).
        inference_only: an agent that will only act (SAC gets no replay memory).
    """
    agent: BaseAlgorithm
    if algo == "sac":
        sac = config.sac
        agent = SAC(
            "MlpPolicy",
            venv,
            learning_starts=sac.learning_starts,
            buffer_size=1 if inference_only else sac.buffer_size or min(steps, MAX_BUFFER),
            batch_size=sac.batch_size,
            learning_rate=sac.learning_rate,
            gamma=sac.gamma,
            tau=sac.tau,
            ent_coef=f"auto_{sac.init_temperature}",
            target_update_interval=sac.target_update_interval,
            policy_kwargs={"net_arch": list(sac.hidden)},
            seed=seed,
            device=device,
            verbose=0,
        )
    elif algo == "ppo":
        ppo = config.ppo
        agent = PPO(
            "MlpPolicy",
            venv,
            n_steps=ppo.n_steps,
            batch_size=ppo.batch_size,
            n_epochs=ppo.n_epochs,
            gae_lambda=ppo.gae_lambda,
            gamma=ppo.gamma,
            ent_coef=ppo.ent_coef,
            learning_rate=ppo.learning_rate,
            clip_range=ppo.clip_range,
            vf_coef=ppo.vf_coef,
            max_grad_norm=ppo.max_grad_norm,
            policy_kwargs={
                "net_arch": list(ppo.hidden),
                "log_std_init": ppo.log_std_init,
                "ortho_init": ppo.ortho_init,
                "activation_fn": {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[ppo.activation],
            },
            seed=seed,
            device=device,
            verbose=0,
        )
    else:
        raise ValueError(f"unknown algo {algo!r}; choose sac or ppo")
    if tensorboard_log is not None:
        agent.set_logger(configure(str(tensorboard_log / "agent"), ["tensorboard"]))
    else:
        # SB3's default logger makes an empty folder in the temp dir at every learn().
        agent.set_logger(Logger(folder=None, output_formats=[]))
    return agent
