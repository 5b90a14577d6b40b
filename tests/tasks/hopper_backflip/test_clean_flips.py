"""Clean backflips: each way of turning over that a person would not call a backflip is
told apart from the one they would, on hand-made pitch and contact sequences and on
physics states."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backflip.tasks.hopper_backflip.clean_flips import STAY_S, clean_flips, clean_flips_in_states
from backflip.tasks.hopper_backflip.flip_trace import FlipTrace, flip_trace
from backflip.tasks.hopper_backflip.flips import floor_contacts_in_states, physics_env
from backflip.tasks.hopper_backflip.judge import AIR, FOOT, OTHER
from tests.tasks.hopper_backflip.test_env import ON_THE_FLOOR, scripted_states

TURN = 2 * math.pi
STAY = 31  # steps: STAY_S of the backflip env
ON_THE_FOOT = 1.205  # m, torso height at which the upright Hopper stands on its foot alone


def phases(*parts: tuple[int, int, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Contacts and pitch (rad) of ``(steps, contact, from turns, to turns)`` parts; the
    whole body turns with the torso."""
    contacts = np.concatenate([np.full(n, c) for n, c, _, _ in parts])
    pitch = np.concatenate([np.linspace(a, b, n) * TURN for n, _, a, b in parts])
    return contacts, pitch


def count(contacts: np.ndarray, torso: np.ndarray, body: np.ndarray | None = None) -> int:
    flips = clean_flips(contacts, torso, torso if body is None else body, STAY)
    assert np.all(np.diff(flips) >= 0)
    return int(flips[-1])


STAND = (20, FOOT, 0.0, 0.0)
FLIP = (100, AIR, 0.0, -1.0)
LAND = (40, FOOT, -1.0, -1.0)


def test_stay_steps_match_the_env() -> None:
    assert round(STAY_S / physics_env().dt) == STAY  # 0.25 s of 8-ms steps


def test_off_the_foot_over_in_the_air_onto_the_foot_and_up_is_clean() -> None:
    assert count(*phases(STAND, FLIP, LAND)) == 1
    again = phases(STAND, FLIP, LAND, (100, AIR, -1.0, -2.0), (40, FOOT, -2.0, -2.0))
    assert count(*again) == 2  # lands and goes again
    double = phases(STAND, (100, AIR, 0.0, -2.0), (40, FOOT, -2.0, -2.0))
    assert count(*double) == 2  # two turns in one jump


def test_leaning_within_the_tolerance_at_take_off_and_landing_is_still_clean() -> None:
    lean = 40 / 360  # turns: 40 degrees back at take-off, 40 forward on landing
    flip = phases(
        (20, FOOT, -lean, -lean), (100, AIR, -lean, -1 + lean), (40, FOOT, -1 + lean, -1 + lean)
    )
    assert count(*flip) == 1
    too_far = 50 / 360
    flip = phases(
        (20, FOOT, 0, 0), (100, AIR, 0, -1 + too_far), (40, FOOT, -1 + too_far, -1 + too_far)
    )
    assert count(*flip) == 0


def test_landing_on_the_back_is_not_clean() -> None:
    assert count(*phases(STAND, (100, AIR, 0.0, -1.25), (40, OTHER, -1.25, -1.25))) == 0


def test_landing_on_the_foot_then_falling_onto_the_back_is_not_clean() -> None:
    fall = phases(STAND, FLIP, (10, FOOT, -1.0, -1.1), (30, OTHER, -1.1, -1.25))
    assert count(*fall) == 0
    tip = phases(STAND, FLIP, (30, FOOT, -1.0, -1.2))  # the torso goes past 60 degrees
    assert count(*tip) == 0


def test_rolling_over_on_the_floor_is_not_clean() -> None:
    assert count(*phases(STAND, (100, OTHER, 0.0, -1.0), LAND)) == 0


def test_a_flip_from_lying_down_is_not_clean() -> None:
    assert count(*phases((20, OTHER, 0.25, 0.25), (100, AIR, 0.25, -1.0), LAND)) == 0
    # Nor is one from the foot with the torso lying back.
    assert count(*phases((20, FOOT, 0.2, 0.2), (100, AIR, 0.2, -1.0), LAND)) == 0


def test_a_torso_turning_over_folded_legs_is_not_clean() -> None:
    contacts, torso = phases(STAND, FLIP, LAND)
    # Hip, knee and ankle fold while the torso turns: the whole body turns 0.6 of a turn.
    body = np.concatenate([torso[:20], np.linspace(0, -0.6 * TURN, 100), np.full(40, -0.6 * TURN)])
    assert count(contacts, torso, body) == 0


def test_a_flip_straight_into_the_next_has_stayed_up() -> None:
    # Lands, and 10 steps later (less than the stay) jumps into the next flip upright.
    bounce = (10, FOOT, -1.0, -1.0)
    assert count(*phases(STAND, FLIP, bounce, FLIP, (STAY + 1, FOOT, -2.0, -2.0))) == 2
    # Off again 50 degrees back (past the take-off tolerance): the first stay is broken.
    lean = 50 / 360
    tilted = (10, FOOT, -1.0, -1.0 - lean)
    assert count(*phases(STAND, FLIP, tilted, (100, AIR, -1 - lean, -2.0), LAND)) == 0
    # What the next jump does is its own: landing it on the back does not undo the first.
    onto_back = (100, AIR, -1.0, -1.3)
    assert count(*phases(STAND, FLIP, bounce, onto_back, (40, OTHER, -1.3, -1.3))) == 1


def test_a_landing_too_late_to_see_it_stay_up_is_not_counted() -> None:
    assert count(*phases(STAND, FLIP, (STAY, FOOT, -1.0, -1.0))) == 0
    assert count(*phases(STAND, FLIP, (STAY + 1, FOOT, -1.0, -1.0))) == 1


def test_floor_contacts_tell_the_foot_from_the_rest() -> None:
    pitch = np.zeros(3)
    heights = np.array([ON_THE_FOOT, 2.0, ON_THE_FLOOR])
    pitch[2] = math.pi / 2  # lying on the floor
    states = scripted_states(pitch, heights=heights)
    assert floor_contacts_in_states(states).tolist() == [FOOT, AIR, OTHER]


def physics_flip(landing_height: float, landing_pitch: float) -> np.ndarray:
    """States of a standing take-off, a whole turn back in the air, and 40 steps at the
    landing pose."""
    turn = np.linspace(0, -TURN, 100)
    pitch = np.concatenate([np.zeros(20), turn, np.full(40, -TURN + landing_pitch)])
    heights = np.concatenate(
        [np.full(20, ON_THE_FOOT), np.full(100, 1.8), np.full(40, landing_height)]
    )
    return scripted_states(pitch, heights=heights)


@pytest.mark.parametrize(
    ("landing_height", "landing_pitch", "clean"),
    [(ON_THE_FOOT, 0.0, 1), (ON_THE_FLOOR, -math.pi / 2, 0)],  # on the foot; on the back
)
def test_physics_states_of_a_clean_flip_and_of_a_landing_on_the_back(
    landing_height: float, landing_pitch: float, clean: int
) -> None:
    states = physics_flip(landing_height, landing_pitch)
    assert int(clean_flips_in_states(states)[-1]) == clean
    trace = flip_trace(states)
    assert trace.all[-1] == 1  # either way a complete backward turn
    assert trace.clean[-1] == clean


def test_clean_flips_in_the_last_quarter_of_an_episode() -> None:
    contacts, pitch = phases(STAND, FLIP, LAND, (200, FOOT, -1.0, -1.0))
    flips = clean_flips(contacts, pitch, pitch, STAY)
    early = FlipTrace(all=flips, clean=flips)
    assert early.clean[-1] == 1 and early.clean_in_last_quarter() == 0
    late = FlipTrace(all=flips, clean=np.concatenate([np.zeros(300), [1, 1]]))
    assert late.clean_in_last_quarter() == 1
