"""The label desk and the clip pool: the budget asked, no pair twice, no held-out clip
asked, answers the teacher's, a resumed desk that knows its labelled clips."""

from __future__ import annotations

import numpy as np
import torch

from backflip.config import QueryConfig, RewardModelConfig, RewardTrainingConfig, TeacherConfig
from backflip.preference.clip_pool import ClipPool
from backflip.preference.oracle import SyntheticOracle
from backflip.preference.query import best_clips
from backflip.preference.reward_model import RewardModel
from backflip.records import Segment
from backflip.storage.run_dir import RunDir
from backflip.training.label_desk import LabelDesk, Person, SyntheticTeacher

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
                oracle_rewards=obs[1:, 0],  # the reward is the next obs' first coordinate
                states=np.zeros((T + 1, 3)),
                env_id="test",
                seed=seed,
                episode=i,
                start_step=0,
            )
        )
    return out


def model() -> RewardModel:
    training = RewardTrainingConfig(min_steps=40, max_steps=200, lr=3e-3)
    config = RewardModelConfig(members=3, hidden=(16, 16))
    return RewardModel(OBS, ACT, config, training, torch.device("cpu"), seed=0)


def desk(
    tmp_path, method: str = "disagreement", person: bool = False, top_share: float = 0.0
) -> LabelDesk:
    teacher = Person() if person else SyntheticTeacher(SyntheticOracle(TeacherConfig(), seed=0))
    store = RunDir(tmp_path).label_store()
    return LabelDesk(store, teacher, method, oversample=10, seed=0, top_share=top_share)  # type: ignore[arg-type]


def test_asks_exactly_n_new_pairs_and_never_held_out_clips(tmp_path) -> None:
    pool = ClipPool(QueryConfig(), seed=0)
    pool.add(clips(60, seed=0))
    labels, reward = desk(tmp_path), model()
    assert labels.ask(30, pool.candidates(), reward) == 30
    reward.fit(*labels.answered())
    assert labels.ask(30, pool.candidates(), reward) == 30  # by disagreement once fit
    comparisons = labels.store.comparisons(include_skipped=True)
    assert len(comparisons) == 60
    assert len({frozenset((c.left_id, c.right_id)) for c in comparisons}) == 60
    asked = {id(labels.clips[i]) for c in comparisons for i in (c.left_id, c.right_id)}
    assert pool.heldout and not asked & {id(clip) for clip in pool.heldout}
    # Answers are the teacher's: the clip with the higher oracle return wins.
    for c in comparisons:
        left, right = labels.clips[c.left_id], labels.clips[c.right_id]
        assert c.label == float(left.oracle_return > right.oracle_return)


def test_a_top_share_of_the_queries_pairs_the_clips_the_model_rates_best(tmp_path) -> None:
    pool = ClipPool(QueryConfig(), seed=0)
    pool.add(clips(80, seed=2))
    labels, reward = desk(tmp_path, top_share=0.5), model()
    labels.ask(20, pool.candidates(), reward)  # the first round is uniform: no ranking yet
    reward.fit(*labels.answered())
    candidates = pool.candidates()
    before = len(labels.store.comparisons(include_skipped=True))
    assert labels.ask(20, candidates, reward) == 20
    asked = labels.store.comparisons(include_skipped=True)[before:]
    returns = reward.ensemble.clip_returns(candidates, normalized=False)
    best = {id(candidates[i]) for i in best_clips(returns)}
    in_best = [
        id(labels.clips[c.left_id]) in best and id(labels.clips[c.right_id]) in best for c in asked
    ]
    assert in_best[:10] == [True] * 10  # half of the round, asked first
    assert sum(in_best) < 20  # the other half from the whole pool
    assert len({frozenset((c.left_id, c.right_id)) for c in asked}) == 20


def test_a_person_gets_pending_queries_and_nothing_is_answered_for_them(tmp_path) -> None:
    pool = ClipPool(QueryConfig(), seed=0)
    pool.add(clips(20, seed=3))
    labels = desk(tmp_path, person=True)
    assert labels.ask(5, pool.candidates(), model()) == 5
    assert labels.store.pending_count() == 5 and labels.store.n_answered() == 0
    assert labels.n_asked() == 5
    assert labels.answered() == ([], labels.clips)


def test_fit_learns_a_reward_that_tracks_the_oracles(tmp_path) -> None:
    pool = ClipPool(QueryConfig(), seed=0)
    pool.add(clips(200, seed=1))
    labels, reward = desk(tmp_path, method="uniform"), model()
    labels.ask(150, pool.candidates(), reward)
    stats = reward.fit(*labels.answered())
    assert stats.n_comparisons == 150
    corr = reward.correlation(pool.heldout)
    assert corr is not None and corr > 0.8


def test_a_new_desk_on_the_same_store_knows_the_labelled_clips(tmp_path) -> None:
    pool = ClipPool(QueryConfig(), seed=0)
    pool.add(clips(30, seed=2))
    first = desk(tmp_path)
    first.ask(10, pool.candidates(), model())
    first.store.close()
    again = desk(tmp_path)
    comparisons, known = again.answered()
    assert set(known) == {i for c in comparisons for i in (c.left_id, c.right_id)}
    assert model().fit(comparisons, known).n_comparisons > 0  # trains without asking anything


def test_candidates_are_the_latest_rounds_clips() -> None:
    pool = ClipPool(QueryConfig(heldout_share=0.0, pool_size=30, pool_rounds=2), seed=0)
    first, second, third = clips(20, seed=1), clips(20, seed=2), clips(20, seed=3)
    pool.add(first)
    assert pool.candidates() == first
    pool.add(second)
    assert pool.candidates() == first[10:] + second  # the newest 30
    pool.add([])  # a round without clips keeps the candidates
    assert pool.candidates() == first[10:] + second
    pool.add(third)
    assert pool.candidates() == second[10:] + third  # nothing from the first round


def test_held_out_sample_stays_uniform_and_bounded() -> None:
    pool = ClipPool(QueryConfig(heldout_size=50, heldout_share=0.5, pool_size=100), seed=0)
    pool.add(clips(1000, seed=4))
    assert len(pool.heldout) == 50 and len(pool.candidates()) == 100
    assert 400 < pool.heldout_seen < 600
    episodes = np.array([clip.episode for clip in pool.heldout])
    assert episodes.min() < 300 and episodes.max() > 700  # from the whole run, not the end
