"""Fit a `RewardEnsemble` to answered comparisons (Bradley-Terry on clip returns)."""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from backflip.config import RewardTrainingConfig
from backflip.preference.ensemble import STD_FLOOR, RewardEnsemble
from backflip.records import Comparison, Segment

L2_RAISE_ABOVE = 1.5
"""Raise the L2 weight when val_loss / train_loss exceeds this (over-fitting)."""
L2_LOWER_BELOW = 1.1
"""Lower the L2 weight when val_loss / train_loss is below this (under-fitting)."""
L2_FACTOR = 1.5
"""Factor by which the L2 weight is raised or lowered after a fit."""


@dataclasses.dataclass(frozen=True)
class FitStats:
    """What one `RewardTrainer.fit` did.

    Attributes:
        train_loss: mean over members of the loss on its own bootstrap sample, nats.
        val_loss: mean over members of the loss on the held-out comparisons (NaN if none).
        val_accuracy: fraction of held-out non-tie comparisons where the ensemble-mean
            ``P(left)`` is on the label's side of 0.5 (NaN if none).
        n_train: comparisons in the training part (before bootstrap resampling).
        n_val: held-out comparisons.
        weight_decay: L2 weight after adaptation, used by the next fit.
    """

    train_loss: float
    val_loss: float
    val_accuracy: float
    n_train: int
    n_val: int
    weight_decay: float


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


def is_held_out(seed: int, left_id: int, right_id: int, val_fraction: float) -> bool:
    """Stable validation split: a hash of ``(seed, left_id, right_id)`` below the fraction."""
    digest = hashlib.blake2b(f"{seed}:{left_id}:{right_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2.0**64 < val_fraction


class RewardTrainer:
    """Trains every member of a `RewardEnsemble` at once; keeps Adam state and L2 weight."""

    def __init__(
        self,
        ensemble: RewardEnsemble,
        config: RewardTrainingConfig,
        device: torch.device,
        seed: int,
    ) -> None:
        """Moves ``ensemble`` to ``device``; ``seed`` fixes the split and bootstrap draws."""
        self.ensemble = ensemble.to(device)
        self.config = config
        self.device = torch.device(device)
        self.seed = seed
        self.weight_decay = config.weight_decay
        self.fit_count = 0
        self.optimizer = torch.optim.Adam(
            ensemble.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )

    # ------------------------------------------------------------------ data
    def _gather(
        self, comparisons: Sequence[Comparison], segments: Mapping[int, Segment]
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, np.ndarray]:
        """Clip features ``(n_clips, T, in_dim)``, pair indices ``(n, 2)``, labels ``(n,)``
        on device, and a held-out mask ``(n,)``."""
        answered = [c for c in comparisons if c.label is not None]
        if not answered:
            raise ValueError(
                f"no answered comparisons to fit on: all {len(comparisons)} were skipped"
            )
        clip_ids = sorted({i for c in answered for i in (c.left_id, c.right_id)})
        missing = [i for i in clip_ids if i not in segments]
        if missing:
            raise KeyError(f"comparisons refer to clips not in segments: {missing[:10]}")
        lengths = {len(segments[i]) for i in clip_ids}
        if len(lengths) != 1:
            raise ValueError(f"all clips must have the same length, got lengths {sorted(lengths)}")
        feats = [np.concatenate(segments[i].transitions(), axis=-1) for i in clip_ids]
        clips = torch.as_tensor(np.stack(feats), dtype=torch.float32, device=self.device)
        if clips.shape[-1] != self.ensemble.in_dim:
            raise ValueError(
                f"clips have {clips.shape[-1]} features, the ensemble expects "
                f"{self.ensemble.in_dim} (2 * obs_dim + act_dim)"
            )
        index = {cid: k for k, cid in enumerate(clip_ids)}
        pairs = torch.tensor(
            [[index[c.left_id], index[c.right_id]] for c in answered], device=self.device
        )
        labels = torch.tensor(
            [float(c.label) for c in answered if c.label is not None], device=self.device
        )
        frac = self.config.val_fraction
        held = np.array([is_held_out(self.seed, c.left_id, c.right_id, frac) for c in answered])
        if held.all():  # too few comparisons to hold any out: train on all of them
            held[:] = False
        return clips, pairs, labels, held

    # ------------------------------------------------------------------ fitting
    def _pair_diffs(self, x: torch.Tensor, pairs: torch.Tensor) -> torch.Tensor:
        """``R_left - R_right`` ``(M, B)`` from standardized clips and ``(M, B, 2)`` indices."""
        ens = self.ensemble
        m, b = pairs.shape[:2]
        t = x.shape[1]
        feats = x[pairs].reshape(m, b * 2 * t, ens.in_dim)
        returns = ens.mlp(feats).reshape(m, b, 2, t).sum(dim=-1)
        return returns[..., 0] - returns[..., 1]

    @torch.no_grad()
    def _raw_rewards(self, x: torch.Tensor) -> torch.Tensor:
        """Raw per-step member rewards ``(M, n_clips * T)`` of standardized ``x``, in chunks."""
        flat = x.reshape(-1, x.shape[-1])
        step = self.ensemble.chunk_size
        return torch.cat(
            [self.ensemble.mlp(flat[i : i + step]) for i in range(0, len(flat), step)], 1
        )

    def fit(self, comparisons: Sequence[Comparison], segments: Mapping[int, Segment]) -> FitStats:
        """Fit all members to the answered ``comparisons`` of clips in ``segments``.

        Skipped comparisons (label ``None``) are dropped; raises ``ValueError`` if none is
        left, or if the clips differ in length.
        """
        cfg, ens = self.config, self.ensemble
        clips, pairs, labels, held = self._gather(comparisons, segments)
        n_clips, t = clips.shape[:2]
        m = ens.n_members

        # Input stats from every transition the comparisons refer to.
        flat = clips.reshape(n_clips * t, -1)
        ens.set_input_stats(flat.mean(0), flat.std(0, correction=0).clamp_min(STD_FLOOR))
        x = ens.standardize(clips)

        # Per-member bootstrap of the training part.
        rng = np.random.default_rng([self.seed, self.fit_count])
        train_idx = np.flatnonzero(~held)
        val_idx = np.flatnonzero(held)
        n_train = len(train_idx)
        boot = train_idx[rng.integers(0, n_train, size=(m, n_train))]

        for group in self.optimizer.param_groups:
            group["weight_decay"] = self.weight_decay
        eps = cfg.random_answer_prob
        ens.train()
        for _ in range(cfg.epochs if self.fit_count == 0 else cfg.refit_epochs):
            order_t = torch.as_tensor(rng.permuted(boot, axis=1), device=self.device)
            for start in range(0, n_train, cfg.batch_size):
                batch = order_t[:, start : start + cfg.batch_size]  # (M, B)
                diff = self._pair_diffs(x, pairs[batch])
                loss = random_answer_bce(diff, labels[batch], eps).mean(dim=1).sum()
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                self.optimizer.step()
        ens.eval()

        # Output stats, then losses of the final model.
        raw = self._raw_rewards(x)  # (M, n_clips * T)
        ens.set_output_stats(raw.mean(1), raw.std(1, correction=0).clamp_min(STD_FLOOR))
        returns = raw.reshape(m, n_clips, t).sum(-1)
        diffs = returns[:, pairs[:, 0]] - returns[:, pairs[:, 1]]  # (M, n)
        losses = random_answer_bce(diffs, labels.expand_as(diffs), eps)
        boot_t = torch.as_tensor(boot, device=self.device)
        train_loss = float(losses.gather(1, boot_t).mean())
        val_loss, val_acc = self._validate(diffs, losses, labels, val_idx)

        self.fit_count += 1
        if cfg.adapt_l2 and math.isfinite(val_loss) and train_loss > 0:
            ratio = val_loss / train_loss
            if ratio > L2_RAISE_ABOVE:
                self.weight_decay *= L2_FACTOR
            elif ratio < L2_LOWER_BELOW:
                self.weight_decay /= L2_FACTOR
        return FitStats(
            train_loss=train_loss,
            val_loss=val_loss,
            val_accuracy=val_acc,
            n_train=n_train,
            n_val=len(val_idx),
            weight_decay=self.weight_decay,
        )

    def _validate(
        self, diffs: torch.Tensor, losses: torch.Tensor, labels: torch.Tensor, val_idx: np.ndarray
    ) -> tuple[float, float]:
        """Held-out loss (member mean) and ensemble-mean accuracy on non-tie labels."""
        if len(val_idx) == 0:
            return math.nan, math.nan
        idx = torch.as_tensor(val_idx, device=self.device)
        val_loss = float(losses[:, idx].mean())
        y = labels[idx]
        decided = y != 0.5
        if not bool(decided.any()):
            return val_loss, math.nan
        p_left = torch.sigmoid(diffs[:, idx]).mean(0)
        correct = (p_left > 0.5) == (y > 0.5)
        return val_loss, float(correct[decided].float().mean())

    # ------------------------------------------------------------------ resume
    def state_dict(self) -> dict[str, Any]:
        """Optimizer state, L2 weight and fit count (the ensemble saves its own)."""
        return {
            "optimizer": self.optimizer.state_dict(),
            "weight_decay": float(self.weight_decay),
            "fit_count": int(self.fit_count),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what `state_dict` saved."""
        self.optimizer.load_state_dict(state["optimizer"])
        self.weight_decay = float(state["weight_decay"])
        self.fit_count = int(state["fit_count"])
