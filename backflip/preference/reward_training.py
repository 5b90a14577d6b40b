"""Fit a `RewardEnsemble` to answered comparisons (Bradley-Terry on clip returns)."""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from backflip.config import NO_ABLATION, AblationConfig, RewardTrainingConfig
from backflip.preference.ensemble import STD_FLOOR, RewardEnsemble
from backflip.preference.loss import random_answer_bce
from backflip.preference.stopping import StoppingRule, train_accuracy
from backflip.preference.surf import crop_window, pseudo_label_loss
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

    def trapped(self, max_steps: int) -> bool:
        """Whether the fit ran to its cap of ``max_steps`` with a member right on fewer
        than half of its own training comparisons: worse than a coin on what it trains
        on, so it is confidently wrong, and the random-answer loss, flat for a confident
        mistake, no longer moves it (``docs/history.md``, "The preference loss")."""
        return self.steps >= max_steps and self.train_accuracy < 0.5


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
        ablation: AblationConfig = NO_ABLATION,
    ) -> None:
        """Moves ``ensemble`` to ``device``; ``seed`` fixes the split and bootstrap draws;
        ``ablation`` turns on the behaviours kept only for ablations."""
        self.ensemble = ensemble.to(device)
        self.config = config
        self.ablation = ablation
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
        counts = bag_counts(self.seed, self.ensemble.n_members, ids, self.ablation.shared_holdout)
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
        optimizer steps (``backflip/preference/stopping.py``). Skipped comparisons
        (label ``None``) are dropped; raises ``ValueError`` if none is left, or if the
        clips differ in length. With SURF's ``surf_threshold``, pairs of the
        ``unlabelled`` clips (at least two) are pseudo-labelled as it says.
        """
        cfg, ens = self.config, self.ensemble
        clips, pairs, labels, counts = self._gather(comparisons, segments)
        n_clips, t = clips.shape[:2]
        x = self._standardized(clips)
        surf = cfg.surf_threshold > 0 and len(unlabelled) >= 2
        u = ens.standardize(self._features(unlabelled)) if surf else None

        for group in self.optimizer.param_groups:
            group["weight_decay"] = self.weight_decay
        decided = labels != 0.5
        rng = np.random.default_rng([self.seed, self.fit_count])
        stride = math.ceil(t / cfg.train_clip_steps)
        rule = StoppingRule.for_fit(cfg, n_clips, t, stride)
        steps = 0
        ens.train()
        while steps < cfg.max_steps:
            for idx in torch.as_tensor(rng.permutation(len(labels)), device=self.device).split(
                cfg.batch_size
            ):
                self._step(x, u, pairs[idx], labels[idx], counts[:, idx], rng, stride)
                steps += 1
                if steps == cfg.max_steps:
                    break
            if not rule.check_due(steps):
                continue
            # On whole clips, as the labels judged them: a strided estimate misorders
            # close pairs, and fits then ran to the cap short of a criterion already met.
            _, diffs = self._all_diffs(x, pairs)
            if rule.met(steps, train_accuracy(diffs, labels, counts, decided)):
                break
        ens.eval()
        return self._finish(x, pairs, labels, counts, decided, rule.accuracy, steps)

    def _standardized(self, clips: torch.Tensor) -> torch.Tensor:
        """``clips`` ``(n_clips, T, in_dim)`` in the ensemble's input units, after setting
        those to the statistics of every transition the comparisons refer to. A refit
        moves them without changing the function (only the new labels should change it),
        unless the ablation ``restandardize`` asks for the old jump."""
        ens = self.ensemble
        flat = clips.reshape(-1, clips.shape[-1])
        mean, std = flat.mean(0), flat.std(0, correction=0).clamp_min(STD_FLOOR)
        if self.fit_count == 0 or self.ablation.restandardize:
            ens.set_input_stats(mean, std)
        else:
            ens.move_input_stats(mean, std)
        return ens.standardize(clips)

    def _step(
        self,
        x: torch.Tensor,
        u: torch.Tensor | None,
        pairs: torch.Tensor,
        labels: torch.Tensor,
        weight: torch.Tensor,
        rng: np.random.Generator,
        stride: int,
    ) -> None:
        """One optimizer step on a minibatch: ``pairs`` ``(B, 2)`` of standardized clips
        ``x``, their ``labels`` ``(B,)`` and bag counts ``weight`` ``(M, B)``; with SURF,
        as many pseudo-labelled pairs of the unlabelled clips ``u``."""
        cfg, eps = self.config, self.config.random_answer_prob
        offset = int(rng.integers(stride))
        window = None
        if cfg.surf_crop > 0:
            window = crop_window(rng, x.shape[1], cfg.surf_crop)
            offset = min(offset, window[0] - 1)  # a short window keeps a step
        diffs = self._pair_diffs(x, pairs, stride, offset, window)
        per_pair = random_answer_bce(diffs, labels, eps)
        loss = ((per_pair * weight).sum(1) / weight.sum(1).clamp_min(1.0)).sum()
        if u is not None:
            unlabelled = torch.as_tensor(
                rng.integers(0, len(u), size=(len(pairs), 2)), device=self.device
            )
            guesses = self._pair_diffs(u, unlabelled, stride, offset, window)
            loss = loss + cfg.surf_weight * pseudo_label_loss(guesses, cfg.surf_threshold, eps)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()

    def _finish(
        self,
        x: torch.Tensor,
        pairs: torch.Tensor,
        labels: torch.Tensor,
        counts: torch.Tensor,
        decided: torch.Tensor,
        accuracy: float,
        steps: int,
    ) -> FitStats:
        """Output statistics of the fitted members, their losses, and (with the ablation
        ``adapt_l2``) the next fit's L2 weight."""
        eps = self.config.random_answer_prob
        raw, diffs = self._all_diffs(x, pairs)
        self.ensemble.set_output_stats(raw.mean(1), raw.std(1, correction=0).clamp_min(STD_FLOOR))
        losses = random_answer_bce(diffs, labels.expand_as(diffs), eps)  # (M, n)
        train_loss = (losses * counts).sum(1) / counts.sum(1).clamp_min(1.0)
        out = counts == 0
        val_loss = (losses * out).sum(1) / out.sum(1)  # NaN for a member without any
        val_loss_mean = float(val_loss[torch.isfinite(val_loss)].mean())
        train_loss_mean = float(train_loss.mean())
        self.fit_count += 1
        if self.ablation.adapt_l2:
            self._adapt_l2(val_loss_mean, train_loss_mean)
        return FitStats(
            train_loss=train_loss_mean,
            train_accuracy=accuracy,
            val_loss=val_loss_mean,
            val_accuracy=_out_of_bag_accuracy(diffs, labels, out, decided),
            n_comparisons=len(labels),
            steps=steps,
            weight_decay=self.weight_decay,
        )

    def _adapt_l2(self, val_loss: float, train_loss: float) -> None:
        """The paper's rule: keep the out-of-bag loss within 1.1-1.5x the training loss."""
        if not math.isfinite(val_loss) or train_loss <= 0:
            return
        ratio = val_loss / train_loss
        if ratio > L2_RAISE_ABOVE:
            self.weight_decay *= L2_FACTOR
        elif ratio < L2_LOWER_BELOW:
            self.weight_decay /= L2_FACTOR

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
