"""Fixed-horizon episodes: termination would leak the reward."""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym


class FixedHorizon(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Never terminates; truncates after exactly ``horizon`` steps.

    Envs that end an episode when the agent falls tell the agent what is good through the
    episode length alone. With every episode the same length, only the reward can.
    """

    def __init__(self, env: gym.Env, horizon: int) -> None:
        if horizon < 1:
            raise ValueError(f"horizon must be >= 1, got {horizon}")
        gym.utils.RecordConstructorArgs.__init__(self, horizon=horizon)  # env.spec.make() works
        gym.Wrapper.__init__(self, env)
        self.horizon = horizon
        self._t = 0

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        self._t = 0
        return self.env.reset(**kwargs)

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, _terminated, _truncated, info = self.env.step(action)
        self._t += 1
        return obs, reward, False, self._t >= self.horizon, info
