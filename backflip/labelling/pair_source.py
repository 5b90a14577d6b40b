"""Queries for a labelling window: claimed from the label store, rendered ahead of time."""

from __future__ import annotations

import dataclasses
import os
import queue
import socket
import threading

import numpy as np

from backflip.envs.render import ClipRenderer
from backflip.records import Segment
from backflip.storage.label_store import LabelStore
from backflip.storage.run_dir import RunDir


@dataclasses.dataclass(frozen=True)
class ReadyPair:
    """A claimed query with both clips rendered: frames ``(T + 1, H, W, 3)`` uint8."""

    query_id: int
    left_id: int
    right_id: int
    left: Segment
    right: Segment
    left_frames: np.ndarray
    right_frames: np.ndarray


class PairSource:
    """Claims queries for ``labeller`` and renders them in a background thread.

    The renderer lives in that thread (an OpenGL context belongs to the thread that made
    it), one pair ahead of the one on screen, so the next pair shows without a wait.
    """

    def __init__(
        self,
        run_dir: RunDir,
        labeller: str,
        env_id: str,
        width: int,
        height: int,
        poll_s: float = 0.5,
        ahead: int = 1,
    ) -> None:
        self.run_dir, self.labeller = run_dir, labeller
        self.env_id, self.width, self.height = env_id, width, height
        self.poll_s = poll_s
        self.ready: queue.Queue[ReadyPair] = queue.Queue(maxsize=ahead)
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="pair-source", daemon=True)
        self._claimed: set[int] = set()
        self._lock = threading.Lock()
        self.claimant = f"{labeller}#{socket.gethostname()}#{os.getpid()}"
        with run_dir.label_store() as store:
            release_orphaned_claims(store)
        self._thread.start()

    def next(self, timeout: float = 0.0) -> ReadyPair | None:
        """The next rendered pair, or None if none is ready within ``timeout`` seconds."""
        if self.error is not None:
            raise RuntimeError(f"rendering clips failed: {self.error}") from self.error
        try:
            return self.ready.get(timeout=timeout) if timeout > 0 else self.ready.get_nowait()
        except queue.Empty:
            return None

    def done_with(self, query_id: int) -> None:
        """The window answered (or released) ``query_id``: it is no longer held here."""
        with self._lock:
            self._claimed.discard(query_id)

    def close(self, store: LabelStore) -> None:
        """Stops the thread and hands every unanswered claim back to the queue."""
        self._stop.set()
        self._thread.join(timeout=10)
        with self._lock:
            for query_id in self._claimed:
                store.release(query_id, self.claimant)
            self._claimed.clear()

    def _work(self) -> None:
        try:
            renderer = ClipRenderer(self.env_id, self.width, self.height)
            with self.run_dir.label_store() as store:
                while not self._stop.is_set():
                    if self.ready.full():
                        self._stop.wait(0.05)
                        continue
                    claimed = store.claim_query(self.claimant)
                    if claimed is None:
                        self._stop.wait(self.poll_s)
                        continue
                    query_id, left_id, right_id = claimed
                    with self._lock:
                        self._claimed.add(query_id)
                    left, right = store.load_segment(left_id), store.load_segment(right_id)
                    pair = ReadyPair(
                        query_id,
                        left_id,
                        right_id,
                        left,
                        right,
                        renderer.render(left.states),
                        renderer.render(right.states),
                    )
                    while not self._stop.is_set():
                        try:
                            self.ready.put(pair, timeout=0.1)
                            break
                        except queue.Full:
                            continue
            renderer.close()
        except BaseException as err:  # surfaced to the window by next()
            self.error = err


def release_orphaned_claims(store: LabelStore) -> int:
    """Hands back queries claimed by windows of this machine whose process is gone (a
    window killed with ``kill -9``), so a reopened window gets them at once."""
    released = 0
    host = socket.gethostname()
    for query_id, owner in store.claims().items():
        # A claimant is ``labeller#host#pid``: the labeller's name may hold '#' itself.
        parts = owner.rsplit("#", 2)
        if len(parts) != 3:
            continue
        _, owner_host, pid = parts
        if owner_host == host and pid.isdigit() and not _alive(int(pid)):
            store.release(query_id, owner)
            released += 1
    return released


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
