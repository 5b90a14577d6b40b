"""A run directory that asks a person: real clips of a real env and pending queries, for
the window's and the web page's tests."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import numpy as np

from backflip.config import TrainConfig
from backflip.envs.make import make_env
from backflip.records import Segment
from backflip.storage.label_store import LabelStore
from backflip.storage.run_dir import RunDir

ENV, T = "HalfCheetah-v5", 10


def make_run(tmp_path: Path, n_queries: int = 6) -> tuple[LabelStore, list[int]]:
    """A run directory with real clips and ``n_queries`` pending queries."""
    RunDir(tmp_path).write_config(TrainConfig(env=ENV, oracle="human", run_dir=tmp_path))
    env = make_env(ENV, horizon=T * 2 * n_queries)
    env.action_space.seed(0)
    obs, info = env.reset(seed=0)
    obs_l, acts, rewards, states = [obs], [], [], [info["physics_state"]]
    for _ in range(T * 2 * n_queries):
        action = env.action_space.sample()
        obs, reward, _, _, info = env.step(action)
        obs_l.append(obs)
        acts.append(action)
        rewards.append(info["oracle_reward"])
        states.append(info["physics_state"])
    store = RunDir(tmp_path).label_store()
    ids = []
    for k in range(2 * n_queries):
        s = slice(k * T, k * T + T + 1)
        seg = Segment(
            obs=np.array(obs_l[s]),
            acts=np.array(acts[k * T : k * T + T]),
            oracle_rewards=np.array(rewards[k * T : k * T + T]),
            states=np.array(states[s]),
            env_id=ENV,
            seed=0,
            episode=0,
            start_step=k * T,
        )
        ids.append(store.add_segment(seg))
    queries = [store.add_query(ids[2 * q], ids[2 * q + 1]) for q in range(n_queries)]
    return store, queries


def start_server(run: Path, port: int) -> subprocess.Popen[str]:
    """``backflip serve RUN --port PORT`` in a process of its own, once it listens."""
    server = subprocess.Popen(
        [sys.executable, "-m", "backflip.cli", "serve", str(run), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert server.stdout is not None
    for line in server.stdout:
        if line.startswith("serving "):
            return server
    raise AssertionError(f"the server did not start (exit {server.wait()})")


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
