"""The progress bar of a run: one bar over all of its ``learn()`` calls.

SB3's ``ProgressBarCallback`` draws a new bar for each ``learn()`` call; a run calls it
once per round, so its bar lives here, across calls.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from tqdm.auto import tqdm


def recent_env_return(ep_info_buffer: object) -> float | None:
    """Mean return of the agent's last 10 episodes on the env's own reward (SB3's
    ``Monitor`` sits below the learned-reward wrapper, so it records the env's reward)."""
    infos = list(ep_info_buffer or [])  # type: ignore[call-overload]
    if not infos:
        return None
    return float(np.mean([info["r"] for info in infos[-10:]]))


class RunProgress(BaseCallback):
    """A tqdm bar over a run's env steps, showing labels so far and the recent env return.

    Args:
        total: the run's env steps.
        start: env steps already taken (a resumed run).
        labels: how many labels have been answered so far.
        every: env steps between updates of the bar.
    """

    def __init__(self, total: int, start: int, labels: Callable[[], int], every: int = 500):
        super().__init__()
        self.labels = labels
        self.every = every
        self.bar = tqdm(total=total, initial=start, unit="step", smoothing=0.1)
        self._shown = start

    def _on_step(self) -> bool:
        if self.num_timesteps - self._shown >= self.every:
            self.show()
        return True

    def show(self) -> None:
        """Brings the bar up to the agent's step count."""
        self.bar.update(self.num_timesteps - self._shown)
        self._shown = self.num_timesteps
        postfix: dict[str, object] = {"labels": self.labels()}
        ret = recent_env_return(self.model.ep_info_buffer)
        if ret is not None:
            postfix["env_return"] = f"{ret:.1f}"
        self.bar.set_postfix(postfix, refresh=False)

    def _on_training_end(self) -> None:
        self.show()

    def close(self) -> None:
        self.bar.close()
