"""A training run labelled through the web page: `backflip train --oracle human` and
`backflip serve`, with two people answering over HTTP at once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from human_runs import free_port, start_server

from backflip.storage.run_dir import RunDir
from backflip.web.labellers import Labellers

TRAIN = [
    sys.executable, "-m", "backflip.cli", "train", "--env", "HalfCheetah-v5", "--algo", "ppo",
    "--steps", "3072", "--labels", "40", "--horizon", "100", "--schedule.rounds", "3",
    "--eval-episodes", "1", "--device", "cpu", "--oracle", "human",
]  # fmt: skip


def test_two_web_labellers_answer_a_training_run_to_its_budget(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    env = {**os.environ, "MUJOCO_GL": "egl"}
    trainer = subprocess.Popen(
        [*TRAIN, "--run-dir", str(run_dir)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while not (run_dir / "labels.sqlite").exists() and time.time() < deadline:
        time.sleep(0.2)
    labellers = Labellers(run_dir / "web" / "labellers.json")
    secrets = {name: labellers.add(name) for name in ("ada", "bob")}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(run_dir, port)
    outcomes: dict[str, list[int]] = {"ada": [], "bob": []}

    def label(name: str) -> None:
        """Answers what it is handed, the left clip always, until the run has finished."""
        session = requests.Session()
        session.post(f"{url}/api/login", json={"secret": secrets[name]}, timeout=30)
        while time.time() < deadline + 300:
            pair = session.post(f"{url}/api/next", json={}, timeout=30).json()
            if pair["query_id"] is None:
                if pair["trainer"] == "finished":
                    return
                time.sleep(0.2)
                continue
            answer = {"query_id": pair["query_id"], "choice": "left"}
            outcomes[name].append(
                session.post(f"{url}/api/answer", json=answer, timeout=30).status_code
            )

    people = [threading.Thread(target=label, args=(name,)) for name in secrets]
    try:
        for person in people:
            person.start()
        assert trainer.wait(timeout=400) == 0, trainer.stderr.read() if trainer.stderr else ""
        for person in people:
            person.join(timeout=60)
    finally:
        server.kill()
        server.wait()
        trainer.kill()
    with RunDir(run_dir).label_store(read_only=True) as store:
        comparisons = store.comparisons(include_skipped=True)
        assert len(comparisons) == 40 and store.pending_count() == 0  # the whole budget
        assert store.answer_counts() == {name: codes.count(200) for name, codes in outcomes.items()}
    assert all(code == 200 for codes in outcomes.values() for code in codes)
    assert min(len(codes) for codes in outcomes.values()) > 0  # both labelled
    assert (run_dir / "summary.json").exists()
