"""Shared helper of the benchmark scripts: run ``backflip train`` and read its summary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path


def train(run_dir: Path, *args: str) -> dict[str, object]:
    """Runs ``backflip train ARGS --run-dir RUN_DIR`` afresh; returns its ``summary.json``."""
    if run_dir.exists():
        shutil.rmtree(run_dir)
    command = [sys.executable, "-m", "backflip.cli", "train", *args, "--run-dir", str(run_dir)]
    print("$", " ".join(["backflip", *command[3:]]), flush=True)
    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    return json.loads((run_dir / "summary.json").read_text())
