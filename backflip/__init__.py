"""backflip: deep RL from human preferences for MuJoCo (Christiano et al. 2017)."""

import os

# Headless offscreen rendering by default; MuJoCo reads this when it is first imported.
os.environ.setdefault("MUJOCO_GL", "egl")

__version__ = "0.1.0"

from backflip.tasks.registry import load_plugins  # noqa: E402

load_plugins()  # registers the task plug-ins' envs with gymnasium
