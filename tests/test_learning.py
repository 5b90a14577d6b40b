"""Learning from a synthetic oracle: the learned reward tracks the true one, the policy learns.

Hopper-v5 with a fixed 200-step horizon: a random policy falls and loses the health
bonus; a policy trained on the learned reward stays up and hops forward.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

from backflip.config import (
    AgentConfig,
    ExploreConfig,
    PPOConfig,
    QueryConfig,
    RewardTrainingConfig,
    ScheduleConfig,
    TrainConfig,
)
from backflip.envs.hopper_backflip import ENV_ID
from backflip.training.run import train

HOPPER = dict(env="Hopper-v5", algo="ppo", steps=20_000, horizon=200, seed=0, eval_episodes=5)

# Measured with these seeds on the development machine (2 CPU cores, 18 s of training,
# with a grid sharing the cores): learned-reward policy 249.7, random policy -28.9 (the
# task reward, control costs hidden), held-out correlation 0.97.
MARGIN_OVER_RANDOM = 150.0


def test_synthetic_oracle_teaches_hopper_to_stay_up(tmp_path) -> None:
    torch.set_num_threads(1)
    schedule = ScheduleConfig(rounds=8)
    config = TrainConfig(**HOPPER, labels=60, schedule=schedule, run_dir=tmp_path)  # type: ignore[arg-type]
    summary = train(config, torch.device("cpu"), progress=False)
    assert summary["labels"] == 60
    assert summary["reward_oracle_corr"] > 0.8
    assert summary["pref_accuracy"] > 0.6
    assert (
        summary["eval_true_return_mean"] > summary["random_true_return_mean"] + MARGIN_OVER_RANDOM
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_learned_reward_nearly_matches_true_reward_baseline(tmp_path, seed: int) -> None:
    torch.set_num_threads(1)
    hopper = {**HOPPER, "seed": seed}
    runs = {
        reward: train(
            TrainConfig(**hopper, labels=200, reward=reward, run_dir=tmp_path / reward),  # type: ignore[arg-type]
            torch.device("cpu"),
            progress=False,
        )
        for reward in ("true", "learned")
    }
    true, learned = runs["true"], runs["learned"]
    random = learned["random_true_return_mean"]
    # Progress over random reached with 200 labels, relative to the true-reward baseline.
    # Measured: learned 194.0, 176.0, 208.0 against true-reward 232.9, 195.9, 218.7 for
    # seeds 0, 1, 2 (random -28.9, -53.9, -7.8): shares 0.85, 0.92, 0.95.
    share = (learned["eval_true_return_mean"] - random) / (true["eval_true_return_mean"] - random)
    assert share > 0.6


def train_on_the_judges_reward(tmp_path, seed: int, **fields) -> dict:
    """The summary of PPO trained on the backflip env's own reward (the judge's) with
    `make backflip`'s episodes: 300 steps in training, 1000 in evaluation."""
    torch.set_num_threads(1)
    config = TrainConfig(
        env=ENV_ID,
        algo="ppo",
        horizon=300,
        eval_horizon=1000,
        reward="true",
        seed=seed,
        run_dir=tmp_path,
        **fields,
    )
    return train(config, torch.device("cpu"), progress=False)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_judges_reward_teaches_ppo_to_backflip(tmp_path, seed: int) -> None:
    # The backflip env is learnable from its own reward (the judge's) within a small
    # budget, whatever the seed: the ceiling that `make backflip`'s learned reward reaches
    # for, with its episodes (300 steps in training, 1000 in evaluation).
    # Measured with this test: 4.6, 1.0 and 3.6 flips per episode for seeds 0, 1 and 2
    # (random policy 0.0; clean flips 0.0 for each) with today's PPO defaults. At commit
    # 549e2b0 (64-64 tanh networks) it made 2.8, 2.6 and 0.0; at 040a70a (one env) 4.8,
    # 3.8 and 1.4.
    summary = train_on_the_judges_reward(tmp_path, seed, steps=150_000, eval_episodes=5)
    assert summary["random_flips_per_episode"] == 0.0
    assert summary["flips_per_episode"] >= 1.0


# `make backflip`'s PPO settings (BACKFLIP_PPO in the Makefile) with gamma 0.995, and the
# judge of trial KU in the README's judge trials: take-off from the foot, a landing bonus
# paid only to flips that took off near upright and stayed up, a floor cost, one turn paid.
BACKFLIP_PPO = PPOConfig(
    normalize_reward=False,
    n_epochs=5,
    learning_rate=3e-4,
    log_std_init=0.0,
    ortho_init=True,
    activation="tanh",
    hidden=(64, 64),
    gamma=0.995,
)
KU_JUDGE = (
    "takeoff=foot",
    "landing_weight=100",
    "floor_weight=20",
    "unlanded_weight=0.5",
    "landing_stay=0.25",
    "turn_cap=1",
    "landing_takeoff=upright",
)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_the_ku_judges_reward_teaches_ppo_clean_backflips(tmp_path, seed: int) -> None:
    # Clean backflips (from the foot, upright, a whole turn in the air, landed on the foot
    # and stayed up) where a random policy makes none. About 18 minutes a seed, two at a
    # time on 2 cores (4,000,000 steps). Measured as trial KU (the same config, by the CLI):
    # 1.3 and 1.2 clean flips per episode for seeds 0 and 1 (5.6 and 6.3 flips in all).
    summary = train_on_the_judges_reward(
        tmp_path, seed, steps=4_000_000, env_kwargs=KU_JUDGE, agent=AgentConfig(ppo=BACKFLIP_PPO)
    )
    assert summary["random_clean_flips_per_episode"] == 0.0
    assert summary["clean_flips_per_episode"] >= 0.5


# Trial KF2 of the README: KU's terms with a floor cost of 2 instead of 20, the flight in
# the observation, and the landing bonus only for three quarters of a turn or more.
KF2_JUDGE = tuple(term for term in KU_JUDGE if not term.startswith("floor_weight")) + (
    "flight_obs=true",
    "landing_min_turns=0.75",
    "floor_weight=2",
)


def learn_from_the_kf2_judge(tmp_path, seed: int) -> TrainConfig:
    """The 4,000,000-step run of the README's (a') row: PPO on a reward learned from 900
    of the KF2 judge's answers about 1.2-s clips."""
    return TrainConfig(
        env=ENV_ID,
        algo="ppo",
        steps=4_000_000,
        labels=900,
        horizon=300,
        eval_horizon=1000,
        seed=seed,
        env_kwargs=KF2_JUDGE,
        query=QueryConfig(segment_seconds=1.2),
        agent=AgentConfig(ppo=BACKFLIP_PPO),
        run_dir=tmp_path,
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", [2, 4])
def test_900_comparisons_of_the_kf2_judge_teach_ppo_clean_backflips(tmp_path, seed: int) -> None:
    # The learned path at its best: clean backflips learned from comparisons alone, on the
    # two seeds of 0-4 where it makes them (seeds 0, 1 and 3 tumble: 0.0 clean; README, the
    # backflip). About 13 minutes a seed, two at a time on 2 cores. Measured as trial KF2
    # (by the CLI, the same config): 4.8 and 10.4 clean flips per episode for seeds 2 and
    # 4 (random 0.0), 0.8 and 2.5 of them in the last quarter.
    torch.set_num_threads(1)
    summary = train(learn_from_the_kf2_judge(tmp_path, seed), torch.device("cpu"), progress=False)
    assert summary["random_clean_flips_per_episode"] == 0.0
    assert summary["clean_flips_per_episode"] >= 2.0


# Trial KF2PU of the README: KF2's terms with rotation paid only from an upright take-off
# (the clean flip's), learned after PEBBLE's exploration.
KF2U_JUDGE = tuple("takeoff=upright" if term == "takeoff=foot" else term for term in KF2_JUDGE)


def learn_from_the_kf2u_judge_after_exploring(tmp_path, seed: int) -> TrainConfig:
    """The 4,000,000-step run of the README's KF2PU row: PPO first learns 400,000 steps on
    PEBBLE's state-entropy reward, then on a reward learned from 900 of the KF2U judge's
    answers about 1.2-s clips."""
    return dataclasses.replace(
        learn_from_the_kf2_judge(tmp_path, seed),
        env_kwargs=KF2U_JUDGE,
        explore=ExploreConfig(pebble_steps=400_000),
    )


def assert_learns_clean_backflips_that_repeat(config: TrainConfig) -> None:
    """Trains ``config`` on the CPU: at least 2 clean flips per evaluation episode and some
    in its last quarter (it lands and goes again), where a random policy makes none."""
    torch.set_num_threads(1)
    summary = train(config, torch.device("cpu"), progress=False)
    assert summary["random_clean_flips_per_episode"] == 0.0
    assert summary["clean_flips_per_episode"] >= 2.0
    assert summary["late_clean_flips_per_episode"] > 0.0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [2])
def test_exploring_then_900_comparisons_of_the_kf2u_judge_teach_clean_backflips(
    tmp_path, seed: int
) -> None:
    # Every seed of 0-4 takes off upright and turns a whole turn; seed 2 is the one that
    # also lands upright every time (README, the backflip). About 14 minutes. Measured as
    # trial KF2PU (by the CLI, the same config; its env kwargs in another order): 13.2
    # clean flips per episode, 3.3 of them in the last quarter (random 0.0); seeds 0, 1,
    # 3 and 4 made 0.0, 0.7, 0.8 and 0.0.
    assert_learns_clean_backflips_that_repeat(
        learn_from_the_kf2u_judge_after_exploring(tmp_path, seed)
    )


def learn_from_every_step_of_the_kf2u_judges_clips(tmp_path, seed: int) -> TrainConfig:
    """`make backflip`'s run (the README's KF2PUA row): the KF2PU run, with every one of a
    clip's 150 steps in the reward fits' estimate of its return instead of every sixth."""
    return dataclasses.replace(
        learn_from_the_kf2u_judge_after_exploring(tmp_path, seed),
        reward_training=RewardTrainingConfig(train_clip_steps=150),
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 4])
def test_900_comparisons_fit_on_every_step_teach_clean_backflips(tmp_path, seed: int) -> None:
    # Seeds 0 and 4 are the two of 0-4 that landed no flip upright when the fits read every
    # sixth step of a clip (KF2PU: 0.0 clean); the landing bonus is paid at one step of
    # the clip. About 17 minutes a seed, two at a time. Measured as trial KF2PUA (by the
    # CLI, the same config; its env kwargs in another order): 8.6 and 5.2 clean flips per
    # episode, 1.4 and 1.0 of them in the last quarter (random 0.0).
    assert_learns_clean_backflips_that_repeat(
        learn_from_every_step_of_the_kf2u_judges_clips(tmp_path, seed)
    )


def learn_until_late_from_every_step(tmp_path, seed: int) -> TrainConfig:
    """The README's KF2PUAL row: the KF2PUA run with its 900 questions spread over the
    first 80% of the run's steps instead of half, so that the later ones compare the
    policy's own flips and landings."""
    config = learn_from_every_step_of_the_kf2u_judges_clips(tmp_path, seed)
    return dataclasses.replace(
        config, schedule=dataclasses.replace(config.schedule, label_until=0.8)
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", [2])
def test_900_comparisons_asked_until_late_teach_clean_backflips(tmp_path, seed: int) -> None:
    # Seed 2 landed no flip when every question was asked by half of the run (KF2PUA: 0.1
    # clean, and none of its compared clips held a clean backflip); asked until 80%, 374
    # of them do. About 15 minutes, two runs at a time. Measured as trial KF2PUAL (by the
    # CLI, the same config; its env kwargs in another order): 9.2 clean flips per episode,
    # 1.4 of them in the last quarter (random 0.0).
    assert_learns_clean_backflips_that_repeat(learn_until_late_from_every_step(tmp_path, seed))


def learn_with_an_entropy_bonus(tmp_path, seed: int) -> TrainConfig:
    """The README's KF2PUAT row: the KF2PUA run with PPO's entropy bonus at 0.01 (0 in
    every other run here), so that PPO keeps trying turns it has not been paid for yet."""
    config = learn_from_every_step_of_the_kf2u_judges_clips(tmp_path, seed)
    return dataclasses.replace(
        config,
        agent=dataclasses.replace(
            config.agent, ppo=dataclasses.replace(config.agent.ppo, ent_coef=0.01)
        ),
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_900_comparisons_with_an_entropy_bonus_teach_clean_backflips(tmp_path, seed: int) -> None:
    # Seeds 1 and 2 are the two of 0-4 that KF2PUA landed fewer than 2 clean flips on
    # (1.2 and 0.1), and PPO on the judge's own reward none (row (b'')). About 25 minutes
    # a seed, two at a time. Measured as trial KF2PUAT (by the CLI, the same config; its
    # env kwargs in another order): 2.3 and 3.1 clean flips per episode, 0.6 and 0.5 of
    # them in the last quarter (random 0.0).
    assert_learns_clean_backflips_that_repeat(learn_with_an_entropy_bonus(tmp_path, seed))


def learn_asking_about_the_best_clips(tmp_path, seed: int) -> TrainConfig:
    """The README's KF2PUATLB row: the KF2PUAT run with its questions asked until 80% of
    the run, half of each round's pairing clips of the best quarter of the candidates by
    the reward model's own ranking."""
    config = learn_with_an_entropy_bonus(tmp_path, seed)
    return dataclasses.replace(
        config,
        schedule=dataclasses.replace(config.schedule, label_until=0.8),
        query=dataclasses.replace(config.query, top_share=0.5),
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 4])
def test_900_comparisons_about_the_best_clips_teach_clean_backflips(tmp_path, seed: int) -> None:
    # Seed 4 is the one of 0-4 whose judge saw no clean backflip under KF2PUATL (1.7 clean
    # flips, none late); asked about the best clips, 378 of its compared clips hold one.
    # About 25 minutes a seed, two at a time. Measured as trial KF2PUATLB (by the CLI, the
    # same config; its env kwargs in another order): 8.2 and 2.1 clean flips per episode,
    # 1.2 and 0.2 of them in the last quarter (random 0.0).
    assert_learns_clean_backflips_that_repeat(learn_asking_about_the_best_clips(tmp_path, seed))


def learn_restarting_from_landings(tmp_path, seed: int) -> TrainConfig:
    """`make backflip`'s run (the README's KF2PUATLBR3 row): the KF2PUATLB run with 30% of
    its training episodes starting from a recent landing on the foot after a turn back, so
    that PPO also acts after landings a little off, which a chain of flips ends on."""
    return dataclasses.replace(
        learn_asking_about_the_best_clips(tmp_path, seed),
        restarts=0.3,
        restarts_from="landings",
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 2])
def test_900_comparisons_restarting_from_landings_teach_clean_backflips(
    tmp_path, seed: int
) -> None:
    # Seeds 0 and 2 are the two of 0-4 that KF2PUATLB did not land late flips on (0.7
    # clean, and 2.4 with none in the last quarter): their chains ended on a landing a
    # little off that they never got up from. About 20 minutes a seed, two at a time.
    # Measured as trial KF2PUATLBR3 (by the CLI, the same config; its env kwargs in
    # another order): 3.6 and 3.2 clean flips per episode, 0.9 and 0.1 of them in the
    # last quarter (random 0.0).
    assert_learns_clean_backflips_that_repeat(learn_restarting_from_landings(tmp_path, seed))
