"""RewardTrainer: learning, ties, skips, out-of-bag validation, the stopping criterion,
L2 adaptation, determinism, resume."""

from __future__ import annotations

import dataclasses
import io
import math
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from backflip.config import AblationConfig, ConfigError, RewardTrainingConfig
from backflip.preference.ensemble import RewardEnsemble
from backflip.preference.reward_training import (
    FitStats,
    RewardTrainer,
    bag_counts,
    random_answer_bce,
)
from backflip.records import Comparison, Segment

OBS, ACT, T, M = 3, 2, 8, 3
TRUE_W = np.array([1.0, -2.0, 0.5], dtype=np.float32)
CPU = torch.device("cpu")
FAST = RewardTrainingConfig(min_steps=300, max_steps=600, batch_size=32, lr=3e-3)
ADAPT_L2 = AblationConfig(adapt_l2=True)


def steps(n: int, **changes: object) -> RewardTrainingConfig:
    """FAST with exactly ``n`` optimizer steps per fit."""
    return dataclasses.replace(FAST, min_steps=n, max_steps=n, **changes)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Tiny nets: one thread avoids OpenMP stalls on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make_segments(n: int, seed: int = 0, length: int = T) -> dict[int, Segment]:
    """Clips whose true per-step reward is ``TRUE_W @ next_obs``."""
    rng = np.random.default_rng(seed)
    segs = {}
    for i in range(n):
        obs = rng.normal(size=(length + 1, OBS)) + rng.normal(size=OBS)
        segs[i] = Segment(
            obs=obs,
            acts=rng.normal(size=(length, ACT)),
            oracle_rewards=obs[1:] @ TRUE_W,
            states=np.zeros((length + 1, 3)),
            env_id="test",
            seed=0,
            episode=0,
            start_step=0,
        )
    return segs


def make_pairs(n: int, n_clips: int, seed: int = 1) -> list[tuple[int, int]]:
    rng = np.random.default_rng(seed)
    pairs = set()
    while len(pairs) < n:
        a, b = (int(x) for x in rng.choice(n_clips, size=2, replace=False))
        pairs.add((a, b))
    return sorted(pairs)


def true_comparisons(segs: dict[int, Segment], pairs: list[tuple[int, int]]) -> list[Comparison]:
    return [
        Comparison(a, b, 1.0 if segs[a].oracle_return > segs[b].oracle_return else 0.0)
        for a, b in pairs
    ]


def make_trainer(
    config: RewardTrainingConfig = FAST, seed: int = 0, ablation: AblationConfig = ADAPT_L2
) -> RewardTrainer:
    ens = RewardEnsemble(OBS, ACT, n_members=M, hidden=(32, 32), seed=seed)
    return RewardTrainer(ens, config, CPU, seed, ablation)


def raw_pref_probs(ens: RewardEnsemble, segs: dict[int, Segment], pairs: list) -> np.ndarray:
    """Per-member ``sigmoid(R_l - R_r)`` of the raw (un-normalized) rewards: ``(M, P)``."""

    def ret(i: int) -> torch.Tensor:
        obs, act, nxt = (torch.tensor(a) for a in segs[i].transitions())
        return ens.member_rewards(obs, act, nxt).sum(-1)

    with torch.no_grad():
        return torch.stack([torch.sigmoid(ret(a) - ret(b)) for a, b in pairs], 1).numpy()


def initial_loss(trainer: RewardTrainer, segs: dict[int, Segment], comps: list) -> float:
    """Mean loss of the untrained ensemble with the inputs standardized as fit() will."""
    feats = np.concatenate([np.concatenate(s.transitions(), -1) for s in segs.values()])
    trainer.ensemble.set_input_stats(feats.mean(0), feats.std(0))
    p = raw_pref_probs(trainer.ensemble, segs, [(c.left_id, c.right_id) for c in comps])
    diff = torch.logit(torch.tensor(p, dtype=torch.float64))
    labels = torch.tensor([c.label for c in comps], dtype=torch.float64).expand_as(diff)
    return float(random_answer_bce(diff, labels, 0.1).mean())


def test_learns_separable_preferences() -> None:
    segs = make_segments(120)
    comps = true_comparisons(segs, make_pairs(400, 120))
    trainer = make_trainer()
    before = initial_loss(trainer, segs, comps)
    stats = trainer.fit(comps, segs)
    assert isinstance(stats, FitStats)
    assert stats.train_loss < 0.3 < before
    assert stats.train_accuracy >= FAST.target_accuracy
    assert FAST.min_steps <= stats.steps < FAST.max_steps  # stopped on the criterion
    assert stats.val_accuracy > 0.9
    assert stats.n_comparisons == len(comps)
    # The learned (normalized) reward also orders fresh clips like the true return.
    fresh = make_segments(60, seed=7)
    ret = trainer.ensemble.clip_returns(list(fresh.values())).mean(0)
    truth = np.array([s.oracle_return for s in fresh.values()])
    assert np.corrcoef(ret, truth)[0, 1] > 0.9


def test_stats_after_fit_normalize_inputs_and_each_member_output() -> None:
    segs = make_segments(40)
    comps = true_comparisons(segs, make_pairs(60, 40))
    trainer = make_trainer(steps(10))
    trainer.fit(comps, segs)
    used = sorted({i for c in comps for i in (c.left_id, c.right_id)})
    obs, act, nxt = (np.concatenate([segs[i].transitions()[k] for i in used]) for k in range(3))
    ens = trainer.ensemble
    feats = np.concatenate([obs, act, nxt], -1)
    np.testing.assert_allclose(ens.input_mean.numpy(), feats.mean(0), atol=1e-5)
    np.testing.assert_allclose(ens.input_std.numpy(), feats.std(0), rtol=1e-4)
    with torch.no_grad():
        normed = ens.normalize(
            ens.member_rewards(torch.tensor(obs), torch.tensor(act), torch.tensor(nxt))
        )
    np.testing.assert_allclose(normed.mean(1).numpy(), np.zeros(M), atol=1e-4)
    np.testing.assert_allclose(normed.std(1, correction=0).numpy(), np.ones(M), atol=1e-4)


def test_ties_are_soft_targets() -> None:
    segs = make_segments(40)
    pairs = make_pairs(80, 40)
    comps = [Comparison(a, b, 0.5) for a, b in pairs]
    trainer = make_trainer(steps(150, weight_decay=0.0))
    stats = trainer.fit(comps, segs)
    assert math.isnan(stats.val_accuracy)  # no decided labels
    assert math.isnan(stats.train_accuracy)
    assert stats.train_loss == pytest.approx(math.log(2), abs=0.01)
    probs = raw_pref_probs(trainer.ensemble, segs, pairs)
    assert np.abs(probs - 0.5).max() < 0.1


def test_only_skipped_comparisons_raise() -> None:
    segs = make_segments(4)
    with pytest.raises(ValueError, match="all 2 were skipped"):
        make_trainer().fit([Comparison(0, 1, None), Comparison(2, 3, None)], segs)


def test_skipped_comparisons_are_not_trained_on() -> None:
    segs = make_segments(30)
    comps = true_comparisons(segs, make_pairs(40, 30))
    # Skips refer to clips that are not even in `segments`: they must never be read.
    skips = [Comparison(100 + k, 200 + k, None) for k in range(10)]
    mixed = comps[:10] + skips + comps[10:]
    a, b = make_trainer(), make_trainer()
    stats_a = a.fit(comps, segs)
    stats_b = b.fit(mixed, segs)
    assert stats_a == stats_b
    for pa, pb in zip(a.ensemble.parameters(), b.ensemble.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_bags_are_stable_about_one_over_e_out_and_cover_every_label() -> None:
    pairs = [(a, b) for a in range(60) for b in range(60) if a != b]
    counts = bag_counts(0, 3, pairs)
    assert counts.shape == (3, len(pairs))
    out = counts == 0
    assert all(0.30 < share < 0.37 for share in out.mean(axis=1))  # 1/e, less orphans
    assert (counts.sum(axis=0) > 0).all()  # every comparison is in some member's bag
    assert 0.9 < counts.mean() < 1.1  # Poisson(1)
    # A comparison keeps its counts when others join: out of a bag once, out for good.
    np.testing.assert_array_equal(bag_counts(0, 3, pairs[:100]), counts[:, :100])
    assert not np.array_equal(bag_counts(1, 3, pairs), counts)


def test_a_shared_holdout_is_out_of_every_bag_and_stable() -> None:
    pairs = [(a, b) for a in range(60) for b in range(60) if a != b]
    counts = bag_counts(0, 3, pairs, shared_holdout=1 / math.e)
    held = (counts == 0).all(axis=0)
    assert 0.34 < held.mean() < 0.40
    # The rest are the same bags as without the holdout: only the held-out ones change.
    np.testing.assert_array_equal(counts[:, ~held], bag_counts(0, 3, pairs)[:, ~held])
    np.testing.assert_array_equal(
        bag_counts(0, 3, pairs[:100], shared_holdout=1 / math.e), counts[:, :100]
    )


def test_out_of_bag_accuracy_is_honest() -> None:
    # Random labels: each member memorizes its bag, and is at chance on what it never saw.
    rng = np.random.default_rng(0)
    segs = make_segments(80)
    noise = [Comparison(a, b, float(rng.integers(2))) for a, b in make_pairs(150, 80)]
    trainer = make_trainer(steps(600, random_answer_prob=0.0, weight_decay=0.0))
    stats = trainer.fit(noise, segs)
    assert stats.train_accuracy > 0.9
    assert 0.3 < stats.val_accuracy < 0.7


def test_training_stops_on_the_criterion_within_floor_and_cap() -> None:
    segs = make_segments(60)
    comps = true_comparisons(segs, make_pairs(100, 60))
    easy = make_trainer(dataclasses.replace(FAST, min_steps=20, max_steps=5000))
    stats = easy.fit(comps, segs)
    assert stats.train_accuracy >= FAST.target_accuracy and 20 <= stats.steps < 5000
    floor = make_trainer(dataclasses.replace(FAST, min_steps=700, max_steps=5000))
    assert floor.fit(comps, segs).steps >= 700  # whole epochs: the first past the floor
    rng = np.random.default_rng(1)
    noise = [Comparison(c.left_id, c.right_id, float(rng.integers(2))) for c in comps]
    cap = make_trainer(dataclasses.replace(FAST, min_steps=10, max_steps=50))
    stats = cap.fit(noise, segs)
    assert stats.steps == 50 and stats.train_accuracy < FAST.target_accuracy


def test_a_refit_starts_from_the_same_function() -> None:
    # New clips move the input statistics; the first layer absorbs the move, so with a
    # learning rate of 0 the refit model predicts exactly what it did.
    segs = make_segments(60)
    pairs = make_pairs(120, 60)
    comps = true_comparisons(segs, pairs)
    trainer = make_trainer(steps(30))
    first = [c for c in comps if max(c.left_id, c.right_id) < 30]
    trainer.fit(first, segs)
    clips = list(segs.values())
    before = trainer.ensemble.clip_returns(clips, normalized=False)
    mean_before = trainer.ensemble.input_mean.clone()
    for group in trainer.optimizer.param_groups:
        group["lr"] = 0.0
    trainer.fit(comps, segs)
    assert not torch.allclose(trainer.ensemble.input_mean, mean_before)
    after = trainer.ensemble.clip_returns(clips, normalized=False)
    np.testing.assert_allclose(after, before, rtol=1e-4, atol=1e-3)


def test_restandardizing_moves_the_function_at_a_refit() -> None:
    # The ablation of the test above: new statistics under the same weights.
    segs = make_segments(60)
    comps = true_comparisons(segs, make_pairs(120, 60))
    trainer = make_trainer(steps(30), ablation=AblationConfig(adapt_l2=True, restandardize=True))
    trainer.fit([c for c in comps if max(c.left_id, c.right_id) < 30], segs)
    clips = list(segs.values())
    before = trainer.ensemble.clip_returns(clips, normalized=False)
    for group in trainer.optimizer.param_groups:
        group["lr"] = 0.0
    trainer.fit(comps, segs)
    after = trainer.ensemble.clip_returns(clips, normalized=False)
    assert np.abs(after - before).max() > 0.05 * np.abs(before).max()


def test_unequal_clip_lengths_raise() -> None:
    segs = make_segments(2) | {2: make_segments(1, length=T + 1)[0]}
    with pytest.raises(ValueError, match="same length"):
        make_trainer().fit([Comparison(0, 1, 1.0), Comparison(1, 2, 0.0)], segs)


def test_l2_weight_adapts_to_val_train_ratio() -> None:
    # Ties only: train and val loss both ~ln 2, ratio < 1.1 -> less L2.
    segs = make_segments(40)
    ties = [Comparison(a, b, 0.5) for a, b in make_pairs(80, 40)]
    trainer = make_trainer(steps(100))
    stats = trainer.fit(ties, segs)
    assert stats.weight_decay == trainer.weight_decay == pytest.approx(FAST.weight_decay / 1.5)
    # Random labels on a few comparisons: memorized, val loss >> train -> more L2.
    rng = np.random.default_rng(0)
    segs = make_segments(60)
    noise = [Comparison(a, b, float(rng.integers(2))) for a, b in make_pairs(60, 60)]
    cfg = steps(400, random_answer_prob=0.0)
    trainer = make_trainer(cfg)
    stats = trainer.fit(noise, segs)
    assert stats.val_loss > 1.5 * stats.train_loss
    assert trainer.weight_decay == pytest.approx(cfg.weight_decay * 1.5)
    # Without adaptation it stays put.
    fixed = make_trainer(cfg, ablation=AblationConfig())
    assert fixed.fit(noise, segs).weight_decay == cfg.weight_decay


def test_fit_is_deterministic_for_a_seed() -> None:
    segs = make_segments(30)
    comps = true_comparisons(segs, make_pairs(50, 30))
    cfg = steps(20)
    a, b, c = make_trainer(cfg), make_trainer(cfg), make_trainer(cfg, seed=1)
    assert a.fit(comps, segs) == b.fit(comps, segs)
    c.fit(comps, segs)
    for pa, pb, pc in zip(
        a.ensemble.parameters(), b.ensemble.parameters(), c.ensemble.parameters(), strict=True
    ):
        assert torch.equal(pa, pb)
        assert not torch.equal(pa, pc)


def test_state_dict_round_trip_resumes_exactly() -> None:
    segs = make_segments(30)
    comps = true_comparisons(segs, make_pairs(60, 30))
    cfg = steps(15)
    first = make_trainer(cfg)
    first.fit(comps[:30], segs)
    buf = io.BytesIO()
    torch.save({"trainer": first.state_dict(), "ensemble": first.ensemble.state_dict()}, buf)
    buf.seek(0)
    saved = torch.load(buf, weights_only=True)
    resumed = make_trainer(cfg, seed=0)
    resumed.ensemble.load_state_dict(saved["ensemble"])
    resumed.load_state_dict(saved["trainer"])
    assert resumed.weight_decay == first.weight_decay and resumed.fit_count == 1
    assert first.fit(comps, segs) == resumed.fit(comps, segs)
    for pa, pb in zip(first.ensemble.parameters(), resumed.ensemble.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_random_answer_bce() -> None:
    diff = torch.tensor([-30.0, -1.0, 0.0, 2.0, 30.0])
    p = 0.9 * torch.sigmoid(diff) + 0.05
    for y in (0.0, 0.5, 1.0):
        target = torch.full_like(diff, y)
        expected = -(y * torch.log(p) + (1 - y) * torch.log(1 - p))
        torch.testing.assert_close(random_answer_bce(diff, target, 0.1), expected)
    # The random-answer floor bounds the loss of a confidently wrong prediction.
    assert float(random_answer_bce(torch.tensor(-100.0), torch.tensor(1.0), 0.1)) == (
        pytest.approx(-math.log(0.05), rel=1e-5)
    )


def test_config_validates() -> None:
    with pytest.raises(ConfigError, match="min-steps"):
        RewardTrainingConfig(min_steps=10, max_steps=5)
    with pytest.raises(ConfigError, match="target-accuracy"):
        RewardTrainingConfig(target_accuracy=0.0)
    with pytest.raises(ConfigError, match="random_answer_prob"):
        RewardTrainingConfig(random_answer_prob=-0.1)
    with pytest.raises(ConfigError, match="shared-holdout"):
        AblationConfig(shared_holdout=1.0)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_fit_on_cuda_matches_cpu() -> None:
    segs = make_segments(120)
    comps = true_comparisons(segs, make_pairs(400, 120))
    cpu = make_trainer()
    gpu = RewardTrainer(
        RewardEnsemble(OBS, ACT, M, (32, 32), seed=0), FAST, torch.device("cuda"), 0, ADAPT_L2
    )
    stats_cpu, stats_gpu = cpu.fit(comps, segs), gpu.fit(comps, segs)
    assert gpu.ensemble.input_mean.is_cuda
    assert stats_gpu.val_accuracy > 0.9
    assert stats_gpu.train_loss == pytest.approx(stats_cpu.train_loss, abs=0.05)
    clips = list(segs.values())[:20]
    out = gpu.ensemble.predict(
        *(np.concatenate([c.transitions()[k] for c in clips]) for k in range(3))
    )
    assert isinstance(out, np.ndarray) and out.shape == (20 * T,)
    probs = gpu.ensemble.preference_probs(clips[:10], clips[10:])
    assert probs.shape == (M, 10)


def test_strided_returns_average_to_the_whole_clips() -> None:
    segs = make_segments(10, length=40)
    comps = true_comparisons(segs, make_pairs(12, 10))
    trainer = make_trainer(steps(5, train_clip_steps=10))  # stride 4 on 40-step clips
    trainer.fit(comps, segs)
    clips, pairs, _, _ = trainer._gather(comps, segs)
    x = trainer.ensemble.standardize(clips)
    with torch.no_grad():
        whole = trainer._pair_diffs(x, pairs)
        strided = [trainer._pair_diffs(x, pairs, 4, offset) for offset in range(4)]
    torch.testing.assert_close(torch.stack(strided).mean(0), whole, rtol=1e-4, atol=1e-4)
    assert not torch.allclose(strided[0], whole)


def test_learns_from_long_clips_read_with_a_stride() -> None:
    segs = make_segments(120, length=64)
    comps = true_comparisons(segs, make_pairs(400, 120))
    stats = make_trainer(dataclasses.replace(FAST, train_clip_steps=16)).fit(comps, segs)
    assert stats.train_accuracy >= FAST.target_accuracy and stats.val_accuracy > 0.9


def test_the_criterion_is_checked_on_whole_clips() -> None:
    """What makes a clip better happens only at odd steps: the strided view that training
    reads at offset 0 sees none of it, and a fit checked on that view never stops."""
    rng = np.random.default_rng(0)
    segs = {}
    for i in range(60):
        acts = np.zeros((16, ACT))
        acts[1::2, 0] = rng.normal()  # the clip's quality, at odd steps only
        segs[i] = Segment(
            obs=np.zeros((17, OBS)),
            acts=acts,
            oracle_rewards=acts[:, 0],
            states=np.zeros((17, 3)),
            env_id="test",
            seed=0,
            episode=0,
            start_step=0,
        )
    comps = true_comparisons(segs, make_pairs(150, 60))
    config = dataclasses.replace(FAST, min_steps=20, max_steps=3000, train_clip_steps=8)
    stats = make_trainer(config).fit(comps, segs)  # stride 2
    assert stats.train_accuracy >= FAST.target_accuracy and stats.steps < 1000


def test_a_confidently_wrong_member_is_trapped_by_random_answers_and_freed_by_plain_bt() -> None:
    # Long clips make large clip returns: after a confident fit, every answer turned
    # around is a confident mistake. The paper's random-answer loss is flat there, so the
    # members stay wrong to the cap; plain Bradley-Terry pulls them over.
    segs = make_segments(60, length=150)
    comps = true_comparisons(segs, make_pairs(100, 60))
    turned = [dataclasses.replace(c, label=1.0 - c.label) for c in comps]
    results = {}
    for eps in (0.1, 0.0):
        config = dataclasses.replace(
            FAST, min_steps=50, max_steps=1000, lr=1e-2, weight_decay=0.0, random_answer_prob=eps
        )
        trainer = make_trainer(config)
        assert trainer.fit(comps, segs).train_accuracy > 0.95
        results[eps] = trainer.fit(turned, segs)
    assert results[0.1].trapped(1000) and results[0.1].train_accuracy < 0.2
    assert not results[0.0].trapped(1000) and results[0.0].train_accuracy > 0.9
