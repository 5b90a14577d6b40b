"""An ensemble of MLP rewards ``r(obs, act, next_obs)``, all members in one batched pass."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from backflip.records import Segment

STD_FLOOR = 1e-6
"""Smallest standard deviation used for input or output normalization."""
SMALL_BATCH = 256
"""Rows up to which CPU predictions skip torch (per-step rewards of a few envs)."""


def _as_tensor(x: np.ndarray | torch.Tensor, device: torch.device) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.to(device=device, dtype=torch.float32)
    # torch warns on read-only arrays (Segment's are): copy those.
    return torch.as_tensor(np.require(x, np.float32, ["W"]), device=device)


class RewardEnsemble(nn.Module):
    """``M`` reward MLPs over ``[obs, act, next_obs]`` with stacked ``(M, in, out)`` weights.

    Inputs are standardized with stored per-feature stats; each member's output is
    normalized with its own stored mean/std before the members are averaged.
    """

    input_mean: torch.Tensor
    input_std: torch.Tensor
    output_mean: torch.Tensor
    output_std: torch.Tensor

    def __init__(
        self,
        obs_dim: int,
        act_dim: int,
        n_members: int = 3,
        hidden: tuple[int, ...] = (64, 64),
        seed: int = 0,
    ) -> None:
        super().__init__()
        if obs_dim < 1 or act_dim < 1 or n_members < 1 or any(h < 1 for h in hidden):
            raise ValueError("obs_dim, act_dim, n_members and hidden sizes must be positive")
        self.obs_dim = obs_dim
        self.act_dim = act_dim
        self.n_members = n_members
        self.hidden = tuple(hidden)
        self.in_dim = 2 * obs_dim + act_dim
        self.chunk_size = 65536
        self._numpy_cache: tuple[tuple[int, ...], dict[str, np.ndarray]] | None = None
        self._tensors: dict[str, torch.Tensor] | None = None
        gen = torch.Generator().manual_seed(seed)
        sizes = (self.in_dim, *self.hidden, 1)
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
            bound = 1.0 / math.sqrt(fan_in)  # the same range as nn.Linear's default init
            w = (torch.rand(n_members, fan_in, fan_out, generator=gen) * 2 - 1) * bound
            b = (torch.rand(n_members, 1, fan_out, generator=gen) * 2 - 1) * bound
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(b))
        self.register_buffer("input_mean", torch.zeros(self.in_dim))
        self.register_buffer("input_std", torch.ones(self.in_dim))
        self.register_buffer("output_mean", torch.zeros(n_members))
        self.register_buffer("output_std", torch.ones(n_members))

    def _apply(self, fn: Any, *args: Any, **kwargs: Any) -> RewardEnsemble:
        # .to() and friends may swap tensors for new ones: forget the numpy snapshot.
        self._tensors = None
        self._numpy_cache = None
        return super()._apply(fn, *args, **kwargs)

    @property
    def device(self) -> torch.device:
        return self.input_mean.device

    # ----------------------------------------------------------------- statistics
    def set_input_stats(
        self, mean: np.ndarray | torch.Tensor, std: np.ndarray | torch.Tensor
    ) -> None:
        """Set the ``(in_dim,)`` input mean/std; std is floored at ``STD_FLOOR``."""
        self._set_stats(self.input_mean, self.input_std, mean, std)

    @torch.no_grad()
    def move_input_stats(
        self, mean: np.ndarray | torch.Tensor, std: np.ndarray | torch.Tensor
    ) -> None:
        """Sets new ``(in_dim,)`` input stats and rescales the first layer so that every
        member computes the same function as before (only training changes it).

        With ``h = ((x - m) / s) W + b``, new stats ``m', s'`` keep ``h`` for
        ``W' = diag(s' / s) W`` and ``b' = b + ((m' - m) / s) W``.
        """
        old_mean, old_std = self.input_mean.clone(), self.input_std.clone()
        self.set_input_stats(mean, std)
        w, b = self.weights[0], self.biases[0]  # (M, in, out), (M, 1, out)
        shift = ((self.input_mean - old_mean) / old_std).view(1, 1, -1)
        b.add_(torch.matmul(shift.expand(self.n_members, 1, -1), w))
        w.mul_((self.input_std / old_std).view(1, -1, 1))

    def set_output_stats(
        self, mean: np.ndarray | torch.Tensor, std: np.ndarray | torch.Tensor
    ) -> None:
        """Set each member's ``(M,)`` raw per-step reward mean/std; std floored."""
        self._set_stats(self.output_mean, self.output_std, mean, std)

    def _set_stats(
        self,
        mean_buf: torch.Tensor,
        std_buf: torch.Tensor,
        mean: np.ndarray | torch.Tensor,
        std: np.ndarray | torch.Tensor,
    ) -> None:
        m = torch.as_tensor(mean, dtype=torch.float32).to(self.device)
        s = torch.as_tensor(std, dtype=torch.float32).to(self.device)
        if m.shape != mean_buf.shape or s.shape != std_buf.shape:
            raise ValueError(
                f"stats must have shape {tuple(mean_buf.shape)}, got {tuple(m.shape)}, "
                f"{tuple(s.shape)}"
            )
        if not (torch.isfinite(m).all() and torch.isfinite(s).all()):
            raise ValueError("stats contain NaN or inf")
        mean_buf.copy_(m)
        std_buf.copy_(s.clamp_min(STD_FLOOR))

    # ------------------------------------------------------------------- forward
    def features(
        self, obs: torch.Tensor, act: torch.Tensor, next_obs: torch.Tensor
    ) -> torch.Tensor:
        """Concatenate ``(*batch, dim)`` inputs into raw ``(*batch, in_dim)`` features."""
        x = torch.cat([obs, act, next_obs], dim=-1)
        if x.shape[-1] != self.in_dim:
            raise ValueError(f"features have size {x.shape[-1]}, expected {self.in_dim}")
        return x

    def standardize(self, x: torch.Tensor) -> torch.Tensor:
        """Standardize ``(..., in_dim)`` raw features with the stored input stats."""
        return (x - self.input_mean) / self.input_std

    def mlp(self, h: torch.Tensor) -> torch.Tensor:
        """Raw member rewards of standardized features.

        ``h`` is ``(N, in_dim)`` (shared by all members) or ``(M, N, in_dim)`` (one batch
        per member); returns ``(M, N)``.
        """
        if h.dim() == 2:
            h = h.unsqueeze(0).expand(self.n_members, -1, -1)
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.baddbmm(b, h, w)
            if i < last:
                h = nn.functional.leaky_relu(h)
        return h.squeeze(-1)

    def member_rewards(
        self, obs: torch.Tensor, act: torch.Tensor, next_obs: torch.Tensor
    ) -> torch.Tensor:
        """Raw (un-normalized) per-member rewards ``(M, *batch)`` of ``(*batch, dim)`` inputs."""
        x = self.features(obs, act, next_obs)
        batch = x.shape[:-1]
        out = self.mlp(self.standardize(x.reshape(-1, self.in_dim)))
        return out.reshape(self.n_members, *batch)

    def normalize(self, raw: torch.Tensor) -> torch.Tensor:
        """Normalize ``(M, ...)`` raw member rewards with each member's output stats."""
        shape = (self.n_members,) + (1,) * (raw.dim() - 1)
        return (raw - self.output_mean.view(shape)) / self.output_std.view(shape)

    def forward(self, obs: torch.Tensor, act: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
        """The learned reward ``(*batch)``: mean over members of normalized outputs."""
        return self.normalize(self.member_rewards(obs, act, next_obs)).mean(dim=0)

    # --------------------------------------------------------------- numpy helpers
    @torch.no_grad()
    def _members_np(
        self, obs: np.ndarray, act: np.ndarray, next_obs: np.ndarray, normalized: bool = True
    ) -> torch.Tensor:
        """Member rewards ``(M, N)`` of ``(N, dim)`` arrays, in chunks."""
        n = len(obs)
        if len(act) != n or len(next_obs) != n:
            raise ValueError("obs, act and next_obs must have the same number of rows")
        dev = self.device
        parts = []
        for i in range(0, n, self.chunk_size):
            raw = self.member_rewards(
                _as_tensor(obs[i : i + self.chunk_size], dev),
                _as_tensor(act[i : i + self.chunk_size], dev),
                _as_tensor(next_obs[i : i + self.chunk_size], dev),
            )
            parts.append(self.normalize(raw) if normalized else raw)
        if not parts:
            return torch.zeros(self.n_members, 0, device=dev)
        return torch.cat(parts, dim=1)

    def predict(self, obs: np.ndarray, act: np.ndarray, next_obs: np.ndarray) -> np.ndarray:
        """The learned reward of ``(N, dim)`` arrays as float32 ``(N,)``; no grad."""
        if self.device.type == "cpu" and len(obs) <= SMALL_BATCH:
            return self._members_numpy(obs, act, next_obs).mean(axis=0)
        out = self._members_np(obs, act, next_obs).mean(dim=0)
        return out.cpu().numpy().astype(np.float32)

    def member_predictions(
        self, obs: np.ndarray, act: np.ndarray, next_obs: np.ndarray
    ) -> np.ndarray:
        """Each member's normalized reward of ``(N, dim)`` arrays as float32 ``(M, N)``."""
        if self.device.type == "cpu" and len(obs) <= SMALL_BATCH:
            return self._members_numpy(obs, act, next_obs)
        return self._members_np(obs, act, next_obs).cpu().numpy().astype(np.float32)

    def _members_numpy(self, obs: np.ndarray, act: np.ndarray, next_obs: np.ndarray) -> np.ndarray:
        # The agent asks for one reward per env step: torch's per-call overhead (~0.2 ms)
        # would cost PPO ~15% of its speed, plain numpy on a weight snapshot ~2%.
        if self._tensors is None:
            self._tensors = dict((*self.named_parameters(), *self.named_buffers()))
        tensors = self._tensors
        key = tuple(t._version for t in tensors.values())  # bumped by every in-place change
        if self._numpy_cache is None or self._numpy_cache[0] != key:
            arrays = {name: t.detach().numpy().copy() for name, t in tensors.items()}
            self._numpy_cache = (key, arrays)
        w = self._numpy_cache[1]
        x = np.concatenate([obs, act, next_obs], axis=-1).astype(np.float32)
        h = (x - w["input_mean"]) / w["input_std"]
        last = len(self.weights) - 1
        for i in range(last + 1):
            h = np.matmul(h, w[f"weights.{i}"]) + w[f"biases.{i}"]  # (M, N, out)
            if i < last:
                h = np.where(h > 0, h, 0.01 * h)
        raw = h[..., 0]
        normalized = (raw - w["output_mean"][:, None]) / w["output_std"][:, None]
        return normalized.astype(np.float32)

    def clip_returns(self, segments: Sequence[Segment], normalized: bool = True) -> np.ndarray:
        """Per-member return (sum over steps) of each clip: ``(M, n_segments)``.

        ``normalized`` uses each member's normalized reward (the agent's scale); raw returns
        are what the Bradley-Terry model was fit on.
        """
        if len(segments) == 0:
            return np.zeros((self.n_members, 0), dtype=np.float32)
        parts = [s.transitions() for s in segments]
        obs, act, next_obs = (np.concatenate([p[k] for p in parts]) for k in range(3))
        rewards = self._members_np(obs, act, next_obs, normalized).cpu().numpy()
        starts = np.cumsum([0] + [len(s) for s in segments[:-1]])
        return np.add.reduceat(rewards, starts, axis=1).astype(np.float32)

    def preference_probs(
        self, left_segments: Sequence[Segment], right_segments: Sequence[Segment]
    ) -> np.ndarray:
        """Per-member Bradley-Terry ``P(left better) = sigmoid(R_left - R_right)``: ``(M, P)``."""
        if len(left_segments) != len(right_segments):
            raise ValueError(
                f"got {len(left_segments)} left clips but {len(right_segments)} right clips"
            )
        returns = self.clip_returns([*left_segments, *right_segments], normalized=False)
        p = len(left_segments)
        return bradley_terry(returns[:, :p], returns[:, p:])


def bradley_terry(left_returns: np.ndarray, right_returns: np.ndarray) -> np.ndarray:
    """``P(left better) = sigmoid(R_left - R_right)``, elementwise, float32."""
    diff = np.asarray(left_returns, np.float64) - np.asarray(right_returns, np.float64)
    return (0.5 * (1.0 + np.tanh(0.5 * diff))).astype(np.float32)  # overflow-free sigmoid
