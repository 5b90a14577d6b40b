"""A new run that fails to start leaves nothing behind, so the corrected command starts
it; anything that holds work, was there before, or belongs to another trainer stays."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
import torch

from backflip.config import TrainConfig
from backflip.errors import BackflipError, ResumableError
from backflip.storage.run_dir import RunDir, RunDirError
from backflip.training import run as training_run
from backflip.training.run import removed_if_it_fails_to_start


def _fail_after(run_dir: RunDir, checkpoint: bool, error: BackflipError) -> None:
    run_dir.create()
    (run_dir.root / "config.json").write_text("{}")
    if checkpoint:
        (run_dir.checkpoints / "step_000000001").mkdir()
        (run_dir.checkpoints / "LATEST").write_text("step_000000001\n")
    raise error


@pytest.mark.parametrize(
    ("oracle", "checkpoint", "error", "kept"),
    [
        ("synthetic", False, BackflipError("bad"), False),
        ("synthetic", True, BackflipError("bad"), True),
        ("human", False, BackflipError("bad"), True),
        ("synthetic", False, ResumableError("no space left on device"), True),
    ],
)
def test_a_failed_start_is_removed_unless_it_holds_work(
    tmp_path: Path, oracle: str, checkpoint: bool, error: BackflipError, kept: bool
) -> None:
    config = TrainConfig(run_dir=tmp_path / "run", oracle=oracle)  # type: ignore[arg-type]
    run_dir = RunDir(tmp_path / "run")
    with pytest.raises(BackflipError), removed_if_it_fails_to_start(config, created=True):
        _fail_after(run_dir, checkpoint, error)
    assert run_dir.root.exists() == kept


def test_a_folder_that_was_there_before_is_never_removed(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()  # the user's own empty folder
    config = TrainConfig(run_dir=tmp_path / "run")
    with pytest.raises(BackflipError), removed_if_it_fails_to_start(config, created=False):
        _fail_after(RunDir(tmp_path / "run"), checkpoint=False, error=BackflipError("bad"))
    assert (tmp_path / "run" / "config.json").exists()


def test_anything_but_a_backflip_error_keeps_the_run(tmp_path: Path) -> None:
    config = TrainConfig(run_dir=tmp_path / "run")
    with pytest.raises(KeyboardInterrupt), removed_if_it_fails_to_start(config, created=True):
        RunDir(tmp_path / "run").create()
        raise KeyboardInterrupt
    assert (tmp_path / "run").exists()


def test_a_trainer_refused_by_the_lock_removes_nothing_of_the_one_holding_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two trainers started at once on a new folder: the second, refused by the lock,
    must not remove the first one's run."""
    config = TrainConfig(env="Hopper-v5", run_dir=tmp_path / "run")
    run_dir = RunDir(tmp_path / "run")
    work = run_dir.root / "labels.sqlite"

    def build_and_then_race(*args: object, **kwargs: object) -> object:
        work.write_text("the first trainer's labels")
        with pytest.raises(RunDirError, match="in use by another backflip train"):
            training_run.train(config, torch.device("cpu"), progress=False)
        assert work.read_text() == "the first trainer's labels"  # the refused one left it
        raise BackflipError("the first trainer fails later for its own reasons")

    monkeypatch.setattr(training_run, "build_run", build_and_then_race)
    with pytest.raises(BackflipError, match="its own reasons"):
        training_run.train(config, torch.device("cpu"), progress=False)
    assert not run_dir.root.exists()  # the first trainer made it, failed, removed its own


def test_a_full_disk_at_the_first_checkpoint_keeps_the_run_for_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The message says `--resume` continues: so the run it names must still be there."""
    from backflip.config import QueryConfig, ScheduleConfig
    from backflip.training import checkpoints

    config = TrainConfig(
        env="Hopper-v5",
        algo="ppo",
        steps=512,
        labels=8,
        horizon=50,
        eval_episodes=1,
        run_dir=tmp_path / "run",
        query=QueryConfig(segment_len=10),
        schedule=ScheduleConfig(rounds=1),
    )

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoints.torch, "save", full)
    with pytest.raises(ResumableError, match="no space left on device while writing"):
        training_run.train(config, torch.device("cpu"), progress=False)
    assert (tmp_path / "run" / "labels.sqlite").exists()
    assert not (tmp_path / "run" / "checkpoints" / "LATEST").exists()
