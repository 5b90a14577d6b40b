"""Ray for a grid: a local instance of this machine's CPUs, or a cluster to join; and the
clean-up of a local instance left behind by a grid that was killed.

A local Ray outlives a driver killed with ``kill -9``: its workers would go on training
the cells a rerun is about to resume. So a grid records the processes of the local Ray
it starts, and the next run of the same grid ends them before starting its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import psutil

from backflip.grid.spec import GridError
from backflip.storage.atomic import atomic_write_text


def check_reachable(address: str, timeout_s: float = 3.0) -> None:
    """A ``HOST:PORT`` address answers a TCP connection (Ray's own attempt takes minutes
    to give up); ``auto`` is left to Ray."""
    if address == "auto":
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise GridError(f"--address {address!r}: give auto or HOST:PORT")
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as err:
        raise GridError(f"--address {address}: no Ray cluster answers there ({err})") from None


@contextlib.contextmanager
def ray_session(
    address: str | None, cpus_per_run: int, record: Path, env_vars: dict[str, str]
) -> Iterator[None]:
    """Ray connected for the block: the cluster at ``address``, or a new local instance
    whose processes are written to ``record`` until it shuts down."""
    import ray

    threads = str(cpus_per_run)
    runtime_env = {
        "env_vars": {
            **env_vars,
            "OMP_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
            "OPENBLAS_NUM_THREADS": threads,
        }
    }
    options = {"include_dashboard": False, "log_to_driver": False, "logging_level": "error"}
    if address is None:
        end_leftover(record)
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # a private instance: no token
        ray.init(address="local", runtime_env=runtime_env, **options)  # type: ignore[arg-type]
        _write_record(record)
    else:
        check_reachable(address)
        try:
            ray.init(address=address, runtime_env=runtime_env, **options)  # type: ignore[arg-type]
        except (ConnectionError, RuntimeError) as err:
            raise GridError(f"--address {address}: cannot join a Ray cluster ({err})") from None
    try:
        yield
    finally:
        ray.shutdown()
        if address is None:
            record.unlink(missing_ok=True)


def _write_record(record: Path) -> None:
    """Writes the local instance's processes (all descendants of this driver by now)."""
    children = psutil.Process().children(recursive=True)
    entries = [{"pid": p.pid, "started": p.create_time()} for p in children]
    atomic_write_text(record, json.dumps(entries))


def end_leftover(record: Path, wait_s: float = 30.0) -> int:
    """Kills what is left of the local Ray in ``record`` (and the workers it started);
    returns how many processes it ended. Processes whose pid was reused are spared."""
    if not record.exists():
        return 0
    leftover: list[psutil.Process] = []
    for entry in json.loads(record.read_text()):
        with contextlib.suppress(psutil.Error):
            process = psutil.Process(entry["pid"])
            if abs(process.create_time() - entry["started"]) < 1e-3:
                leftover += [process, *process.children(recursive=True)]
    for process in leftover:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(leftover, timeout=wait_s)
    record.unlink()
    return len(leftover)


def cluster_cpus() -> tuple[float, float]:
    """(CPUs of the cluster, CPUs free now)."""
    import ray

    return ray.cluster_resources().get("CPU", 0.0), ray.available_resources().get("CPU", 0.0)
