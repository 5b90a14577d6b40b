"""The training run: gather clips, ask the oracle, fit the reward ensemble, act on it."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv

from backflip.agents.callbacks import EveryNSteps, ProgressBar, latest_true_return
from backflip.agents.checkpoint import (
    load_agent,
    load_replay_buffer,
    save_agent,
    save_policy,
    save_replay_buffer,
)
from backflip.agents.clip_recorder import ClipRecorder
from backflip.agents.factory import make_agent
from backflip.agents.learned_reward import LearnedRewardVecEnv
from backflip.agents.relabel import relabel_replay_buffer
from backflip.config import TrainConfig, save_config
from backflip.envs.make import default_horizon, make_env
from backflip.evaluate import episode_returns, returns_summary
from backflip.preference.ensemble import RewardEnsemble
from backflip.preference.label_store import LabelStore
from backflip.preference.oracle import SyntheticOracle, TeacherConfig
from backflip.preference.reward_learner import RewardLearner
from backflip.preference.reward_training import FitStats, RewardTrainer, RewardTrainingConfig
from backflip.preference.schedule import LabelSchedule
from backflip.run_dir import RunDir, RunDirError


@dataclass
class Run:
    """What a run is made of, wired together by :func:`build_run`."""

    config: TrainConfig
    run_dir: RunDir
    horizon: int
    recorder: ClipRecorder
    agent: BaseAlgorithm
    learner: RewardLearner | None
    store: LabelStore | None
    schedule: LabelSchedule | None
    wall_offset: float = 0.0
    last_round_step: int = -1
    last_fit: FitStats | None = field(default=None)


def teacher_config(config: TrainConfig) -> TeacherConfig:
    return TeacherConfig(
        beta=config.teacher_beta,
        gamma=config.teacher_gamma,
        mistake=config.teacher_mistake,
        skip=config.teacher_skip,
        equal=config.teacher_equal,
    )


def build_run(config: TrainConfig, device: torch.device) -> Run:
    """Builds envs, agent and reward learner; restores the latest checkpoint if any."""
    run_dir = RunDir(config.resolved_run_dir())
    run_dir.create()
    if not run_dir.config.exists():
        save_config(config, run_dir.config)
    horizon = config.horizon or default_horizon(config.env)
    base = DummyVecEnv([lambda: Monitor(make_env(config.env, horizon=horizon))])
    base.seed(config.seed)
    recorder = ClipRecorder(base, config.segment_len, config.env, config.seed)
    recorder.recording = config.reward == "learned"
    venv: VecEnv = recorder
    learner = store = schedule = None
    if config.reward == "learned":
        store = LabelStore(run_dir.root)
        obs_dim = int(np.prod(base.observation_space.shape or ()))
        act_dim = int(np.prod(base.action_space.shape or ()))
        ensemble = RewardEnsemble(obs_dim, act_dim, n_members=config.ensemble, seed=config.seed)
        ensemble.to(device)
        trainer = RewardTrainer(ensemble, RewardTrainingConfig(), device, seed=config.seed)
        oracle = (
            SyntheticOracle(teacher_config(config), seed=config.seed)
            if config.oracle == "synthetic"
            else None  # a person answers in `backflip label`
        )
        learner = RewardLearner(store, oracle, ensemble, trainer, config.query, config.seed)
        schedule = LabelSchedule(config.labels, config.steps, config.initial_fraction)
        venv = LearnedRewardVecEnv(recorder, learner.reward)
    agent = make_agent(
        config.algo,
        venv,
        config.seed,
        device,
        tensorboard_log=run_dir.tensorboard,
        buffer_size=min(config.steps, 1_000_000),
    )
    run = Run(config, run_dir, horizon, recorder, agent, learner, store, schedule)
    checkpoint = run_dir.latest_checkpoint()
    if checkpoint is not None:
        try:
            restore(run, checkpoint)
        except (OSError, RuntimeError, ValueError, KeyError) as err:
            raise RunDirError(f"checkpoint {checkpoint} cannot be loaded ({err})") from None
    return run


def restore(run: Run, checkpoint: Path) -> None:
    """Loads agent, replay buffer, reward learner and counters from a checkpoint folder."""
    load_agent(run.agent, checkpoint / "agent.pt")
    load_replay_buffer(run.agent, checkpoint / "replay.npz")
    if run.learner is not None:
        run.learner.load(checkpoint)
    progress = json.loads((checkpoint / "progress.json").read_text())
    run.wall_offset = float(progress["wall_s"])
    run.last_round_step = int(progress["step"])
    run.recorder.episodes_done = int(progress["episodes"])


def train(config: TrainConfig, device: torch.device, progress: bool = True) -> dict[str, object]:
    """Runs (or resumes) a whole training run; returns the summary it writes."""
    with RunDir(config.resolved_run_dir()).lock():
        return _train_locked(config, device, progress)


def _train_locked(config: TrainConfig, device: torch.device, progress: bool) -> dict[str, object]:
    run = build_run(config, device)
    started = time.time() - run.wall_offset
    agent, learner, store = run.agent, run.learner, run.store
    resumed = agent.num_timesteps > 0

    if store is not None:
        store.set_meta("budget", str(config.labels))
        store.set_meta("status", "starting")

    # Phase 1 (gather): clips of the initial random policy, the first labels, the first fit.
    if learner is not None and not resumed:
        gather_random_clips(run)
        ask_due(run, 0)
        if config.oracle == "human":
            assert run.schedule is not None
            wait_for_labels(run, min(HUMAN_LABELS_TO_START, run.schedule.due(0)))
        run.last_fit = learner.fit()

    # Phase 2 (act): RL on the (learned) reward. Every round, new clips are asked about,
    # the ensemble refit, SAC's replay buffer relabelled, and a checkpoint made.
    round_steps = math.ceil(config.steps / config.rounds)

    def one_round(step: int) -> None:
        if learner is not None:
            learner.add_clips(run.recorder.drain())
            ask_due(run, step)
            run.last_fit = learner.fit() or run.last_fit
            if isinstance(agent, OffPolicyAlgorithm) and agent.replay_buffer is not None:
                relabel_replay_buffer(agent.replay_buffer, learner.reward)
        else:
            run.recorder.drain()
        record_round(run, step, time.time() - started)

    def n_labels() -> int:
        return store.n_answered() if store is not None else 0

    remaining = config.steps - agent.num_timesteps
    if remaining > 0:
        callbacks: list[BaseCallback] = [
            EveryNSteps(round_steps, one_round, start=agent.num_timesteps)
        ]
        if progress:
            callbacks.append(ProgressBar(config.steps, n_labels))
        agent.learn(
            total_timesteps=remaining,
            callback=callbacks,
            reset_num_timesteps=not resumed,
            tb_log_name="agent",
        )
    if run.last_round_step != agent.num_timesteps:
        one_round(agent.num_timesteps)

    # Phase 3 (evaluate): the env's true return of the final and of a random policy.
    summary = summarize(run, time.time() - started)
    run.run_dir.summary.write_text(json.dumps(summary, indent=2) + "\n")
    if store is not None:
        store.set_meta("status", "finished")
        store.close()
    return summary


RANDOM_PHASE_MAX_STEPS = 20_000
"""Env steps of random actions at most, for clips about the untrained behaviour."""


def gather_random_clips(run: Run) -> None:
    """Acts randomly for a few episodes so the first queries show the untrained behaviour."""
    assert run.schedule is not None and run.learner is not None
    clips_per_episode = max(1, run.horizon // run.config.segment_len)
    most = max(2, RANDOM_PHASE_MAX_STEPS // run.horizon)
    episodes = int(np.clip(math.ceil(4 * run.schedule.due(0) / clips_per_episode), 2, most))
    venv = run.recorder
    rng = np.random.default_rng([run.config.seed, 2])
    low, high = venv.action_space.low, venv.action_space.high  # type: ignore[attr-defined]
    venv.reset()
    for _ in range(episodes * run.horizon):
        venv.step(rng.uniform(low, high, size=(venv.num_envs, *low.shape)))
    run.learner.add_clips(venv.drain())


def ask_due(run: Run, step: int) -> None:
    """Posts the queries the schedule says are due by ``step``."""
    assert run.schedule is not None and run.learner is not None and run.store is not None
    run.learner.ask(run.schedule.due(step) - run.learner.n_asked())
    run.store.set_meta("env_steps", str(step))
    run.store.set_meta("status", "training")


HUMAN_LABELS_TO_START = 10
"""Answers a person gives before RL starts: an untrained reward model teaches nothing."""


def wait_for_labels(run: Run, minimum: int, poll_s: float = 1.0) -> None:
    """Sleeps (no busy wait) until ``minimum`` non-skipped answers are in the store."""
    assert run.store is not None
    if run.store.n_answered(include_skipped=False) >= minimum:
        return
    run.store.set_meta("status", "waiting for labels")
    print(
        f"waiting for {minimum} labels before training: run `backflip label "
        f"{run.run_dir.root}` in another terminal",
        flush=True,
    )
    while run.store.n_answered(include_skipped=False) < minimum:
        time.sleep(poll_s)


def record_round(run: Run, step: int, wall_s: float) -> None:
    """Writes a checkpoint the run can resume from, then appends a metrics row."""
    fit = run.last_fit
    corr = run.learner.heldout_correlation() if run.learner is not None else None
    true_return = latest_true_return(run.agent.ep_info_buffer)
    row: dict[str, object] = {
        "step": step,
        "wall_s": round(wall_s, 2),
        "labels": run.store.n_answered() if run.store is not None else 0,
        "true_return": "" if true_return is None else round(true_return, 3),
        "reward_train_loss": "" if fit is None else round(fit.train_loss, 5),
        "reward_val_loss": "" if fit is None else round(fit.val_loss, 5),
        "pref_accuracy": "" if fit is None else round(fit.val_accuracy, 4),
        "reward_true_corr": "" if corr is None else round(corr, 4),
    }
    save_policy(run.agent, run.run_dir.policies / f"step_{step:09d}.pt")
    folder = run.run_dir.new_checkpoint(step)
    save_agent(run.agent, folder / "agent.pt")
    save_replay_buffer(run.agent, folder / "replay.npz")
    if run.learner is not None:
        run.learner.save(folder)
    progress = {"step": step, "wall_s": wall_s, "episodes": run.recorder.episodes_done}
    (folder / "progress.json").write_text(json.dumps(progress))
    run.run_dir.commit_checkpoint(folder)
    run.last_round_step = step
    run.run_dir.append_metrics(row)
    if run.store is not None and fit is not None:
        run.store.set_meta("reward_updated_step", str(step))
    for key in ("pref_accuracy", "reward_true_corr", "true_return"):
        if row[key] != "":
            run.agent.logger.record(f"backflip/{key}", row[key])


def summarize(run: Run, wall_s: float) -> dict[str, object]:
    config = run.config
    agent = run.agent

    def policy(obs: np.ndarray) -> np.ndarray:
        return agent.predict(obs, deterministic=True)[0]

    seed = config.seed + 10_000  # evaluation episodes the agent never trained on
    horizon = config.resolved_eval_horizon(run.horizon)
    final = episode_returns(config.env, horizon, policy, config.eval_episodes, seed)
    random = episode_returns(config.env, horizon, None, config.eval_episodes, seed)
    learned = run.learner is not None
    fit = run.last_fit
    accuracy = None if fit is None or math.isnan(fit.val_accuracy) else fit.val_accuracy
    return {
        "env_id": config.env,
        "algo": config.algo,
        "reward": config.reward,
        "steps": int(agent.num_timesteps),
        "labels": run.store.n_answered() if run.store is not None else 0,
        "wall_s": round(wall_s, 1),
        **returns_summary(final, random),
        "reward_true_corr": run.learner.heldout_correlation() if run.learner else None,
        "pref_accuracy": accuracy if learned else None,
        "eval_episodes": config.eval_episodes,
        "eval_horizon": horizon,
        "seed": config.seed,
        "device": str(agent.device),
    }
