"""The learned reward: the ensemble, its trainer, and what it takes to rebuild both."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from backflip.config import NO_ABLATION, AblationConfig, RewardModelConfig, RewardTrainingConfig
from backflip.config.migrations import ABLATION_FIELDS
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
        ablation: behaviours kept only for ablations (all off by default).
    """

    def __init__(
        self,
        obs_dim: int,
        act_dim: int,
        config: RewardModelConfig,
        training: RewardTrainingConfig,
        device: torch.device,
        seed: int,
        ablation: AblationConfig = NO_ABLATION,
    ) -> None:
        self.args: dict[str, Any] = {
            "obs_dim": obs_dim,
            "act_dim": act_dim,
            "config": dataclasses.asdict(config),
            "training": dataclasses.asdict(training),
            "ablation": dataclasses.asdict(ablation),
            "seed": seed,
        }
        self.ensemble = RewardEnsemble(
            obs_dim, act_dim, n_members=config.members, hidden=config.hidden, seed=seed
        ).to(device)
        self.trainer = RewardTrainer(self.ensemble, training, device, seed, ablation)

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
        saved = _upgraded(state["args"])
        if _plain(saved) != _plain(self.args):
            raise ValueError(f"the saved reward model was built as {state['args']}")
        self.ensemble.load_state_dict(state["ensemble"])
        self.trainer.load_state_dict(state["trainer"])

    @classmethod
    def from_state(cls, state: Mapping[str, Any], device: torch.device) -> RewardModel:
        """Rebuilds a saved model from its own constructor arguments."""
        args = _upgraded(state["args"])
        config = RewardModelConfig(**{**args["config"], "hidden": tuple(args["config"]["hidden"])})
        training = RewardTrainingConfig(**args["training"])
        ablation = AblationConfig(**args["ablation"])
        model = cls(
            args["obs_dim"], args["act_dim"], config, training, device, args["seed"], ablation
        )
        model.load_state_dict(state)
        return model


def _upgraded(args: Mapping[str, Any]) -> dict[str, Any]:
    """Saved constructor arguments as this version's: training settings saved before they
    existed (SURF's) read as their defaults, and the ablation settings that older
    versions kept among the training ones move to their own group."""
    training = {**args["training"]}
    ablation = {**dataclasses.asdict(AblationConfig()), **args.get("ablation", {})}
    for name in ABLATION_FIELDS:
        if name in training:
            ablation[name] = training.pop(name)
    training = {**dataclasses.asdict(RewardTrainingConfig()), **training}
    return {**args, "training": training, "ablation": ablation}


def _plain(value: object) -> object:
    """Tuples as lists, so saved and fresh arguments compare equal."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
