"""The control-cost terms of each env's reward: what a person watching a clip cannot see.

With ``--costs hidden`` (the paper's protocol) these terms leave the task reward itself:
the synthetic oracle judges it, ``--reward true`` trains on it and the evaluation reports
it. The env's registered reward (with its costs) is still reported next to it.
"""

from __future__ import annotations

from backflip.config import Costs
from backflip.tasks.registry import task_for

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
}
"""``info`` keys of each gymnasium env's cost terms (each a reward term <= 0), by id; a
task plug-in's envs name theirs in their task (``backflip/tasks/base.py``)."""


def hidden_terms(env_id: str, costs: Costs) -> tuple[str, ...] | None:
    """The ``info`` terms to take out of ``env_id``'s reward; ``None`` if they are unknown
    (only possible with ``costs="hidden"``)."""
    if costs == "visible":
        return ()
    return COST_TERMS.get(env_id, task_for(env_id).cost_terms)
