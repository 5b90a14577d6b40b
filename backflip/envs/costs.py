"""The control-cost terms of each env's reward: what a person watching a clip cannot see.

With ``--costs hidden`` (the paper's protocol) these terms leave the task reward itself:
the synthetic oracle judges it, ``--reward true`` trains on it and the evaluation reports
it. The env's registered reward (with its costs) is still reported next to it.
"""

from __future__ import annotations

from backflip.config import Costs

COST_TERMS: dict[str, tuple[str, ...]] = {
    "Ant-v5": ("reward_ctrl", "reward_contact"),
    "HalfCheetah-v5": ("reward_ctrl",),
    "Hopper-v5": ("reward_ctrl",),
    "Humanoid-v5": ("reward_ctrl", "reward_contact"),
    "HumanoidStandup-v5": ("reward_quadctrl", "reward_impact"),
    "InvertedDoublePendulum-v5": (),  # its penalties are of position and speed: visible
    "InvertedPendulum-v5": (),
    "Pusher-v5": ("reward_ctrl",),
    "Reacher-v5": ("reward_ctrl",),
    "Swimmer-v5": ("reward_ctrl",),
    "Walker2d-v5": ("reward_ctrl",),
    "backflip/HopperBackflip-v0": (),
    "backflip/HopperBackflipHandwritten-v0": (),
}
"""``info`` keys of each env's cost terms (each a reward term <= 0), by gymnasium id."""


def hidden_terms(env_id: str, costs: Costs) -> tuple[str, ...] | None:
    """The ``info`` terms to take out of ``env_id``'s reward; ``None`` if they are unknown
    (only possible with ``costs="hidden"``)."""
    if costs == "visible":
        return ()
    return COST_TERMS.get(env_id)
