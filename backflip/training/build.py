"""Wire a training run's parts from its configuration (no training happens here)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import torch
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv

from backflip.agents.clip_recorder import ClipRecorder
from backflip.agents.factory import make_agent
from backflip.agents.learned_reward import LearnedRewardVecEnv, RewardFn
from backflip.agents.normalization import normalize
from backflip.agents.rune import RuneReward
from backflip.config import VISITED, TrainConfig
from backflip.envs.make import default_horizon, env_dt, make_run_env
from backflip.envs.restarts import VisitedStateRestarts
from backflip.preference.clip_pool import ClipPool
from backflip.preference.oracle import SyntheticOracle
from backflip.preference.reward_model import RewardModel
from backflip.preference.reward_training import FitStats
from backflip.preference.schedule import LabelSchedule
from backflip.seeds import Seeds
from backflip.sim.build import warp_vec_env
from backflip.storage.label_store import LabelStore
from backflip.storage.run_dir import RunDir
from backflip.tasks.base import RestartSource
from backflip.tasks.registry import task_for
from backflip.training.label_desk import LabelDesk, Person, SyntheticTeacher, Teacher


def training_horizon(config: TrainConfig) -> int:
    """Training episode length in steps: ``--horizon``, else the env's registered one."""
    return config.horizon or default_horizon(config.env)


def evaluation_horizon(config: TrainConfig) -> int:
    """Evaluation episode length in steps: ``--eval-horizon``, else the training one."""
    return config.resolved_eval_horizon(training_horizon(config))


def segment_steps(config: TrainConfig) -> int:
    """Clip length in env steps: ``--query.segment-len``, else ``--query.segment-seconds`` in
    the env's steps."""
    return config.query.steps_per_clip(env_dt(config.env, config.env_kwargs_dict()))


def restart_source(config: TrainConfig) -> RestartSource | None:
    """The env's task's ``--restarts-from`` source; None for any visited state."""
    if config.restarts_from == VISITED:
        return None
    return task_for(config.env).restart_source(config.restarts_from)


@dataclasses.dataclass
class Preferences:
    """The preference side of a learned-reward run."""

    store: LabelStore
    desk: LabelDesk
    pool: ClipPool
    model: RewardModel
    schedule: LabelSchedule
    last_fit: FitStats | None = None
    fitted_on: int = 0
    """answers the reward model was last fit on (in this process)."""
    fit_s: float = 0.0
    """wall seconds spent fitting the reward model so far (a resumed run's included)."""
    warned_trapped: bool = False
    """whether this process has warned of a trapped ensemble member (``FitStats.trapped``)."""


@dataclasses.dataclass
class Run:
    """A training run's parts, as :func:`build_run` wires them."""

    config: TrainConfig
    run_dir: RunDir
    seeds: Seeds
    recorder: ClipRecorder
    agent: BaseAlgorithm
    preferences: Preferences | None
    """None for a true-reward baseline."""
    wall_offset: float = 0.0
    """seconds of training before this process (a resumed run)."""
    last_round_step: int = -1
    """env step of the last completed round (its checkpoint)."""
    learned: LearnedRewardVecEnv | None = None
    """the wrapper that gives the agent the learned reward (or, in a baseline with
    ``--explore.pebble-baseline``, the state entropy's while it pre-trains); None for
    another baseline."""
    rune: RuneReward | None = None
    """RUNE's reward, where ``--explore.rune-beta`` asks for it."""

    def agent_reward(self) -> RewardFn:
        """What the agent learns on after the first fit: the learned reward, with RUNE's
        bonus as it is now where asked (SAC's replay relabelling)."""
        assert self.preferences is not None
        return self.rune.current if self.rune is not None else self.preferences.model.predict


def build_run(config: TrainConfig, device: torch.device) -> Run:
    """Makes the run directory (if new) and builds envs, agent and the preference side."""
    run_dir = RunDir(config.resolved_run_dir())
    run_dir.create()
    if not run_dir.config.exists():
        run_dir.write_config(config)
    seeds = Seeds.of(config.seed)
    horizon = training_horizon(config)
    settings = config.agent.settings(config.algo)

    def env(index: int) -> Callable[[], Monitor]:
        def make() -> Monitor:
            made = make_run_env(config, horizon)
            if config.restarts > 0:
                made = VisitedStateRestarts(
                    made, config.restarts, seeds.restarts + index, source=restart_source(config)
                )
            return Monitor(made)

        return make

    base: VecEnv
    if config.sim == "warp":
        base = warp_vec_env(config, horizon, settings.n_envs, device, seeds.restarts)
    else:
        base = DummyVecEnv([env(i) for i in range(settings.n_envs)])
    recorder = ClipRecorder(
        base, segment_steps(config), config.env, run_seed=config.seed, cut_seed=seeds.clips
    )
    recorder.recording = config.reward == "learned"
    venv: VecEnv = recorder
    preferences = learned = rune = None
    if config.reward == "learned":
        preferences = _build_preferences(config, run_dir, seeds, base, device)
        explore = config.explore
        reward_fn: RewardFn = preferences.model.predict
        if explore.rune_beta > 0:
            members = preferences.model.ensemble.member_predictions
            reward_fn = rune = RuneReward(members, explore.rune_beta, explore.rune_decay)
        venv = learned = LearnedRewardVecEnv(recorder, reward_fn)
    elif config.explore.pebble_steps > 0 and config.explore.pebble_baseline:
        venv = learned = LearnedRewardVecEnv(recorder, None)  # the entropy's, then the task's
    agent = make_agent(
        config.algo,
        normalize(venv, settings),
        config.agent,
        config.steps,
        seeds.agent,
        device,
        tensorboard_log=run_dir.tensorboard,
    )
    venv.seed(seeds.env)  # after the agent, which seeds the env with its own seed
    return Run(config, run_dir, seeds, recorder, agent, preferences, learned=learned, rune=rune)


def _build_preferences(
    config: TrainConfig, run_dir: RunDir, seeds: Seeds, venv: VecEnv, device: torch.device
) -> Preferences:
    obs_dim = int(np.prod(venv.observation_space.shape or ()))
    act_dim = int(np.prod(venv.action_space.shape or ()))
    model = RewardModel(
        obs_dim,
        act_dim,
        config.reward_model,
        config.reward_training,
        device,
        seeds.reward_model,
        ablation=config.ablation,
    )
    teacher: Teacher = (
        SyntheticTeacher(SyntheticOracle(config.teacher, seeds.teacher))
        if config.oracle == "synthetic"
        else Person()
    )
    store = run_dir.label_store()
    query = config.query
    desk = LabelDesk(
        store,
        teacher,
        query.method,
        query.oversample,
        seeds.query,
        query.tie_margin,
        query.top_share,
    )
    schedule = LabelSchedule(
        config.labels,
        config.steps,
        config.schedule.initial_fraction,
        config.schedule.decay,
        config.schedule.label_until,
    )
    return Preferences(store, desk, ClipPool(config.query, seeds.pool), model, schedule)
