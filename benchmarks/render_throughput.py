"""Clip rendering throughput: our renderer vs gymnasium's ``render_mode="rgb_array"``.

Both draw the same saved physics states of one env, one after the other in one run, at
160x120 and 320x240 (target: at least 5x). Also times our "high" quality, to show what
shadows, reflections and anti-aliasing cost on this machine's renderer.

    MUJOCO_GL=egl python benchmarks/render_throughput.py --env Hopper-v5 --frames 200
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np

from backflip.envs.make import make_env
from backflip.envs.render import ClipRenderer


def saved_states(env_id: str, n: int) -> np.ndarray:
    env = make_env(env_id, horizon=n)
    env.action_space.seed(0)
    _, info = env.reset(seed=0)
    states = [info["physics_state"]]
    for _ in range(n - 1):
        states.append(env.step(env.action_space.sample())[4]["physics_state"])
    return np.stack(states)


def ours(
    env_id: str, states: np.ndarray, width: int, height: int, quality: str, **overrides: object
) -> float:
    renderer = ClipRenderer(env_id, width, height, quality, **overrides)  # type: ignore[arg-type]
    renderer.render(states[:5])
    start = time.perf_counter()
    renderer.render(states)
    fps = len(states) / (time.perf_counter() - start)
    renderer.close()
    return fps


def gymnasium_rgb_array(env_id: str, states: np.ndarray, width: int, height: int) -> float:
    env = gym.make(env_id, render_mode="rgb_array", width=width, height=height)
    env.reset(seed=0)
    base = env.unwrapped
    nq = base.model.nq  # type: ignore[attr-defined]
    env.render()
    start = time.perf_counter()
    for state in states:
        base.set_state(state[1 : 1 + nq], state[1 + nq :])  # type: ignore[attr-defined]
        env.render()
    fps = len(states) / (time.perf_counter() - start)
    env.close()
    return fps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="Hopper-v5")
    parser.add_argument("--frames", type=int, default=200)
    args = parser.parse_args()
    states = saved_states(args.env, args.frames)
    print(f"{args.env}, {args.frames} frames each")
    print("| size | gymnasium rgb_array fps | ours fast fps | ratio | ours high fps |")
    print("|---|---|---|---|---|")
    for width, height in ((160, 120), (320, 240)):
        gym_fps = gymnasium_rgb_array(args.env, states, width, height)
        fast = ours(args.env, states, width, height, "fast")
        high = ours(args.env, states, width, height, "high")
        print(
            f"| {width}x{height} | {gym_fps:.1f} | {fast:.1f} | {fast / gym_fps:.1f}x "
            f"| {high:.1f} |"
        )
    print("\nWhat each effect alone costs (320x240, fps):")
    print("| fast | + shadows | + reflections | + 4x anti-aliasing |")
    print("|---|---|---|---|")
    alone = [
        ours(args.env, states, 320, 240, "fast"),
        ours(args.env, states, 320, 240, "fast", effects=("shadows",)),
        ours(args.env, states, 320, 240, "fast", effects=("reflections",)),
        ours(args.env, states, 320, 240, "fast", samples=4),
    ]
    print("| " + " | ".join(f"{fps:.1f}" for fps in alone) + " |")


if __name__ == "__main__":
    main()
