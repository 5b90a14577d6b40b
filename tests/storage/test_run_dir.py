"""Run-directory checkpoints, locking, and the run's id."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest

from backflip.config import TrainConfig, config_to_json
from backflip.storage.label_store import LabelStoreError
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


def test_a_new_run_gets_an_id_that_its_config_keeps_and_its_store_records(tmp_path) -> None:
    run_dir = RunDir(tmp_path / "run")
    run_dir.create()
    config = TrainConfig(run_dir=run_dir.root, seed=3)
    run_dir.write_config(config)
    saved = json.loads(run_dir.config.read_text())
    assert list(saved)[:2] == ["format", "run_id"] and len(saved["run_id"]) == 32
    assert run_dir.read_config() == config  # the id is not a setting
    run_dir.write_config(config)  # rewritten: the run keeps its id
    assert run_dir.run_id() == saved["run_id"]
    run_dir.label_store().close()
    with run_dir.label_store() as store:  # the run's own store opens again
        assert store.n_answered() == 0
    other = RunDir(tmp_path / "other")
    other.create()
    other.write_config(dataclasses.replace(config, run_dir=other.root))
    assert other.run_id() not in (None, run_dir.run_id())


def test_a_store_copied_from_another_run_is_refused(tmp_path) -> None:
    mine, theirs = RunDir(tmp_path / "mine"), RunDir(tmp_path / "theirs")
    for run_dir, seed in ((mine, 0), (theirs, 1)):
        run_dir.create()
        run_dir.write_config(TrainConfig(run_dir=run_dir.root, seed=seed))
        run_dir.label_store().close()
    shutil.copy(theirs.labels, mine.labels)
    with pytest.raises(LabelStoreError, match=r"mine/labels\.sqlite belongs to another run"):
        mine.label_store()
    theirs.label_store().close()  # still opens where it belongs


def test_a_run_made_before_run_ids_opens_its_own_store_only(tmp_path) -> None:
    old = RunDir(tmp_path / "old")
    old.create()
    saved = config_to_json(TrainConfig(run_dir=old.root))  # config.json of an older version
    old.config.write_text(json.dumps(saved))
    assert old.run_id() is None
    old.label_store().close()
    with old.label_store() as store:
        assert store.n_answered() == 0
    new = RunDir(tmp_path / "new")
    new.create()
    new.write_config(TrainConfig(run_dir=new.root))
    shutil.copy(old.labels, new.labels)  # an older run's store into a new run: refused
    with pytest.raises(LabelStoreError, match="belongs to another run"):
        new.label_store()
    new.labels.unlink()
    new.label_store().close()
    shutil.copy(new.labels, old.labels)  # and a new run's store into an older run
    with pytest.raises(LabelStoreError, match="belongs to another run"):
        old.label_store()
