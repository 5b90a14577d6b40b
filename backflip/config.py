"""The run's typed configuration: parsed from the CLI, saved in the run directory."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any, Literal


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Train an agent from preferences (or, as the baseline, from the true reward)."""

    env: str = "HalfCheetah-v5"
    """gymnasium MuJoCo env id (v5 tasks), e.g. HalfCheetah-v5, Hopper-v5."""
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
    reward: Literal["learned", "true"] = "learned"
    """learned: RL on the reward model; true: RL on the env's reward (the baseline)."""
    oracle: Literal["synthetic", "human"] = "synthetic"
    """who answers queries: the synthetic teacher, or a person in `backflip label`."""
    query: Literal["uniform", "disagreement", "entropy"] = "disagreement"
    """how queries are picked from candidate pairs of recent clips."""
    segment_len: int = 50
    """clip length in env steps."""
    ensemble: int = 3
    """reward-model ensemble members."""
    teacher_beta: float = math.inf
    """synthetic teacher rationality (inf = perfect); noise relative to clip-return spread."""
    teacher_gamma: float = 1.0
    """synthetic teacher myopia: step t of T weighs gamma**(T-1-t)."""
    teacher_mistake: float = 0.0
    """probability that the synthetic teacher flips its answer."""
    teacher_skip: float = 0.0
    """skip a query when both clips are below this quantile of clip returns seen."""
    teacher_equal: float = 0.0
    """answer 'equal' when returns differ by less than this many return stds."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """where the agent and reward model run; auto = cuda if available."""
    resume: bool = False
    """continue the run in --run-dir from its last checkpoint."""
    horizon: int | None = None
    """episode length in steps (fixed, no early termination); default: the env's."""
    eval_horizon: int | None = None
    """episode length in steps of the final evaluation, `backflip eval` and `backflip video`;
    default: --horizon."""
    rounds: int = 20
    """reward-model updates (with queries and a checkpoint) spread over the run."""
    eval_episodes: int = 10
    """episodes for the final evaluation of the policy and of a random policy."""
    initial_fraction: float = 0.25
    """share of the label budget asked about clips of the initial random policy."""
    label_window: bool = False
    """with --oracle human: also open the labelling window (backflip label) in this session."""

    def resolved_run_dir(self) -> Path:
        if self.run_dir is not None:
            return self.run_dir
        return Path("runs") / f"{self.env.replace('/', '_')}-{self.algo}-{self.reward}-s{self.seed}"

    def resolved_eval_horizon(self, horizon: int) -> int:
        """Evaluation episode length, given the (resolved) training ``horizon``."""
        return self.eval_horizon or horizon

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["run_dir"] = str(self.resolved_run_dir())
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown config keys {sorted(unknown)}")
        values = dict(data)
        values["run_dir"] = Path(values["run_dir"]) if values.get("run_dir") else None
        return cls(**values)


# Fields that may differ between a run and its resumption.
RESUMABLE_CHANGES = ("resume", "device", "run_dir", "label_window")


def save_config(config: TrainConfig, path: Path) -> None:
    path.write_text(json.dumps(config.to_json(), indent=2, allow_nan=True) + "\n")


def load_config(path: Path) -> TrainConfig:
    return TrainConfig.from_json(json.loads(path.read_text()))


def config_differences(saved: TrainConfig, given: TrainConfig) -> list[str]:
    """Fields (other than :data:`RESUMABLE_CHANGES`) whose values differ."""
    out = []
    for field in dataclasses.fields(TrainConfig):
        if field.name in RESUMABLE_CHANGES:
            continue
        a, b = getattr(saved, field.name), getattr(given, field.name)
        if a != b:
            out.append(f"--{field.name.replace('_', '-')} {b} (run has {a})")
    return out
