"""The Bradley-Terry loss of a preference, with a chance that the answer was random."""

from __future__ import annotations

import math

import torch


def random_answer_bce(diff: torch.Tensor, target: torch.Tensor, eps: float) -> torch.Tensor:
    """Elementwise cross-entropy (nats) of ``P(left) = (1 - eps) sigmoid(diff) + eps / 2``.

    ``diff`` is ``R_left - R_right``; ``target`` the label in ``[0, 1]``; same shapes.
    """
    if eps == 0:
        log_p, log_q = torch.nn.functional.logsigmoid(diff), torch.nn.functional.logsigmoid(-diff)
    else:
        keep, rand = math.log1p(-eps), math.log(eps / 2)
        floor = diff.new_tensor(rand)
        log_p = torch.logaddexp(keep + torch.nn.functional.logsigmoid(diff), floor)
        log_q = torch.logaddexp(keep + torch.nn.functional.logsigmoid(-diff), floor)
    return -(target * log_p + (1 - target) * log_q)
