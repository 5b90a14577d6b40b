"""Browser-playable clips for the web page: each stored clip rendered once from its saved
physics states into ``RUN_DIR/web/clips/NNNNNNNN.mp4`` and kept there."""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
import os
import threading
from pathlib import Path

import numpy as np

from backflip.envs.render import ClipRenderer
from backflip.storage.label_store import LabelStore
from backflip.video.frames import write_video


class ClipCache:
    """Renders clips in worker processes, each with its own renderer (MuJoCo's offscreen
    contexts can't be made in two threads of one process at once), oldest request first;
    a finished file is renamed into place whole.

    Args:
        folder: where the MP4s are kept.
        store: the run's label store (clips are read from it).
        env_id: the env the clips were recorded in.
        width, height: frame size in pixels.
        fps: frames per second of the videos (the env's steps per second plays them in
            real time).
        processes: render processes (software rendering takes a CPU core each).
    """

    def __init__(
        self,
        folder: Path,
        store: LabelStore,
        env_id: str,
        width: int,
        height: int,
        fps: int,
        processes: int = 1,
    ) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.store = store
        self._lock = threading.Lock()
        self._rendering: dict[int, concurrent.futures.Future[None]] = {}
        self._pool_args = (processes, (env_id, width, height, fps))
        self._pool = self._new_pool()

    def _new_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        processes, initargs = self._pool_args
        return concurrent.futures.ProcessPoolExecutor(
            processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_renderer,
            initargs=initargs,
        )

    def path(self, seg_id: int) -> Path:
        """Where clip ``seg_id``'s MP4 is kept (an int names it: no request reaches a path)."""
        return self.folder / f"{int(seg_id):08d}.mp4"

    def request(self, *seg_ids: int) -> None:
        """Asks for clips to be rendered ahead of their first view (cached ones are not)."""
        with self._lock:
            for seg_id in map(int, seg_ids):
                path = self.path(seg_id)
                if seg_id not in self._rendering and not path.exists():
                    states = self.store.load_segment(seg_id).states
                    try:
                        rendering = self._pool.submit(_render, states, path)
                    except concurrent.futures.BrokenExecutor:  # a render process died
                        self._pool.shutdown(wait=False, cancel_futures=True)
                        self._pool = self._new_pool()
                        rendering = self._pool.submit(_render, states, path)
                    self._rendering[seg_id] = rendering

    def wait(self, seg_id: int, timeout: float) -> Path | None:
        """Clip ``seg_id``'s MP4, rendering it if need be; None if not ready in ``timeout``
        seconds. Raises ``RuntimeError`` if rendering failed."""
        self.request(seg_id)
        with self._lock:
            rendering = self._rendering.get(int(seg_id))
        if rendering is not None:
            try:
                rendering.result(timeout)
            except concurrent.futures.TimeoutError:
                return None
            except Exception as err:
                raise RuntimeError(f"rendering clip {seg_id} failed: {err}") from err
            finally:
                if rendering.done():  # a failed one is tried again at the next request
                    with self._lock:
                        self._rendering.pop(int(seg_id), None)
        return self.path(seg_id)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


_worker: list[tuple[ClipRenderer, int]] = []
"""The render process's renderer and frame rate, once it has started."""


def _start_renderer(env_id: str, width: int, height: int, fps: int) -> None:
    _worker.append((ClipRenderer(env_id, width, height), fps))


def _render(states: np.ndarray, path: Path) -> None:
    """In a render process: draws ``(T + 1, 1 + nq + nv)`` states into ``path``."""
    renderer, fps = _worker[0]
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.mp4")
    try:
        write_video(tmp, [renderer.render(states)], fps=fps)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
