"""The learned-reward wrapper, the clip recorder and replay relabeling."""

from __future__ import annotations

import numpy as np
import pytest
from stable_baselines3 import SAC
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv

from backflip.agents.clip_recorder import ClipRecorder
from backflip.agents.learned_reward import LearnedRewardVecEnv
from backflip.agents.relabel import relabel_replay_buffer
from backflip.envs.make import make_env

HORIZON = 60


class SpyReward:
    """A reward function that records every argument it is given."""

    def __init__(self) -> None:
        self.calls: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def __call__(self, obs: np.ndarray, acts: np.ndarray, next_obs: np.ndarray) -> np.ndarray:
        self.calls.append((obs.copy(), acts.copy(), next_obs.copy()))
        return obs[:, 0] + 10.0 * acts[:, 0]


def recorder_env(n_envs: int = 1, segment_len: int = 20) -> ClipRecorder:
    base = DummyVecEnv(
        [lambda: Monitor(make_env("HalfCheetah-v5", horizon=HORIZON)) for _ in range(n_envs)]
    )
    base.seed(0)
    return ClipRecorder(base, segment_len, "HalfCheetah-v5", run_seed=0, cut_seed=0)


def rollout(venv, steps: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    venv.reset()
    out = []
    for _ in range(steps):
        actions = rng.uniform(-1, 1, size=(venv.num_envs, 6)).astype(np.float32)
        out.append((actions, *venv.step(actions)))
    return out


def test_learned_reward_replaces_reward_and_never_sees_true_reward() -> None:
    spy = SpyReward()
    venv = LearnedRewardVecEnv(recorder_env(), spy)
    steps = rollout(venv, HORIZON + 5)
    for (actions, _obs, rewards, _dones, _infos), (seen_obs, seen_acts, _next) in zip(
        steps, spy.calls, strict=True
    ):
        np.testing.assert_allclose(rewards, seen_obs[:, 0] + 10 * actions[:, 0], rtol=1e-5)
        np.testing.assert_array_equal(seen_acts, actions)
    # The reward function received only (obs, act, next_obs) arrays of env shapes.
    assert all(
        o.shape == (1, 17) and a.shape == (1, 6) and n.shape == (1, 17) for o, a, n in spy.calls
    )
    # Its rewards differ from the env's: the true reward did not leak through.
    true_returns = [info[0]["episode"]["r"] for *_, info in steps if "episode" in info[0]]
    assert true_returns, "Monitor must still record the true episode return below the wrapper"
    learned_return = sum(float(s[2][0]) for s in steps[:HORIZON])
    assert abs(learned_return - true_returns[0]) > 1.0


def test_true_reward_scale_does_not_change_learned_rewards() -> None:
    """If the reward model saw the true reward, scaling it would change its inputs."""

    def run(scale: float) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        spy = SpyReward()
        base = recorder_env()

        class Scaled(LearnedRewardVecEnv):
            def step_wait(self):  # the env's reward, scaled, arrives below the wrapper
                return super().step_wait()

        original = base.venv.step_wait

        def scaled_step_wait():
            obs, rewards, dones, infos = original()
            return obs, rewards * scale, dones, infos

        base.venv.step_wait = scaled_step_wait  # type: ignore[method-assign]
        rollout(Scaled(base, spy), 30)
        return spy.calls

    for a, b in zip(run(1.0), run(1000.0), strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)


def test_next_obs_at_episode_end_is_the_terminal_observation() -> None:
    spy = SpyReward()
    venv = LearnedRewardVecEnv(recorder_env(), spy)
    steps = rollout(venv, HORIZON)
    _, obs, _, dones, infos = steps[-1]
    assert dones[0]
    np.testing.assert_array_equal(spy.calls[-1][2][0], infos[0]["terminal_observation"])
    assert not np.array_equal(spy.calls[-1][2][0], obs[0])  # obs is already the reset one


def test_recorder_cuts_whole_episodes_into_copied_clips() -> None:
    venv = recorder_env(n_envs=2, segment_len=20)
    steps = rollout(venv, HORIZON * 2)
    clips = venv.drain()
    assert len(clips) == 2 * 2 * (HORIZON // 20)
    assert venv.drain() == []
    for clip in clips:
        assert clip.obs.shape == (21, 17) and clip.acts.shape == (20, 6)
        assert clip.states.shape == (21, 1 + 9 + 9)
        assert clip.obs.base is None or not clip.obs.flags.writeable
    # A clip's actions and oracle rewards are the env's, step for step.
    first = [c for c in clips if c.episode == 0][0]
    env_index = 0 if np.array_equal(first.acts[0], steps[first.start_step][0][0]) else 1
    for t in range(20):
        actions, _obs, _rew, _dones, infos = steps[first.start_step + t]
        np.testing.assert_allclose(first.acts[t], actions[env_index])
        assert first.oracle_rewards[t] == pytest.approx(infos[env_index]["oracle_reward"], rel=1e-5)


def test_ending_episodes_cuts_them_where_they_are() -> None:
    # The random phase's episodes one clip long: each is cut where it stands, from its
    # reset, and a fresh episode begins at the next reset.
    venv = recorder_env(n_envs=2, segment_len=20)
    resets = []
    for _ in range(3):
        resets.append(np.array(venv.reset()))
        actions = np.random.default_rng(0).uniform(-1, 1, size=(20, 2, 6))
        for action in actions.astype(np.float32):
            venv.step(action)
        venv.end_episodes()
    venv.end_episodes()  # nothing unfinished: nothing more is cut
    clips = venv.drain()
    assert len(clips) == 3 * 2
    assert all(clip.start_step == 0 and len(clip) == 20 for clip in clips)
    assert sorted({clip.episode for clip in clips}) == list(range(6))
    starts = np.stack([clip.obs[0] for clip in clips])
    np.testing.assert_allclose(starts, np.concatenate(resets), rtol=1e-6)


def test_relabel_replay_buffer_overwrites_stored_rewards() -> None:
    venv = recorder_env()
    agent = SAC("MlpPolicy", venv, learning_starts=50, buffer_size=500, seed=0, device="cpu")
    agent.learn(120)
    buffer = agent.replay_buffer
    assert buffer is not None and buffer.pos == 120
    before = buffer.rewards[:120].copy()
    spy = SpyReward()
    assert relabel_replay_buffer(buffer, spy, agent.action_space) == 120  # bounds are +-1
    expected = buffer.observations[:120, 0, 0] + 10 * buffer.actions[:120, 0, 0]
    np.testing.assert_allclose(buffer.rewards[:120, 0], expected, rtol=1e-5)
    assert not np.allclose(before, buffer.rewards[:120])
    assert np.all(buffer.rewards[120:] == 0)


def test_relabelling_sees_the_actions_the_env_received() -> None:
    """InvertedPendulum's actions are within +-3: SB3 stores them scaled to +-1, while the
    reward model saw (and was fit on) the env's actions. Relabelling must see those."""
    base = DummyVecEnv([lambda: Monitor(make_env("InvertedPendulum-v5", horizon=50))])
    rollout = SpyReward()
    venv = LearnedRewardVecEnv(base, rollout)
    agent = SAC("MlpPolicy", venv, learning_starts=20, buffer_size=200, seed=0, device="cpu")
    agent.learn(60)
    relabel = SpyReward()
    assert relabel_replay_buffer(agent.replay_buffer, relabel, agent.action_space) == 60
    seen = np.concatenate([acts for _, acts, _ in rollout.calls])  # (60, 1), env space
    assert np.abs(seen).max() > 1.2  # beyond +-1: the scaling matters
    np.testing.assert_allclose(relabel.calls[0][1], seen, rtol=1e-5, atol=1e-5)
