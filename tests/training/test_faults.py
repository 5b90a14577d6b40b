"""Faults at every write point of a round: the trainer killed (no cleanup) or its disk full,
then the same command with ``--resume``. Nothing is lost: every committed label keeps its
answer, the budget is asked once, ``metrics.csv`` has one row per round, the run finishes.

The trainer is a real process (``fault_driver.py``) that patches one named function to
fault on its k-th call: the package has no test hooks."""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

DRIVER = Path(__file__).with_name("fault_driver.py")
TRAIN = [
    "train", "--env", "HalfCheetah-v5", "--algo", "ppo", "--steps", "1536", "--labels", "20",
    "--horizon", "50", "--schedule.rounds", "3", "--eval-episodes", "1", "--device", "cpu",
    "--agent.ppo.n-envs", "2", "--agent.ppo.n-steps", "64", "--agent.ppo.batch-size", "64",
    "--query.segment-len", "10",
]  # fmt: skip
ENV = {**os.environ, "MUJOCO_GL": "egl", "OMP_NUM_THREADS": "1"}

CLIP = "backflip.storage.label_store:save_clips"
LABEL = "backflip.storage.label_store:LabelStore.add_comparison"
TORCH_SAVE = "backflip.training.checkpoints:torch_save"
COMMIT = "backflip.storage.run_dir:RunDir.commit_checkpoint"
METRICS = "backflip.storage.run_dir:RunDir.publish_metrics"

# (what is written when the trainer dies, the function, before/after its call, which call
# of it counted from the first checkpoint's commit: 1 is the first call after it)
POINTS = [
    ("a clip file written, its row not", CLIP, "after", 1),
    ("a label committed", LABEL, "after", 1),
    ("the checkpoint half written", TORCH_SAVE, "before", 2),
    ("the checkpoint committed, not its metrics row", COMMIT, "after", 1),
    ("the last round's metrics written, not the summary", METRICS, "after", 2),
]


def command(run_dir: Path, *extra: str) -> list[str]:
    return [*TRAIN, "--run-dir", str(run_dir), *extra]


def answered(run_dir: Path) -> dict[int, tuple[int, int, float | None]]:
    """Answered queries: ``{id: (left clip, right clip, label)}``."""
    with sqlite3.connect(run_dir / "labels.sqlite") as db:
        rows = db.execute(
            "SELECT id, left_id, right_id, label FROM queries WHERE status = 'answered'"
        )
        return {row[0]: row[1:] for row in rows}


def metrics_steps(run_dir: Path) -> list[int]:
    with (run_dir / "metrics.csv").open(newline="") as f:
        return [int(row["step"]) for row in csv.DictReader(f)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[int]]:
    """An uninterrupted run: the order of its calls to the write points, and its steps."""
    folder = tmp_path_factory.mktemp("reference")
    trace = folder / "trace"
    targets = ",".join(sorted({point[1] for point in POINTS}))
    fault = [f"trace={trace}", targets, "0", "-"]
    driver = [sys.executable, str(DRIVER), *fault, "--", *command(folder / "run")]
    done = subprocess.run(driver, env=ENV, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return trace.read_text().splitlines(), metrics_steps(folder / "run")


def kth_call(calls: list[str], target: str, after_first_commit: int) -> int:
    """Which call of ``target`` is the ``after_first_commit``-th after the first commit."""
    before = calls[: calls.index(COMMIT)].count(target)
    assert before + after_first_commit <= calls.count(target), "the point is never reached"
    return before + after_first_commit


@pytest.mark.parametrize(
    "where, target, when, nth", POINTS, ids=[point[0].replace(" ", "-") for point in POINTS]
)
def test_a_run_killed_at_a_write_point_resumes_losing_nothing(
    reference, tmp_path, where, target, when, nth
) -> None:
    calls, steps = reference
    run_dir = tmp_path / "run"
    fault = ["kill", target, str(kth_call(calls, target, nth)), when]
    killed = subprocess.run(
        [sys.executable, str(DRIVER), *fault, "--", *command(run_dir)],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == 137, killed.stderr[-2000:]
    before = answered(run_dir)
    assert not (run_dir / "summary.json").exists()

    resumed = subprocess.run(
        [sys.executable, "-m", "backflip.cli", *command(run_dir, "--resume")],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    after = answered(run_dir)
    assert {i: after.get(i) for i in before} == before  # nothing lost or changed
    assert len(after) == 20  # the budget, each asked once
    assert metrics_steps(run_dir) == steps  # one row per round, as without the kill
    assert json.loads((run_dir / "summary.json").read_text())["labels"] == 20


def private_tmpfs_works() -> bool:
    """Whether ``unshare`` can mount a tmpfs in a private mount namespace here."""
    if shutil.which("unshare") is None:
        return False
    probe = ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m none /mnt"]
    return subprocess.run(probe, capture_output=True).returncode == 0


@pytest.mark.skipif(
    not private_tmpfs_works(),
    reason="needs `unshare -rm` to mount a small tmpfs (user namespaces are not allowed here)",
)
def test_a_full_disk_while_checkpointing_is_one_line_and_the_run_resumes(
    reference, tmp_path
) -> None:
    """The disk fills just before the second checkpoint's agent is written: one line, exit
    status 2, the first checkpoint still the latest and its metrics intact; once space is
    freed, ``--resume`` finishes the run."""
    calls, steps = reference
    disk, out = tmp_path / "disk", tmp_path / "out"
    disk.mkdir()
    out.mkdir()
    run_dir, filler = disk / "run", disk / "filler"
    k = kth_call(calls, TORCH_SAVE, 2)
    fault = [f"fill={filler}", TORCH_SAVE, str(k), "before"]
    full = [sys.executable, str(DRIVER), *fault, "--", *command(run_dir)]
    resume = [sys.executable, "-m", "backflip.cli", *command(run_dir, "--resume")]
    script = (
        f"mount -t tmpfs -o size=24m none {disk} && "
        f"{{ {' '.join(full)} 2> {out}/full.err; echo $? > {out}/full.rc; }} && "
        f"cp {run_dir}/checkpoints/LATEST {run_dir}/metrics.csv {out}/ && "
        f"ls {run_dir}/checkpoints > {out}/checkpoints && rm {filler} && "
        f"{{ {' '.join(resume)} > /dev/null 2> {out}/resume.err; echo $? > {out}/resume.rc; }}"
        f" && cp -r {run_dir} {out}/run"
    )
    subprocess.run(["unshare", "-rm", "sh", "-c", script], env=ENV, timeout=240, check=True)

    assert (out / "full.rc").read_text().strip() == "2"
    stderr = (out / "full.err").read_text()
    assert "Traceback" not in stderr  # stderr holds the progress bar, then the error
    assert stderr.rstrip().splitlines()[-1] == (
        f"backflip: error: no space left on device while writing checkpoint step_{steps[1]:09d}"
        ": free space and run the same command with --resume"
    )
    assert (out / "LATEST").read_text() == f"step_{steps[0]:09d}"
    assert (out / "checkpoints").read_text().split() == ["LATEST", f"step_{steps[0]:09d}"]
    assert metrics_steps(out) == steps[:1]
    assert (out / "resume.rc").read_text().strip() == "0", (out / "resume.err").read_text()
    assert metrics_steps(out / "run") == steps
    assert len(answered(out / "run")) == 20
