"""``backflip grid`` end to end on a real local Ray: a tiny grid, its report, a rerun that
redoes nothing, a killed grid that resumes, and a cluster joined with --address."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

TINY = [
    *("--env", "Hopper-v5", "--labels", "5", "10", "--seeds", "0-1", "--steps", "256"),
    *("--", "--horizon", "32", "--query.segment-len", "16", "--eval-episodes", "1"),
    *("--schedule.rounds", "2", "--agent.ppo.n-steps", "64", "--agent.ppo.batch-size", "32"),
    *("--agent.ppo.n-epochs", "2"),
]
ENV = {**os.environ, "MUJOCO_GL": "egl"}
CLI = [sys.executable, "-m", "backflip.cli"]


def grid(out: Path, args: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    command = [*CLI, "grid", "--out", str(out), *args]
    return subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=timeout)


def summaries(out: Path) -> dict[str, int]:
    """Run name -> modification time (ns) of its summary.json."""
    return {p.parent.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*/summary.json")}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("grid") / "tiny"
    return out, grid(out, TINY)


def test_a_tiny_grid_reports_every_budget_over_seeds(tiny) -> None:
    out, done = tiny
    assert done.returncode == 0, done.stderr[-3000:]
    with (out / "results.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["status"] for r in rows] == ["done"] * 6
    assert {r["labels"] for r in rows} == {"true", "5", "10"}
    assert all(r["score"] for r in rows if r["labels"] != "true")
    report = (out / "report.md").read_text()
    assert "| Hopper-v5 | ppo | 5 | 2 |" in report and "| Hopper-v5 | ppo | 10 | 2 |" in report
    assert "backflip grid --out" in report and "at commit" in report
    for plot in ("score_vs_labels.png", "curves.png"):
        assert (out / plot).stat().st_size > 1000
    assert "done Hopper-v5-ppo-10-s1" in done.stderr + done.stdout  # progress lines


def test_each_cell_is_an_ordinary_run_directory(tiny) -> None:
    out, _ = tiny
    run = out / "runs" / "Hopper-v5-ppo-10-s1"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["labels"] == 10 and summary["seed"] == 1 and summary["steps"] >= 256
    evaluated = subprocess.run(
        [*CLI, "eval", str(run)], env=ENV, capture_output=True, text=True, timeout=120
    )
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    assert json.loads(evaluated.stdout)["eval_true_return_mean"] == summary["eval_true_return_mean"]


def test_rerunning_a_finished_grid_redoes_nothing(tiny) -> None:
    out, _ = tiny
    before = summaries(out)
    again = grid(out, TINY)
    assert again.returncode == 0, again.stderr[-2000:]
    assert summaries(out) == before
    (out / "report.md").unlink()
    rebuilt = grid(out, ["--report"])
    assert rebuilt.returncode == 0 and (out / "report.md").exists()
    assert "| Hopper-v5 | ppo | 5 | 2 |" in rebuilt.stdout


def test_an_ablation_copies_the_baselines_it_shares(tiny, tmp_path: Path) -> None:
    out, _ = tiny
    ablation = [a for a in TINY if a != "10"] + ["--query.tie-margin", "0"]  # learned arm only
    done = grid(tmp_path / "ablation", ["--baselines-from", str(out), *ablation])
    assert done.returncode == 0, done.stderr[-3000:]
    assert "baselines copied from" in done.stdout and ": 2" in done.stdout
    for seed in (0, 1):
        name = f"Hopper-v5-ppo-true-s{seed}"
        theirs = json.loads((out / "runs" / name / "summary.json").read_text())
        ours = tmp_path / "ablation" / "runs" / name
        assert json.loads((ours / "summary.json").read_text()) == theirs
        assert json.loads((ours / "config.json").read_text())["run_dir"] == str(ours)
    assert len(summaries(tmp_path / "ablation")) == 4  # and the two learned runs trained


def test_a_killed_grid_resumes_and_keeps_what_finished(tmp_path: Path) -> None:
    out = tmp_path / "killed"
    slow = [{"256": "2048", "0-1": "0"}.get(a, a) for a in TINY]
    slow[slow.index("--schedule.rounds") + 1] = "8"
    command = [*CLI, "grid", "--out", str(out), *slow]
    driver = subprocess.Popen(command, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    interrupted: Path | None = None
    while time.time() < deadline and interrupted is None:
        assert driver.poll() is None, driver.stderr.read().decode() if driver.stderr else ""
        started = [p for p in (out / "runs").glob("*") if (p / "checkpoints" / "LATEST").exists()]
        unfinished = [p for p in started if not (p / "summary.json").exists()]
        if summaries(out) and unfinished:
            interrupted = unfinished[0]
        time.sleep(0.2)
    assert interrupted is not None, "no run finished while another was half done"
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    finished = summaries(out)
    # The killed grid's Ray goes on until the rerun ends it: its last line may be half
    # written right now, so only the lines before it are compared.
    with (interrupted / "metrics.csv").open() as f:
        first_rows = f.read().splitlines()[:-1]

    done = subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    after = summaries(out)
    assert len(after) == 3
    assert {name: after[name] for name in finished} == finished  # not redone
    with (interrupted / "metrics.csv").open() as f:
        resumed = f.read().splitlines()
    assert len(first_rows) >= 1  # the header, at least: the run had started
    assert resumed[: len(first_rows)] == first_rows and len(resumed) > len(first_rows)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(temp_dir: str) -> None:
    """Ends the Ray started with ``temp_dir`` only (``ray stop`` would end every Ray)."""
    ours = [
        p for p in psutil.process_iter(["cmdline"]) if temp_dir in " ".join(p.info["cmdline"] or [])
    ]
    for process in [*ours, *(c for p in ours for c in p.children(recursive=True))]:
        with contextlib.suppress(psutil.Error):
            process.kill()


def test_address_joins_a_ray_cluster_started_by_ray_start(tmp_path: Path) -> None:
    port = _free_port()
    ray = Path(sys.executable).parent / "ray"
    env = {**ENV, "RAY_AUTH_MODE": "disabled"}
    temp_dir = tempfile.mkdtemp(prefix="bfray", dir="/tmp")  # short: Ray's sockets live there
    start = [
        str(ray),
        "start",
        "--head",
        f"--port={port}",
        "--num-cpus=2",
        f"--temp-dir={temp_dir}",
    ]
    started = subprocess.run(
        [*start, "--include-dashboard=false", "--disable-usage-stats"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 0, started.stderr[-2000:]
    try:
        one_seed = [a if a != "0-1" else "0" for a in TINY]
        command = [*CLI, "grid", "--out", str(tmp_path / "g"), "--address", f"127.0.0.1:{port}"]
        done = subprocess.run(
            [*command, *one_seed], env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert len(summaries(tmp_path / "g")) == 3
    finally:
        _stop(temp_dir)
