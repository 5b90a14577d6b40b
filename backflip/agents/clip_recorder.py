"""Cut clips from the agent's own rollouts as they happen."""

from __future__ import annotations

from collections import deque

import numpy as np
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper
from stable_baselines3.common.vec_env.base_vec_env import VecEnvStepReturn

from backflip.records import Segment


class _Episode:
    """The steps of one unfinished episode of one env."""

    def __init__(self, obs: np.ndarray, state: np.ndarray) -> None:
        self.obs = [obs]
        self.states = [state]
        self.acts: list[np.ndarray] = []
        self.rewards: list[float] = []


class ClipRecorder(VecEnvWrapper):
    """Records obs, actions, oracle rewards and physics states; cuts finished episodes.

    Each finished episode of ``H`` steps gives ``H // segment_len`` non-overlapping clips
    at a random offset (drawn with ``cut_seed``). Clips copy their arrays, so no episode is
    kept alive by them, and carry ``run_seed`` to say which run made them. ``drain()``
    hands over the clips cut since the last call.
    """

    def __init__(
        self,
        venv: VecEnv,
        segment_len: int,
        env_id: str,
        run_seed: int,
        cut_seed: int,
        max_pending: int = 5000,
    ) -> None:
        super().__init__(venv)
        if segment_len < 1:
            raise ValueError(f"segment_len must be >= 1, got {segment_len}")
        self.segment_len = segment_len
        self.env_id = env_id
        self.run_seed = run_seed
        self.rng = np.random.default_rng(cut_seed)
        self.episodes_done = 0
        self.recording = True
        self._episodes: list[_Episode | None] = [None] * venv.num_envs
        self._pending: deque[Segment] = deque(maxlen=max_pending)
        self._actions: np.ndarray | None = None

    def reset(self) -> np.ndarray:
        obs = np.asarray(self.venv.reset())
        for i in range(self.num_envs):
            self._episodes[i] = _Episode(np.array(obs[i]), self._reset_state(i))
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions)
        self.venv.step_async(actions)

    def step_wait(self) -> VecEnvStepReturn:
        obs, rewards, dones, infos = self.venv.step_wait()
        if not self.recording:  # e.g. a true-reward baseline: only count episodes
            self.episodes_done += int(np.sum(dones))
            return obs, rewards, dones, infos
        obs = np.asarray(obs)
        assert self._actions is not None
        for i, info in enumerate(infos):
            episode = self._episodes[i]
            assert episode is not None, "reset() first"
            episode.acts.append(np.array(self._actions[i], dtype=np.float32))
            episode.rewards.append(float(info["oracle_reward"]))
            episode.states.append(info["physics_state"])
            if dones[i]:
                episode.obs.append(np.array(info["terminal_observation"]))
                self._cut(episode)
                self._episodes[i] = _Episode(np.array(obs[i]), self._reset_state(i))
            else:
                episode.obs.append(np.array(obs[i]))
        return obs, rewards, dones, infos

    def end_episodes(self) -> None:
        """Ends every env's unfinished episode where it is, cutting its clips as if it had
        ended there; reset the envs before the next step (the random phase's episodes one
        clip long, ``backflip/training/run.py``)."""
        for i, episode in enumerate(self._episodes):
            if episode is not None and episode.acts:
                self._cut(episode)
            self._episodes[i] = None

    def drain(self) -> list[Segment]:
        """The clips cut since the last call, oldest first."""
        clips = list(self._pending)
        self._pending.clear()
        return clips

    def _reset_state(self, i: int) -> np.ndarray:
        return np.asarray(self.venv.reset_infos[i]["physics_state"])

    def _cut(self, episode: _Episode) -> None:
        episode_index = self.episodes_done
        self.episodes_done += 1
        n_steps = len(episode.acts)
        k = self.segment_len
        if n_steps < k:
            return
        obs = np.stack(episode.obs)
        acts = np.stack(episode.acts)
        rewards = np.asarray(episode.rewards, dtype=np.float32)
        states = np.stack(episode.states)
        offset = int(self.rng.integers(0, n_steps % k + 1))
        for start in range(offset, n_steps - k + 1, k):
            self._pending.append(
                Segment(
                    obs=obs[start : start + k + 1],
                    acts=acts[start : start + k],
                    oracle_rewards=rewards[start : start + k],
                    states=states[start : start + k + 1],
                    env_id=self.env_id,
                    seed=self.run_seed,
                    episode=episode_index,
                    start_step=start,
                )
            )
