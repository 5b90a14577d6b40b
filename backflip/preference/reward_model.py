"""The learned reward: the ensemble, its trainer, and what it takes to rebuild both."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from backflip.config import RewardModelConfig, RewardTrainingConfig
from backflip.preference.ensemble import RewardEnsemble
from backflip.preference.reward_training import FitStats, RewardTrainer
from backflip.records import Comparison, Segment


class RewardModel:
    """``r(obs, act, next_obs)`` fit to comparisons; sees no env or oracle reward.

    Args:
        obs_dim, act_dim: sizes of the env's observation and action vectors.
        config: ensemble size and hidden layers.
        training: how the ensemble is fit.
        device: where the ensemble lives and trains.
        seed: initial weights, the validation split and the bootstrap draws.
    """

    def __init__(
        self,
        obs_dim: int,
        act_dim: int,
        config: RewardModelConfig,
        training: RewardTrainingConfig,
        device: torch.device,
        seed: int,
    ) -> None:
        self.args: dict[str, Any] = {
            "obs_dim": obs_dim,
            "act_dim": act_dim,
            "config": dataclasses.asdict(config),
            "training": dataclasses.asdict(training),
            "seed": seed,
        }
        self.ensemble = RewardEnsemble(
            obs_dim, act_dim, n_members=config.members, hidden=config.hidden, seed=seed
        ).to(device)
        self.trainer = RewardTrainer(self.ensemble, training, device, seed=seed)

    def fit(
        self,
        comparisons: Sequence[Comparison],
        clips: Mapping[int, Segment],
        unlabelled: Sequence[Segment] = (),
    ) -> FitStats:
        """Refits the ensemble on answered ``comparisons`` of ``clips`` (by store id), and
        with SURF on pseudo-labelled pairs of ``unlabelled`` clips."""
        return self.trainer.fit(comparisons, clips, unlabelled)

    def predict(self, obs: np.ndarray, acts: np.ndarray, next_obs: np.ndarray) -> np.ndarray:
        """``(n,)`` float32 learned rewards of ``(n, dim)`` transitions."""
        return self.ensemble.predict(obs, acts, next_obs)

    def correlation(self, clips: Sequence[Segment]) -> float | None:
        """Pearson correlation of the learned and the oracle's returns of ``clips``
        (None for fewer than 3 clips or a constant side)."""
        if len(clips) < 3:
            return None
        predicted = self.ensemble.clip_returns(clips).mean(axis=0)
        oracle = np.array([clip.oracle_return for clip in clips])
        if predicted.std() == 0 or oracle.std() == 0:
            return None
        return float(np.corrcoef(predicted, oracle)[0, 1])

    # -- saving ---------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Constructor arguments, weights and trainer state: all that :meth:`from_state`
        needs (plain types and tensors, loadable with ``weights_only=True``)."""
        return {
            "args": self.args,
            "ensemble": self.ensemble.state_dict(),
            "trainer": self.trainer.state_dict(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restores weights and trainer state saved from a model built the same way (a
        training setting an older version did not save reads as its default)."""
        saved = {**state["args"], "training": _with_defaults(state["args"]["training"])}
        if _plain(saved) != _plain(self.args):
            raise ValueError(f"the saved reward model was built as {state['args']}")
        self.ensemble.load_state_dict(state["ensemble"])
        self.trainer.load_state_dict(state["trainer"])

    @classmethod
    def from_state(cls, state: Mapping[str, Any], device: torch.device) -> RewardModel:
        """Rebuilds a saved model from its own constructor arguments."""
        args = state["args"]
        config = RewardModelConfig(**{**args["config"], "hidden": tuple(args["config"]["hidden"])})
        training = RewardTrainingConfig(**_with_defaults(args["training"]))
        model = cls(args["obs_dim"], args["act_dim"], config, training, device, args["seed"])
        model.load_state_dict(state)
        return model


def _with_defaults(training: Mapping[str, Any]) -> dict[str, Any]:
    """Saved reward-training settings, with the defaults of those saved before they
    existed (SURF's)."""
    return {**dataclasses.asdict(RewardTrainingConfig()), **training}


def _plain(value: object) -> object:
    """Tuples as lists, so saved and fresh arguments compare equal."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
