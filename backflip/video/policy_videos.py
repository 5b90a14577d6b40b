"""``policy.mp4`` (the final policy) and ``progress.mp4`` (checkpoints, early to late)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from backflip.envs.render import ClipRenderer
from backflip.evaluation import episode_seed, episode_states
from backflip.tasks.registry import task_for
from backflip.training.checkpoints import load_policy
from backflip.training.saved_run import SavedRun
from backflip.video.frames import FPS, caption, write_video


def frame_stride(dt: float, fps: int = FPS) -> int:
    """Every how many env steps a frame is shown, so playback runs at about real time."""
    return max(1, round(1.0 / (fps * dt)))


def _episode_frames(
    run: SavedRun,
    renderer: ClipRenderer,
    seed: int,
    title: str,
    stride: int,
    max_seconds: float = float("inf"),
) -> np.ndarray:
    states, rewards = episode_states(run.config, run.eval_horizon, run.policy, seed)
    steps = len(states) if np.isinf(max_seconds) else int(max_seconds / renderer.dt) + 1
    shown = np.arange(0, min(len(states), steps), stride)
    so_far = np.concatenate([[0.0], np.cumsum(rewards)])
    lines = [[title, f"t={t}  true return {so_far[t]:.1f}"] for t in shown]
    extra = task_for(run.config.env).frame_captions(states)
    if extra is not None:
        lines = [[*line, extra[t]] for line, t in zip(lines, shown, strict=True)]
    return caption(renderer.render(states[shown]), lines)


def policy_video(
    run: SavedRun, renderer: ClipRenderer, path: Path, episodes: int, gif_seconds: float = 4.0
) -> int:
    """The latest policy for ``episodes`` episodes; returns the frame count.

    Also writes a GIF preview (10 fps, the first ``gif_seconds``) beside the mp4, for
    READMEs and pages that don't play video.
    """
    stride = frame_stride(renderer.dt)
    title = f"{run.config.env}  {run.config.reward} reward  step {run.agent.num_timesteps}"
    preview: list[np.ndarray] = []

    def chunks() -> Iterator[np.ndarray]:
        for ep in range(episodes):
            seed = episode_seed(run.config, ep)  # the evaluation's episode ep
            frames = _episode_frames(run, renderer, seed, title, stride)
            if not preview:
                preview.append(frames[: int(gif_seconds * FPS) : 3])
            yield frames

    count = write_video(path, chunks())
    write_video(path.with_suffix(".gif"), preview, fps=FPS // 3)
    return count


def progress_video(
    run: SavedRun, renderer: ClipRenderer, path: Path, count: int = 6, seconds: float = 8.0
) -> int:
    """The same start state played by up to ``count`` checkpoints, early to late, in turn,
    each for ``seconds`` of simulated time."""
    policies = run.run_dir.saved_policies()
    if not policies:
        raise FileNotFoundError(f"{run.run_dir.policies} holds no policy checkpoints")
    picks = sorted({round(i) for i in np.linspace(0, len(policies) - 1, count)})
    stride = frame_stride(renderer.dt)
    seed = episode_seed(run.config, 0)

    def chunks() -> Iterator[np.ndarray]:
        for index in picks:
            step, path = policies[index]
            load_policy(run.agent, path)
            title = f"{run.config.env}  after {step} steps"
            yield _episode_frames(run, renderer, seed, title, stride, seconds)

    return write_video(path, chunks())
