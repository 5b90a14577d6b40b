"""The backflip judge's terms and its memory of phases in the air, on hand-made steps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backflip.tasks.hopper_backflip.env import body_pitch_rate
from backflip.tasks.hopper_backflip.judge import (
    AIR,
    FOOT,
    OTHER,
    PITCH,
    STAND_HEIGHT,
    TAKEOFFS,
    AirPhase,
    BackflipWeights,
    StayWatch,
    Touchdown,
    reward_terms,
)

DT = 0.008  # s per env step of the backflip env


@pytest.mark.parametrize(
    ("contact", "pitch", "upright", "floor"),
    [
        (FOOT, 0.1, 0.1, 0.0),  # standing on the foot: the upright bonus
        (FOOT, 1.0, 0.0, 0.0),  # on the foot, leaning 57 degrees: nothing
        (AIR, 0.1, 0.0, 0.0),  # in the air: neither
        (OTHER, 0.1, 0.0, -2.0),  # torso, head or back on the floor: the floor cost
    ],
)
def test_the_judge_pays_standing_on_the_foot_and_charges_the_rest_of_the_body_on_the_floor(
    contact: int, pitch: float, upright: float, floor: float
) -> None:
    qpos = np.zeros(6)
    qpos[1], qpos[PITCH] = STAND_HEIGHT, pitch
    terms = reward_terms(qpos, 0.0, contact, 2, 0.0, None, None, BackflipWeights(floor=2.0), DT)
    assert terms["reward_upright"] == pytest.approx(upright)
    assert terms["reward_floor"] == pytest.approx(floor)


@pytest.mark.parametrize(
    ("takeoff", "paid_from"),
    [("any", "any"), ("foot", "foot"), ("upright", "upright")],
)
def test_turning_in_the_air_pays_only_after_the_take_off_the_judge_asks_for(
    takeoff: str, paid_from: str
) -> None:
    qpos, qvel = np.zeros(6), np.zeros(6)
    qvel[PITCH : PITCH + 4] = [-10.0, 0, 0, 0]  # the whole body turning back at 10 rad/s
    backward = -body_pitch_rate(qvel, np.ones(4))
    weights = BackflipWeights(takeoff=takeoff)  # type: ignore[arg-type]
    for launch, name in enumerate(TAKEOFFS):  # off the torso; off the foot, tilted; a jump
        terms = reward_terms(qpos, backward, AIR, launch, 1.0, None, None, weights, DT)
        paid = launch >= TAKEOFFS.index(paid_from)
        assert terms["reward_rotation"] == pytest.approx(10.0 if paid else 0.0), name


@pytest.mark.parametrize(
    ("contact", "pitch", "launch"),
    [
        (OTHER, 0.0, 0),  # bounced off the torso
        (FOOT, 1.2, 1),  # fell back off the foot, the torso 69 degrees off upright
        (FOOT, -0.5, 2),  # jumped from the foot, leaning back 29 degrees
    ],
)
def test_the_phase_remembers_how_it_took_off(contact: int, pitch: float, launch: int) -> None:
    air = AirPhase()
    assert air.step(contact, pitch, 0.0) is None
    assert air.step(AIR, pitch, 0.1) is None
    assert air.launch == launch


@pytest.mark.parametrize(
    ("take_off", "land", "pitch", "clean"),
    [
        (FOOT, FOOT, 0.2, True),  # from the foot, onto the foot, upright: a flip lands
        (OTHER, FOOT, 0.2, True),  # bounced off the torso, landed upright
        (FOOT, OTHER, 0.2, False),  # landed on the back or head
        (FOOT, FOOT, 1.2, False),  # on the foot, but 69 degrees off upright
    ],
)
def test_a_phase_in_the_air_ends_with_its_turn_and_whether_it_landed_upright_on_the_foot(
    take_off: int, land: int, pitch: float, clean: bool
) -> None:
    air = AirPhase()
    air.step(take_off, 0.0, 0.0)
    for _ in range(60):
        assert air.step(AIR, 0.0, 0.1) is None
    touchdown = air.step(land, pitch, 0.0)
    assert touchdown is not None
    assert touchdown.turned == pytest.approx(6.0)
    assert (touchdown.clean, touchdown.pitch) == (clean, pitch)
    assert touchdown.launch == (2 if take_off == FOOT else 0)
    assert air.step(land, pitch, 0.0) is None  # one touchdown per phase


@pytest.mark.parametrize(
    ("launch", "pitch", "clean", "landing", "kept"),
    [
        (2, 0.0, True, 60.0, 1.0),  # a jump that lands upright on the foot: all, and a bonus
        (1, 0.0, True, 60.0, 1.0),  # off the foot, tilted (takeoff="any" pays it the same)
        (0, 0.0, True, 0.0, 1.0),  # off the torso: no bonus, but it landed
        (2, math.pi / 2, False, 0.0, 0.75),  # on its back: a quarter of half goes
        (2, math.pi, False, 0.0, 0.5),  # on its head: half of what the turn earned goes
    ],
)
def test_a_landing_pays_the_turn_in_the_air_and_a_fall_takes_back_what_it_earned(
    launch: int, pitch: float, clean: bool, landing: float, kept: float
) -> None:
    weights = BackflipWeights(landing=10.0, unlanded=0.5)
    touchdown = Touchdown(6.0, launch, pitch, clean)
    landed = StayWatch(0).step(touchdown, FOOT, pitch)
    terms = reward_terms(np.zeros(6), 0.0, FOOT, launch, 6.0, touchdown, landed, weights, DT)
    assert terms["reward_landing"] == pytest.approx(landing)
    assert terms["reward_unlanded"] == pytest.approx(-(1 - kept) * 6.0 / DT)


def test_with_the_whole_take_back_a_turn_that_ends_upside_down_nets_nothing() -> None:
    weights = BackflipWeights(unlanded=1.0, height=0.0, upright=0.0)
    air, total = AirPhase(), 0.0
    air.step(FOOT, 0.0, 0.0)
    for step in range(100):  # jumps, turns back at 8 rad/s, lands on its head
        contact, backward = (AIR, 8.0) if step < 99 else (OTHER, 0.0)
        touchdown = air.step(contact, -math.pi * step / 99, backward * DT)
        terms = reward_terms(
            np.zeros(6), backward, contact, air.launch, air.turned, touchdown, None, weights, DT
        )
        total += sum(terms.values())
    assert total == pytest.approx(0.0, abs=1e-9)


LANDED = Touchdown(6.0, 2, 0.1, True)  # a jump that turned 6 rad, on the foot at 6 degrees


@pytest.mark.parametrize(
    ("after", "paid_at"),
    [
        ([(FOOT, 0.1)] * 5, 3),  # stays on the foot: paid 3 steps after the landing step
        ([(FOOT, 0.1), (AIR, 0.2), (FOOT, 0.1), (FOOT, 0.1)], 2),  # hops off upright: paid
        ([(FOOT, 0.1), (FOOT, 0.5), (AIR, 1.2)], 3),  # off the foot at 29 degrees: the next flip
        ([(FOOT, 0.1), (FOOT, 0.9), (AIR, 1.2), (FOOT, 0.1)], None),  # off at 52: it falls
        ([(FOOT, 0.1), (OTHER, 0.1)] + [(FOOT, 0.1)] * 3, None),  # the back touches
        ([(FOOT, 0.5), (FOOT, 1.2)] + [(FOOT, 0.1)] * 3, None),  # tips 69 degrees over
    ],
)
def test_a_landing_pays_only_once_the_hopper_has_stayed_up(
    after: list[tuple[int, float]], paid_at: int | None
) -> None:
    watch = StayWatch(3)
    assert watch.step(LANDED, FOOT, LANDED.pitch) is None
    paid = [i for i, (c, p) in enumerate(after, 1) if watch.step(None, c, p) is not None]
    assert paid == ([] if paid_at is None else [paid_at])


def test_without_a_stay_a_clean_landing_pays_at_once_and_a_fall_never() -> None:
    assert StayWatch(0).step(LANDED, FOOT, LANDED.pitch) == LANDED
    fall = Touchdown(6.0, 2, math.pi / 2, False)
    watch = StayWatch(0)
    assert watch.step(fall, OTHER, fall.pitch) is None
    assert watch.step(None, FOOT, 0.0) is None


def test_the_judge_pays_the_landing_when_the_watch_lets_it_through() -> None:
    weights = BackflipWeights(landing=10.0, stay=0.024)
    qpos = np.zeros(6)
    at_landing = reward_terms(qpos, 0.0, FOOT, 2, LANDED.turned, LANDED, None, weights, DT)
    after_stay = reward_terms(qpos, 0.0, FOOT, 2, LANDED.turned, None, LANDED, weights, DT)
    assert at_landing["reward_landing"] == 0.0
    assert after_stay["reward_landing"] == pytest.approx(60.0)


@pytest.mark.parametrize(
    ("landing_takeoff", "launch", "landing"),
    [
        ("foot", 1, 60.0),  # the default: a flip off the foot, leaning back, is paid
        ("upright", 1, 0.0),  # it took off leaning past 45 degrees: not a clean flip
        ("upright", 2, 60.0),  # off the foot near upright and back on it: a clean flip
        ("any", 0, 0.0),  # a landing never pays a bounce off the torso
    ],
)
def test_the_landing_pays_only_flips_that_took_off_as_landing_takeoff_asks(
    landing_takeoff: str, launch: int, landing: float
) -> None:
    weights = BackflipWeights(landing=10.0, landing_takeoff=landing_takeoff)  # type: ignore[arg-type]
    landed = Touchdown(6.0, launch, 0.0, True)
    terms = reward_terms(np.zeros(6), 0.0, FOOT, launch, 6.0, None, landed, weights, DT)
    assert terms["reward_landing"] == pytest.approx(landing)


@pytest.mark.parametrize(("turned", "landing"), [(0.7, 0.0), (6.0, 60.0)])
def test_with_landing_min_turns_a_hop_that_leans_back_earns_no_landing(
    turned: float, landing: float
) -> None:
    weights = BackflipWeights(landing=10.0, landing_min_turns=0.75)  # 4.7 rad
    landed = Touchdown(turned, 2, 0.0, True)
    terms = reward_terms(np.zeros(6), 0.0, FOOT, 2, turned, None, landed, weights, DT)
    assert terms["reward_landing"] == pytest.approx(landing)
    assert BackflipWeights(landing=10.0).landing_min_turns == 0.0  # by default any turn pays


def _turn_in_the_air(weights: BackflipWeights, turns: float, land_pitch: float) -> dict[str, float]:
    """Summed terms of a jump that turns ``turns`` at 8 rad/s and lands on the foot at
    ``land_pitch`` (rad), staying up."""
    air, watch = AirPhase(), StayWatch(0)
    totals = dict.fromkeys(("rotation", "landing", "unlanded"), 0.0)
    air.step(FOOT, 0.0, 0.0)
    steps = round(turns * 2 * math.pi / (8.0 * DT))
    for step in range(steps + 1):
        contact, backward = (AIR, 8.0) if step < steps else (FOOT, 0.0)
        pitch = -8.0 * DT * step if step < steps else land_pitch
        touchdown = air.step(contact, pitch, backward * DT)
        landed = watch.step(touchdown, contact, pitch)
        terms = reward_terms(
            np.zeros(6), backward, contact, air.launch, air.turned, touchdown, landed, weights, DT
        )
        for name in totals:
            totals[name] += terms[f"reward_{name}"]
    return totals


def test_with_a_turn_cap_turning_past_it_earns_nothing_more() -> None:
    capped = BackflipWeights(landing=10.0, unlanded=0.5, turn_cap=1.0)
    one = _turn_in_the_air(capped, 1.0, 0.0)
    one_and_a_half = _turn_in_the_air(capped, 1.5, 0.0)
    assert one_and_a_half["rotation"] == pytest.approx(one["rotation"], rel=0.02)
    assert one_and_a_half["landing"] == pytest.approx(10.0 * 2 * math.pi)
    uncapped = _turn_in_the_air(BackflipWeights(landing=10.0), 1.5, 0.0)
    assert uncapped["rotation"] == pytest.approx(1.5 * one["rotation"], rel=0.02)
    assert uncapped["landing"] == pytest.approx(10.0 * 3 * math.pi, rel=0.02)


def test_with_a_turn_cap_a_fall_takes_back_only_what_the_capped_turn_earned() -> None:
    weights = BackflipWeights(unlanded=1.0, turn_cap=1.0)
    on_its_head = _turn_in_the_air(weights, 1.5, math.pi)  # lands on its head
    assert on_its_head["rotation"] + on_its_head["unlanded"] == pytest.approx(0.0, abs=10.0)
    assert on_its_head["rotation"] == pytest.approx(2 * math.pi / DT, rel=0.02)


@pytest.mark.parametrize(
    ("height", "turned", "launch", "paid"),
    [
        (1.2, 2 * math.pi, 2, 1.2),  # a whole turn that opened up: its height
        (0.5, 2 * math.pi, 2, 0.5),  # a whole turn that lands folded on its knees
        (1.2, math.pi, 2, 0.6),  # half a turn: half
        (1.2, 0.05, 2, 0.01),  # a hop: next to nothing
        (1.2, 2 * math.pi, 0, 0.0),  # off the torso, which takeoff="foot" does not count
        (1.6, 4 * math.pi, 2, 1.25),  # capped at standing height and at one turn
    ],
)
def test_a_touchdown_pays_the_torso_height_it_opened_to_times_the_turn(
    height: float, turned: float, launch: int, paid: float
) -> None:
    weights = BackflipWeights(extension=10.0, takeoff="foot", turn_cap=1.0)
    qpos = np.zeros(6)
    qpos[1] = height
    touchdown = Touchdown(turned, launch, 0.0, True)
    terms = reward_terms(qpos, 0.0, FOOT, launch, turned, touchdown, None, weights, DT)
    assert terms["reward_extension"] == pytest.approx(10.0 * paid, abs=0.1)


@pytest.mark.parametrize(
    ("contact", "turned", "launch", "hip_knee_deg", "paid"),
    [
        (AIR, 1.8 * math.pi, 2, (0.0, 0.0), 1.0),  # last quarter turn, leg straight
        (AIR, 1.8 * math.pi, 2, (-90.0, -120.0), 0.3),  # still tucked: 210 of 300 degrees
        (AIR, 1.8 * math.pi, 2, (-150.0, -150.0), 0.0),  # fully tucked
        (AIR, 1.2 * math.pi, 2, (0.0, 0.0), 0.0),  # too early in the turn: straight earns nil
        (AIR, 2.4 * math.pi, 2, (-30.0, 0.0), 0.9),  # past a whole turn, still in the air
        (AIR, 1.8 * math.pi, 0, (0.0, 0.0), 0.0),  # off the torso: takeoff="foot" skips it
        (FOOT, 2.0 * math.pi, 2, (0.0, 0.0), 0.0),  # landed: the pose there is not paid
    ],
)
def test_the_judge_pays_a_straight_leg_in_the_last_quarter_turn_in_the_air(
    contact: int, turned: float, launch: int, hip_knee_deg: tuple[float, float], paid: float
) -> None:
    weights = BackflipWeights(opening=10.0, takeoff="foot")
    qpos = np.zeros(6)
    qpos[1], qpos[PITCH] = 1.5, -turned
    qpos[3:5] = np.radians(hip_knee_deg)
    terms = reward_terms(qpos, 5.0, contact, launch, turned, None, None, weights, DT)
    assert terms["reward_opening"] == pytest.approx(10.0 * paid)
