"""Many people labelling one training run through ``backflip serve`` at once.

Starts ``backflip train --oracle human`` (PPO on HalfCheetah-v5, a small run whose label
budget is the answers to give) and ``backflip serve`` on it, then lets N simulated
labellers, each a thread with its own login, ask for pairs and answer them over HTTP as
fast as the server hands them out, until the trainer finishes. Prints the answers per
second the server sustained, latency percentiles per request kind, and checks that no
query was answered twice and no accepted answer was lost.

    python benchmarks/web_labellers.py --labellers 20 --labels 500
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import requests

from backflip.storage.run_dir import RunDir
from backflip.web.labellers import Labellers

CLI = [sys.executable, "-m", "backflip.cli"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labellers", type=int, default=20)
    parser.add_argument("--labels", type=int, default=500)
    parser.add_argument("--steps", type=int, default=20480, help="the trainer's env steps")
    parser.add_argument("--render-processes", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp) / "run", args.labellers, args.labels, args.steps, args.render_processes)


def run(run_dir: Path, n_labellers: int, labels: int, steps: int, render_processes: int) -> None:
    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    train = [
        *CLI, "train", "--env", "HalfCheetah-v5", "--algo", "ppo", "--steps", str(steps),
        "--labels", str(labels), "--horizon", "100", "--schedule.rounds", "5",
        "--eval-episodes", "1", "--device", "cpu", "--oracle", "human", "--run-dir", str(run_dir),
    ]  # fmt: skip
    trainer = subprocess.Popen(train, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while not run_dir.joinpath("labels.sqlite").exists():
        if trainer.poll() is not None:
            sys.exit(f"the trainer stopped: {trainer.stderr.read().decode()[-2000:]}")
        time.sleep(0.2)
    labellers = Labellers(run_dir / "web" / "labellers.json")
    secrets = {f"person{i:02d}": labellers.add(f"person{i:02d}") for i in range(n_labellers)}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [*CLI, "serve", str(run_dir), "--port", str(port), "--threads", str(n_labellers)]
        + ["--render-processes", str(render_processes)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    for line in server.stdout:
        if line.startswith("serving "):
            break
    url = f"http://127.0.0.1:{port}"
    latency: dict[str, list[float]] = {"next": [], "clip": [], "answer": []}
    accepted: list[float] = []  # times of accepted answers
    refused = [0]
    lock = threading.Lock()

    def timed(kind: str, start: float) -> None:
        with lock:
            latency[kind].append(time.perf_counter() - start)

    def person(name: str) -> None:
        session = requests.Session()
        session.post(f"{url}/api/login", json={"secret": secrets[name]}, timeout=60)
        while trainer.poll() is None:
            start = time.perf_counter()
            pair = session.post(f"{url}/api/next", json={}, timeout=120).json()
            timed("next", start)
            if pair["query_id"] is None:
                time.sleep(0.2)
                continue
            start = time.perf_counter()
            session.get(f"{url}/clips/{pair['left']}.mp4", timeout=120)
            timed("clip", start)
            start = time.perf_counter()
            body = {"query_id": pair["query_id"], "choice": "left"}
            reply = session.post(f"{url}/api/answer", json=body, timeout=120)
            timed("answer", start)
            with lock:
                if reply.status_code == 200:
                    accepted.append(time.time())
                else:
                    refused[0] += 1

    people = [threading.Thread(target=person, args=(name,)) for name in secrets]
    began = time.time()
    for p in people:
        p.start()
    code = trainer.wait()
    for p in people:
        p.join()
    server.terminate()
    server.wait()
    with RunDir(run_dir).label_store(read_only=True) as store:
        stored = store.n_answered()
        by_labeller = store.answer_counts()
    span = max(accepted) - min(accepted) if len(accepted) > 1 else float("nan")
    print(f"trainer exit {code}; {n_labellers} labellers; {time.time() - began:.1f} s in all")
    print(f"answers accepted {len(accepted)}, stored {stored}, refused {refused[0]}")
    print(f"answers per second, first to last answer: {len(accepted) / span:.1f}")
    print(f"labellers who answered: {len(by_labeller)} of {n_labellers}")
    print("| request | n | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|")
    for kind, values in latency.items():
        ms = np.array(values) * 1000
        if len(ms):
            p50, p90, p99 = np.percentile(ms, [50, 90, 99])
            print(f"| {kind} | {len(ms)} | {p50:.0f} | {p90:.0f} | {p99:.0f} | {ms.max():.0f} |")
    if stored != len(accepted):
        sys.exit("FAILED: the store does not hold exactly the accepted answers")


if __name__ == "__main__":
    main()
