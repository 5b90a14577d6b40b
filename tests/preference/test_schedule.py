"""Christiano's label schedule: a block up front, then a decaying rate, summing to the budget."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backflip.preference.schedule import LabelSchedule


def test_starts_with_the_initial_block_and_has_asked_the_budget_by_mid_run() -> None:
    schedule = LabelSchedule(total=700, steps=10_000)
    assert schedule.initial == 175
    assert schedule.due(0) == 175
    assert schedule.due(4_999) < 700 == schedule.due(5_000)  # until = 0.5
    assert schedule.due(10_000) == schedule.due(50_000) == 700


@pytest.mark.parametrize(
    ("total", "steps", "fraction", "decay", "until"),
    [
        (700, 10_000, 0.25, 4.0, 0.5),
        (3, 1_000_000, 0.0, 0.5, 1.0),
        (1, 7, 1.0, 10.0, 0.1),
        (999, 13, 0.3, 2.0, 0.7),
    ],
)
def test_monotone_integer_and_never_over_budget(
    total: int, steps: int, fraction: float, decay: float, until: float
) -> None:
    schedule = LabelSchedule(total, steps, fraction, decay, until)
    grid = np.unique(np.linspace(0, steps, 2000).astype(int)).tolist() + [steps + 1]
    due = [schedule.due(s) for s in grid]
    assert all(isinstance(d, int) for d in due)
    assert all(a <= b for a, b in zip(due[:-1], due[1:], strict=True))
    assert max(due) == total == due[-1] == schedule.due(math.ceil(until * steps))
    assert due[0] == round(total * fraction)


def test_label_rate_falls_over_time() -> None:
    schedule = LabelSchedule(total=100_000, steps=1_000_000, decay=4.0, until=1.0)
    tenth = 100_000
    first = schedule.due(tenth) - schedule.due(0)
    last = schedule.due(10 * tenth - 1) - schedule.due(9 * tenth)
    assert first > 3 * last  # instantaneous rates differ by 1 + decay = 5
    rates = np.diff([schedule.due(k * tenth) for k in range(11)])
    assert all(a >= b for a, b in zip(rates[:-1], rates[1:], strict=True))


def test_matches_the_closed_form() -> None:
    schedule = LabelSchedule(total=1000, steps=4_000, initial_fraction=0.2, decay=4.0)
    # Labelling ends at step 2,000, tau = 500: by t = tau the rest has had log(2) / log(5)
    # of its share.
    assert schedule.due(500) == 200 + math.floor(800 * math.log(2) / math.log(5))


def test_initial_block_in_batches() -> None:
    schedule = LabelSchedule(total=700, steps=10_000)
    assert schedule.initial_batches(4) == [44, 88, 132, 175]
    assert schedule.initial_batches(1) == [175]
    assert LabelSchedule(total=8, steps=10).initial_batches(4) == [1, 2]  # initial = 2
    assert LabelSchedule(total=0, steps=10).initial_batches(4) == [0]


def test_zero_budget_asks_nothing() -> None:
    schedule = LabelSchedule(total=0, steps=100)
    assert [schedule.due(s) for s in (0, 50, 100, 200)] == [0, 0, 0, 0]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"total": -1, "steps": 10}, "total"),
        ({"total": 10, "steps": 0}, "steps"),
        ({"total": 10, "steps": 10, "initial_fraction": -0.1}, "initial_fraction"),
        ({"total": 10, "steps": 10, "initial_fraction": 1.1}, "initial_fraction"),
        ({"total": 10, "steps": 10, "decay": 0.0}, "decay"),
        ({"total": 10, "steps": 10, "until": 0.0}, "until"),
    ],
)
def test_invalid_schedule_names_the_field(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        LabelSchedule(**kwargs)  # type: ignore[arg-type]


def test_negative_step_is_an_error() -> None:
    with pytest.raises(ValueError, match="step"):
        LabelSchedule(10, 10).due(-1)
