"""What the DMC tasks ask of a person: which clip does the task better. Their rewards
have no control costs, so ``--costs hidden`` and ``visible`` give the same task reward."""

from __future__ import annotations

from backflip.tasks.base import Task


class DMCTask(Task):
    cost_terms: tuple[str, ...] = ()
