"""The batched judge (``flights.py``) remembers and pays what one ``Flight`` per world
does, step for step."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backflip.tasks.hopper_backflip.flight import Flight
from backflip.tasks.hopper_backflip.flights import Flights
from backflip.tasks.hopper_backflip.judge import AIR, FOOT, OTHER, BackflipWeights
from backflip.tasks.hopper_backflip.landings import landed

DT = 0.008
EVERY_TERM = BackflipWeights(
    landing=100.0,
    floor=2.0,
    unlanded=0.5,
    stay=0.05,
    extension=3.0,
    opening=0.2,
    turn_cap=1.0,
    takeoff="foot",
    landing_takeoff="upright",
    landing_min_turns=0.5,
)
"""every term of the judge weighed, so that each is compared."""


def scripted_worlds(n: int, steps: int, seed: int) -> tuple[np.ndarray, ...]:
    """``(steps, n)`` contacts, pitches, backward rates and ``(steps, n, 6)`` qpos of
    made-up flights: stretches on the foot, in the air turning back and on the floor,
    pitches near upright often enough for clean landings."""
    rng = np.random.default_rng(seed)
    contact = np.empty((steps, n), dtype=np.int64)
    state = rng.choice([AIR, FOOT, OTHER], size=n)
    for t in range(steps):
        change = rng.random(n) < 0.05
        state = np.where(change, rng.choice([AIR, FOOT, FOOT, OTHER], size=n), state)
        contact[t] = state
    backward = rng.normal(25.0, 10.0, size=(steps, n))  # half a turn in about 16 steps
    upright = rng.normal(0.0, 0.3, size=(steps, n))
    pitch = np.where(contact == FOOT, upright, rng.uniform(-math.pi, math.pi, (steps, n)))
    qpos = rng.normal(0.0, 0.6, size=(steps, n, 6))
    qpos[:, :, 1] = rng.uniform(0.2, 2.5, size=(steps, n))
    qpos[:, :, 2] = pitch
    return contact, pitch, backward, qpos


@pytest.mark.parametrize("weights", [EVERY_TERM, BackflipWeights()])
def test_the_batched_judge_pays_and_remembers_what_one_flight_per_world_does(
    weights: BackflipWeights,
) -> None:
    n, steps = 16, 400
    contact, pitch, backward, qpos = scripted_worlds(n, steps, seed=3)
    one = [Flight(weights, DT) for _ in range(n)]
    batch = Flights(weights, DT, n)
    restarted = np.arange(n) % 3 == 0  # a third start from a restart, the rest standing
    start_contact = contact[0]
    batch.start(start_contact, pitch[0], restarted)
    for i, flight in enumerate(one):
        if restarted[i]:
            flight.restarted(int(start_contact[i]), float(pitch[0, i]))
    paid = {name: 0 for name in ("reward_landing", "reward_unlanded", "reward_extension")}
    picked = 0
    for t in range(1, steps):
        done_mask, done = batch.step(contact[t], pitch[t], backward[t])
        terms = batch.reward_terms(qpos[t], backward[t], done_mask, done)
        features = batch.features()
        landings = batch.landings()
        for i, flight in enumerate(one):
            touchdown, landing = flight.step(int(contact[t, i]), float(pitch[t, i]), backward[t, i])
            expected = flight.judge(
                qpos[t, i], backward[t, i], int(contact[t, i]), touchdown, landing
            )
            for name, value in expected.items():
                assert terms[name][i] == pytest.approx(value, abs=1e-9), (t, i, name)
                paid[name] = paid.get(name, 0) + (value != 0)
            np.testing.assert_allclose(features[i], flight.features(), atol=1e-12)
            assert landings[i] == landed(flight)
            picked += landings[i]
    if weights == EVERY_TERM:
        assert all(count > 0 for count in paid.values()), paid  # every term was exercised
        assert picked > 0
