"""A new run that fails to start leaves nothing behind, so the corrected command starts
it; a run that has a checkpoint, or a person's answers, is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from backflip.commands.train import removed_if_it_fails_to_start
from backflip.config import TrainConfig
from backflip.errors import BackflipError
from backflip.storage.run_dir import RunDir


def _fail_after(run_dir: RunDir, checkpoint: bool) -> None:
    run_dir.create()
    (run_dir.root / "config.json").write_text("{}")
    if checkpoint:
        (run_dir.checkpoints / "step_000000001").mkdir()
        (run_dir.checkpoints / "LATEST").write_text("step_000000001\n")
    raise BackflipError("no space left on device")


@pytest.mark.parametrize(
    ("oracle", "checkpoint", "kept"),
    [("synthetic", False, False), ("synthetic", True, True), ("human", False, True)],
)
def test_a_failed_start_is_removed_unless_it_holds_work(
    tmp_path: Path, oracle: str, checkpoint: bool, kept: bool
) -> None:
    config = TrainConfig(run_dir=tmp_path / "run", oracle=oracle)  # type: ignore[arg-type]
    run_dir = RunDir(tmp_path / "run")
    with pytest.raises(BackflipError), removed_if_it_fails_to_start(config):
        _fail_after(run_dir, checkpoint)
    assert run_dir.root.exists() == kept


def test_a_run_that_existed_is_never_removed(tmp_path: Path) -> None:
    run_dir = RunDir(tmp_path / "run")
    run_dir.create()
    (run_dir.root / "notes.txt").write_text("mine\n")
    config = TrainConfig(run_dir=run_dir.root, resume=True)
    with pytest.raises(BackflipError), removed_if_it_fails_to_start(config):
        _fail_after(run_dir, checkpoint=False)
    assert (run_dir.root / "notes.txt").exists()


def test_anything_but_a_backflip_error_keeps_the_run(tmp_path: Path) -> None:
    config = TrainConfig(run_dir=tmp_path / "run")
    with pytest.raises(KeyboardInterrupt), removed_if_it_fails_to_start(config):
        RunDir(tmp_path / "run").create()
        raise KeyboardInterrupt
    assert (tmp_path / "run").exists()
