"""A checkpoint restores the whole run; only a damaged file is reported as one."""

from __future__ import annotations

import dataclasses
import errno
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

import backflip.training.checkpoints as checkpoints
from backflip import cli
from backflip.config import AgentConfig, QueryConfig, SACConfig, ScheduleConfig, TrainConfig
from backflip.storage.run_dir import Checkpoint, RunDir, RunDirError, parse_metrics
from backflip.training.build import build_run
from backflip.training.report import metrics_row
from backflip.training.run import train
from backflip.video.curves import read_metrics

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> TrainConfig:
    config = TrainConfig(
        env="HalfCheetah-v5",
        algo="sac",
        steps=200,
        labels=12,
        horizon=50,
        eval_episodes=1,
        schedule=ScheduleConfig(rounds=2),
        query=QueryConfig(segment_len=25, heldout_share=0.5),
        agent=AgentConfig(sac=SACConfig(learning_starts=50)),
        run_dir=tmp_path_factory.mktemp("ckpt") / "run",
    )
    train(config, CPU, progress=False)
    return config


def restored(config: TrainConfig):  # type: ignore[no-untyped-def]
    run = build_run(config, CPU)
    checkpoint = run.run_dir.latest_checkpoint()
    assert checkpoint is not None
    checkpoints.restore_checkpoint(run, checkpoint)
    return run


def test_restore_brings_back_agent_replay_reward_model_and_counters(finished) -> None:
    run, again = restored(finished), restored(finished)
    assert run.agent.num_timesteps == 200 and run.last_round_step == 200
    # 6 episodes of random actions (2 clips each; 4 clips a label, 3 labels), then 4 of RL
    assert run.recorder.episodes_done == 6 + 4
    buffer = run.agent.replay_buffer  # type: ignore[attr-defined]
    assert buffer.full and buffer.rewards.any()  # 200 transitions fill the 200-step buffer
    prefs = run.preferences
    assert prefs is not None and again.preferences is not None
    assert len(prefs.pool.heldout) == prefs.pool.heldout_seen > 0
    obs = np.random.default_rng(0).normal(size=(3, 17))
    acts = np.zeros((3, 6))
    reward = prefs.model.predict(obs, acts, obs)
    np.testing.assert_array_equal(reward, again.preferences.model.predict(obs, acts, obs))
    fresh = build_run(finished, CPU).preferences
    assert fresh is not None
    assert not np.array_equal(reward, fresh.model.predict(obs, acts, obs))  # really loaded


def test_a_damaged_file_is_a_one_line_error(finished, tmp_path) -> None:
    run = build_run(finished, CPU)
    checkpoint = RunDir(finished.resolved_run_dir()).latest_checkpoint()
    assert checkpoint is not None
    good = checkpoint.agent.read_bytes()
    try:
        checkpoint.agent.write_bytes(good[: len(good) // 2])
        with pytest.raises(RunDirError, match="cannot be loaded"):
            checkpoints.restore_checkpoint(run, checkpoint)
    finally:
        checkpoint.agent.write_bytes(good)


def test_a_bug_while_restoring_is_not_called_a_damaged_file(finished, monkeypatch) -> None:
    def broken(agent, state) -> None:  # type: ignore[no-untyped-def]
        raise AttributeError("a bug, not a damaged file")

    monkeypatch.setattr(checkpoints, "set_agent_state", broken)
    run = build_run(finished, CPU)
    checkpoint = run.run_dir.latest_checkpoint()
    assert checkpoint is not None
    with pytest.raises(AttributeError, match="a bug"):
        checkpoints.restore_checkpoint(run, checkpoint)


def copied(config: TrainConfig, folder: Path) -> TrainConfig:
    """``config`` with its run directory copied to ``folder`` (tests that damage it)."""
    shutil.copytree(config.resolved_run_dir(), folder)
    return dataclasses.replace(config, run_dir=folder)


def steps(rows: list[dict[str, str]]) -> list[int]:
    return [int(row["step"]) for row in rows]


def test_each_checkpoint_holds_the_metrics_up_to_its_row(finished) -> None:
    run_dir = RunDir(finished.resolved_run_dir())
    first, last = sorted(run_dir.checkpoints.glob("step_*"))
    assert steps(parse_metrics(Checkpoint(first).metrics)) == [100]
    assert steps(parse_metrics(Checkpoint(last).metrics)) == [100, 200]
    assert run_dir.metrics.read_bytes() == Checkpoint(last).metrics.read_bytes()
    made = json.loads(Checkpoint(last).made_with.read_text())
    assert made == {
        "env": "HalfCheetah-v5",
        "algo": "sac",
        "reward": "learned",
        "observation_shape": [17],
        "action_shape": [6],
    }


def test_parse_metrics_refuses_cut_empty_and_merged_files(tmp_path) -> None:
    path = tmp_path / "metrics.csv"
    header = "step,wall_s,true_return\r\n"
    cases = {
        "": "it is empty",
        header + "100,1.5,-3.2\r\n200,2.": "its last line is cut off",
        header + "100,1.5,-3.2\r\n200,2.100,1.5,-3.2\r\n": "line 3 has 4 cells, not 3",
        "100,1.5,-3.2\r\n": "its first line is not the header",
        header + "100,1.5,x\r\n": "line 2: 'x' is not a number",
        header + "200,1.5,\r\n100,2.5,\r\n": "line 3: step '100' does not follow 200",
    }
    for text, why in cases.items():
        path.write_text(text, newline="")
        with pytest.raises(ValueError, match=re.escape(why)):
            parse_metrics(path)
    path.write_text(header + "100,1.5,\r\n200,2.5,-1\r\n", newline="")
    assert parse_metrics(path)[0] == {"step": "100", "wall_s": "1.5", "true_return": ""}


def test_resume_repairs_a_lost_row_and_a_cut_or_empty_metrics_file(finished, tmp_path) -> None:
    config = copied(finished, tmp_path / "run")
    run = build_run(config, CPU)
    checkpoint = run.run_dir.latest_checkpoint()
    assert checkpoint is not None
    whole = run.run_dir.metrics.read_bytes()
    lost_row = whole[: whole.rindex(b"\n", 0, -1) + 1]
    for damaged in (lost_row, whole[:-7], b""):
        run.run_dir.metrics.write_bytes(damaged)
        if damaged != lost_row:  # a reader (backflip video's curves) says how to repair it
            with pytest.raises(RunDirError, match=r"metrics.csv is damaged .*--resume"):
                read_metrics(run.run_dir.metrics)
        checkpoints.restore_checkpoint(run, checkpoint)
        assert run.run_dir.metrics.read_bytes() == whole


def test_a_checkpoint_of_an_older_version_goes_on_with_the_runs_metrics(finished, tmp_path) -> None:
    config = copied(finished, tmp_path / "run")
    run = build_run(config, CPU)
    checkpoint = run.run_dir.latest_checkpoint()
    assert checkpoint is not None
    checkpoint.metrics.unlink()
    checkpoint.made_with.unlink()
    whole = run.run_dir.metrics.read_bytes()
    run.run_dir.metrics.write_bytes(whole[:-7])
    with pytest.raises(RunDirError, match="older backflip, holds no copy of it: move it aside"):
        checkpoints.restore_checkpoint(run, checkpoint)
    run.run_dir.metrics.write_bytes(whole)
    checkpoints.restore_checkpoint(run, checkpoint)
    saved = checkpoints.save_checkpoint(run, 300, 3.0, metrics_row(run, 300, 3.0))
    assert steps(parse_metrics(saved.metrics)) == [100, 200, 300]
    assert run.run_dir.metrics.read_bytes() == saved.metrics.read_bytes()


def edit_config(run_dir: Path, **changes: object) -> None:
    data = json.loads((run_dir / "config.json").read_text())
    (run_dir / "config.json").write_text(json.dumps({**data, **changes}))


def test_a_config_json_edited_after_the_checkpoint_is_one_line(finished, tmp_path, capsys) -> None:
    config = copied(finished, tmp_path / "run")
    root = config.resolved_run_dir()
    edit_config(root, env="Hopper-v5")
    assert cli.main(["eval", str(root)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "backflip: error: config.json says env Hopper-v5 but checkpoint step_000000200 was "
        "made with HalfCheetah-v5: put config.json back as the run made it"
    ]
    run = build_run(dataclasses.replace(config, env="Hopper-v5"), CPU)  # --resume
    checkpoint = run.run_dir.latest_checkpoint()
    assert checkpoint is not None
    with pytest.raises(RunDirError, match="config.json says env Hopper-v5"):
        checkpoints.restore_checkpoint(run, checkpoint)
    # A checkpoint of an older version, without the record: its networks don't fit.
    checkpoint.made_with.unlink()
    with pytest.raises(
        RunDirError, match=r"networks in .*agent.pt do not fit .*: \(256, 17\) saved"
    ):
        checkpoints.restore_checkpoint(run, checkpoint)
    assert cli.main(["eval", str(root)]) == 2
    assert "do not fit the run config.json describes" in capsys.readouterr().err


def disk_full(*args: object) -> None:
    """Fails as torch's zip writer does when the disk fills: the OSError as context."""
    try:
        raise OSError(errno.ENOSPC, "No space left on device")
    except OSError:
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos") from None


def raises(err: BaseException) -> Callable[..., None]:
    """A write that fails with ``err``."""

    def write(*args: object) -> None:
        raise err

    return write


@pytest.mark.parametrize(
    "patched, fault, message",
    [
        ("torch_save", disk_full, "no space left on device while writing checkpoint "
         "step_000000300: free space and run the same command with --resume"),
        ("atomic_savez", raises(OSError(errno.EDQUOT, "Disk quota exceeded")),
         "disk quota exceeded while writing checkpoint step_000000300: free space"),
        ("atomic_write_text", raises(OSError(errno.EROFS, "Read-only file system")),
         "Read-only file system while writing checkpoint step_000000300: fix that"),
    ],
)  # fmt: skip
def test_a_failed_write_leaves_the_last_checkpoint_and_is_one_line(
    finished, tmp_path, monkeypatch, patched, fault, message
) -> None:
    config = copied(finished, tmp_path / "run")
    run = build_run(config, CPU)
    last = run.run_dir.latest_checkpoint()
    assert last is not None
    checkpoints.restore_checkpoint(run, last)
    metrics = run.run_dir.metrics.read_bytes()
    row = metrics_row(run, 300, 3.0)
    monkeypatch.setattr(checkpoints, patched, fault)
    with pytest.raises(RunDirError, match=re.escape(message)):
        checkpoints.save_checkpoint(run, 300, 3.0, row)
    assert run.run_dir.latest_checkpoint() == last
    assert not (run.run_dir.checkpoints / "step_000000300").exists()
    assert not run.run_dir.policy(300).exists()
    assert run.run_dir.metrics.read_bytes() == metrics


def test_another_runtime_error_while_saving_is_a_bug(finished, tmp_path, monkeypatch) -> None:
    run = build_run(copied(finished, tmp_path / "run"), CPU)
    monkeypatch.setattr(checkpoints, "torch_save", raises(RuntimeError("a bug")))
    with pytest.raises(RuntimeError, match="a bug"):
        checkpoints.save_checkpoint(run, 300, 3.0, metrics_row(run, 300, 3.0))


def test_a_clip_file_holding_pickled_objects_is_one_line_on_resume(
    finished, tmp_path, capsys
) -> None:
    """The run's own clips are read again on --resume: one replaced by a file of pickled
    objects is refused, never unpickled, and nothing of the run is changed."""
    config = copied(finished, tmp_path / "run")
    root = config.resolved_run_dir()
    (root / "summary.json").unlink()  # as if it had been stopped before its end
    clip = sorted((root / "clips").glob("*.npz"))[0]
    arrays = dict(np.load(clip))
    np.savez(clip, **{**arrays, "obs": np.array([object()] * 3, dtype=object)})
    before = {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    flags = ["--env", "HalfCheetah-v5", "--algo", "sac", "--steps", "200", "--labels", "12"]
    flags += ["--horizon", "50", "--eval-episodes", "1", "--schedule.rounds", "2"]
    flags += ["--query.segment-len", "25", "--query.heldout-share", "0.5"]
    flags += ["--agent.sac.learning-starts", "50", "--run-dir", str(root), "--resume"]
    assert cli.main(["train", *flags]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("backflip: error: ") and "holds pickled objects" in err[-1]
    after = {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    changed = [p.name for p in before if before[p] != after.get(p)]
    assert set(changed) <= {"labels.sqlite-shm", "labels.sqlite-wal", ".lock"}, changed
