"""Bad input to ``backflip train`` / ``backflip eval``: exit 2, one clear line, nothing touched.

Every case runs the real command in a subprocess, with its own folder as the working
directory; the folder is compared before and after. The subprocesses run four at a time
(each spends ~3 s of CPU importing torch), all in one module fixture.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

from backflip.config import TrainConfig
from backflip.grid.spec import GridDir, GridSpec
from backflip.storage.run_dir import RunDir

CUDA = torch.cuda.is_available()
TIMEOUT_S = 120


def _save(run: Path, **fields: object) -> None:
    run.mkdir(parents=True, exist_ok=True)
    RunDir(run).write_config(TrainConfig(run_dir=run, **fields))  # type: ignore[arg-type]


def _older_version(command: str) -> Callable[[Path], list[str]]:
    """A run directory of format 1 (before the whole configuration was saved)."""

    def setup(root: Path) -> list[str]:
        run = root / "run"
        run.mkdir()
        flat = {"env": "HalfCheetah-v5", "algo": "sac", "steps": 30000, "teacher_beta": 1.0}
        (run / "config.json").write_text(json.dumps(flat))
        if command == "eval":
            return ["eval", str(run)]
        return ["train", "--resume", "--run-dir", str(run)]

    return setup


def _new_run(*flags: str) -> Callable[[Path], list[str]]:
    """A fresh run directory that must not be created."""
    return lambda root: ["train", "--run-dir", str(root / "run"), *flags]


def _existing_dir(root: Path) -> list[str]:
    run = root / "run"
    run.mkdir()
    (run / "notes.txt").write_text("mine, keep out\n")
    return ["train", "--run-dir", str(run)]


def _run_dir_under_a_file(root: Path) -> list[str]:
    (root / "a_file").write_text("not a folder\n")
    return ["train", "--run-dir", str(root / "a_file" / "run")]


def _settings_file(text: str) -> Callable[[Path], list[str]]:
    """A run given a TOML settings file (``--config``) holding ``text``."""

    def setup(root: Path) -> list[str]:
        path = root / "settings.toml"
        path.write_text(text)
        return ["train", "--run-dir", str(root / "run"), "--config", str(path)]

    return setup


def _resume_missing(root: Path) -> list[str]:
    return ["train", "--resume", "--run-dir", str(root / "run")]


def _junk_config(data: bytes) -> Callable[[Path], list[str]]:
    def setup(root: Path) -> list[str]:
        run = root / "run"
        run.mkdir()
        (run / "config.json").write_bytes(data)
        return ["train", "--resume", "--run-dir", str(run)]

    return setup


def _label_run(oracle: str, finished: bool = False) -> Callable[[Path], list[str]]:
    """``backflip label`` on a learned run with a label store (and no query pending)."""

    def setup(root: Path) -> list[str]:
        run = root / "run"
        _save(run, env="Hopper-v5", oracle=oracle)
        RunDir(run).label_store().close()
        if finished:
            (run / "summary.json").write_text("{}\n")
        return ["label", str(run)]

    return setup


NO_DISPLAY = (("DISPLAY", None), ("WAYLAND_DISPLAY", None), ("SDL_VIDEODRIVER", None))


def _mismatched_config(root: Path) -> list[str]:
    run = root / "run"
    _save(run, env="HalfCheetah-v5")
    return ["train", "--resume", "--run-dir", str(run), "--env", "Hopper-v5"]


def _corrupted_labels(root: Path) -> list[str]:
    run = root / "run"
    _save(run)
    # clips/ is there as in any learned run (LabelStore makes it before it reads the db).
    (run / "clips").mkdir()
    (run / "labels.sqlite").write_bytes(b"this is not a database\x00\xff" * 64)
    return ["train", "--resume", "--run-dir", str(run)]


def _incomplete_checkpoint(root: Path) -> list[str]:
    run = root / "run"
    _save(run)
    folder = run / "checkpoints" / "step_000001000"
    folder.mkdir(parents=True)
    (folder / "agent.pt").write_bytes(b"half written")
    (run / "checkpoints" / "LATEST").write_text("step_000001000")
    return ["train", "--resume", "--run-dir", str(run)]


def _run_dir_is_a_file(root: Path) -> list[str]:
    (root / "run").write_text("a file\n")
    return ["train", "--run-dir", str(root / "run")]


def _labels_gone(root: Path) -> list[str]:
    """A run with a checkpoint whose labels.sqlite was deleted: resuming would re-ask."""
    run = root / "run"
    _save(run)
    folder = run / "checkpoints" / "step_000001000"
    folder.mkdir(parents=True)
    (folder / "COMPLETE").touch()
    (run / "checkpoints" / "LATEST").write_text("step_000001000")
    return ["train", "--resume", "--run-dir", str(run)]


def _eval_no_config(root: Path) -> list[str]:
    run = root / "run"
    run.mkdir()
    (run / "metrics.csv").write_text("step\n1\n")
    return ["eval", str(run)]


def _eval_no_checkpoint(root: Path) -> list[str]:
    run = root / "run"
    _save(run)
    (run / "checkpoints").mkdir()
    return ["eval", str(run)]


def _grid(*flags: str) -> Callable[[Path], list[str]]:
    """A new grid that must not be created."""
    base = ["grid", "--env", "Hopper-v5", "--labels", "10", "--seeds", "0-1", "--steps", "100"]
    return lambda root: [*base, "--out", str(root / "grid"), *flags]


def _other_grid(root: Path) -> list[str]:
    GridDir(root / "grid").write_spec(GridSpec(("Hopper-v5",), ("ppo",), (10,), (0, 1), 1000), {})
    return ["grid", "--env", "Hopper-v5", "--labels", "10", "--seeds", "0-1", "--steps", "2000"] + [
        "--out",
        str(root / "grid"),
    ]


@dataclasses.dataclass(frozen=True)
class Case:
    setup: Callable[[Path], list[str]]
    phrases: tuple[str, ...]
    absent: tuple[str, ...] = ()
    environment: tuple[tuple[str, str | None], ...] = ()
    """variables set (or, with None, unset) for the command."""


CASES: dict[str, Case] = {
    "unknown-env": Case(_new_run("--env", "Nope-v9"), ("unknown env id 'Nope-v9'",)),
    "not-mujoco": Case(_new_run("--env", "CartPole-v1"), ("'CartPole-v1' is not a MuJoCo env",)),
    "steps-0": Case(_new_run("--steps", "0"), ("--steps must be positive", "got 0")),
    "steps-neg": Case(_new_run("--steps", "-5"), ("--steps must be positive", "got -5")),
    "eval-horizon-0": Case(
        _new_run("--eval-horizon", "0"), ("--eval-horizon must be positive", "got 0")
    ),
    "labels-0": Case(_new_run("--labels", "0"), ("--labels must be positive, got 0",)),
    "pebble-past-the-end": Case(
        _new_run("--steps", "1000", "--explore.pebble-steps", "1000"),
        ("--explore.pebble-steps 1000 must be fewer than --steps 1000",),
    ),
    "restarts-all": Case(_new_run("--restarts", "1"), ("--restarts must be in [0, 1), got 1.0",)),
    "restarts-from-landings-of-a-cheetah": Case(
        _new_run("--restarts", "0.5", "--restarts-from", "landings"),
        ("--restarts-from landings", "HalfCheetah-v5 restarts from visited"),
    ),
    "rune-beta-negative": Case(
        _new_run("--explore.rune-beta", "-1"),
        ("--explore.rune-beta must be a finite number >= 0, got -1.0",),
    ),
    "segment-too-long": Case(
        _new_run("--query.segment-len", "5000"),
        (
            "a clip (5000 steps, --query.segment-len or --query.segment-seconds) is longer than an "
            "episode (1000 steps)",
        ),
    ),
    "existing-dir": Case(_existing_dir, ("already exists", "--resume")),
    "resume-missing": Case(_resume_missing, ("--resume: no run to resume",)),
    "resume-config-bytes": Case(
        _junk_config(b"\xff\xfe{{ not json"), ("config.json is corrupted",)
    ),
    "resume-mismatch": Case(
        _mismatched_config,
        ("run was made differently", "--env Hopper-v5 (run has HalfCheetah-v5)"),
        absent=("--steps", "--seed", "--run-dir"),
    ),
    "resume-corrupt-labels": Case(_corrupted_labels, ("labels.sqlite is corrupted",)),
    "resume-incomplete-checkpoint": Case(
        _incomplete_checkpoint, ("step_000001000", "incomplete or missing")
    ),
    "seed-neg": Case(_new_run("--seed", "-1"), ("--seed must be non-negative, got -1",)),
    "rounds-over-steps": Case(
        _new_run("--steps", "10", "--schedule.rounds", "20"),
        ("--schedule.rounds 20 is more than --steps 10",),
    ),
    "old-mujoco-version": Case(_new_run("--env", "HalfCheetah-v3"), ("'HalfCheetah-v3'",)),
    "env-kwargs-no-equals": Case(
        _new_run("--env-kwargs", "landing_weight"),
        ("--env-kwargs 'landing_weight': give KEY=VALUE",),
    ),
    "env-kwargs-unknown": Case(
        _new_run("--env", "backflip/HopperBackflip-v0", "--env-kwargs", "wings=2"),
        ("cannot be made with these --env-kwargs", "wings"),
    ),
    "alive-height-no-torso": Case(
        _new_run("--alive", "height"),  # HalfCheetah: nothing to fall from
        ("--alive height is known for Hopper-v5, Walker2d-v5, not 'HalfCheetah-v5'",),
    ),
    "run-dir-is-file": Case(_run_dir_is_a_file, ("is a file, not a folder",)),
    "resume-labels-gone": Case(_labels_gone, ("labels.sqlite is missing",)),
    "eval-no-config": Case(_eval_no_config, ("not a backflip run (no config.json)",)),
    "eval-no-checkpoint": Case(_eval_no_checkpoint, ("has no checkpoint yet",)),
    "resume-older-version": Case(
        _older_version("train"), ("--resume:", "from another backflip version (format 1")
    ),
    "eval-older-version": Case(_older_version("eval"), ("from another backflip version",)),
    "grid-unknown-env": Case(_grid("--env", "Nope-v9"), ("unknown env id 'Nope-v9'",)),
    "grid-labels-0": Case(_grid("--labels", "0"), ("--labels must be positive, got 0",)),
    "grid-empty-seeds": Case(_grid("--seeds", "4-0"), ("--seeds '4-0' is an empty range",)),
    "grid-different": Case(_other_grid, ("holds a different grid", "--steps 2000 (grid has 1000)")),
    "grid-unreachable": Case(
        _grid("--address", "127.0.0.1:1"), ("--address 127.0.0.1:1: no Ray cluster answers",)
    ),
    "grid-own-flag": Case(_grid("--", "--seed", "3"), ("set by backflip grid itself",)),
    "grid-bad-flag": Case(_grid("--", "--nope", "1"), ("not all `backflip train` flags",)),
    "grid-report-nothing": Case(
        lambda root: ["grid", "--out", str(root / "none"), "--report"], ("holds no grid",)
    ),
    "teacher-beta-0": Case(_new_run("--teacher.beta", "0"), ("beta must be > 0",)),
    "preset-unknown": Case(
        _new_run("--preset", "nope"), ("no preset 'nope'", "backflip, bpref, demo")
    ),
    "config-missing": Case(_new_run("--config", "/nonexistent.toml"), ("cannot read it",)),
    "config-unknown-key": Case(
        _settings_file("steps = 100\n[query]\nsegment_second = 1.0\n"),
        ("unknown settings ['query.segment_second']",),
    ),
    "config-wrong-type": Case(_settings_file('labels = "many"\n'), ("labels must be int",)),
    "config-not-toml": Case(_settings_file("steps = = 3\n"), ("is not valid TOML",)),
    "config-run-dir": Case(_settings_file('run_dir = "x"\n'), ("may not set run_dir",)),
    "env-kwargs-model-file": Case(
        _new_run("--env", "Hopper-v5", "--env-kwargs", "xml_file=/etc/passwd"),
        ("--env-kwargs may not set xml_file",),
    ),
    "env-kwargs-no-step": Case(
        _new_run("--env", "Hopper-v5", "--env-kwargs", "frame_skip=0"),
        ("cannot be made with these --env-kwargs", "division by zero"),
    ),
    "env-kwargs-backward-step": Case(
        _new_run("--env", "Hopper-v5", "--env-kwargs", "frame_skip=-1"),
        ("with these --env-kwargs steps -0.002 s at a time",),
    ),
    "env-kwargs-huge-noise": Case(
        _new_run("--env", "Hopper-v5", "--env-kwargs", "reset_noise_scale=1e999"),
        ("does not run with these --env-kwargs", "OverflowError"),
    ),
    "env-kwargs-object": Case(
        _new_run("--env", "Hopper-v5", "--env-kwargs", 'healthy_z_range={"low": 1}'),
        ("does not run with these --env-kwargs", "ValueError"),
    ),
    "env-kwargs-render-mode": Case(
        _new_run("--env", "Hopper-v5", "--env-kwargs", "render_mode=human"),
        ("--env-kwargs may not set render_mode",),
    ),
    "run-dir-under-a-file": Case(_run_dir_under_a_file, ("is a file, not a folder",)),
    "steps-huge": Case(_new_run("--steps", "2000000000000000000"), ("--steps must be", "at most")),
    "steps-not-a-whole-number": Case(
        _new_run("--steps", "2e18"), ("Error parsing --steps", "see backflip train --help")
    ),
    "flag-unknown": Case(_new_run("--nope", "1"), ("Unrecognized options: --nope",)),
    "eval-no-run-named": Case(lambda root: ["eval"], ("Missing from backflip eval: PATH",)),
    "eval-horizon-huge": Case(
        _new_run("--eval-horizon", "1000000000000"), ("--eval-horizon must be", "at most")
    ),
    "sac-batch-0": Case(
        _new_run("--agent.sac.batch-size", "0"), ("--agent.sac.batch-size must be at least 1",)
    ),
    "gamma-nan": Case(_new_run("--agent.ppo.gamma", "nan"), ("--agent.ppo.gamma must be in",)),
    "tau-inf": Case(_new_run("--agent.sac.tau", "inf"), ("--agent.sac.tau must be in",)),
    "nested-flag-bad": Case(
        _new_run("--reward-training.target-accuracy", "1.5"), ("target-accuracy must be in (0, 1]",)
    ),
    "label-synthetic": Case(
        _label_run("synthetic"), ("answered by the synthetic teacher", "--oracle human")
    ),
    "label-finished": Case(_label_run("human", finished=True), ("nothing is left to label",)),
    "label-no-display": Case(
        _label_run("human"), ("no display", "xvfb-run"), environment=NO_DISPLAY
    ),
    # With CUDA, --device cuda is valid and would start a run: skipped there.
    "device-cuda": Case(_new_run("--device", "cuda"), ("--device cuda", "CUDA is not available")),
}
SKIPPED = {"device-cuda"} if CUDA else set()
NAMES = [
    pytest.param(name, marks=pytest.mark.skip("CUDA is available")) if name in SKIPPED else name
    for name in sorted(CASES)
]


@dataclasses.dataclass(frozen=True)
class Outcome:
    proc: subprocess.CompletedProcess[str]
    before: dict[str, object]
    after: dict[str, object]


def _snapshot(root: Path) -> dict[str, object]:
    """Every path under ``root``: a folder, or a file's bytes and modification time."""
    out: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_dir():
            out[rel] = "<dir>"
        else:
            out[rel] = (path.read_bytes(), path.stat().st_mtime_ns)
    return out


def _backflip(
    args: list[str], cwd: Path, environment: tuple[tuple[str, str | None], ...] = ()
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MUJOCO_GL": "egl"}
    for name, value in environment:
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, "-m", "backflip.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Runs every case at once, each in its own folder."""
    jobs: dict[str, tuple[Path, list[str], dict[str, object]]] = {}
    for name, case in CASES.items():
        if name in SKIPPED:
            continue
        root = tmp_path_factory.mktemp(name)
        args = case.setup(root)
        jobs[name] = (root, args, _snapshot(root))
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            name: pool.submit(_backflip, args, root, CASES[name].environment)
            for name, (root, args, _) in jobs.items()
        }
        return {
            name: Outcome(futures[name].result(), before, _snapshot(root))
            for name, (root, _, before) in jobs.items()
        }


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_is_one_clear_line(name: str, outcomes: dict[str, Outcome]) -> None:
    case, out = CASES[name], outcomes[name]
    stderr = out.proc.stderr
    assert "Traceback" not in stderr, stderr
    assert out.proc.returncode == 2, (out.proc.returncode, stderr)
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("backflip: error: "), stderr
    for phrase in case.phrases:
        assert phrase in lines[0], (phrase, lines[0])
    for phrase in case.absent:
        assert phrase not in lines[0], (phrase, lines[0])
    assert out.proc.stdout == "", out.proc.stdout


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_touches_nothing(name: str, outcomes: dict[str, Outcome]) -> None:
    """No run directory made, no file written (not even MUJOCO_LOG.TXT in the cwd)."""
    out = outcomes[name]
    assert out.after.keys() == out.before.keys(), (
        f"created {sorted(out.after.keys() - out.before.keys())}, "
        f"removed {sorted(out.before.keys() - out.after.keys())}"
    )
    changed = [path for path in out.before if out.before[path] != out.after[path]]
    assert not changed, f"changed {changed}"


def test_existing_dir_keeps_its_file(outcomes: dict[str, Outcome]) -> None:
    out = outcomes["existing-dir"]
    assert out.after["run/notes.txt"][0] == b"mine, keep out\n"  # type: ignore[index]
    assert "run/config.json" not in out.after


def test_train_help_lists_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    """In process (tyro only, no torch): ``--help`` exits 0 and names the CLI contract."""
    from backflip.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["train", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: backflip train")
    for flag in ("--teacher.beta", "--query.segment-len", "--run-dir", "--resume", "--device"):
        assert re.search(rf"{flag}\b", out), flag
    # Every knob of the run is a flag too, grouped by component.
    knobs = ("--agent.ppo.n-steps", "--reward-training.max-steps", "--schedule.decay", "--costs")
    for flag in knobs:
        assert flag in out, flag
    # The common flags first, then the groups, the ablation-only knobs last.
    order = ["--env ", "--steps", "--labels", "--seed", "--preset", "--costs", "--query.method"]
    order += ["--agent.ppo.n-envs", "--ablation.shared-holdout"]
    places = [out.index(flag) for flag in order]
    assert places == sorted(places), order


def test_help_does_not_import_torch() -> None:
    """``backflip --help`` answers at once: no torch, MuJoCo or SB3 behind it."""
    code = (
        "import sys\n"
        "from backflip.cli import main\n"
        "try:\n    main(['train', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = {'torch', 'mujoco', 'stable_baselines3'} & set(sys.modules)\n"
        "print(sorted(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout[-500:]


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux)")
def test_a_run_directory_on_a_read_only_filesystem_is_one_line(tmp_path: Path) -> None:
    """In a private mount namespace (no root needed), a read-only tmpfs."""
    folder = tmp_path / "ro"
    folder.mkdir()
    command = shlex.join([sys.executable, "-m", "backflip.cli", *_new_run()(folder)])
    script = (
        f"mount -t tmpfs none {folder} && mount -o remount,ro {folder} && MUJOCO_GL=egl {command}"
    )
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True)
    if "mount:" in done.stderr:
        pytest.skip(f"no private mounts here: {done.stderr.strip()}")
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert lines[0].startswith("backflip: error: --run-dir") and "read-only filesystem" in lines[0]


@pytest.mark.parametrize(
    ("code", "phrase"),
    [
        (errno.ENOSPC, "No space left on device (/x/clips/1.npz): free space and run the same"),
        (errno.EROFS, "Read-only file system (/x/clips/1.npz): write to a writable filesystem"),
    ],
)
def test_a_full_or_read_only_disk_anywhere_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], code: int, phrase: str
) -> None:
    import backflip.commands.train
    from backflip.cli import main

    def fail(config: object) -> int:
        raise OSError(code, os.strerror(code), "/x/clips/1.npz")

    monkeypatch.setattr(backflip.commands.train, "run_train", fail)
    assert main(["train", "--run-dir", "/x"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("backflip: error: ") and phrase in err[0]


def test_any_other_os_error_is_a_bug_with_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    import backflip.commands.train
    from backflip.cli import main

    def fail(config: object) -> int:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(backflip.commands.train, "run_train", fail)
    with pytest.raises(OSError, match="Input/output"):
        main(["train", "--run-dir", "/x"])
