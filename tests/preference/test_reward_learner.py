"""The reward learner: asks the budget, never repeats a pair, never asks held-out clips."""

from __future__ import annotations

import numpy as np
import torch

from backflip.preference.ensemble import RewardEnsemble
from backflip.preference.label_store import LabelStore
from backflip.preference.oracle import SyntheticOracle, TeacherConfig
from backflip.preference.records import Segment
from backflip.preference.reward_learner import RewardLearner
from backflip.preference.reward_training import RewardTrainer, RewardTrainingConfig

T, OBS, ACT = 10, 4, 2


def clips(n: int, seed: int) -> list[Segment]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        obs = rng.normal(size=(T + 1, OBS))
        out.append(
            Segment(
                obs=obs,
                acts=rng.normal(size=(T, ACT)),
                true_rewards=obs[1:, 0],  # the reward is the next obs' first coordinate
                states=np.zeros((T + 1, 3)),
                env_id="test",
                seed=seed,
                episode=i,
                start_step=0,
            )
        )
    return out


def make_learner(tmp_path, query: str = "disagreement") -> RewardLearner:
    ensemble = RewardEnsemble(OBS, ACT, n_members=3, hidden=(16, 16), seed=0)
    config = RewardTrainingConfig(epochs=20, refit_epochs=5, lr=3e-3)
    trainer = RewardTrainer(ensemble, config, torch.device("cpu"), seed=0)
    oracle = SyntheticOracle(TeacherConfig(), seed=0)
    store = LabelStore(tmp_path)
    return RewardLearner(store, oracle, ensemble, trainer, query, seed=0)  # type: ignore[arg-type]


def test_asks_exactly_n_new_pairs_and_never_held_out_clips(tmp_path) -> None:
    learner = make_learner(tmp_path)
    learner.add_clips(clips(60, seed=0))
    assert learner.ask(30) == 30
    learner.fit()
    assert learner.ask(30) == 30  # disagreement queries once the ensemble is fit
    comparisons = learner.store.comparisons(include_skipped=True)
    assert len(comparisons) == 60
    pairs = {frozenset((c.left_id, c.right_id)) for c in comparisons}
    assert len(pairs) == 60
    asked = {id(learner.segments[i]) for c in comparisons for i in (c.left_id, c.right_id)}
    assert learner.heldout and not asked & {id(clip) for clip in learner.heldout}
    # Answers are the oracle's: the clip with the higher true return wins.
    for c in comparisons:
        left, right = learner.segments[c.left_id], learner.segments[c.right_id]
        assert c.label == float(left.true_return > right.true_return)


def test_fit_learns_a_reward_that_tracks_the_true_one(tmp_path) -> None:
    learner = make_learner(tmp_path, query="uniform")
    learner.add_clips(clips(200, seed=1))
    learner.ask(150)
    stats = learner.fit()
    assert stats is not None and stats.n_train > 50
    corr = learner.heldout_correlation()
    assert corr is not None and corr > 0.8


def test_a_new_learner_on_the_same_store_knows_the_labelled_clips(tmp_path) -> None:
    learner = make_learner(tmp_path)
    learner.add_clips(clips(30, seed=2))
    learner.ask(10)
    learner.store.close()
    again = make_learner(tmp_path)
    assert set(again.segments) == {
        i for c in again.store.comparisons(include_skipped=True) for i in (c.left_id, c.right_id)
    }
    assert again.fit() is not None  # trains on the stored labels without asking anything
