"""RewardEnsemble: shapes, batched members, normalization, numpy helpers, state."""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from backflip.preference.ensemble import STD_FLOOR, RewardEnsemble
from backflip.records import Segment

OBS, ACT, M = 3, 2, 3


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Tiny nets: one thread avoids OpenMP stalls on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make_segment(rng: np.random.Generator, length: int = 6) -> Segment:
    return Segment(
        obs=rng.normal(size=(length + 1, OBS)),
        acts=rng.normal(size=(length, ACT)),
        oracle_rewards=np.zeros(length),
        states=np.zeros((length + 1, 3)),
        env_id="test",
        seed=0,
        episode=0,
        start_step=0,
    )


def make_ensemble(seed: int = 0) -> RewardEnsemble:
    """A small ensemble with non-trivial input and output stats."""
    ens = RewardEnsemble(OBS, ACT, n_members=M, hidden=(16, 8), seed=seed)
    ens.set_input_stats(torch.linspace(-1, 1, 2 * OBS + ACT), torch.linspace(0.5, 2, 2 * OBS + ACT))
    ens.set_output_stats(torch.tensor([0.3, -0.2, 0.1]), torch.tensor([2.0, 0.5, 1.5]))
    return ens


def random_inputs(*batch: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(1)
    return (
        torch.randn(*batch, OBS, generator=gen),
        torch.randn(*batch, ACT, generator=gen),
        torch.randn(*batch, OBS, generator=gen),
    )


def test_shapes() -> None:
    ens = make_ensemble()
    obs, act, nxt = random_inputs(4, 5)
    assert ens.member_rewards(obs, act, nxt).shape == (M, 4, 5)
    assert ens(obs, act, nxt).shape == (4, 5)
    rng = np.random.default_rng(0)
    segs = [make_segment(rng) for _ in range(7)]
    assert ens.clip_returns(segs).shape == (M, 7)
    probs = ens.preference_probs(segs[:4], segs[3:])
    assert probs.shape == (M, 4)
    assert probs.dtype == np.float32
    assert np.all((probs > 0) & (probs < 1))


def test_batched_forward_equals_each_member_alone() -> None:
    ens = make_ensemble()
    obs, act, nxt = random_inputs(10)
    batched = ens.member_rewards(obs, act, nxt)
    x = (torch.cat([obs, act, nxt], -1) - ens.input_mean) / ens.input_std
    n_layers = len(ens.weights)
    for m in range(M):
        h = x
        for i in range(n_layers):
            h = h @ ens.weights[i][m] + ens.biases[i][m, 0]
            if i < n_layers - 1:
                h = torch.nn.functional.leaky_relu(h)
        torch.testing.assert_close(batched[m], h[:, 0])
    # Members are different functions, not copies.
    assert not torch.allclose(batched[0], batched[1])


def test_forward_averages_normalized_members() -> None:
    ens = make_ensemble()
    obs, act, nxt = random_inputs(10)
    raw = ens.member_rewards(obs, act, nxt)
    expected = ((raw - ens.output_mean[:, None]) / ens.output_std[:, None]).mean(0)
    torch.testing.assert_close(ens(obs, act, nxt), expected)


def test_output_normalization_gives_zero_mean_unit_std() -> None:
    ens = RewardEnsemble(OBS, ACT, n_members=M, hidden=(16,), seed=0)
    obs, act, nxt = random_inputs(500)
    with torch.no_grad():
        raw = ens.member_rewards(obs, act, nxt)
        ens.set_output_stats(raw.mean(1), raw.std(1, correction=0))
        normed = ens.normalize(ens.member_rewards(obs, act, nxt))
    torch.testing.assert_close(normed.mean(1), torch.zeros(M), atol=1e-5, rtol=0)
    torch.testing.assert_close(normed.std(1, correction=0), torch.ones(M), atol=1e-5, rtol=0)


def test_predict_matches_forward_across_chunks() -> None:
    ens = make_ensemble()
    obs, act, nxt = random_inputs(50)
    expected = ens(obs, act, nxt).detach().numpy()
    ens.chunk_size = 7  # force several chunks
    out = ens.predict(obs.numpy(), act.numpy(), nxt.numpy())
    assert out.dtype == np.float32 and out.shape == (50,)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_clip_returns_sum_normalized_steps_and_allow_mixed_lengths() -> None:
    ens = make_ensemble()
    ens.chunk_size = 5  # chunks cut across clip boundaries
    rng = np.random.default_rng(0)
    segs = [make_segment(rng, length) for length in (4, 6, 1, 9)]
    returns = ens.clip_returns(segs)
    for k, seg in enumerate(segs):
        obs, act, nxt = (torch.tensor(a) for a in seg.transitions())
        per_step = ens.normalize(ens.member_rewards(obs, act, nxt)).detach().numpy()
        np.testing.assert_allclose(returns[:, k], per_step.sum(1), rtol=1e-5, atol=1e-5)


def test_preference_probs_are_bradley_terry_of_raw_member_returns() -> None:
    """The model's own probabilities: raw returns, as in the Bradley-Terry fit."""
    ens = make_ensemble()
    rng = np.random.default_rng(0)
    left = [make_segment(rng) for _ in range(5)]
    right = [make_segment(rng) for _ in range(5)]
    ret_l = ens.clip_returns(left, normalized=False)
    ret_r = ens.clip_returns(right, normalized=False)
    probs = ens.preference_probs(left, right)
    np.testing.assert_allclose(probs, 1 / (1 + np.exp(-(ret_l - ret_r))), rtol=1e-5)
    np.testing.assert_allclose(probs + ens.preference_probs(right, left), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="left clips"):
        ens.preference_probs(left, right[:2])


def test_init_is_deterministic_for_a_seed() -> None:
    a, b, c = (
        RewardEnsemble(OBS, ACT, seed=3),
        RewardEnsemble(OBS, ACT, seed=3),
        RewardEnsemble(OBS, ACT, seed=4),
    )
    for (name, pa), pb, pc in zip(
        a.state_dict().items(), b.state_dict().values(), c.state_dict().values(), strict=True
    ):
        assert torch.equal(pa, pb), name
        if name.startswith("weights"):
            assert not torch.equal(pa, pc), name


def test_stats_are_validated_and_std_floored() -> None:
    ens = RewardEnsemble(OBS, ACT, hidden=(4,))
    ens.set_input_stats(np.zeros(2 * OBS + ACT), np.zeros(2 * OBS + ACT))
    assert torch.all(ens.input_std == STD_FLOOR)
    with pytest.raises(ValueError, match="shape"):
        ens.set_output_stats(np.zeros(2), np.ones(2))
    with pytest.raises(ValueError, match="NaN"):
        ens.set_output_stats(np.full(M, np.nan), np.ones(M))
    with pytest.raises(ValueError, match="features"):
        ens.member_rewards(torch.zeros(2, OBS), torch.zeros(2, ACT + 1), torch.zeros(2, OBS))


def test_state_dict_round_trip_with_weights_only() -> None:
    ens = make_ensemble(seed=0)
    buf = io.BytesIO()
    torch.save(ens.state_dict(), buf)
    buf.seek(0)
    state = torch.load(buf, weights_only=True)
    assert {"input_mean", "input_std", "output_mean", "output_std"} <= set(state)
    fresh = RewardEnsemble(OBS, ACT, n_members=M, hidden=(16, 8), seed=99)
    fresh.load_state_dict(state)
    obs, act, nxt = random_inputs(20)
    torch.testing.assert_close(fresh(obs, act, nxt), ens(obs, act, nxt), rtol=0, atol=0)


def test_small_batch_numpy_path_matches_torch_and_follows_weight_updates() -> None:
    ens = RewardEnsemble(5, 2, n_members=3, seed=0)
    ens.set_input_stats(torch.rand(12) + 0.5, torch.rand(12) + 0.5)
    ens.set_output_stats(torch.rand(3), torch.rand(3) + 0.5)
    rng = np.random.default_rng(0)
    obs, act, nxt = rng.normal(size=(7, 5)), rng.normal(size=(7, 2)), rng.normal(size=(7, 5))

    def torch_path() -> np.ndarray:
        with torch.no_grad():
            out = ens(*(torch.as_tensor(a, dtype=torch.float32) for a in (obs, act, nxt)))
        return out.numpy()

    np.testing.assert_allclose(ens.predict(obs, act, nxt), torch_path(), atol=1e-5)
    before = ens.predict(obs, act, nxt)
    with torch.no_grad():  # as an optimizer step would, in place
        ens.weights[0].add_(0.5)
    after = ens.predict(obs, act, nxt)
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, torch_path(), atol=1e-5)
