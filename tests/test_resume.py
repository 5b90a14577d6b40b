"""``--resume`` after ``kill -9``: no label lost or asked again, the run completes."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ARGS = [
    "train", "--env", "HalfCheetah-v5", "--algo", "ppo", "--steps", "4096", "--labels", "40",
    "--horizon", "100", "--schedule.rounds", "8", "--eval-episodes", "1", "--device", "cpu",
    "--agent.ppo.n-envs", "2", "--agent.ppo.n-steps", "128",
]  # fmt: skip


def answered(run_dir: Path) -> list[tuple[int, int, int, float | None]]:
    with sqlite3.connect(run_dir / "labels.sqlite") as db:
        rows = db.execute(
            "SELECT id, left_id, right_id, label FROM queries WHERE status = 'answered' ORDER BY id"
        )
        return list(rows)


def test_resume_after_kill_9_keeps_every_label(tmp_path) -> None:
    run_dir = tmp_path / "run"
    command = [sys.executable, "-m", "backflip.cli", *ARGS, "--run-dir", str(run_dir)]
    env = {**os.environ, "MUJOCO_GL": "egl"}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    checkpoints = run_dir / "checkpoints"
    while time.time() < deadline and len(list(checkpoints.glob("step_*"))) < 2:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = answered(run_dir)
    assert 0 < len(before) < 40
    with (run_dir / "metrics.csv").open() as f:
        fit_s_before = float(list(csv.DictReader(f))[-1]["reward_fit_s"])
    assert not (run_dir / "summary.json").exists()

    done = subprocess.run(
        [*command, "--resume"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    after = answered(run_dir)
    assert after[: len(before)] == before  # nothing lost or changed
    assert len(after) == 40  # the budget, not more: nothing asked twice
    pairs = [frozenset(row[1:3]) for row in after]
    assert len(set(pairs)) == len(pairs)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["reward_fit_s"] >= fit_s_before > 0  # the fits before the crash count

    # `backflip eval` reads the finished run and prints one JSON line.
    evaluated = subprocess.run(
        [sys.executable, "-m", "backflip.cli", "eval", str(run_dir), "--episodes", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    lines = evaluated.stdout.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result["steps"] >= 4096 and result["episodes"] == 2
    assert {"eval_true_return_mean", "eval_true_return_std", "random_true_return_mean"} <= set(
        result
    )
