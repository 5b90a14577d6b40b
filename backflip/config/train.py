"""``TrainConfig``: the whole configuration of a run, the flags of ``backflip train``.

Every knob a run uses is a field here or in a group of it, so a resumed run continues
with the settings it started with; what is fixed instead is listed in
``docs/architecture.md``. The common flags come first; ``--help`` groups the rest by the
component that reads them.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Literal

from backflip.config.agent import AgentConfig
from backflip.config.checks import require
from backflip.config.preference import (
    AblationConfig,
    ExploreConfig,
    QueryConfig,
    RewardModelConfig,
    RewardTrainingConfig,
    ScheduleConfig,
    TeacherConfig,
)

Costs = Literal["hidden", "visible"]
Alive = Literal["healthy", "height"]
VISITED = "visited"
"""The restart source every env has: any physics state its training episodes visited."""
MAX_STEPS = 10**10
"""More env steps than any run: larger numbers are typos."""
MAX_HORIZON = 10**6
"""Steps of an episode at most (MuJoCo tasks use 1,000)."""


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Train an agent from preferences (or, as the baseline, from the true reward)."""

    env: str = "HalfCheetah-v5"
    """gymnasium MuJoCo env id, e.g. HalfCheetah-v5, Hopper-v5, or a task plug-in's (the
    README lists them)."""
    algo: Literal["sac", "ppo"] = "sac"
    """RL algorithm (stable-baselines3)."""
    steps: int = 30_000
    """environment steps of RL training."""
    labels: int = 300
    """budget of comparisons asked of the oracle over the run."""
    seed: int = 0
    """seeds the envs, the agent, the oracle, the reward model and the query draws."""
    run_dir: Path | None = None
    """where the run is written; default runs/<env>-<algo>-<reward>-s<seed>."""
    preset: str | None = None
    """a named configuration shipped with backflip (demo, backflip, ...: the files in
    backflip/presets/); its settings replace the defaults, and the flags given here
    override it."""
    config: Path | None = None
    """a TOML file of settings (the shape of a preset's), applied after --preset; flags
    given here override it."""
    reward: Literal["learned", "true"] = "learned"
    """learned: RL on the reward model; true: RL on the task reward (the baseline)."""
    oracle: Literal["synthetic", "human"] = "synthetic"
    """who answers queries: the synthetic teacher, or a person in `backflip label`."""
    resume: bool = False
    """continue the run in --run-dir from its last checkpoint."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """where the agent and reward model run; auto = cuda if available."""
    sim: Literal["mujoco", "warp"] = "mujoco"
    """the simulator of the training episodes: mujoco, one MuJoCo env per n-envs of the
    agent; warp, that many worlds stepped together by MuJoCo Warp on the --device
    (HalfCheetah-v5, Hopper-v5, Walker2d-v5; pip install 'backflip[warp]'). Clips are
    drawn, and the evaluation runs, on MuJoCo either way."""
    costs: Costs = "hidden"
    """hidden: control costs leave the task reward, which the oracle judges, --reward true
    trains on and the evaluation reports (the paper's protocol); visible: they stay in all
    three (the protocol of the imitation library)."""
    alive: Alive = "healthy"
    """what a walker earns for staying up (Hopper-v5, Walker2d-v5): healthy, the env's 1 a
    step in a healthy pose; height, its torso's height above the start instead, in m (the
    paper's code, rl-teacher), for the oracle, --reward true and the evaluation alike."""
    env_kwargs: tuple[str, ...] = ()
    """KEY=VALUE arguments for the env's constructor, e.g. reset_noise_scale=0.01; a VALUE
    is read as JSON where it parses (numbers, true, false), else as text. The run saves
    every argument, defaults included."""
    horizon: int | None = None
    """episode length in steps (fixed, no early termination); default: the env's."""
    eval_horizon: int | None = None
    """episode length in steps of the final evaluation, `backflip eval` and `backflip video`;
    default: --horizon."""
    eval_episodes: int = 10
    """episodes for the final evaluation of the policy and of a random policy."""
    restarts: float = 0.0
    """share of training episodes that start from a remembered physics state instead of
    the env's reset (see --restarts-from), so that the policy also learns to go on from
    where long episodes take it; evaluation episodes always start from the env's reset.
    0: off."""
    restarts_from: str = VISITED
    """where --restarts start: visited, any state the training envs visited (uniformly
    over all so far); or a source the env's task offers (the README lists them)."""
    label_window: bool = False
    """with --oracle human: also open the labelling window (backflip label) in this session."""
    query: QueryConfig = QueryConfig()
    """clips and queries."""
    teacher: TeacherConfig = TeacherConfig()
    """the synthetic teacher (--oracle synthetic)."""
    schedule: ScheduleConfig = ScheduleConfig()
    """when labels are asked."""
    reward_model: RewardModelConfig = RewardModelConfig()
    """the reward ensemble."""
    reward_training: RewardTrainingConfig = RewardTrainingConfig()
    """fitting the reward ensemble."""
    explore: ExploreConfig = ExploreConfig()
    """PEBBLE's pre-training and RUNE's bonus."""
    agent: AgentConfig = AgentConfig()
    """the RL agent."""
    ablation: AblationConfig = AblationConfig()
    """knobs kept only for ablations of the defaults."""

    def __post_init__(self) -> None:
        require(
            0 < self.steps <= MAX_STEPS,
            f"--steps must be positive and at most {MAX_STEPS:.0e}, got {self.steps}",
        )
        require(self.seed >= 0, f"--seed must be non-negative, got {self.seed}")
        require(
            self.reward == "true" or self.labels > 0,
            f"--labels must be positive, got {self.labels}",
        )
        require(
            self.schedule.rounds <= self.steps,
            f"--schedule.rounds {self.schedule.rounds} is more than --steps {self.steps}",
        )
        for name in ("horizon", "eval_horizon"):
            value = getattr(self, name)
            flag = "--" + name.replace("_", "-")
            require(
                value is None or 0 < value <= MAX_HORIZON,
                f"{flag} must be positive and at most {MAX_HORIZON:,}, got {value}",
            )
        require(self.eval_episodes >= 1, "--eval-episodes must be at least 1")
        require(0 <= self.restarts < 1, f"--restarts must be in [0, 1), got {self.restarts}")
        require(bool(self.restarts_from), "--restarts-from must name a source")
        pebble = self.explore.pebble_steps
        require(
            pebble < self.steps,
            f"--explore.pebble-steps {pebble} must be fewer than --steps {self.steps}",
        )
        for item in self.env_kwargs:
            key, equals, _ = item.partition("=")
            require(
                bool(equals) and key.isidentifier(),
                f"--env-kwargs {item!r}: give KEY=VALUE, e.g. reset_noise_scale=0.01",
            )
        require(
            not self.label_window or self.oracle == "human", "--label-window needs --oracle human"
        )

    def resolved_run_dir(self) -> Path:
        if self.run_dir is not None:
            return self.run_dir
        return Path("runs") / f"{self.env.replace('/', '_')}-{self.algo}-{self.reward}-s{self.seed}"

    def env_kwargs_dict(self) -> dict[str, Any]:
        """``--env-kwargs`` as keyword arguments for the env's constructor."""
        return dict(env_kwarg(item) for item in self.env_kwargs)

    def resolved_eval_horizon(self, horizon: int) -> int:
        """Evaluation episode length, given the (resolved) training ``horizon``."""
        return self.eval_horizon or horizon


def env_kwarg(item: str) -> tuple[str, Any]:
    """``"KEY=VALUE"`` as ``(KEY, VALUE)``, VALUE read as JSON where it parses."""
    key, _, text = item.partition("=")
    try:
        return key, json.loads(text)
    except json.JSONDecodeError:
        return key, text


def env_kwarg_items(kwargs: dict[str, Any]) -> tuple[str, ...]:
    """Keyword arguments as sorted ``KEY=VALUE`` items, VALUE as JSON: the form a run saves."""
    return tuple(f"{key}={json.dumps(value)}" for key, value in sorted(kwargs.items()))
