"""Settings of the preference side: clips and queries, the synthetic teacher, the label
schedule, the reward ensemble and its fits, exploration, and the ablation-only knobs."""

from __future__ import annotations

import dataclasses
import math
import typing
from typing import Literal

from backflip.config.checks import finite, require

QueryMethod = Literal["uniform", "disagreement", "entropy"]


@dataclasses.dataclass(frozen=True)
class QueryConfig:
    """Clips, the candidate pool and how queries are picked from it."""

    method: QueryMethod = "disagreement"
    """how queries are picked from candidate pairs of recent clips."""
    segment_seconds: float = 1.5
    """clip length in seconds of simulated time (the paper: 1-2 s, what a person can
    judge); rounded to whole env steps."""
    segment_len: int | None = None
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
        require(self.method in typing.get_args(QueryMethod), f"unknown query {self.method!r}")
        require(
            self.segment_seconds > 0 and finite(self.segment_seconds),
            f"--query.segment-seconds must be positive, got {self.segment_seconds}",
        )
        require(
            self.segment_len is None or self.segment_len > 0,
            f"--query.segment-len must be positive, got {self.segment_len}",
        )
        require(self.pool_rounds >= 1, "--query.pool-rounds must be at least 1")
        require(self.pool_size >= 2, "--query.pool-size must be at least 2")
        require(self.oversample >= 1, "--query.oversample must be at least 1")
        require(0 <= self.tie_margin < 0.5, "--query.tie-margin must be within [0, 0.5)")
        require(0 <= self.top_share <= 1, "--query.top-share must be within [0, 1]")
        require(self.heldout_size >= 0, "--query.heldout-size must be >= 0")
        require(0 <= self.heldout_share < 1, "--query.heldout-share must be within [0, 1)")

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

    beta: float = math.inf
    """rationality: inf always prefers the higher return; finite picks left with
    probability ``sigmoid(beta * (R_left - R_right) / scale)`` (smaller = noisier)."""
    gamma: float = 1.0
    """myopia in (0, 1]: step ``t`` of a ``T``-step clip weighs ``gamma**(T-1-t)``."""
    mistake: float = 0.0
    """probability in [0, 1] of flipping a non-equal answer."""
    skip: float = 0.0
    """quantile in [0, 1]: skip (answer None) when both clips' returns are below this
    quantile of the returns seen so far; 0 never skips."""
    equal: float = 0.0
    """answer 0.5 when ``|R_left - R_right| < equal * scale``; 0 only for exact ties."""

    def __post_init__(self) -> None:
        require(not math.isnan(self.beta), "--teacher.beta must be a number")
        require(self.beta > 0, f"beta must be > 0 (inf = perfectly rational), got {self.beta}")
        require(0 < self.gamma <= 1, f"gamma must be in (0, 1], got {self.gamma}")
        require(0 <= self.mistake <= 1, f"mistake must be in [0, 1], got {self.mistake}")
        require(0 <= self.skip <= 1, f"skip must be in [0, 1], got {self.skip}")
        require(
            self.equal >= 0 and finite(self.equal),
            f"equal must be a finite number >= 0, got {self.equal}",
        )


@dataclasses.dataclass(frozen=True)
class ScheduleConfig:
    """When labels are asked and the reward model is refit."""

    rounds: int = 20
    """reward-model updates (with queries and a checkpoint) spread over the run."""
    initial_fraction: float = 0.25
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
    random_clips: Literal["episodes", "resets"] = "episodes"
    """how the random phase's clips are cut: from whole episodes of random actions, or
    each from a reset (episodes one clip long). "resets" is for tasks a random policy fails
    for good within a second (a pole that falls): whole fixed-length episodes show mostly
    the failure, their clips are answered as ties, and the reward learns nothing."""
    human_first_labels: int = 10
    """with --oracle human: answers awaited before RL starts (an untrained reward teaches
    nothing)."""
    human_pace: bool = True
    """with --oracle human: each round waits until the person has answered (or skipped)
    every query posed so far before posing more and training on, so training never runs
    more than a round ahead of the answers."""

    def __post_init__(self) -> None:
        require(self.rounds >= 1, "--schedule.rounds must be at least 1")
        require(
            0 <= self.initial_fraction <= 1, "--schedule.initial-fraction must be within [0, 1]"
        )
        require(self.initial_batches >= 1, "--schedule.initial-batches must be at least 1")
        require(0 < self.label_until <= 1, "--schedule.label-until must be within (0, 1]")
        require(
            self.decay > 0 and finite(self.decay),
            f"--schedule.decay must be a finite number > 0, got {self.decay}",
        )
        require(self.random_phase_max_steps >= 1, "--schedule.random-phase-max-steps >= 1")
        require(self.human_first_labels >= 1, "--schedule.human-first-labels must be >= 1")


@dataclasses.dataclass(frozen=True)
class RewardModelConfig:
    """Shape of the reward ensemble."""

    members: int = 3
    """reward-model ensemble members."""
    hidden: tuple[int, ...] = (64, 64)
    """hidden layer sizes of each member's MLP."""

    def __post_init__(self) -> None:
        require(self.members >= 1, f"--reward-model.members must be at least 1, got {self.members}")
        require(all(h >= 1 for h in self.hidden), "--reward-model.hidden sizes must be >= 1")


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
    """L2 weight (Adam ``weight_decay``); adapted after every fit with
    --ablation.adapt-l2."""
    random_answer_prob: float = 0.0
    """assumed chance that an answer was uniformly random; 0: plain Bradley-Terry (B-Pref's,
    PEBBLE's). The 2017 paper's 0.1 stops pulling on a pair a member is confidently wrong
    about, so on long clips a member can stay wrong (docs/history.md, "The preference
    loss")."""
    surf_threshold: float = 0.0
    """SURF: each optimizer step also trains on as many unlabelled pairs of query
    candidates as labelled ones, those where the ensemble's mean ``P(left better)`` is at
    least this or at most 1 minus it, labelled as the ensemble says; 0: off."""
    surf_weight: float = 1.0
    """weight of SURF's pseudo-labelled loss against the labelled one."""
    surf_crop: float = 0.0
    """SURF's temporal crop: each optimizer step reads the two clips of a pair from
    windows of one random length, from (1 - this) of a clip to all of it, at random
    starts; 0: off."""

    def __post_init__(self) -> None:
        require(
            0 < self.target_accuracy <= 1,
            f"--reward-training.target-accuracy must be in (0, 1], got {self.target_accuracy}",
        )
        require(
            1 <= self.min_steps <= self.max_steps,
            "--reward-training.min-steps must be >= 1 and <= --reward-training.max-steps",
        )
        require(self.batch_size >= 1, "--reward-training.batch-size must be >= 1")
        require(self.train_clip_steps >= 1, "--reward-training.train-clip-steps must be >= 1")
        require(
            self.lr > 0
            and finite(self.lr)
            and self.weight_decay >= 0
            and finite(self.weight_decay),
            "--reward-training.lr must be > 0 and --reward-training.weight-decay >= 0",
        )
        require(
            self.surf_threshold == 0 or 0.5 < self.surf_threshold <= 1,
            "--reward-training.surf-threshold must be 0 (off) or in (0.5, 1], "
            f"got {self.surf_threshold}",
        )
        require(
            0 <= self.surf_crop < 1,
            f"--reward-training.surf-crop must be in [0, 1), got {self.surf_crop}",
        )
        require(
            self.surf_weight >= 0 and finite(self.surf_weight),
            f"--reward-training.surf-weight must be >= 0, got {self.surf_weight}",
        )
        require(
            0 <= self.random_answer_prob < 1,
            f"random_answer_prob must be in [0, 1), got {self.random_answer_prob}",
        )


@dataclasses.dataclass(frozen=True)
class ExploreConfig:
    """Exploration from the methods after the 2017 paper (off by default): PEBBLE's
    unsupervised pre-training and RUNE's bonus where the reward ensemble disagrees."""

    pebble_steps: int = 0
    """env steps (part of ``--steps``) the agent first learns on PEBBLE's state-entropy
    reward (k-nearest-neighbour distances of its observations) before the first queries,
    whose clips then come from that exploration instead of random actions; 0: random
    actions. Learned-reward runs; a true-reward run too with ``pebble_baseline``."""
    pebble_baseline: bool = False
    """a true-reward run (--reward true) also first learns --explore.pebble-steps on the
    state-entropy reward, then on the task reward: a baseline that explores as the learned
    run does (SAC's replay buffer is emptied after it, its rewards being the entropy's)."""
    pebble_k: int = 5
    """PEBBLE's k: the distance to the k-th nearest of the recent observations."""
    rune_beta: float = 0.0
    """RUNE: the agent's reward is the ensemble's mean plus this times the members'
    standard deviation (both in the members' normalized units); 0: off."""
    rune_decay: float = 1e-5
    """RUNE's bonus weight is ``rune_beta * (1 - rune_decay) ** env_steps``."""

    def __post_init__(self) -> None:
        require(
            self.pebble_steps >= 0,
            f"--explore.pebble-steps must be >= 0, got {self.pebble_steps}",
        )
        require(self.pebble_k >= 1, f"--explore.pebble-k must be >= 1, got {self.pebble_k}")
        require(
            self.rune_beta >= 0 and finite(self.rune_beta),
            f"--explore.rune-beta must be a finite number >= 0, got {self.rune_beta}",
        )
        require(
            0 <= self.rune_decay < 1,
            f"--explore.rune-decay must be in [0, 1), got {self.rune_decay}",
        )


@dataclasses.dataclass(frozen=True)
class AblationConfig:
    """Knobs kept only to measure what a choice of the default buys (all off)."""

    shared_holdout: float = 0.0
    """share of comparisons held out from every reward-model member (validation only,
    never trained on); 0 trains the ensemble on every label. The protocol before
    per-member bags held out 1/e (0.37)."""
    restandardize: bool = False
    """recompute the reward model's input statistics at every fit under warm-started
    weights, which moves the learned reward at every refit (the behaviour before refits
    kept the function)."""
    adapt_l2: bool = False
    """keep each member's out-of-bag loss within 1.1-1.5x its training loss by scaling the
    L2 weight by 1.5 after each fit (the paper's rule). Off by default: training to the
    accuracy criterion keeps the ratio above 1.5, so the rule only ever raises L2, and it
    fits the labels no better (benchmarks/reward_fit.py)."""

    def __post_init__(self) -> None:
        require(
            0 <= self.shared_holdout < 1,
            f"--ablation.shared-holdout must be in [0, 1), got {self.shared_holdout}",
        )


NO_ABLATION = AblationConfig()
"""Every ablation off: the defaults' behaviour."""
