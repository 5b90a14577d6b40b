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
from backflip.preference.surf import crop_window, pseudo_labels
from backflip.records import Comparison, Segment

L2_RAISE_ABOVE = 1.5
"""Raise the L2 weight when val_loss / train_loss exceeds this (over-fitting)."""
L2_LOWER_BELOW = 1.1
"""Lower the L2 weight when val_loss / train_loss is below this (under-fitting)."""
L2_FACTOR = 1.5
"""Factor by which the L2 weight is raised or lowered after a fit."""
CHECK_EVERY = 25
"""Optimizer steps (whole epochs) between checks of the stopping criterion, at least."""
CHECK_SHARE = 1 / 3
"""Checks read every step of every clip: they are spaced so that they cost about this
share of the training steps between them."""


@dataclasses.dataclass(frozen=True)
class FitStats:
    """What one `RewardTrainer.fit` did.

    Each member trains on a bootstrap of the comparisons (a stable Poisson(1) count per
    comparison) and is validated on its own out-of-bag ones, about 1/e of them, that it
    never trained on in any fit.

    Attributes:
        train_loss: mean over members of the loss on its own bootstrap sample, nats.
        train_accuracy: the lowest member accuracy on its own non-tie training comparisons.
        val_loss: mean over members of the loss on its out-of-bag comparisons (NaN if none).
        val_accuracy: on non-tie comparisons out of at least one member's bag, the share
            where the mean ``P(left)`` of those members is on the label's side of 0.5 (NaN
            if none): an honest held-out accuracy.
        n_comparisons: answered comparisons fit on (every one in some member's bag).
        steps: optimizer steps this fit took.
        weight_decay: L2 weight after adaptation, used by the next fit.
    """

    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    n_comparisons: int
    steps: int
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


_POISSON_CDF = np.cumsum([math.exp(-1) / math.factorial(k) for k in range(12)])


def _uniform(seed: int, member: int, pairs: Sequence[tuple[int, int]]) -> np.ndarray:
    """``(n,)`` stable draws in [0, 1) from a hash of ``(seed, member, left, right)``."""
    u = np.empty(len(pairs))
    for k, (left, right) in enumerate(pairs):
        digest = hashlib.blake2b(f"{seed}:{member}:{left}:{right}".encode(), digest_size=8)
        u[k] = int.from_bytes(digest.digest(), "little") / 2.0**64
    return u


def bag_counts(
    seed: int, members: int, pairs: Sequence[tuple[int, int]], shared_holdout: float = 0.0
) -> np.ndarray:
    """``(members, n)`` bootstrap counts of comparisons of clips ``pairs`` (store ids).

    Each count is Poisson(1), drawn from a hash of ``(seed, member, left, right)``, so a
    comparison keeps its counts in every later fit: out of a member's bag once, out of it
    for good. A comparison out of every bag goes to the member with the largest draw, so
    the ensemble trains on every label, except a stable ``shared_holdout`` share of them
    that no member trains on.
    """
    u = np.stack([_uniform(seed, m, pairs) for m in range(members)])
    counts = np.searchsorted(_POISSON_CDF, u, side="right").astype(np.float32)
    orphans = np.flatnonzero(counts.sum(axis=0) == 0)
    counts[u[:, orphans].argmax(axis=0), orphans] = 1.0
    if shared_holdout > 0:
        counts[:, _uniform(seed, -1, pairs) < shared_holdout] = 0.0
    return counts


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
        self.optimizer = torch.optim.Adam(  # fused: one kernel, 3x faster than foreach here
            ensemble.parameters(), lr=config.lr, weight_decay=config.weight_decay, fused=True
        )

    # ------------------------------------------------------------------ data
    def _gather(
        self, comparisons: Sequence[Comparison], segments: Mapping[int, Segment]
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Clip features ``(n_clips, T, in_dim)``, pair indices ``(n, 2)``, labels ``(n,)``
        and bag counts ``(M, n)``, on device."""
        answered = [c for c in comparisons if c.label is not None]
        if not answered:
            raise ValueError(
                f"no answered comparisons to fit on: all {len(comparisons)} were skipped"
            )
        clip_ids = sorted({i for c in answered for i in (c.left_id, c.right_id)})
        missing = [i for i in clip_ids if i not in segments]
        if missing:
            raise KeyError(f"comparisons refer to clips not in segments: {missing[:10]}")
        clips = self._features([segments[i] for i in clip_ids])
        index = {cid: k for k, cid in enumerate(clip_ids)}
        pairs = torch.tensor(
            [[index[c.left_id], index[c.right_id]] for c in answered], device=self.device
        )
        labels = torch.tensor(
            [float(c.label) for c in answered if c.label is not None], device=self.device
        )
        ids = [(c.left_id, c.right_id) for c in answered]
        counts = bag_counts(self.seed, self.ensemble.n_members, ids, self.config.shared_holdout)
        return clips, pairs, labels, torch.as_tensor(counts, device=self.device)

    def _features(self, segments: Sequence[Segment]) -> torch.Tensor:
        """``(n, T, in_dim)`` transition features of clips of one length, on device."""
        lengths = {len(segment) for segment in segments}
        if len(lengths) != 1:
            raise ValueError(f"all clips must have the same length, got lengths {sorted(lengths)}")
        feats = [np.concatenate(segment.transitions(), axis=-1) for segment in segments]
        clips = torch.as_tensor(np.stack(feats), dtype=torch.float32, device=self.device)
        if clips.shape[-1] != self.ensemble.in_dim:
            raise ValueError(
                f"clips have {clips.shape[-1]} features, the ensemble expects "
                f"{self.ensemble.in_dim} (2 * obs_dim + act_dim)"
            )
        return clips

    # ------------------------------------------------------------------ fitting
    def _pair_diffs(
        self,
        x: torch.Tensor,
        pairs: torch.Tensor,
        stride: int = 1,
        offset: int = 0,
        window: tuple[int, int, int] | None = None,
    ) -> torch.Tensor:
        """``R_left - R_right`` ``(M, B)`` from standardized clips ``(n_clips, T, in_dim)``
        and ``(B, 2)`` indices; with ``stride > 1``, estimated from every ``stride``-th step
        from ``offset`` on, scaled to the whole clip; with a ``window`` ``(length, left
        start, right start)`` (SURF's crop, see ``backflip/preference/surf.py``), from
        those steps of each clip, scaled likewise."""
        b, t = len(pairs), x.shape[1]
        if window is None:
            steps = x[:, offset::stride][pairs]  # (B, 2, t', in_dim): slice, then copy
        else:
            length, left, right = window
            steps = torch.stack(
                (
                    x[pairs[:, 0], left + offset : left + length : stride],
                    x[pairs[:, 1], right + offset : right + length : stride],
                ),
                dim=1,
            )
        kept = steps.shape[2]
        raw = self.ensemble.mlp(steps.reshape(b * 2 * kept, -1)).reshape(-1, b, 2, kept)
        returns = raw.sum(-1) * (t / kept)
        return returns[..., 0] - returns[..., 1]

    @torch.no_grad()
    def _raw_rewards(self, x: torch.Tensor) -> torch.Tensor:
        """Raw per-step member rewards ``(M, n_clips * T)`` of standardized ``x``, in chunks."""
        flat = x.reshape(-1, x.shape[-1])
        step = self.ensemble.chunk_size
        return torch.cat(
            [self.ensemble.mlp(flat[i : i + step]) for i in range(0, len(flat), step)], 1
        )

    def _all_diffs(self, x: torch.Tensor, pairs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw rewards ``(M, n_clips * T)`` and ``R_left - R_right`` ``(M, n)`` of all pairs."""
        raw = self._raw_rewards(x)
        returns = raw.reshape(raw.shape[0], x.shape[0], x.shape[1]).sum(-1)
        return raw, returns[:, pairs[:, 0]] - returns[:, pairs[:, 1]]

    def fit(
        self,
        comparisons: Sequence[Comparison],
        segments: Mapping[int, Segment],
        unlabelled: Sequence[Segment] = (),
    ) -> FitStats:
        """Fit all members to the answered ``comparisons`` of clips in ``segments``.

        Trains until every member's accuracy on its own training comparisons reaches
        ``target_accuracy``, with at least ``min_steps`` and at most ``max_steps``
        optimizer steps. Skipped comparisons (label ``None``) are dropped; raises
        ``ValueError`` if none is left, or if the clips differ in length. With SURF's
        ``surf_threshold``, pairs of the ``unlabelled`` clips (at least two) are
        pseudo-labelled as it says.
        """
        cfg, ens = self.config, self.ensemble
        clips, pairs, labels, counts = self._gather(comparisons, segments)
        n_clips, t = clips.shape[:2]
        n = len(labels)

        # Input stats of every transition the comparisons refer to; a refit moves them
        # without changing the function (only the new labels should change it), unless
        # the ablation `restandardize` asks for the old jump.
        flat = clips.reshape(n_clips * t, -1)
        mean, std = flat.mean(0), flat.std(0, correction=0).clamp_min(STD_FLOOR)
        if self.fit_count == 0 or cfg.restandardize:
            ens.set_input_stats(mean, std)
        else:
            ens.move_input_stats(mean, std)
        x = ens.standardize(clips)
        surf = cfg.surf_threshold > 0 and len(unlabelled) >= 2
        u = ens.standardize(self._features(unlabelled)) if surf else None

        for group in self.optimizer.param_groups:
            group["weight_decay"] = self.weight_decay
        eps = cfg.random_answer_prob
        decided = labels != 0.5
        rng = np.random.default_rng([self.seed, self.fit_count])
        stride = math.ceil(t / cfg.train_clip_steps)
        step_rows = 3 * 2 * cfg.batch_size * math.ceil(t / stride)  # forward and backward
        check_every = max(CHECK_EVERY, math.ceil(n_clips * t / (CHECK_SHARE * step_rows)))
        steps, accuracy, checked = 0, math.nan, 0
        ens.train()
        while steps < cfg.max_steps:
            for idx in torch.as_tensor(rng.permutation(n), device=self.device).split(
                cfg.batch_size
            ):
                weight = counts[:, idx]  # (M, B)
                offset = int(rng.integers(stride))
                window = None
                if cfg.surf_crop > 0:
                    window = crop_window(rng, t, cfg.surf_crop)
                    offset = min(offset, window[0] - 1)  # a short window keeps a step
                diffs = self._pair_diffs(x, pairs[idx], stride, offset, window)
                per_pair = random_answer_bce(diffs, labels[idx], eps)
                loss = ((per_pair * weight).sum(1) / weight.sum(1).clamp_min(1.0)).sum()
                if u is not None:
                    loss = loss + cfg.surf_weight * self._pseudo_loss(
                        u, rng, len(idx), stride, offset, window
                    )
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                self.optimizer.step()
                steps += 1
                if steps == cfg.max_steps:
                    break
            if steps < cfg.min_steps or steps - checked < check_every and steps < cfg.max_steps:
                continue
            checked = steps
            # On whole clips, as the labels judged them: a strided estimate misorders
            # close pairs, and fits then ran to the cap short of a criterion already met.
            _, diffs = self._all_diffs(x, pairs)
            accuracy = _train_accuracy(diffs, labels, counts, decided)
            if not accuracy < cfg.target_accuracy:
                break
        ens.eval()

        # Output stats, then losses of the final model.
        raw, diffs = self._all_diffs(x, pairs)
        ens.set_output_stats(raw.mean(1), raw.std(1, correction=0).clamp_min(STD_FLOOR))
        losses = random_answer_bce(diffs, labels.expand_as(diffs), eps)  # (M, n)
        train_loss = (losses * counts).sum(1) / counts.sum(1).clamp_min(1.0)
        out = counts == 0
        val_loss = (losses * out).sum(1) / out.sum(1)  # NaN for a member without any
        val_loss_mean = float(val_loss[torch.isfinite(val_loss)].mean())
        train_loss_mean = float(train_loss.mean())

        self.fit_count += 1
        if cfg.adapt_l2 and math.isfinite(val_loss_mean) and train_loss_mean > 0:
            ratio = val_loss_mean / train_loss_mean
            if ratio > L2_RAISE_ABOVE:
                self.weight_decay *= L2_FACTOR
            elif ratio < L2_LOWER_BELOW:
                self.weight_decay /= L2_FACTOR
        return FitStats(
            train_loss=train_loss_mean,
            train_accuracy=accuracy,
            val_loss=val_loss_mean,
            val_accuracy=_out_of_bag_accuracy(diffs, labels, out, decided),
            n_comparisons=n,
            steps=steps,
            weight_decay=self.weight_decay,
        )

    def _pseudo_loss(
        self,
        u: torch.Tensor,
        rng: np.random.Generator,
        size: int,
        stride: int,
        offset: int,
        window: tuple[int, int, int] | None,
    ) -> torch.Tensor:
        """SURF's loss on ``size`` random pairs of standardized unlabelled clips ``u``:
        each member's mean cross-entropy on the pairs the ensemble is sure of, summed."""
        pairs = torch.as_tensor(rng.integers(0, len(u), size=(size, 2)), device=self.device)
        diffs = self._pair_diffs(u, pairs, stride, offset, window)  # (M, B)
        sure, target = pseudo_labels(
            torch.sigmoid(diffs.detach()).mean(0), self.config.surf_threshold
        )
        if not bool(sure.any()):
            return diffs.new_zeros(())
        eps = self.config.random_answer_prob
        return (
            random_answer_bce(diffs[:, sure], target[sure].expand_as(diffs[:, sure]), eps)
            .mean(1)
            .sum()
        )

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


def _train_accuracy(
    diffs: torch.Tensor, labels: torch.Tensor, counts: torch.Tensor, decided: torch.Tensor
) -> float:
    """The lowest member accuracy on its own non-tie training comparisons (NaN if none)."""
    correct = ((diffs > 0) == (labels > 0.5)).float()  # (M, n)
    weight = counts * decided
    total = weight.sum(1)
    if not bool((total > 0).all()):
        return math.nan
    return float(((correct * weight).sum(1) / total).min())


def _out_of_bag_accuracy(
    diffs: torch.Tensor, labels: torch.Tensor, out: torch.Tensor, decided: torch.Tensor
) -> float:
    """Accuracy of the out-of-bag members' mean ``P(left)`` on non-tie comparisons."""
    n_out = out.sum(0)
    usable = (n_out > 0) & decided
    if not bool(usable.any()):
        return math.nan
    p_left = (torch.sigmoid(diffs) * out).sum(0) / n_out.clamp_min(1)
    correct = (p_left > 0.5) == (labels > 0.5)
    return float(correct[usable].float().mean())
