"""What the backflip task counts in an episode: all flips and clean ones."""

from __future__ import annotations

import dataclasses

import numpy as np

from backflip.tasks.hopper_backflip.clean_flips import clean_flips_in_states
from backflip.tasks.hopper_backflip.flips import flips_in_states, floor_contacts_in_states


@dataclasses.dataclass(frozen=True)
class FlipTrace:
    """Backflips completed up to each state of one episode, each ``(T,)`` int."""

    all: np.ndarray
    """complete backward turns, half of each in the air (``flips.py``)."""
    clean: np.ndarray
    """clean backflips (``clean_flips.py``)."""

    def clean_in_last_quarter(self) -> int:
        """Clean flips completed in the last quarter of the episode's steps: it goes on
        flipping, it did not flip once and lie down."""
        return int(self.clean[-1] - self.clean[(3 * (len(self.clean) - 1)) // 4])


def flip_trace(states: np.ndarray) -> FlipTrace:
    """Both counts over the ``(T, 1 + nq + nv)`` physics states of one episode."""
    contacts = floor_contacts_in_states(states)
    return FlipTrace(flips_in_states(states, contacts), clean_flips_in_states(states, contacts))
