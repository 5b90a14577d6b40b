"""The human path end to end at full size: a ``make backflip`` run with ``--oracle human``
whose answers all come through ``backflip serve``'s web page, from a scripted labeller
that answers as the synthetic backflip judge would (the same teacher, reading the clips'
oracle rewards from the run's label store).

Prints the run's figures (``summary.json``: true return, flips, clean flips) and its wall
time, to set beside the synthetic run of the same preset and seed (``docs/results/backflip/``
for seeds 0-4).

    python benchmarks/web_backflip.py --seed 0 --run-dir runs/web-backflip
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from backflip.preference.oracle import SyntheticOracle
from backflip.seeds import Seeds
from backflip.storage.run_dir import RunDir
from backflip.web.labellers import Labellers

CLI = [sys.executable, "-m", "backflip.cli"]
CHOICE = {1.0: "left", 0.0: "right", 0.5: "equal", None: "skip"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--run-dir", type=Path, required=True)
    parser.add_argument("--preset", default="backflip")
    parser.add_argument("--steps", type=int, default=None, help="override the preset's")
    parser.add_argument("--labels", type=int, default=None, help="override the preset's")
    args = parser.parse_args()
    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    train = [*CLI, "train", "--preset", args.preset, "--oracle", "human", "--seed", str(args.seed)]
    train += ["--run-dir", str(args.run_dir)]
    for flag, value in (("--steps", args.steps), ("--labels", args.labels)):
        if value is not None:
            train += [flag, str(value)]
    began = time.time()
    trainer = subprocess.Popen(train, env=env, stdout=subprocess.DEVNULL)
    while not (args.run_dir / "labels.sqlite").exists():
        if trainer.poll() is not None:
            sys.exit(f"the trainer stopped with exit {trainer.returncode}")
        time.sleep(0.5)
    secret = Labellers(args.run_dir / "web" / "labellers.json").add("scripted-judge")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [*CLI, "serve", str(args.run_dir), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    for line in server.stdout:
        if line.startswith("serving "):
            break
    url = f"http://127.0.0.1:{port}"
    run_dir = RunDir(args.run_dir)
    config = run_dir.read_config()
    judge = SyntheticOracle(config.teacher, Seeds.of(config.seed).teacher)
    session = requests.Session()
    session.post(f"{url}/api/login", json={"secret": secret}, timeout=60)
    answered = 0
    with run_dir.label_store(read_only=True) as store:
        while trainer.poll() is None:
            pair = session.post(f"{url}/api/next", json={}, timeout=120).json()
            if pair["query_id"] is None:
                time.sleep(0.5)
                continue
            session.get(f"{url}/clips/{pair['left']}.mp4", timeout=120)  # as a page would
            session.get(f"{url}/clips/{pair['right']}.mp4", timeout=120)
            label = judge.compare(
                store.load_segment(pair["left"]), store.load_segment(pair["right"])
            )
            reply = session.post(
                f"{url}/api/answer",
                json={"query_id": pair["query_id"], "choice": CHOICE[label]},
                timeout=120,
            )
            answered += reply.status_code == 200
    server.terminate()
    server.wait()
    summary = json.loads(run_dir.summary.read_text())
    keys = (
        "eval_true_return_mean",
        "flips_per_episode",
        "clean_flips_per_episode",
        "late_clean_flips_per_episode",
    )
    wall = time.time() - began
    print(f"trainer exit {trainer.returncode}; {answered} answers by the page; {wall:.0f} s in all")
    print(json.dumps({k: summary.get(k) for k in keys}))


if __name__ == "__main__":
    main()
