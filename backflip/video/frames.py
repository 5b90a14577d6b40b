"""Frame helpers for videos: captions, side-by-side pairs, writing mp4/GIF with imageio."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FPS = 30


def caption(frames: np.ndarray, per_frame: Sequence[Sequence[str]]) -> np.ndarray:
    """Writes text lines on ``(N, H, W, 3)`` uint8 frames: ``per_frame[i]`` on frame ``i``."""
    if len(per_frame) != len(frames):
        raise ValueError(f"{len(per_frame)} captions for {len(frames)} frames")
    font = ImageFont.load_default()
    out = np.empty_like(frames)
    for i, frame in enumerate(frames):
        image = Image.fromarray(frame)
        draw = ImageDraw.Draw(image)
        y = 3.0
        for line in per_frame[i]:
            box = draw.textbbox((4, y), line, font=font)
            draw.rectangle((box[0] - 2, box[1] - 1, box[2] + 2, box[3] + 1), fill=(0, 0, 0))
            draw.text((4, y), line, fill=(255, 255, 255), font=font)
            y = box[3] + 3
        out[i] = np.asarray(image)
    return out


def side_by_side(left: np.ndarray, right: np.ndarray, gap: int = 8) -> np.ndarray:
    """``(N, H, 2W + gap, 3)`` frames of two equally sized ``(N, H, W, 3)`` clips."""
    n = max(len(left), len(right))
    left, right = _hold_last(left, n), _hold_last(right, n)
    divider = np.full((n, left.shape[1], gap, 3), 255, dtype=np.uint8)
    return np.concatenate([left, divider, right], axis=2)


def _hold_last(frames: np.ndarray, n: int) -> np.ndarray:
    if len(frames) >= n:
        return frames
    return np.concatenate([frames, np.repeat(frames[-1:], n - len(frames), axis=0)])


def _pad_to_block(frame: np.ndarray, block: int = 8) -> np.ndarray:
    """Pads with black to sizes divisible by ``block``, as H.264 players want."""
    h, w = frame.shape[:2]
    pad_h, pad_w = -h % block, -w % block
    if not pad_h and not pad_w:
        return frame
    return np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)))


def write_video(path: Path, chunks: Iterable[np.ndarray], fps: int = FPS) -> int:
    """Writes frame chunks to an H.264 mp4 (browser-playable) or a GIF; returns frames written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    if path.suffix == ".gif":
        frames = [f for chunk in chunks for f in chunk]
        imageio.mimsave(path, frames, duration=1000 / fps, loop=0)
        return len(frames)
    with imageio.get_writer(
        path,
        fps=fps,
        codec="libx264",
        quality=7,
        pixelformat="yuv420p",
        macro_block_size=8,
        ffmpeg_log_level="error",
    ) as writer:
        for chunk in chunks:
            for frame in chunk:
                writer.append_data(_pad_to_block(frame))  # type: ignore[attr-defined]
                count += 1
    return count
