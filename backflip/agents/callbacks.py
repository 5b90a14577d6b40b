"""SB3 callbacks: the progress bar, and the hook that runs the preference loop's rounds."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from tqdm.auto import tqdm


def latest_true_return(ep_info_buffer: object) -> float | None:
    """Mean true return of the agent's recent episodes (SB3's Monitor sees the true reward)."""
    infos = list(ep_info_buffer or [])  # type: ignore[call-overload]
    if not infos:
        return None
    return float(np.mean([info["r"] for info in infos[-10:]]))


class ProgressBar(BaseCallback):
    """A tqdm bar over env steps, showing labels so far and the latest true return."""

    def __init__(self, total: int, labels: Callable[[], int], every: int = 500) -> None:
        super().__init__()
        self.total = total
        self.labels = labels
        self.every = every
        self.bar: tqdm | None = None

    def _on_training_start(self) -> None:
        self.bar = tqdm(total=self.total, initial=self.num_timesteps, unit="step", smoothing=0.1)
        self._last = self.num_timesteps

    def _on_step(self) -> bool:
        if self.bar is not None and self.num_timesteps - self._last >= self.every:
            self.bar.update(self.num_timesteps - self._last)
            self._last = self.num_timesteps
            ret = latest_true_return(self.model.ep_info_buffer)
            postfix: dict[str, object] = {"labels": self.labels()}
            if ret is not None:
                postfix["true_return"] = f"{ret:.1f}"
            self.bar.set_postfix(postfix, refresh=False)
        return True

    def _on_training_end(self) -> None:
        if self.bar is not None:
            self.bar.update(self.num_timesteps - self._last)
            self.bar.close()


class EveryNSteps(BaseCallback):
    """Calls ``fn(num_timesteps)`` each time another ``interval`` env steps have passed."""

    def __init__(self, interval: int, fn: Callable[[int], None], start: int = 0) -> None:
        super().__init__()
        self.interval = max(1, interval)
        self.fn = fn
        self.next_at = start + self.interval

    def _on_step(self) -> bool:
        if self.num_timesteps >= self.next_at:
            self.next_at += self.interval
            self.fn(self.num_timesteps)
        return True
