"""The B-Pref synthetic teacher: each knob behaves as documented."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backflip.config import ConfigError, TeacherConfig
from backflip.preference.oracle import SyntheticOracle
from backflip.records import Segment


def clip(rewards: list[float] | np.ndarray, obs_value: float = 0.0) -> Segment:
    r = np.asarray(rewards, dtype=np.float32)
    T = len(r)
    return Segment(
        obs=np.full((T + 1, 2), obs_value),
        acts=np.zeros((T, 1)),
        oracle_rewards=r,
        states=np.zeros((T + 1, 3)),
        env_id="test",
        seed=0,
        episode=0,
        start_step=0,
    )


def flat(value: float, T: int = 5) -> Segment:
    return clip([value / T] * T)


def test_rational_teacher_always_prefers_higher_return() -> None:
    oracle = SyntheticOracle(TeacherConfig(), seed=0)
    rng = np.random.default_rng(1)
    for _ in range(300):
        left, right = clip(rng.normal(size=10)), clip(rng.normal(size=10))
        expected = 1.0 if left.oracle_return > right.oracle_return else 0.0
        assert oracle.compare(left, right) == expected
    assert oracle.name == "synthetic"


def test_exact_tie_is_equal() -> None:
    oracle = SyntheticOracle(TeacherConfig(), seed=0)
    assert oracle.compare(flat(1.0), flat(1.0)) == 0.5


def left_wins(beta: float, n: int = 4000, seed: int = 0) -> float:
    """Share of answers for the better clip; returns are +-1, so scale = 1, diff = 2."""
    oracle = SyntheticOracle(TeacherConfig(beta=beta), seed=seed)
    good, bad = flat(1.0), flat(-1.0)
    answers = [oracle.compare(good, bad) for _ in range(n)]
    assert set(answers) <= {0.0, 1.0}
    return sum(a == 1.0 for a in answers) / n


def test_boltzmann_noise_follows_relative_temperature() -> None:
    tiny, moderate, large = left_wins(0.01), left_wins(1.0), left_wins(20.0)
    assert abs(tiny - 0.5) < 0.04  # sigmoid(0.02) ~ 0.505: nearly a coin flip
    assert abs(moderate - 1 / (1 + math.exp(-2.0))) < 0.03  # sigmoid(2) ~ 0.881
    assert large > 0.999
    assert tiny < moderate < large


def test_myopia_can_flip_a_decision_when_the_better_clip_is_good_early() -> None:
    early, late = clip([1.0, 0.0, 0.0, 0.0]), clip([0.0, 0.0, 0.0, 0.9])
    assert SyntheticOracle(TeacherConfig(gamma=1.0), seed=0).compare(early, late) == 1.0
    assert SyntheticOracle(TeacherConfig(gamma=0.5), seed=0).compare(early, late) == 0.0
    # With the good step last, myopia does not change the answer.
    assert SyntheticOracle(TeacherConfig(gamma=0.5), seed=0).compare(late, early) == 1.0


def test_mistakes_flip_answers_at_the_given_rate() -> None:
    good, bad = flat(1.0), flat(-1.0)
    always = SyntheticOracle(TeacherConfig(mistake=1.0), seed=0)
    assert all(always.compare(good, bad) == 0.0 for _ in range(200))
    assert all(always.compare(bad, good) == 1.0 for _ in range(200))
    some = SyntheticOracle(TeacherConfig(mistake=0.2), seed=0)
    flipped = np.mean([some.compare(good, bad) == 0.0 for _ in range(5000)])
    assert abs(flipped - 0.2) < 0.03


def test_mistakes_leave_equal_answers_alone() -> None:
    oracle = SyntheticOracle(TeacherConfig(mistake=1.0), seed=0)
    assert all(oracle.compare(flat(1.0), flat(1.0)) == 0.5 for _ in range(50))


def test_skip_only_when_both_clips_are_low() -> None:
    oracle = SyntheticOracle(TeacherConfig(skip=0.5), seed=0)
    for i in range(10):  # history: returns 0..19, median ~9.5
        assert oracle.compare(flat(i), flat(10 + i)) == 0.0
    assert oracle.compare(flat(1.0), flat(2.0)) is None
    assert oracle.compare(flat(2.0), flat(1.5)) is None
    assert oracle.compare(flat(1.0), flat(15.0)) == 0.0
    assert oracle.compare(flat(15.0), flat(1.0)) == 1.0
    assert oracle.compare(flat(15.0), flat(16.0)) == 0.0


def test_skip_zero_never_skips() -> None:
    oracle = SyntheticOracle(TeacherConfig(skip=0.0), seed=0)
    for i in range(10):
        oracle.compare(flat(i), flat(10 + i))
    assert oracle.compare(flat(-5.0), flat(-6.0)) == 1.0


def test_equal_for_close_returns_only() -> None:
    oracle = SyntheticOracle(TeacherConfig(equal=0.1), seed=0)
    for _ in range(10):  # history of +-1: scale = 1, so "close" is within 0.1
        oracle.compare(flat(1.0), flat(-1.0))
    assert oracle.compare(flat(0.50), flat(0.45)) == 0.5
    assert oracle.compare(flat(0.45), flat(0.50)) == 0.5
    assert oracle.compare(flat(0.5), flat(0.2)) == 1.0
    assert oracle.compare(flat(0.2), flat(0.5)) == 0.0


NOISY = TeacherConfig(beta=1.0, gamma=0.9, mistake=0.1, skip=0.3, equal=0.1)


def answers(config: TeacherConfig, seed: int, reward_scale: float = 1.0) -> list[float | None]:
    oracle = SyntheticOracle(config, seed=seed)
    rng = np.random.default_rng(123)
    out = []
    for _ in range(300):
        left, right = rng.normal(size=(2, 8)) * reward_scale
        out.append(oracle.compare(clip(left), clip(right)))
    return out


def test_same_seed_same_answers() -> None:
    first = answers(NOISY, seed=7)
    assert first == answers(NOISY, seed=7)
    assert first != answers(NOISY, seed=8)
    assert {None, 0.0, 0.5, 1.0} == set(first)  # every kind of answer is exercised


def test_noise_does_not_depend_on_reward_scale() -> None:
    assert answers(NOISY, seed=3) == answers(NOISY, seed=3, reward_scale=1000.0)
    assert answers(NOISY, seed=3) == answers(NOISY, seed=3, reward_scale=1e-3)


def test_reads_only_oracle_rewards() -> None:
    a, b = SyntheticOracle(NOISY, seed=0), SyntheticOracle(NOISY, seed=0)
    rng = np.random.default_rng(0)
    for _ in range(100):
        left, right = rng.normal(size=(2, 8))
        assert a.compare(clip(left), clip(right)) == b.compare(
            clip(left, obs_value=3.0), clip(right, obs_value=-1.0)
        )


@pytest.mark.parametrize(
    ("kwargs", "knob"),
    [
        ({"beta": 0.0}, "beta"),
        ({"beta": -1.0}, "beta"),
        ({"beta": math.nan}, "beta"),
        ({"gamma": 0.0}, "gamma"),
        ({"gamma": 1.5}, "gamma"),
        ({"mistake": -0.1}, "mistake"),
        ({"mistake": 1.1}, "mistake"),
        ({"skip": -0.1}, "skip"),
        ({"skip": 1.5}, "skip"),
        ({"equal": -0.1}, "equal"),
    ],
)
def test_invalid_config_names_the_knob(kwargs: dict[str, float], knob: str) -> None:
    with pytest.raises(ConfigError, match=knob):
        TeacherConfig(**kwargs)


def test_scale_uses_only_the_latest_history() -> None:
    oracle = SyntheticOracle(TeacherConfig(), seed=0, history=4)
    oracle.compare(flat(100.0), flat(-100.0))
    oracle.compare(flat(1.0), flat(-1.0))
    assert oracle.scale() == pytest.approx(math.sqrt(5000.5), rel=1e-5)
    oracle.compare(flat(1.0), flat(-1.0))
    np.testing.assert_allclose(sorted(oracle.seen()), [-1, -1, 1, 1], rtol=1e-6)
    assert oracle.scale() == pytest.approx(1.0, rel=1e-5)


def test_remember_restores_the_scale_a_resumed_teacher_judges_by() -> None:
    rng = np.random.default_rng(3)
    clips = [clip(rng.normal(size=10) * 5.0) for _ in range(40)]
    first = SyntheticOracle(TeacherConfig(beta=1.0), seed=0)
    for a, b in zip(clips[::2], clips[1::2], strict=True):
        first.compare(a, b)
    resumed = SyntheticOracle(TeacherConfig(beta=1.0), seed=0)
    resumed.remember(clips)
    assert resumed.scale() == pytest.approx(first.scale())
    assert SyntheticOracle(TeacherConfig(beta=1.0), seed=0).scale() < first.scale()
