"""``--oracle human``: the trainer posts queries, waits for the first answers, then trains
on whatever answers arrive through the label store (as the labelling window gives them)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from backflip.records import Comparison
from backflip.storage.run_dir import RunDir

ARGS = [
    "train", "--env", "HalfCheetah-v5", "--algo", "ppo", "--steps", "3072", "--labels", "40",
    "--horizon", "100", "--schedule.rounds", "3", "--eval-episodes", "1", "--device", "cpu",
    "--oracle", "human",
]  # fmt: skip
CLI = [sys.executable, "-m", "backflip.cli"]


def start_trainer(
    run_dir: Path, env: dict[str, str], **pipes: int
) -> tuple[subprocess.Popen[str], float]:
    """Starts ``backflip train --oracle human`` and waits until its label store exists;
    returns the process and a deadline (time.time()) for the rest of the test."""
    trainer = subprocess.Popen(
        [*CLI, *ARGS, "--run-dir", str(run_dir)], env=env, text=True, **pipes
    )
    deadline = time.time() + 120
    while not (run_dir / "labels.sqlite").exists() and time.time() < deadline:
        time.sleep(0.2)
    return trainer, deadline


def test_trainer_waits_for_a_person_then_trains_on_their_answers(tmp_path) -> None:
    run_dir = tmp_path / "run"
    env = {**os.environ, "MUJOCO_GL": "egl"}
    trainer, deadline = start_trainer(
        run_dir, env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    answered = 0
    with RunDir(run_dir).label_store() as store:
        # The trainer waits: no RL step is taken before the first answers arrive.
        while store.trainer_status().state != "waiting for labels" and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)
        assert store.trainer_status().state == "waiting for labels"
        assert store.trainer_status().env_steps == 0
        assert store.pending_count() >= 10
        while trainer.poll() is None and time.time() < deadline:
            claimed = store.claim_query("tester")
            if claimed is None:
                time.sleep(0.1)
                continue
            _answer(store, claimed)
            answered += 1
        assert trainer.wait(timeout=60) == 0
        comparisons = store.comparisons(include_skipped=True)
        assert store.trainer_status().state == "finished"
    assert answered >= 10 and len(comparisons) == answered
    assert {(c.source, c.labeller) for c in comparisons} == {("human", "tester")}
    assert (run_dir / "summary.json").exists()
    assert "waiting for 10 labels" in (trainer.stdout.read() if trainer.stdout else "")


def _answer(store, claimed) -> None:
    """Answers a claimed query as the oracle would (the clip of higher return)."""
    query, left_id, right_id = claimed
    left, right = store.load_segment(left_id), store.load_segment(right_id)
    label = float(left.oracle_return > right.oracle_return)
    store.answer(query, Comparison(left_id, right_id, label, "human", "tester"))


def test_trainer_waits_at_a_round_until_the_person_has_caught_up(tmp_path) -> None:
    run_dir = tmp_path / "run"
    env = {**os.environ, "MUJOCO_GL": "egl"}
    trainer, deadline = start_trainer(
        run_dir, env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    with RunDir(run_dir).label_store() as store:
        for _ in range(10):  # the first block, then nothing
            claimed = store.claim_query("tester")
            while claimed is None and time.time() < deadline:
                time.sleep(0.1)
                claimed = store.claim_query("tester")
            _answer(store, claimed)

        def waiting_after_rl() -> bool:
            status = store.trainer_status()
            return status.state == "waiting for labels" and (status.env_steps or 0) > 0

        while not waiting_after_rl() and time.time() < deadline:
            time.sleep(0.1)
        assert waiting_after_rl() and store.pending_count() > 0
        steps = store.trainer_status().env_steps
        time.sleep(2.0)  # it sleeps: no steps, no summary, no fit without the answers
        assert waiting_after_rl() and store.trainer_status().env_steps == steps
        assert trainer.poll() is None and not (run_dir / "summary.json").exists()
        while (claimed := store.claim_query("tester")) is not None:
            _answer(store, claimed)
        assert trainer.wait(timeout=60) == 0
        assert store.n_answered() == 40
    output = trainer.stdout.read() if trainer.stdout else ""
    assert f"step {steps}: waiting for 30 unanswered queries" in output


def test_trainer_and_a_synthetic_human_window_reach_the_budget(tmp_path) -> None:
    """End to end: `backflip train --oracle human` and `backflip label --synthetic-human`."""
    run_dir = tmp_path / "run"
    env = {**os.environ, "MUJOCO_GL": "egl", "SDL_VIDEODRIVER": "dummy"}
    trainer, _ = start_trainer(run_dir, env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    window = subprocess.run(
        [*CLI, "label", str(run_dir), "--synthetic-human", "--width", "96", "--height", "72"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert window.returncode == 0, window.stderr[-2000:]
    assert trainer.wait(timeout=60) == 0, trainer.stderr.read() if trainer.stderr else ""
    with RunDir(run_dir).label_store() as store:
        assert store.n_answered() == 40  # the whole budget
        assert store.pending_count() == 0
        assert {c.source for c in store.comparisons(include_skipped=True)} == {"human"}
    assert (run_dir / "summary.json").exists()
