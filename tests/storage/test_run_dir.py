"""Run-directory checkpoints and locking."""

from __future__ import annotations

import pytest

from backflip.storage.run_dir import RunDir, RunDirError


def test_a_second_trainer_on_the_same_run_is_refused(tmp_path) -> None:
    run_dir = RunDir(tmp_path / "run")
    with run_dir.lock(), pytest.raises(RunDirError, match="in use"), run_dir.lock():
        pass
    with run_dir.lock():  # released when the first trainer is done
        pass


def test_latest_names_only_complete_checkpoints_and_old_ones_are_pruned(tmp_path) -> None:
    run_dir = RunDir(tmp_path / "run")
    run_dir.create()
    assert run_dir.latest_checkpoint() is None
    for step in (100, 200, 300):
        checkpoint = run_dir.new_checkpoint(step)
        checkpoint.agent.write_bytes(b"x")
        run_dir.commit_checkpoint(checkpoint, keep=2)
    half = run_dir.new_checkpoint(400)  # a crash before COMPLETE
    latest = run_dir.latest_checkpoint()
    assert latest is not None and latest.step == 300
    names = sorted(p.name for p in run_dir.checkpoints.glob("step_*"))
    assert names == ["step_000000200", "step_000000300", half.folder.name]
    checkpoint = run_dir.new_checkpoint(500)
    run_dir.commit_checkpoint(checkpoint, keep=2)
    names = sorted(p.name for p in run_dir.checkpoints.glob("step_*"))
    assert names == ["step_000000300", "step_000000500"]  # the half-written one is gone
