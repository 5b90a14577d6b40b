"""The backflip envs: registration, env checker, determinism, reward terms, flips, and the
task generic code reads them through."""

from __future__ import annotations

import itertools
import math
import warnings

import gymnasium as gym
import mujoco
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from backflip.config import TrainConfig
from backflip.envs.make import make_env
from backflip.envs.physics import physics_state, set_physics_state
from backflip.evaluation import episode_returns
from backflip.tasks.hopper_backflip import (
    BACKFLIP_ENVS,
    HOPPER_BACKFLIP,
    HOPPER_BACKFLIP_HANDWRITTEN,
    HOPPER_BACKFLIP_HANDWRITTEN_V1,
    HOPPER_BACKFLIP_V0,
    JUDGE,
)
from backflip.tasks.hopper_backflip.env import (
    HopperBackflipEnv,
    body_pitch_rate,
    handwritten_reward,
)
from backflip.tasks.hopper_backflip.flips import (
    count_flips,
    count_flips_in_states,
    flips_in_states,
    off_floor_in_states,
)
from backflip.tasks.hopper_backflip.judge import (
    AIR,
    FOOT,
    OTHER,
    PITCH,
    STAND_HEIGHT,
    BackflipWeights,
    reward_terms,
)
from backflip.tasks.registry import task_for

TERMS = (
    "reward_rotation",
    "reward_height",
    "reward_upright",
    "reward_floor",
    "reward_landing",
    "reward_unlanded",
    "reward_extension",
    "reward_opening",
)
DT = 0.008  # s per env step of the backflip env
ENV_ID = HOPPER_BACKFLIP_V0  # the judge with its first defaults, which these tests check


def rollout(seed: int, steps: int = 200) -> tuple[np.ndarray, list[float], list[dict]]:
    env = make_env(ENV_ID, horizon=steps)
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    observations, rewards, infos = [obs], [], []
    for _ in range(steps):
        obs, reward, terminated, _, info = env.step(rng.uniform(-1, 1, 3))
        assert not terminated
        observations.append(obs)
        rewards.append(float(reward))
        infos.append(info)
    env.close()
    return np.array(observations), rewards, infos


def test_registered_and_passes_the_env_checker() -> None:
    env = gym.make(ENV_ID)
    assert isinstance(env.unwrapped, HopperBackflipEnv)
    assert env.spec is not None and env.spec.max_episode_steps == 1000
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*infinity.*")  # unbounded obs, as Hopper's
        check_env(env.unwrapped, skip_render_check=True)
    env.close()


def test_deterministic_for_a_seed() -> None:
    obs_a, rewards_a, _ = rollout(seed=3)
    obs_b, rewards_b, _ = rollout(seed=3)
    obs_c, _, _ = rollout(seed=4)
    np.testing.assert_array_equal(obs_a, obs_b)
    assert rewards_a == rewards_b
    assert not np.array_equal(obs_a, obs_c)


def test_reward_is_the_sum_of_its_named_terms_and_the_oracle_sees_it_all() -> None:
    _, rewards, infos = rollout(seed=0, steps=400)
    for reward, info in zip(rewards, infos, strict=True):
        assert reward == pytest.approx(sum(info[term] for term in TERMS), abs=1e-9)
        assert info["oracle_reward"] == pytest.approx(reward)  # no hidden control cost
    # A random Hopper falls: each term is non-zero somewhere, so none is dead code.
    for term in ("reward_rotation", "reward_upright"):
        assert any(info[term] != 0 for info in infos), term


def _set_pose(
    env: gym.Env, pitch: float, height: float, pitch_rate: float, joints: float = 0.0
) -> np.ndarray:
    """Sets torso height, pitch and pitch rate, and thigh, leg and foot angles to
    ``joints`` rad each; returns the physics state read back."""
    state = physics_state(env)
    state[1 + 1], state[1 + PITCH] = height, pitch
    state[1 + PITCH + 1 : 1 + PITCH + 4] = joints
    state[1 + env.unwrapped.model.nq + PITCH] = pitch_rate
    set_physics_state(env, state)
    return physics_state(env)  # as the env now holds it


def _rotation_term(off_floor: bool, qvel_pitch: list[float]) -> float:
    """``reward_rotation`` with ``qvel[2:6]`` as given, off the floor or touching it."""
    env = make_env(ENV_ID, horizon=10)
    env.reset(seed=0)
    base = env.unwrapped
    qpos, qvel = base.data.qpos.copy(), np.zeros(base.model.nv)
    qpos[PITCH] = 1.0
    qvel[PITCH:] = qvel_pitch
    env.close()
    contact = AIR if off_floor else OTHER
    backward = -body_pitch_rate(qvel, base.masses)
    terms = reward_terms(qpos, backward, contact, 2, 0.0, None, None, BackflipWeights(), DT)
    return terms["reward_rotation"]


@pytest.mark.parametrize(
    ("off_floor", "pitch_rate", "rotation"),
    [
        (True, -10.0, 10.0),  # backward in the air: all of it
        (True, 10.0, -10.0),  # forward: penalised
        (False, -10.0, 0.0),  # rolling back on the floor: nothing
        (False, 10.0, -10.0),  # forward costs in full on the floor too
    ],
)
def test_rotation_term_pays_backward_turns_in_the_air_only(
    off_floor: bool, pitch_rate: float, rotation: float
) -> None:
    # The whole body turning as one (joints still).
    assert _rotation_term(off_floor, [pitch_rate, 0, 0, 0]) == pytest.approx(rotation)


def test_folding_at_the_hip_is_not_a_flip() -> None:
    # Torso turning back at 10 rad/s while the hip folds at the same rate: legs stay put.
    env = make_env(ENV_ID, horizon=10)
    masses = env.unwrapped.masses
    env.close()
    torso_share = masses[0] / masses.sum()
    assert _rotation_term(True, [-10.0, -10.0, 0, 0]) == pytest.approx(10 * torso_share)
    assert torso_share < 0.25


def test_observation_shows_rotation_the_same_after_each_full_turn() -> None:
    env = make_env(ENV_ID, horizon=10)
    env.reset(seed=0)
    views = []
    for pitch in (-0.5, -0.5 - 2 * math.pi, -0.5 - 4 * math.pi):
        _set_pose(env, pitch=pitch, height=1.0, pitch_rate=-12.0)
        views.append(env.unwrapped._get_obs())
    np.testing.assert_allclose(views[0], views[1], atol=1e-9)
    np.testing.assert_allclose(views[0], views[2], atol=1e-9)
    assert views[0][1:3] == pytest.approx([math.cos(-0.5), math.sin(-0.5)])
    assert views[0][6 + PITCH] == -12.0  # the pitch rate: which way it turns
    env.close()


def scripted_states(
    pitches: np.ndarray, joints: np.ndarray | None = None, heights: np.ndarray | None = None
) -> np.ndarray:
    """Physics states read back from the env after setting each torso pitch (and the
    joint angles and torso height; default: standing height, in the air at any pitch)."""
    env = make_env(ENV_ID, horizon=10)
    env.reset(seed=0)
    joints = np.zeros_like(pitches) if joints is None else joints
    heights = np.full_like(pitches, STAND_HEIGHT) if heights is None else heights
    states = np.stack(
        [_set_pose(env, p, h, 0.0, j) for p, j, h in zip(pitches, joints, heights, strict=True)]
    )
    env.close()
    np.testing.assert_allclose(states[:, 1 + PITCH], pitches)
    return states


def turn(*waypoints: float, steps: int = 100) -> np.ndarray:
    """Pitch trace through ``waypoints`` (in turns; negative is backward)."""
    parts = [np.linspace(a, b, steps, endpoint=False) for a, b in itertools.pairwise(waypoints)]
    return 2 * math.pi * np.concatenate([*parts, [waypoints[-1]]])


@pytest.mark.parametrize(
    ("waypoints", "flips"),
    [
        ((0, -1, 0), 1),  # a full backward turn and back: one flip
        ((0, -1), 1),
        ((0, -0.97), 0),  # not quite all the way round
        ((0, -2.5), 2),
        ((0, 1), 0),  # a front flip is no backflip
        ((0, 0.5, -0.6), 0),  # forward first, then back past the start: 0.6 of a turn
        ((0, -0.6, -0.3, -0.9, -0.5, -1.05), 1),  # rocking adds up only by net progress
        ((0.25, -0.8), 1),  # counted from where the episode starts
    ],
)
def test_flip_counter_counts_scripted_rotations(waypoints: tuple[float, ...], flips: int) -> None:
    states = scripted_states(turn(*waypoints))
    assert count_flips_in_states(states) == flips
    so_far = flips_in_states(states)  # as policy.mp4 captions it
    assert so_far[0] == 0 and so_far[-1] == flips and np.all(np.diff(so_far) >= 0)


def test_a_torso_turning_over_folded_legs_is_no_flip() -> None:
    # The torso turns a whole turn back while hip, knee and ankle fold by up to
    # 100 degrees each: thigh, leg and foot turn a third of a turn less each.
    pitch = turn(0, -1)
    folding = np.linspace(0, -math.radians(100), len(pitch))
    assert count_flips_in_states(scripted_states(pitch, folding)) == 0
    assert count_flips(pitch) == 1  # the torso alone did turn over


# Torso centre this close to the floor: the torso touches it at any pitch (radius 0.05 m).
ON_THE_FLOOR = 0.04


def test_a_roll_on_the_floor_is_no_flip() -> None:
    pitch = turn(0, -1.5)
    states = scripted_states(pitch, heights=np.full_like(pitch, ON_THE_FLOOR))
    assert not off_floor_in_states(states).any()
    assert count_flips_in_states(states) == 0
    assert count_flips(pitch) == 1  # it did turn over


@pytest.mark.parametrize(("share_in_air", "flips"), [(0.6, 1), (0.4, 0)])
def test_a_flip_needs_half_a_turn_in_the_air(share_in_air: float, flips: int) -> None:
    pitch = turn(0, -1, steps=200)
    heights = np.where(np.arange(len(pitch)) < 200 * (1 - share_in_air), ON_THE_FLOOR, 1.5)
    assert count_flips_in_states(scripted_states(pitch, heights=heights)) == flips


def test_flip_counter_unwraps_angles_given_in_minus_pi_to_pi() -> None:
    pitch = turn(0, -2.2)
    wrapped = np.angle(np.exp(1j * pitch))
    assert count_flips(wrapped) == count_flips(pitch) == 2
    assert count_flips(np.array([])) == 0


def test_evaluation_counts_flips_on_the_backflip_envs_only() -> None:
    names = {"flips_per_episode", "clean_flips_per_episode", "late_clean_flips_per_episode"}
    for env_id in BACKFLIP_ENVS:
        assert {m.name for m in task_for(env_id).metrics} == names
    returns = episode_returns(TrainConfig(env=HOPPER_BACKFLIP), 100, None, episodes=2, seed=0)
    assert set(returns.metrics) == names
    assert all(values.shape == (2,) for values in returns.metrics.values())
    hopper = TrainConfig(env="Hopper-v5")
    assert episode_returns(hopper, 100, None, episodes=1, seed=0).metrics == {}
    assert task_for("Hopper-v5").metrics == ()


def test_the_task_counts_an_episodes_flips_and_captions_each_frame() -> None:
    states = scripted_states(turn(0, -1.1), heights=np.full(101, STAND_HEIGHT + 1.0))
    task = task_for(HOPPER_BACKFLIP)
    counted = task.episode_metrics(states)
    assert counted["flips_per_episode"] == count_flips_in_states(states) == 1
    captions = task.frame_captions(states)
    assert captions is not None and len(captions) == len(states)
    assert captions[0] == "backflips: 0  clean: 0" and captions[-1].startswith("backflips: 1")
    assert task_for("Hopper-v5").frame_captions(states) is None


def test_v1_is_v0_with_the_judge_that_makes_clean_flips() -> None:
    """The same rewards and observations, step for step, as v0 given v1's judge."""
    v1 = make_env(HOPPER_BACKFLIP, horizon=50)
    v0 = make_env(HOPPER_BACKFLIP_V0, horizon=50, env_kwargs=JUDGE)
    assert v1.observation_space.shape == (20,)  # the flight is in the observation
    rng = np.random.default_rng(0)
    obs1, _ = v1.reset(seed=3)
    obs0, _ = v0.reset(seed=3)
    np.testing.assert_array_equal(obs1, obs0)
    for _ in range(50):
        action = rng.uniform(-1, 1, size=3)
        obs1, r1, *_ = v1.step(action)
        obs0, r0, *_ = v0.step(action)
        np.testing.assert_array_equal(obs1, obs0)
        assert r1 == r0
    assert v1.unwrapped.weights.landing == 100 and v1.unwrapped.weights.takeoff == "upright"


def test_the_hand_written_v1_sees_what_v1_sees_and_is_paid_otherwise() -> None:
    """Equal terms: the same observations (the flight in them), step for step, as v1;
    only the reward is the hand-written one (its landings: ``test_landings.py``)."""
    judge = make_env(HOPPER_BACKFLIP, horizon=200)
    hand = make_env(HOPPER_BACKFLIP_HANDWRITTEN_V1, horizon=200)
    rng = np.random.default_rng(1)
    obs_j, _ = judge.reset(seed=4)
    obs_h, _ = hand.reset(seed=4)
    np.testing.assert_array_equal(obs_j, obs_h)
    for _ in range(200):
        action = rng.uniform(-1, 1, size=3)
        obs_j, _, *_ = judge.step(action)
        obs_h, reward, _, _, info = hand.step(action)
        np.testing.assert_array_equal(obs_j, obs_h)
        assert reward == info["reward_handwritten"] and "reward_rotation" not in info


def test_floor_contacts_are_read_from_the_physics() -> None:
    env = make_env(ENV_ID, horizon=100)
    env.reset(seed=0)
    base = env.unwrapped
    for _ in range(20):  # settles onto its foot
        env.step(np.zeros(3))
    assert base.floor_contact() == FOOT
    _set_pose(env, pitch=0.0, height=STAND_HEIGHT + 1.0, pitch_rate=0.0)
    mujoco.mj_forward(base.model, base.data)
    assert base.floor_contact() == AIR
    _set_pose(env, pitch=math.pi / 2, height=ON_THE_FLOOR, pitch_rate=0.0)  # lying down
    mujoco.mj_forward(base.model, base.data)
    assert base.floor_contact() == OTHER
    env.close()


def test_the_hand_written_reward_is_openais_formula_in_gyms_observation() -> None:
    env = make_env(HOPPER_BACKFLIP_HANDWRITTEN, horizon=10)
    env.reset(seed=0)
    base = env.unwrapped
    action = np.array([0.5, -1.0, 0.25])
    _, reward, _, _, info = env.step(action)
    # gym's Hopper-v1 observation of 2017: qpos[1:] then qvel clipped to +-10.
    ob = np.concatenate([base.data.qpos[1:], np.clip(base.data.qvel, -10, 10)])
    vel_act = action[0] * ob[8] + action[1] * ob[9] + action[2] * ob[10]
    expected = -ob[7] * (1.0 + 0.3 * ob[0] + 0.1 * vel_act + 0.05 * -ob[5])
    assert reward == pytest.approx(expected) == pytest.approx(info["reward_handwritten"])
    # It pays for turning backward (pitch falling) and charges for turning forward.
    state = _set_pose(env, pitch=0.0, height=2.0, pitch_rate=-5.0)
    assert handwritten_reward(state[1:7], state[7:], np.zeros(3)) > 0
    state = _set_pose(env, pitch=0.0, height=2.0, pitch_rate=5.0)
    assert handwritten_reward(state[1:7], state[7:], np.zeros(3)) < 0
    env.close()


def test_the_env_rejects_an_unknown_take_off_rule() -> None:
    with pytest.raises(ValueError, match="^takeoff"):
        HopperBackflipEnv(takeoff="head")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^landing_takeoff"):
        HopperBackflipEnv(landing_takeoff="torso")  # type: ignore[arg-type]


def test_the_env_waits_its_landing_stay_in_steps() -> None:
    env = HopperBackflipEnv(landing_stay=0.25)
    env.reset(seed=0)
    assert env.stay.steps == 31  # 0.25 s of 0.008-s steps
    assert HopperBackflipEnv().stay.steps == 0


def test_flight_obs_shows_the_judges_memory_of_the_flight() -> None:
    env = gym.make(ENV_ID, flight_obs=True)
    assert env.observation_space.shape == (20,)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*infinity.*")
        check_env(env.unwrapped, skip_render_check=True)
    env = make_env(ENV_ID, horizon=100, env_kwargs={"flight_obs": True})
    obs, _ = env.reset(seed=0)
    base = env.unwrapped
    for _ in range(20):  # settles onto its foot
        obs, *_ = env.step(np.zeros(3))
    np.testing.assert_array_equal(obs[:12], base._get_obs()[:12])
    np.testing.assert_array_equal(obs[12:15], [0, 1, 0])  # on the foot alone
    assert abs(obs[18]) < 0.01 and obs[19] == 0.0  # hardly a turn, no landing held
    # Thrown up from the foot, upright and turning back: the same 12 physical numbers as
    # without flight_obs, then in the air, launched upright, a growing backward turn.
    _set_pose(env, pitch=0.0, height=STAND_HEIGHT + 1.0, pitch_rate=-10.0)
    turns = []
    for _ in range(10):
        obs, *_ = env.step(np.zeros(3))
        turns.append(obs[18])
    np.testing.assert_array_equal(obs[12:15], [1, 0, 0])  # in the air
    np.testing.assert_array_equal(obs[15:18], [0, 0, 1])  # took off upright from the foot
    assert 0 < turns[0] < turns[-1] < 1
    assert turns[-1] == pytest.approx(base.air.turned / (2 * math.pi))
    env.close()


def test_flight_obs_shows_a_clean_landing_while_it_waits_out_its_stay() -> None:
    env = HopperBackflipEnv(flight_obs=True, landing_stay=0.25)
    env.reset(seed=0)
    # It starts just above the floor: as if this were a whole turn, taken off upright.
    env.air.turned, env.air.launch, env.air.contact = 2 * math.pi, 2, AIR
    for _ in range(12):
        obs, *_ = env.step(np.zeros(3))  # drops onto its foot, upright
    assert env.floor_contact() == FOOT
    assert env.stay.held is not None  # 31 steps to stay up before the landing pays
    assert obs[19] == pytest.approx(env.stay.held.turned / (2 * math.pi))
    assert obs[19] > 0.9
    for _ in range(40):
        obs, *_ = env.step(np.zeros(3))
    assert env.stay.held is None and obs[19] == 0.0  # paid, and forgotten
    assert HopperBackflipEnv().observation_space.shape == (12,)
