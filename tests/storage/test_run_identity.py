"""A run's label store is its own: another run's is refused, a read-only one says so.

The user-facing cases run the real command in a subprocess and check the house rule of
``tests/test_cli_errors.py``: exit status 2, one line ``backflip: error: ...``, nothing in
the folder written or changed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backflip.config import TrainConfig
from backflip.grid.cells import cell_config
from backflip.grid.reuse import reuse_baselines
from backflip.grid.spec import GridDir, GridSpec
from backflip.storage.run_dir import RunDir

TIMEOUT_S = 120


def _run(root: Path, **fields: object) -> RunDir:
    """A learned-reward run made by this version: ``config.json`` and an empty store."""
    run_dir = RunDir(root)
    run_dir.create()
    run_dir.write_config(TrainConfig(run_dir=root, **fields))  # type: ignore[arg-type]
    run_dir.label_store().close()
    return run_dir


def _snapshot(root: Path) -> dict[str, object]:
    """Every path under ``root``: a folder, or a file's bytes and modification time."""
    return {
        str(p.relative_to(root)): "<dir>" if p.is_dir() else (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
    }


def _environment() -> dict[str, str]:
    return {**os.environ, "MUJOCO_GL": "egl", "SDL_VIDEODRIVER": "dummy"}


def _one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The one error line of a command that failed as a user's error should."""
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("backflip: error: "), done.stderr
    return lines[0]


@pytest.mark.parametrize("command", ["train", "label"])
def test_another_runs_labels_copied_in_are_refused(tmp_path: Path, command: str) -> None:
    """The same env, another seed: its segment rows would name clips this run does not
    hold, and this run's new clips would overwrite its own."""
    mine = _run(tmp_path / "mine", env="Hopper-v5", oracle="human")
    theirs = _run(tmp_path / "theirs", env="Hopper-v5", oracle="human", seed=1)
    shutil.copy(theirs.labels, mine.labels)
    args = {
        "train": ["train", "--resume", "--run-dir", str(mine.root)],
        "label": ["label", str(mine.root), "--synthetic-human", "--max-labels", "1"],
    }[command]
    args += ["--env", "Hopper-v5", "--oracle", "human"] if command == "train" else []
    before = _snapshot(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "backflip.cli", *args],
        cwd=tmp_path,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    line = _one_line_error(done)
    assert f"{mine.labels} belongs to another run" in line, line
    assert _snapshot(tmp_path) == before  # nothing written, nothing overwritten


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux)")
def test_a_run_on_a_read_only_filesystem_says_so_and_can_still_be_read(tmp_path: Path) -> None:
    """In a private mount namespace (``unshare -rm``: no real root needed), a copy of a
    run on a read-only tmpfs: resuming it names the read-only filesystem (it used to say
    the store was corrupted), and a reader still reads its store."""
    source, mount = tmp_path / "source", tmp_path / "ro"
    mount.mkdir()
    run = _run(source / "run")
    run.write_config(TrainConfig(run_dir=mount / "run"))  # where it will be resumed
    with run.label_store() as store:
        store.set_trainer_status(state="training", env_steps=7)
    resume = [sys.executable, "-m", "backflip.cli", "train", "--resume"]
    resume += ["--run-dir", str(mount / "run")]
    read = (
        "from backflip.storage.run_dir import RunDir\n"
        f"with RunDir({str(mount / 'run')!r}).label_store(read_only=True) as store:\n"
        "    print('read', store.trainer_status().env_steps)\n"
    )
    script = (
        f"mount -t tmpfs none {mount} && cp -a {source}/. {mount}/ "
        f"&& mount -o remount,ro {mount} || exit 99\n"
        f"{shlex.join(resume)}; status=$?\n"
        f"{shlex.join([sys.executable, '-c', read])} >&3 2>&3\n"
        "exit $status\n"
    )
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f"exec 3>&1; {script}"],
        cwd=tmp_path,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    if done.returncode == 99 or "unshare:" in done.stderr:
        pytest.skip(f"no private read-only mount here: {done.stderr.strip()}")
    line = _one_line_error(done)
    assert f"--resume: {mount / 'run'} is on a read-only filesystem" in line, line
    assert "corrupted" not in line
    assert done.stdout.strip().splitlines()[-1] == "read 7", done.stdout


def test_a_baseline_copied_from_another_grid_keeps_its_id_and_its_store(tmp_path: Path) -> None:
    """``--baselines-from`` copies a whole run and rewrites its ``config.json``'s run_dir;
    the copy keeps the run's id, so its label store is still its own."""
    spec = GridSpec(("Hopper-v5",), ("ppo",), (10,), (0,), 512, ("--horizon", "50"))
    source = GridDir(tmp_path / "a")
    source.write_spec(spec, {"command": "test", "commit": "test"})
    for cell in spec.cells():
        run_dir = RunDir(source.run_dir(cell))
        run_dir.create()
        run_dir.write_config(cell_config(spec, cell, run_dir.root))
        run_dir.label_store().close()
        run_dir.write_summary({"cell": cell.name})
    target = GridDir(tmp_path / "b")
    configs = {cell: cell_config(spec, cell, target.run_dir(cell)) for cell in spec.cells()}
    copied, _ = reuse_baselines(target, configs, source.root)
    assert copied
    for cell in copied:
        theirs, mine = RunDir(source.run_dir(cell)), RunDir(target.run_dir(cell))
        assert mine.run_id() == theirs.run_id() is not None
        assert json.loads(mine.config.read_text())["run_dir"] == str(mine.root)
        assert mine.read_config().run_dir == mine.root
        with mine.label_store() as store:
            assert store.n_answered() == 0
