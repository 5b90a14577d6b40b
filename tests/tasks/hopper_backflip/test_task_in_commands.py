"""The backflip task reaches the generic commands through the task interface only: the
flip metrics in summary.json and `backflip eval`, the flip strip in `backflip video`,
restarts from landings accepted by `backflip train`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TINY = [
    "--env", "backflip/HopperBackflip-v1", "--algo", "ppo", "--steps", "1024", "--labels", "12",
    "--horizon", "100", "--eval-episodes", "2", "--schedule.rounds", "2",
    "--query.segment-len", "25", "--agent.ppo.n-steps", "64", "--agent.ppo.batch-size", "64",
    "--restarts", "0.3", "--restarts-from", "landings", "--device", "cpu",
]  # fmt: skip
METRICS = ("flips_per_episode", "clean_flips_per_episode", "late_clean_flips_per_episode")


def backflip(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MUJOCO_GL": "egl"}
    command = [sys.executable, "-m", "backflip.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("backflip") / "run"
    done = backflip("train", *TINY, "--run-dir", str(run_dir))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "backflips per episode" in done.stdout and "(random policy 0.00)" in done.stdout
    return run_dir


def test_the_summary_and_eval_carry_the_tasks_metrics(run: Path) -> None:
    summary = json.loads((run / "summary.json").read_text())
    done = backflip("eval", str(run))
    assert done.returncode == 0, done.stderr
    evaluated = json.loads(done.stdout)
    for name in METRICS:
        assert summary[name] == evaluated[name]
        assert summary["random_" + name] == evaluated["random_" + name] == 0.0


def test_video_asks_the_task_for_its_pictures(run: Path, tmp_path: Path) -> None:
    done = backflip("video", str(run), "--out", str(tmp_path), "--width", "64", "--height", "48")
    assert done.returncode == 0, done.stderr
    assert "flip_strip.png: no clean backflip in 2 evaluation episodes" in done.stdout
    assert (tmp_path / "policy.mp4").exists() and not (tmp_path / "flip_strip.png").exists()
