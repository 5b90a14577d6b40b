"""Where a command's networks run."""

from __future__ import annotations

import torch

from backflip.errors import UsageError


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when present; ``cuda`` without CUDA is an error. On the CPU it
    also sets torch to one thread: small networks run faster without thread hand-offs."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda was asked for, but CUDA is not available on this machine")
    if name not in ("cpu", "cuda"):
        raise UsageError(f"--device must be auto, cpu or cuda, got {name!r}")
    device = torch.device(name)
    if device.type == "cpu":
        torch.set_num_threads(1)
    return device
