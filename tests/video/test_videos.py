"""``backflip video`` and its pieces: files that read back with the expected frames."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest
import torch

from backflip.config import QueryConfig, ScheduleConfig, TrainConfig
from backflip.training.run import train
from backflip.video.curves import curves_png
from backflip.video.frames import caption, side_by_side, write_video


def test_mp4_and_gif_read_back_with_every_frame(tmp_path) -> None:
    frames = np.random.default_rng(0).integers(0, 255, size=(12, 120, 160, 3), dtype=np.uint8)
    assert write_video(tmp_path / "a.mp4", [frames[:5], frames[5:]]) == 12
    reader = imageio.get_reader(tmp_path / "a.mp4")
    assert reader.count_frames() == 12
    assert reader.get_data(0).shape == (120, 160, 3)
    assert reader.get_meta_data()["codec"] == "h264"
    write_video(tmp_path / "a.gif", [frames])
    assert len(imageio.mimread(tmp_path / "a.gif")) == 12


def test_odd_sizes_are_padded_for_h264(tmp_path) -> None:
    frames = np.zeros((3, 101, 203, 3), dtype=np.uint8)
    write_video(tmp_path / "odd.mp4", [frames])
    assert imageio.get_reader(tmp_path / "odd.mp4").get_data(0).shape == (104, 208, 3)


def test_caption_writes_in_the_top_left_and_pairs_sit_side_by_side() -> None:
    frames = np.zeros((2, 120, 160, 3), dtype=np.uint8)
    captioned = caption(frames, [["hello"], ["world"]])
    assert captioned[:, :20, :60].any() and not captioned[:, 60:].any()
    assert not np.array_equal(captioned[0], captioned[1])
    pair = side_by_side(captioned, frames[:1])
    assert pair.shape == (2, 120, 2 * 160 + 8, 3)
    np.testing.assert_array_equal(pair[1, :, 168:], frames[0])  # the shorter clip holds


def test_curves_png_has_the_asked_size(tmp_path) -> None:
    metrics = tmp_path / "metrics.csv"
    metrics.write_text("step,labels,true_return\n100,10,-5\n200,20,\n300,30,7.5\n")
    curves_png(metrics, tmp_path / "curves.png", width=900, height=300)
    image = imageio.imread(tmp_path / "curves.png")
    assert image.shape[:2] == (300, 900)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("video") / "run"
    config = TrainConfig(
        env="HalfCheetah-v5",
        algo="ppo",
        steps=1024,
        horizon=50,
        eval_horizon=60,  # evaluation and videos play longer episodes than training
        labels=12,
        query=QueryConfig(segment_len=25),
        schedule=ScheduleConfig(rounds=2),
        eval_episodes=2,
        run_dir=run_dir,
    )
    train(config, torch.device("cpu"), progress=False)
    return run_dir


def backflip(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MUJOCO_GL": "egl"}
    return subprocess.run(
        [sys.executable, "-m", "backflip.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_backflip_video_writes_the_four_files(tiny_run, tmp_path) -> None:
    out = tmp_path / "out"
    done = backflip("video", str(tiny_run), "--out", str(out), "--episodes", "2")
    assert done.returncode == 0, done.stderr[-2000:]
    # HalfCheetah steps 0.05 s: every step is a frame at 30 fps; 60 steps + the start.
    policy = imageio.get_reader(out / "policy.mp4")
    assert policy.count_frames() == 2 * 61
    assert policy.get_data(0).shape == (240, 320, 3)
    policies = len(list((tiny_run / "policies").glob("step_*.pt")))
    assert imageio.get_reader(out / "progress.mp4").count_frames() == min(policies, 6) * 61
    pairs = imageio.get_reader(out / "pairs.mp4")
    assert pairs.get_data(0).shape == (240, 648, 3)
    assert pairs.count_frames() == min(12, 6) * 2 * 26
    assert imageio.imread(out / "curves.png").shape[:2] == (400, 1200)
    gif = imageio.mimread(out / "policy.gif")
    assert len(gif) == 21 and gif[0].shape[:2] == (240, 320)  # 61 frames, every 3rd


def test_backflip_eval_reproduces_the_summary(tiny_run) -> None:
    """The same episodes (seeds, horizon, count) as the run's own final evaluation."""
    summary = json.loads((tiny_run / "summary.json").read_text())
    assert summary["eval_horizon"] == 60
    done = backflip("eval", str(tiny_run))
    assert done.returncode == 0, done.stderr[-2000:]
    evaluated = json.loads(done.stdout)
    assert evaluated["horizon"] == 60 and evaluated["episodes"] == 2
    for key in ("eval_true_return_mean", "eval_true_return_std", "random_true_return_mean"):
        assert evaluated[key] == summary[key], key
    assert evaluated["eval_env_return_mean"] == summary["eval_env_return_mean"]
    # Fewer episodes are the first of the same episodes: not the same mean, here.
    one = json.loads(backflip("eval", str(tiny_run), "--episodes", "1").stdout)
    assert one["episodes"] == 1 and one["eval_true_return_mean"] != summary["eval_true_return_mean"]


def test_backflip_video_errors_are_one_line(tiny_run, tmp_path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "config.json").write_text((tiny_run / "config.json").read_text())
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    not_mujoco = tmp_path / "cartpole"
    shutil.copytree(tiny_run, not_mujoco)
    config = json.loads((not_mujoco / "config.json").read_text())
    (not_mujoco / "config.json").write_text(
        json.dumps({**config, "env": "CartPole-v1", "env_kwargs": []})
    )
    pickled = tmp_path / "pickled"
    shutil.copytree(tiny_run, pickled)
    clip = sorted((pickled / "clips").glob("*.npz"))[0]
    arrays = dict(np.load(clip))
    np.savez(clip, **{**arrays, "obs": np.array([object()] * 3, dtype=object)})
    for args, phrase in [
        (["video", str(empty)], "no checkpoint"),
        (["video", str(tmp_path / "missing")], "not a directory"),
        (["video", str(tiny_run), "--out", str(blocker / "sub")], "cannot create output folder"),
        (["video", str(not_mujoco)], "is not a MuJoCo env"),
        (["video", str(pickled)], "holds pickled objects, which backflip never loads"),
    ]:
        done = backflip(*args)
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("backflip: error:"), done.stderr
        assert phrase in lines[0]
