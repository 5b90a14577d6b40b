"""backflip: deep RL from human preferences for MuJoCo (Christiano et al. 2017)."""

import os

# Headless offscreen rendering by default; MuJoCo reads this when it is first imported.
os.environ.setdefault("MUJOCO_GL", "egl")

__version__ = "0.1.0"

from backflip import envs as _envs  # noqa: E402,F401  (registers backflip/HopperBackflip-v0)
