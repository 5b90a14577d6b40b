"""The RL agent's settings, per algorithm (stable-baselines3 names)."""

from __future__ import annotations

import dataclasses
from typing import Literal

from backflip.config.checks import finite, require

MAX_BUFFER = 1_000_000
"""SAC's replay capacity without --agent.sac.buffer-size: the run's steps, at most this."""


@dataclasses.dataclass(frozen=True)
class PPOConfig:
    """PPO's settings. The defaults are for budgets of 10^5-10^6 steps on a few CPU cores:
    the RL Baselines3 Zoo's MuJoCo choices (normalized observations and rewards, ReLU
    256-256 networks without orthogonal init, a small learning rate, many updates per
    sample) with 8 envs stepping together and large minibatches, which run several times
    faster on a CPU than the Zoo's one env."""

    n_envs: int = 8
    """envs stepping together (one process); a rollout is ``n_envs * n_steps`` steps."""
    normalize_obs: bool = True
    """standardize the agent's observations with running statistics (SB3 VecNormalize)."""
    normalize_reward: bool = True
    """divide the agent's rewards by the running std of its discounted return (SB3
    VecNormalize; the learned reward and the true reward alike)."""
    n_steps: int = 256
    """env steps per env per rollout."""
    batch_size: int = 256
    """minibatch size."""
    n_epochs: int = 10
    """passes over each rollout."""
    gae_lambda: float = 0.95
    """GAE's lambda."""
    gamma: float = 0.99
    """discount."""
    ent_coef: float = 0.0
    """entropy bonus."""
    learning_rate: float = 1e-4
    """Adam learning rate."""
    clip_range: float = 0.2
    """PPO's clip range."""
    vf_coef: float = 0.5
    """weight of the value loss."""
    max_grad_norm: float = 0.5
    """gradient clipping."""
    log_std_init: float = -1.0
    """initial log standard deviation of the Gaussian policy."""
    ortho_init: bool = False
    """orthogonal initialization of the networks."""
    activation: Literal["tanh", "relu"] = "relu"
    """activation of the hidden layers."""
    hidden: tuple[int, ...] = (256, 256)
    """hidden layer sizes of the policy and the value network (each its own)."""

    def __post_init__(self) -> None:
        require(self.n_envs >= 1, "--agent.ppo.n-envs must be at least 1")
        require(self.n_steps >= 1, "--agent.ppo.n-steps must be at least 1")
        require(self.n_envs * self.n_steps > 1, "a PPO rollout (n_envs * n_steps) needs 2+ steps")
        require(self.batch_size >= 2, "--agent.ppo.batch-size must be at least 2")
        require(self.n_epochs >= 1, "--agent.ppo.n-epochs must be at least 1")
        require(0 <= self.gae_lambda <= 1, "--agent.ppo.gae-lambda must be in [0, 1]")
        require(0 < self.gamma <= 1, f"--agent.ppo.gamma must be in (0, 1], got {self.gamma}")
        require(
            self.learning_rate > 0 and finite(self.learning_rate),
            "--agent.ppo.learning-rate must be a finite number > 0",
        )
        for name in ("ent_coef", "clip_range", "vf_coef", "max_grad_norm"):
            value = getattr(self, name)
            require(
                value >= 0 and finite(value),
                f"--agent.ppo.{name.replace('_', '-')} must be a finite number >= 0",
            )
        require(finite(self.log_std_init), "--agent.ppo.log-std-init must be finite")
        require(all(h >= 1 for h in self.hidden), "--agent.ppo.hidden sizes must be >= 1")


@dataclasses.dataclass(frozen=True)
class SACConfig:
    """SAC's settings."""

    n_envs: int = 1
    """envs stepping together (one process)."""
    normalize_obs: bool = False
    """standardize the agent's observations with running statistics (SB3 VecNormalize)."""
    normalize_reward: bool = False
    """divide the agent's rewards by the running std of its discounted return."""
    learning_starts: int = 1000
    """random-action steps before the first update."""
    buffer_size: int | None = None
    """replay capacity in transitions; default: the run's steps, at most 1,000,000."""
    batch_size: int = 256
    """minibatch size."""
    learning_rate: float = 3e-4
    """Adam learning rate."""
    gamma: float = 0.99
    """discount."""
    tau: float = 0.005
    """target network update rate."""
    hidden: tuple[int, ...] = (256, 256)
    """hidden layer sizes of the actor and the critics."""
    init_temperature: float = 1.0
    """the entropy coefficient at the start (it is learned from there)."""
    target_update_interval: int = 1
    """gradient steps between updates of the target critics."""

    def __post_init__(self) -> None:
        require(self.n_envs >= 1, "--agent.sac.n-envs must be at least 1")
        require(
            self.init_temperature > 0 and finite(self.init_temperature),
            "--agent.sac.init-temperature must be a finite number > 0",
        )
        require(
            self.target_update_interval >= 1,
            "--agent.sac.target-update-interval must be at least 1",
        )
        require(self.learning_starts >= 0, "--agent.sac.learning-starts must be >= 0")
        require(
            self.buffer_size is None or self.buffer_size >= 1,
            "--agent.sac.buffer-size must be at least 1",
        )
        require(self.batch_size >= 1, "--agent.sac.batch-size must be at least 1")
        require(
            self.learning_rate > 0 and finite(self.learning_rate),
            "--agent.sac.learning-rate must be a finite number > 0",
        )
        require(0 < self.gamma <= 1, f"--agent.sac.gamma must be in (0, 1], got {self.gamma}")
        require(0 < self.tau <= 1, f"--agent.sac.tau must be in (0, 1], got {self.tau}")
        require(all(h >= 1 for h in self.hidden), "--agent.sac.hidden sizes must be >= 1")


@dataclasses.dataclass(frozen=True)
class AgentConfig:
    """The RL agent's settings, per algorithm."""

    ppo: PPOConfig = PPOConfig()
    """used with --algo ppo."""
    sac: SACConfig = SACConfig()
    """used with --algo sac."""

    def settings(self, algo: str) -> PPOConfig | SACConfig:
        """The settings of ``algo`` (``"ppo"`` or ``"sac"``)."""
        return self.ppo if algo == "ppo" else self.sac
