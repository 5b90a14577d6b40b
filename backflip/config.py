"""The whole configuration of a run: parsed from the CLI, saved whole in ``config.json``.

Every knob a run uses is a field here, grouped by the component that reads it (query,
teacher, schedule, reward model, reward training, agent); nothing is a hidden code
default, so a resumed run always continues with the settings it started with. This
module imports nothing heavy: ``backflip --help`` stays fast.
"""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import tyro

from backflip.errors import BackflipError

FORMAT = 10
"""Version of the run-directory layout, saved in ``config.json``. Runs of format 1
(before the configuration was saved whole) have no ``format`` key; format 2 had no
``--costs`` and no observation normalization, format 3 no reward normalization, format 4
no ``--reward-training.shared-holdout`` and ``--reward-training.restandardize``, format 5
no ``--alive`` and ``--schedule.human-pace`` (it read as ``--alive healthy`` and did not
pace a person's run: what `upgraded` fills in), format 6 no ``--env-kwargs`` (none),
format 7 no ``--explore``, SURF's ``--reward-training`` fields and ``--restarts`` (all
off), format 8 no ``--query.top-share`` (0), format 9 no ``--restarts-from`` (visited)."""

QueryMethod = Literal["uniform", "disagreement", "entropy"]
Costs = Literal["hidden", "visible"]
Alive = Literal["healthy", "height"]
RestartFrom = Literal["visited", "landings"]


class ConfigError(BackflipError):
    """A configuration value no run can use, or a ``config.json`` this version can't read."""


def _alias(*names: str) -> Any:
    """The flag names a nested field also answers to (the flat names of earlier versions)."""
    return tyro.conf.arg(aliases=names)


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


@dataclasses.dataclass(frozen=True)
class QueryConfig:
    """Clips, the candidate pool and how queries are picked from it."""

    method: Annotated[QueryMethod, _alias("--query")] = "disagreement"
    """how queries are picked from candidate pairs of recent clips."""
    segment_seconds: float = 1.5
    """clip length in seconds of simulated time (the paper: 1-2 s, what a person can
    judge); rounded to whole env steps."""
    segment_len: Annotated[int | None, _alias("--segment-len")] = None
    """clip length in env steps; overrides --query.segment-seconds."""
    pool_rounds: int = 1
    """query candidates are the clips of this many latest rounds (recent behaviour)."""
    pool_size: int = 400
    """query candidates at most (the newest of those rounds)."""
    oversample: int = 10
    """random candidate pairs drawn per query asked, before the best are picked."""
    tie_margin: float = 0.05
    """a pair every ensemble member puts within this of P = 0.5 is a sure tie, asked only
    when nothing else is left (0 asks them like any other)."""
    top_share: float = 0.0
    """share of each round's queries asked among the best quarter of the candidates, by
    the reward model's own ranking (members' standardized returns, averaged): pairs of the
    clips it rates highest, where what sets a good one apart is learned (0: none)."""
    heldout_size: int = 400
    """clips held out from queries (a uniform sample of the run) to measure the reward."""
    heldout_share: float = 0.1
    """chance that a new clip goes to the held-out sample instead of the pool."""

    def __post_init__(self) -> None:
        _require(self.method in typing.get_args(QueryMethod), f"unknown query {self.method!r}")
        _require(
            self.segment_seconds > 0 and math.isfinite(self.segment_seconds),
            f"--query.segment-seconds must be positive, got {self.segment_seconds}",
        )
        _require(
            self.segment_len is None or self.segment_len > 0,
            f"--segment-len must be positive, got {self.segment_len}",
        )
        _require(self.pool_rounds >= 1, "--query.pool-rounds must be at least 1")
        _require(self.pool_size >= 2, "--query.pool-size must be at least 2")
        _require(self.oversample >= 1, "--query.oversample must be at least 1")
        _require(0 <= self.tie_margin < 0.5, "--query.tie-margin must be within [0, 0.5)")
        _require(0 <= self.top_share <= 1, "--query.top-share must be within [0, 1]")
        _require(self.heldout_size >= 0, "--query.heldout-size must be >= 0")
        _require(0 <= self.heldout_share < 1, "--query.heldout-share must be within [0, 1)")

    def steps_per_clip(self, dt: float) -> int:
        """Clip length in env steps, for an env of ``dt`` seconds per step."""
        return self.segment_len or max(1, round(self.segment_seconds / dt))


@dataclasses.dataclass(frozen=True)
class TeacherConfig:
    """Knobs of the simulated teacher of B-Pref (Lee et al. 2021, arXiv 2111.03026).

    Returns below are myopic clip returns (see ``gamma``); ``scale`` is the std of the
    returns of every clip the teacher has seen so far, so the noise is relative to the
    spread of returns and does not depend on the env's reward units.
    """

    beta: Annotated[float, _alias("--teacher-beta")] = math.inf
    """rationality: inf always prefers the higher return; finite picks left with
    probability ``sigmoid(beta * (R_left - R_right) / scale)`` (smaller = noisier)."""
    gamma: Annotated[float, _alias("--teacher-gamma")] = 1.0
    """myopia in (0, 1]: step ``t`` of a ``T``-step clip weighs ``gamma**(T-1-t)``."""
    mistake: Annotated[float, _alias("--teacher-mistake")] = 0.0
    """probability in [0, 1] of flipping a non-equal answer."""
    skip: Annotated[float, _alias("--teacher-skip")] = 0.0
    """quantile in [0, 1]: skip (answer None) when both clips' returns are below this
    quantile of the returns seen so far; 0 never skips."""
    equal: Annotated[float, _alias("--teacher-equal")] = 0.0
    """answer 0.5 when ``|R_left - R_right| < equal * scale``; 0 only for exact ties."""

    def __post_init__(self) -> None:
        _require(not math.isnan(self.beta), "--teacher-beta must be a number")
        _require(self.beta > 0, f"beta must be > 0 (inf = perfectly rational), got {self.beta}")
        _require(0 < self.gamma <= 1, f"gamma must be in (0, 1], got {self.gamma}")
        _require(0 <= self.mistake <= 1, f"mistake must be in [0, 1], got {self.mistake}")
        _require(0 <= self.skip <= 1, f"skip must be in [0, 1], got {self.skip}")
        _require(
            self.equal >= 0 and math.isfinite(self.equal),
            f"equal must be a finite number >= 0, got {self.equal}",
        )


@dataclasses.dataclass(frozen=True)
class ScheduleConfig:
    """When labels are asked and the reward model is refit."""

    rounds: Annotated[int, _alias("--rounds")] = 20
    """reward-model updates (with queries and a checkpoint) spread over the run."""
    initial_fraction: Annotated[float, _alias("--initial-fraction")] = 0.25
    """share of the label budget asked about clips of the initial random policy."""
    initial_batches: int = 4
    """the synthetic teacher's initial share comes in this many batches with a fit between
    them, so that active query selection works from the second batch on."""
    label_until: float = 0.5
    """share of the run's steps by which the whole budget has been asked."""
    decay: float = 4.0
    """start-to-end ratio of the label rate, minus 1 (rate ~ 1 / (1 + t / tau))."""
    random_phase_max_steps: int = 20_000
    """env steps of random actions at most, for clips of the untrained behaviour."""
    human_first_labels: int = 10
    """with --oracle human: answers awaited before RL starts (an untrained reward teaches
    nothing)."""
    human_pace: bool = True
    """with --oracle human: each round waits until the person has answered (or skipped)
    every query posed so far before posing more and training on, so training never runs
    more than a round ahead of the answers."""

    def __post_init__(self) -> None:
        _require(self.rounds >= 1, "--rounds must be at least 1")
        _require(0 <= self.initial_fraction <= 1, "--initial-fraction must be within [0, 1]")
        _require(self.initial_batches >= 1, "--schedule.initial-batches must be at least 1")
        _require(0 < self.label_until <= 1, "--schedule.label-until must be within (0, 1]")
        _require(
            self.decay > 0 and math.isfinite(self.decay),
            f"--schedule.decay must be a finite number > 0, got {self.decay}",
        )
        _require(self.random_phase_max_steps >= 1, "--schedule.random-phase-max-steps >= 1")
        _require(self.human_first_labels >= 1, "--schedule.human-first-labels must be >= 1")


@dataclasses.dataclass(frozen=True)
class RewardModelConfig:
    """Shape of the reward ensemble."""

    members: Annotated[int, _alias("--ensemble")] = 3
    """reward-model ensemble members."""
    hidden: tuple[int, ...] = (64, 64)
    """hidden layer sizes of each member's MLP."""

    def __post_init__(self) -> None:
        _require(self.members >= 1, f"--ensemble must be at least 1, got {self.members}")
        _require(all(h >= 1 for h in self.hidden), "--reward-model.hidden sizes must be >= 1")


@dataclasses.dataclass(frozen=True)
class RewardTrainingConfig:
    """How the reward ensemble is fit to comparisons."""

    target_accuracy: float = 0.97
    """each fit trains until every member's accuracy on its own training comparisons
    reaches this (PEBBLE's criterion), within the floor and cap below."""
    min_steps: int = 50
    """optimizer steps per fit at least."""
    max_steps: int = 1000
    """optimizer steps per fit at most."""
    batch_size: int = 64
    """comparisons per member per optimizer step."""
    train_clip_steps: int = 25
    """a longer clip's return is estimated in training from every k-th step (random
    offset, scaled up), k = ceil(clip steps / this): neighbouring steps a few ms apart are
    near copies, and the fit's cost grows with the steps it reads."""
    lr: float = 3e-4
    """Adam learning rate."""
    weight_decay: float = 1e-4
    """initial L2 weight (Adam ``weight_decay``); adapted after every fit if ``adapt_l2``."""
    random_answer_prob: float = 0.1
    """assumed chance that an answer was uniformly random (the paper: 10%)."""
    shared_holdout: float = 0.0
    """share of comparisons held out from every member (validation only, never trained
    on); 0 trains the ensemble on every label. The protocol before per-member bags held
    out 1/e (0.37): kept for ablations."""
    restandardize: bool = False
    """recompute the input statistics at every fit under warm-started weights, which
    moves the learned reward at every refit (the behaviour before refits kept the
    function): kept for ablations."""
    surf_threshold: Annotated[float, _alias("--surf-threshold")] = 0.0
    """SURF: each optimizer step also trains on as many unlabelled pairs of query
    candidates as labelled ones, those where the ensemble's mean ``P(left better)`` is at
    least this or at most 1 minus it, labelled as the ensemble says; 0: off."""
    surf_weight: float = 1.0
    """weight of SURF's pseudo-labelled loss against the labelled one."""
    surf_crop: Annotated[float, _alias("--surf-crop")] = 0.0
    """SURF's temporal crop: each optimizer step reads the two clips of a pair from
    windows of one random length, from (1 - this) of a clip to all of it, at random
    starts; 0: off."""
    adapt_l2: bool = False
    """keep each member's out-of-bag loss within 1.1-1.5x its training loss by scaling the
    L2 weight by 1.5 after each fit (the paper's rule). Off by default: training to the
    accuracy criterion keeps the ratio above 1.5, so the rule only ever raises L2, and it
    fits the labels no better (benchmarks/reward_fit.py)."""

    def __post_init__(self) -> None:
        _require(
            0 < self.target_accuracy <= 1,
            f"--reward-training.target-accuracy must be in (0, 1], got {self.target_accuracy}",
        )
        _require(
            1 <= self.min_steps <= self.max_steps,
            "--reward-training.min-steps must be >= 1 and <= --reward-training.max-steps",
        )
        _require(self.batch_size >= 1, "--reward-training.batch-size must be >= 1")
        _require(self.train_clip_steps >= 1, "--reward-training.train-clip-steps must be >= 1")
        _require(self.lr > 0 and self.weight_decay >= 0, "lr must be > 0 and weight_decay >= 0")
        _require(
            0 <= self.shared_holdout < 1,
            f"--reward-training.shared-holdout must be in [0, 1), got {self.shared_holdout}",
        )
        _require(
            self.surf_threshold == 0 or 0.5 < self.surf_threshold <= 1,
            f"--surf-threshold must be 0 (off) or in (0.5, 1], got {self.surf_threshold}",
        )
        _require(0 <= self.surf_crop < 1, f"--surf-crop must be in [0, 1), got {self.surf_crop}")
        _require(self.surf_weight >= 0, f"surf_weight must be >= 0, got {self.surf_weight}")
        _require(
            0 <= self.random_answer_prob < 1,
            f"random_answer_prob must be in [0, 1), got {self.random_answer_prob}",
        )


@dataclasses.dataclass(frozen=True)
class ExploreConfig:
    """Exploration from the methods after the 2017 paper (off by default): PEBBLE's
    unsupervised pre-training and RUNE's bonus where the reward ensemble disagrees."""

    pebble_steps: Annotated[int, _alias("--pebble-steps")] = 0
    """env steps (part of ``--steps``) the agent first learns on PEBBLE's state-entropy
    reward (k-nearest-neighbour distances of its observations) before the first queries,
    whose clips then come from that exploration instead of random actions; 0: random
    actions. Learned-reward runs only, like RUNE."""
    pebble_k: int = 5
    """PEBBLE's k: the distance to the k-th nearest of the recent observations."""
    rune_beta: Annotated[float, _alias("--rune-beta")] = 0.0
    """RUNE: the agent's reward is the ensemble's mean plus this times the members'
    standard deviation (both in the members' normalized units); 0: off."""
    rune_decay: float = 1e-5
    """RUNE's bonus weight is ``rune_beta * (1 - rune_decay) ** env_steps``."""

    def __post_init__(self) -> None:
        _require(self.pebble_steps >= 0, f"--pebble-steps must be >= 0, got {self.pebble_steps}")
        _require(self.pebble_k >= 1, f"--explore.pebble-k must be >= 1, got {self.pebble_k}")
        _require(
            self.rune_beta >= 0 and math.isfinite(self.rune_beta),
            f"--rune-beta must be a finite number >= 0, got {self.rune_beta}",
        )
        _require(
            0 <= self.rune_decay < 1,
            f"--explore.rune-decay must be in [0, 1), got {self.rune_decay}",
        )


@dataclasses.dataclass(frozen=True)
class PPOConfig:
    """PPO's settings (stable-baselines3 names). The defaults are for budgets of 10^5-10^6
    steps on a few CPU cores: the RL Baselines3 Zoo's MuJoCo choices (normalized
    observations and rewards, ReLU 256-256 networks without orthogonal init, a small
    learning rate, many updates per sample) with 8 envs stepping together and large
    minibatches, which run several times faster on a CPU than the Zoo's one env."""

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
        _require(self.n_envs >= 1, "--agent.ppo.n-envs must be at least 1")
        _require(self.n_envs * self.n_steps > 1, "a PPO rollout (n_envs * n_steps) needs 2+ steps")
        _require(self.batch_size >= 2, "--agent.ppo.batch-size must be at least 2")


@dataclasses.dataclass(frozen=True)
class SACConfig:
    """SAC's settings (stable-baselines3 names)."""

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

    def __post_init__(self) -> None:
        _require(self.n_envs >= 1, "--agent.sac.n-envs must be at least 1")


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
    costs: Costs = "hidden"
    """hidden: control costs leave the task reward, which the oracle judges, --reward true
    trains on and the evaluation reports (the paper's protocol); visible: they stay in all
    three (the protocol of the imitation library)."""
    alive: Alive = "healthy"
    """what a walker earns for staying up (Hopper-v5, Walker2d-v5): healthy, the env's 1 a
    step in a healthy pose; height, its torso's height above the start instead, in m (the
    paper's code, rl-teacher), for the oracle, --reward true and the evaluation alike."""
    env_kwargs: tuple[str, ...] = ()
    """KEY=VALUE arguments for the env's constructor, e.g. takeoff=upright
    landing_weight=30 for the backflip judge; a VALUE is read as JSON where it parses
    (numbers, true, false), else as text."""
    restarts: float = 0.0
    """share of training episodes that start from a physics state the training envs
    visited before (drawn uniformly from all so far) instead of the env's reset, so that
    the policy also learns to go on from where long episodes take it; evaluation episodes
    always start from the env's reset. 0: off."""
    restarts_from: RestartFrom = "visited"
    """where --restarts start: visited, any state (uniformly); landings, a touchdown on the
    foot after at least half a turn back in the air, one of the latest 500 (backflip envs
    only): the policy learns to go on after a landing a little off."""
    oracle: Literal["synthetic", "human"] = "synthetic"
    """who answers queries: the synthetic teacher, or a person in `backflip label`."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """where the agent and reward model run; auto = cuda if available."""
    resume: bool = False
    """continue the run in --run-dir from its last checkpoint."""
    horizon: int | None = None
    """episode length in steps (fixed, no early termination); default: the env's."""
    eval_horizon: int | None = None
    """episode length in steps of the final evaluation, `backflip eval` and `backflip video`;
    default: --horizon."""
    eval_episodes: int = 10
    """episodes for the final evaluation of the policy and of a random policy."""
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

    def __post_init__(self) -> None:
        _require(self.steps > 0, f"--steps must be positive, got {self.steps}")
        _require(self.seed >= 0, f"--seed must be non-negative, got {self.seed}")
        _require(
            self.reward == "true" or self.labels > 0,
            f"--labels must be positive, got {self.labels}",
        )
        _require(
            self.schedule.rounds <= self.steps,
            f"--rounds {self.schedule.rounds} is more than --steps {self.steps}",
        )
        for name in ("horizon", "eval_horizon"):
            value = getattr(self, name)
            flag = "--" + name.replace("_", "-")
            _require(value is None or value > 0, f"{flag} must be positive, got {value}")
        _require(self.eval_episodes >= 1, "--eval-episodes must be at least 1")
        _require(0 <= self.restarts < 1, f"--restarts must be in [0, 1), got {self.restarts}")
        pebble = self.explore.pebble_steps
        _require(
            pebble < self.steps, f"--pebble-steps {pebble} must be fewer than --steps {self.steps}"
        )
        for item in self.env_kwargs:
            key, equals, _ = item.partition("=")
            _require(
                bool(equals) and key.isidentifier(),
                f"--env-kwargs {item!r}: give KEY=VALUE, e.g. landing_weight=30",
            )
        _require(
            not self.label_window or self.oracle == "human", "--label-window needs --oracle human"
        )

    def resolved_run_dir(self) -> Path:
        if self.run_dir is not None:
            return self.run_dir
        return Path("runs") / f"{self.env.replace('/', '_')}-{self.algo}-{self.reward}-s{self.seed}"

    def env_kwargs_dict(self) -> dict[str, Any]:
        """``--env-kwargs`` as keyword arguments for the env's constructor."""
        return dict(_env_kwarg(item) for item in self.env_kwargs)

    def resolved_eval_horizon(self, horizon: int) -> int:
        """Evaluation episode length, given the (resolved) training ``horizon``."""
        return self.eval_horizon or horizon

    def to_json(self) -> dict[str, Any]:
        data = {"format": FORMAT, **dataclasses.asdict(self)}
        data["run_dir"] = str(self.resolved_run_dir())
        return data

    @classmethod
    def from_json(cls, data: object) -> TrainConfig:
        """The config saved by :meth:`to_json`; :class:`ConfigError` for any other shape."""
        if not isinstance(data, dict):
            raise ConfigError("the saved configuration is not a JSON object")
        data = upgraded(data)
        found = data.get("format", 1)
        if found != FORMAT:
            raise ConfigError(
                f"the run directory is from another backflip version (format {found}; this "
                f"version reads format {FORMAT}): start a new run with this version"
            )
        values = {k: v for k, v in data.items() if k != "format"}
        config = _from_dict(cls, values, "")
        run_dir = values.get("run_dir")
        return dataclasses.replace(config, run_dir=Path(run_dir) if run_dir else None)


def _env_kwarg(item: str) -> tuple[str, Any]:
    key, _, text = item.partition("=")
    try:
        return key, json.loads(text)
    except json.JSONDecodeError:
        return key, text


def upgraded(data: dict[str, Any]) -> dict[str, Any]:
    """A saved configuration in this version's format where it only lacks fields whose
    value is what its version did (format 5: ``alive``, ``schedule.human_pace``; format
    6: ``env_kwargs``; format 7: ``explore``, SURF's fields, ``restarts``; format 8:
    ``query.top_share``; format 9: ``restarts_from``); any other one unchanged."""
    if data.get("format") == 5 and isinstance(data.get("schedule"), dict):
        schedule = {**data["schedule"], "human_pace": False}
        data = {**data, "format": 6, "alive": "healthy", "schedule": schedule}
    if data.get("format") == 6:
        data = {**data, "format": 7, "env_kwargs": []}
    if data.get("format") == 7 and isinstance(data.get("reward_training"), dict):
        surf = {"surf_threshold": 0.0, "surf_weight": 1.0, "surf_crop": 0.0}
        training = {**data["reward_training"], **surf}
        explore = dataclasses.asdict(ExploreConfig())
        data = {
            **data,
            "format": 8,
            "explore": explore,
            "reward_training": training,
            "restarts": 0.0,
        }
    if data.get("format") == 8 and isinstance(data.get("query"), dict):
        data = {**data, "format": 9, "query": {**data["query"], "top_share": 0.0}}
    if data.get("format") == 9:
        data = {**data, "format": FORMAT, "restarts_from": "visited"}
    return data


def _from_dict(cls: type, data: object, where: str) -> Any:
    """Builds dataclass ``cls`` from nested JSON; every field must be there, no other."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where.rstrip('.') or 'config'} is not a JSON object")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    missing, unknown = set(names) - set(data), set(data) - set(names)
    if missing or unknown:
        raise ConfigError(
            f"the saved configuration does not match this version's (missing "
            f"{sorted(where + m for m in missing)}, unknown {sorted(where + u for u in unknown)})"
        )
    values = {}
    for name in names:
        value, kind = data[name], hints[name]
        if dataclasses.is_dataclass(kind):
            value = _from_dict(typing.cast(type, kind), value, f"{where}{name}.")
        elif isinstance(value, list):
            value = tuple(value)
        values[name] = value
    try:
        return cls(**values)
    except TypeError as err:
        raise ConfigError(f"the saved configuration is malformed ({err})") from None


RESUMABLE_CHANGES = ("resume", "device", "run_dir", "label_window")
"""Fields that may differ between a run and its resumption."""


def flat_fields(config: object, prefix: str = "") -> dict[str, object]:
    """``{"teacher.beta": inf, ...}``: every leaf field of a nested config by dotted name."""
    out: dict[str, object] = {}
    for field in dataclasses.fields(typing.cast(Any, config)):
        value = getattr(config, field.name)
        if dataclasses.is_dataclass(value):
            out.update(flat_fields(value, f"{prefix}{field.name}."))
        else:
            out[prefix + field.name] = value
    return out


def config_differences(saved: TrainConfig, given: TrainConfig) -> list[str]:
    """Fields (other than :data:`RESUMABLE_CHANGES`) whose values differ, as flags."""
    old, new = flat_fields(saved), flat_fields(given)
    return [
        f"--{name.replace('_', '-')} {new[name]} (run has {old[name]})"
        for name in old
        if name not in RESUMABLE_CHANGES and old[name] != new[name]
    ]
