"""A training run, top to bottom: gather clips, then rounds of acting and asking, then the
evaluation. ``backflip train`` runs this; so do the tests."""

from __future__ import annotations

import contextlib
import math
import shutil
import time
from collections.abc import Iterator

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from threadpoolctl import threadpool_limits

from backflip.agents.progress import RunProgress
from backflip.agents.relabel import relabel_replay_buffer
from backflip.agents.state_entropy import StateEntropyReward
from backflip.config import TrainConfig
from backflip.envs.resolve import resolved_config
from backflip.errors import BackflipError, ResumableError
from backflip.preference.reward_training import FitStats
from backflip.records import Segment
from backflip.storage.run_dir import RunDir
from backflip.training.build import Preferences, Run, build_run, training_horizon
from backflip.training.checkpoints import restore_checkpoint, save_checkpoint
from backflip.training.report import metrics_row, summary


def train(config: TrainConfig, device: torch.device, progress: bool = True) -> dict[str, object]:
    """Runs (or resumes) a whole run; returns the summary it writes to ``summary.json``.

    numpy's BLAS runs on one thread throughout: its float32 products (the learned reward
    of every env step, PEBBLE's distances) round differently with the thread count, so a
    run's numbers would otherwise depend on the machine's cores and ``OMP_NUM_THREADS``."""
    config = resolved_config(config)
    run_dir = RunDir(config.resolved_run_dir())
    created = not run_dir.root.exists()  # by this call: only then may a failed start go
    with (
        threadpool_limits(limits=1, user_api="blas"),
        run_dir.lock(),
        removed_if_it_fails_to_start(config, created),
    ):
        run = build_run(config, device)
        try:
            return _train(run, progress)
        finally:
            if run.preferences is not None:
                run.preferences.store.close()


@contextlib.contextmanager
def removed_if_it_fails_to_start(config: TrainConfig, created: bool) -> Iterator[None]:
    """Removes the run directory when the block fails with a :class:`BackflipError` before
    the run's first checkpoint, so that the corrected command starts the run anew, but
    only a directory this process ``created`` (under the run's lock), of a run whose
    answers come from the synthetic teacher (a person's are never removed), and not after
    a :class:`ResumableError` (a full disk: ``--resume`` continues the run)."""
    try:
        yield
    except ResumableError:
        raise
    except BackflipError:
        run_dir = RunDir(config.resolved_run_dir())
        started = (run_dir.checkpoints / "LATEST").exists()
        if created and config.oracle == "synthetic" and not started:
            shutil.rmtree(run_dir.root, ignore_errors=True)
        raise


def _train(run: Run, progress: bool) -> dict[str, object]:
    config, agent, prefs = run.config, run.agent, run.preferences
    checkpoint = run.run_dir.latest_checkpoint()
    if checkpoint is not None:
        restore_checkpoint(run, checkpoint)
    started = time.time() - run.wall_offset
    if prefs is not None:
        prefs.store.set_trainer_status(state="starting", budget=config.labels)

    labels = prefs.store.n_answered if prefs is not None else (lambda: 0)
    bar = RunProgress(config.steps, agent.num_timesteps, labels) if progress else None

    try:  # the bar ends its line before an error's one line
        # Phase 1 (gather): clips of the initial random policy (or of PEBBLE's exploration);
        # the first labels in a few batches with a fit after each, so that all but the first
        # batch are picked actively.
        if checkpoint is None and config.explore.pebble_steps > 0 and run.learned is not None:
            pretrain(run, bar)
        if prefs is not None and checkpoint is None:
            if config.explore.pebble_steps > 0:
                prefs.pool.add(run.recorder.drain())
            else:
                prefs.pool.add(random_clips(run, prefs))
            if config.oracle == "human":  # a person answers the whole block at their pace
                ask_due(prefs, 0)
                wait_for_first_answers(run, prefs)
                fit(prefs)
            else:
                for target in prefs.schedule.initial_batches(config.schedule.initial_batches):
                    ask_up_to(prefs, target, step=0)
                    fit(prefs)
            relabel(run)

        # Phase 2 (act): each round, the agent learns on the current reward, then the
        # preference side asks what is due, refits, and the run is checkpointed.
        for end in round_ends(config):
            if run.rune is not None:
                run.rune.steps = agent.num_timesteps  # its clock, where a resumed run left it
            if agent.num_timesteps < end:
                remaining = end - agent.num_timesteps
                agent.learn(remaining, callback=bar, reset_num_timesteps=False, progress_bar=False)
            if agent.num_timesteps > run.last_round_step:
                preference_round(run, agent.num_timesteps)
                record_round(run, agent.num_timesteps, time.time() - started)
    finally:
        if bar is not None:
            bar.close()

    # Phase 3 (evaluate): the final and a random policy on the run's evaluation episodes.
    result = summary(run, time.time() - started)
    run.run_dir.write_summary(result)
    if prefs is not None:
        prefs.store.set_trainer_status(state="finished")
    return result


def round_ends(config: TrainConfig) -> list[int]:
    """Env steps at which the rounds end: every ``ceil(steps / rounds)``, the last at
    ``steps``."""
    every = math.ceil(config.steps / config.schedule.rounds)
    return sorted({min(k * every, config.steps) for k in range(1, config.schedule.rounds + 1)})


def random_clips(run: Run, prefs: Preferences) -> list[Segment]:
    """Clips of a few episodes of random actions: the untrained behaviour, to ask first;
    with ``--schedule.random-clips resets``, as many clips, each from a reset."""
    config, venv = run.config, run.recorder
    horizon = training_horizon(config)
    clips_per_episode = max(1, horizon // venv.segment_len)
    most = max(2, config.schedule.random_phase_max_steps // horizon)
    episodes = int(np.clip(math.ceil(4 * prefs.schedule.due(0) / clips_per_episode), 2, most))
    rng = np.random.default_rng(run.seeds.random_phase)
    low, high = venv.action_space.low, venv.action_space.high  # type: ignore[attr-defined]

    def act() -> None:
        venv.step(rng.uniform(low, high, size=(venv.num_envs, *low.shape)))

    venv.reset()
    if config.schedule.random_clips == "episodes":
        for _ in range(math.ceil(episodes / venv.num_envs) * horizon):
            act()
        return venv.drain()
    for _ in range(math.ceil(episodes * clips_per_episode / venv.num_envs)):
        for _ in range(min(venv.segment_len, horizon)):
            act()
        venv.end_episodes()
        venv.reset()
    return venv.drain()


def pretrain(run: Run, bar: RunProgress | None) -> None:
    """PEBBLE's pre-training: the agent learns ``--explore.pebble-steps`` env steps on the
    state-entropy reward instead of its own; a learned run's recorder keeps the clips it
    made, to ask first. A true-reward run then forgets SAC's replay, whose rewards were the
    entropy's (a learned run relabels it after its first fit)."""
    assert run.learned is not None
    explore, learned = run.config.explore, run.learned
    reward_fn = learned.reward_fn
    learned.reward_fn = StateEntropyReward(explore.pebble_k)
    try:
        run.agent.learn(explore.pebble_steps, callback=bar, progress_bar=False)
    finally:
        learned.reward_fn = reward_fn
    agent = run.agent
    if run.preferences is None and isinstance(agent, OffPolicyAlgorithm):
        assert agent.replay_buffer is not None
        agent.replay_buffer.reset()


def ask_due(prefs: Preferences, step: int) -> None:
    """Poses the queries the schedule says are due by env step ``step``."""
    ask_up_to(prefs, prefs.schedule.due(step), step)


def ask_up_to(prefs: Preferences, target: int, step: int) -> None:
    """Poses queries until ``target`` have been posed in all (at env step ``step``)."""
    prefs.desk.ask(target - prefs.desk.n_asked(), prefs.pool.candidates(), prefs.model)
    prefs.store.set_trainer_status(state="training", env_steps=step)


def wait_for_first_answers(run: Run, prefs: Preferences) -> None:
    """With a person answering: sleeps until the first answers are in."""
    minimum = min(run.config.schedule.human_first_labels, prefs.schedule.due(0))
    if prefs.store.n_answered(include_skipped=False) >= minimum:
        return
    prefs.store.set_trainer_status(state="waiting for labels")
    print(
        f"waiting for {minimum} labels before training: run `backflip label "
        f"{run.run_dir.root}` in another terminal",
        flush=True,
    )
    prefs.desk.wait_for_answers(minimum)


def wait_for_the_person(run: Run, prefs: Preferences, step: int) -> None:
    """With a person answering: sleeps until every query posed so far is answered or
    skipped, so that the agent does not train on far ahead of the labels."""
    pending = prefs.store.pending_count()
    if pending == 0:
        return
    prefs.store.set_trainer_status(state="waiting for labels", env_steps=step)
    print(
        f"step {step}: waiting for {pending} unanswered queries (`backflip label "
        f"{run.run_dir.root}`; --schedule.no-human-pace trains on without them)",
        flush=True,
    )
    prefs.desk.wait_until_none_pending()


def fit(prefs: Preferences) -> bool:
    """Refits the reward model on every answer so far, if there are new ones: without new
    labels the reward stays as it is. Returns whether it refit."""
    comparisons, clips = prefs.desk.answered()
    if not comparisons or len(comparisons) == prefs.fitted_on:
        return False
    started = time.perf_counter()
    surf = prefs.model.trainer.config.surf_threshold > 0
    prefs.last_fit = prefs.model.fit(comparisons, clips, prefs.pool.candidates() if surf else ())
    prefs.fit_s += time.perf_counter() - started
    prefs.fitted_on = len(comparisons)
    training = prefs.model.trainer.config
    if prefs.last_fit.trapped(training.max_steps) and not prefs.warned_trapped:
        prefs.warned_trapped = True
        print(trapped_warning(prefs.last_fit, training.random_answer_prob), flush=True)
    return True


def trapped_warning(stats: FitStats, random_answer_prob: float) -> str:
    """The one line a run prints the first time a reward fit ends with a trapped member."""
    line = (
        f"warning: after {stats.steps:,} optimizer steps a reward-ensemble member orders only "
        f"{stats.train_accuracy:.0%} of its own training comparisons right"
    )
    if random_answer_prob > 0:
        line += (
            "; it is confidently wrong, where the random-answer loss no longer pulls "
            "(--reward-training.random-answer-prob 0 fits plain Bradley-Terry)"
        )
    return line


def preference_round(run: Run, step: int) -> None:
    """New clips in, queries due out, the reward refit, SAC's replay buffer relabelled."""
    clips = run.recorder.drain()
    prefs = run.preferences
    if prefs is None:
        return
    prefs.pool.add(clips)
    if run.config.oracle == "human" and run.config.schedule.human_pace:
        wait_for_the_person(run, prefs, step)
    ask_due(prefs, step)
    if fit(prefs):
        relabel(run)


def relabel(run: Run) -> None:
    """SAC: the replay buffer's rewards redone with the agent's reward as it is now."""
    agent = run.agent
    if isinstance(agent, OffPolicyAlgorithm) and agent.replay_buffer is not None:
        space = agent.action_space
        assert isinstance(space, spaces.Box)
        relabel_replay_buffer(agent.replay_buffer, run.agent_reward(), space)


def record_round(run: Run, step: int, wall_s: float) -> None:
    """Writes a checkpoint the run can resume from, with the round's metrics row in it (and
    then in the run's ``metrics.csv``)."""
    row = metrics_row(run, step, wall_s)
    save_checkpoint(run, step, wall_s, row)
    run.last_round_step = step
    prefs = run.preferences
    if prefs is not None and prefs.last_fit is not None:
        prefs.store.set_trainer_status(reward_updated_step=step)
    for key in ("pref_accuracy", "reward_oracle_corr", "true_return"):
        if row[key] != "":
            run.agent.logger.record(f"backflip/{key}", row[key])
