"""Restarts from landings: touchdowns on the foot after a turn back, and only those."""

from __future__ import annotations

import numpy as np
import pytest

from backflip.envs.make import make_env
from backflip.envs.restarts import VisitedStateRestarts
from backflip.tasks.hopper_backflip import HOPPER_BACKFLIP_HANDWRITTEN_V1
from backflip.tasks.hopper_backflip import HOPPER_BACKFLIP_V0 as ENV_ID
from backflip.tasks.hopper_backflip.judge import AIR
from backflip.tasks.hopper_backflip.landings import Landings


def test_a_restart_in_the_air_counts_as_taken_off_from_anything() -> None:
    env = make_env(ENV_ID, horizon=100, env_kwargs={"takeoff": "foot"})
    env.reset(seed=0)
    base = env.unwrapped
    base.data.qpos[1] += 1.0  # lifted a metre: in the air, turning back
    base.data.qvel[2] = -8.0
    base.set_state(base.data.qpos.copy(), base.data.qvel.copy())
    base.restarted()
    assert base.air.contact == AIR and base.air.launch == 0
    _, _, _, _, info = env.step(np.zeros(3))
    assert info["reward_rotation"] == pytest.approx(0.0)  # not paid: no take-off from the foot


def _drop(env: VisitedStateRestarts, turn_rate: float) -> dict:
    """Lifts the backflip Hopper a metre, turning back at ``turn_rate`` rad/s, and steps
    it with zero actions until it touches down; returns that step's info."""
    env.reset(seed=0)
    base = env.unwrapped
    base.data.qpos[1] += 1.0
    base.data.qvel[2] = -turn_rate
    base.set_state(base.data.qpos.copy(), base.data.qvel.copy())
    base.restarted()
    for _ in range(200):
        *_, info = env.step(np.zeros(3))
        if base.touchdown is not None:
            return info
    raise AssertionError("no touchdown in 200 steps")


@pytest.mark.parametrize(
    ("env_id", "turn_rate"),
    [
        (ENV_ID, 10.0),  # lands tipped 60 degrees
        (ENV_ID, 14.0),  # upright
        (HOPPER_BACKFLIP_HANDWRITTEN_V1, 14.0),  # the hand-written reward's Hopper alike
    ],
)
def test_landing_restarts_start_from_a_touchdown_on_the_foot_after_a_turn_back(
    env_id: str, turn_rate: float
) -> None:
    env = VisitedStateRestarts(make_env(env_id, horizon=300), share=0.99, seed=0, source=Landings())
    info = _drop(env, turn_rate)
    assert env.unwrapped.touchdown.turned > np.pi
    assert len(env.picked) == 1
    np.testing.assert_array_equal(env.picked[0], info["physics_state"])
    for _ in range(20):  # on the floor after it: no further landing
        env.step(np.zeros(3))
    assert len(env.picked) == 1
    _, restart = env.reset(seed=1)
    assert restart["restarted"]
    np.testing.assert_array_equal(restart["physics_state"], info["physics_state"])


@pytest.mark.parametrize("turn_rate", [0.0, 15.0])  # no turn back; over-turned onto the back
def test_a_touchdown_without_a_turn_back_or_off_the_foot_is_no_landing_to_restart_from(
    turn_rate: float,
) -> None:
    env = VisitedStateRestarts(make_env(ENV_ID, horizon=300), share=0.99, seed=0, source=Landings())
    _drop(env, turn_rate)
    assert env.unwrapped.touchdown is not None
    assert not env.picked
    _, info = env.reset(seed=1)
    assert "restarted" not in info
