"""Browser-playable clips for the web page: each stored clip rendered once from its saved
physics states into ``RUN_DIR/web/clips/NNNNNNNN.mp4`` and kept there."""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from pathlib import Path

from backflip.envs.render import ClipRenderer
from backflip.storage.label_store import LabelStore
from backflip.video.frames import write_video


class ClipCache:
    """Renders clips in one background thread (an OpenGL context belongs to the thread that
    made it), oldest request first; a finished file is renamed into place whole.

    Args:
        folder: where the MP4s are kept.
        store: the run's label store (clips are read from it).
        env_id: the env the clips were recorded in.
        width, height: frame size in pixels.
        fps: frames per second of the videos (the env's steps per second plays them in
            real time).
    """

    def __init__(
        self, folder: Path, store: LabelStore, env_id: str, width: int, height: int, fps: int
    ) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.store, self.env_id = store, env_id
        self.width, self.height, self.fps = width, height, fps
        self.error: BaseException | None = None
        self._requests: queue.Queue[int] = queue.Queue()
        self._asked: set[int] = set()
        self._done = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="clip-cache", daemon=True)
        self._thread.start()

    def path(self, seg_id: int) -> Path:
        """Where clip ``seg_id``'s MP4 is kept (an int names it: no request reaches a path)."""
        return self.folder / f"{int(seg_id):08d}.mp4"

    def request(self, *seg_ids: int) -> None:
        """Asks for clips to be rendered ahead of their first view (cached ones are not)."""
        with self._done:
            for seg_id in map(int, seg_ids):
                if seg_id not in self._asked and not self.path(seg_id).exists():
                    self._asked.add(seg_id)
                    self._requests.put(seg_id)

    def wait(self, seg_id: int, timeout: float) -> Path | None:
        """Clip ``seg_id``'s MP4, rendering it if need be; None if not ready in ``timeout``
        seconds. Raises ``RuntimeError`` if rendering failed."""
        self.request(seg_id)
        path = self.path(seg_id)
        with self._done:
            self._done.wait_for(lambda: path.exists() or self.error is not None, timeout)
        if self.error is not None:
            raise RuntimeError(f"rendering clips failed: {self.error}") from self.error
        return path if path.exists() else None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _work(self) -> None:
        try:
            renderer = ClipRenderer(self.env_id, self.width, self.height)
            while not self._stop.is_set():
                try:
                    seg_id = self._requests.get(timeout=0.1)
                except queue.Empty:
                    continue
                path = self.path(seg_id)
                if not path.exists():
                    frames = renderer.render(self.store.load_segment(seg_id).states)
                    tmp = path.with_name(f".{path.stem}.tmp.mp4")
                    try:
                        write_video(tmp, [frames], fps=self.fps)
                        os.replace(tmp, path)
                    finally:
                        with contextlib.suppress(OSError):
                            tmp.unlink()
                with self._done:
                    self._asked.discard(seg_id)
                    self._done.notify_all()
            renderer.close()
        except BaseException as err:  # surfaced to requests by wait()
            with self._done:
                self.error = err
                self._done.notify_all()
