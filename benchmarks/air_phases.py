"""What a backflip run's policy does in the air, and how far its labelled clips turned.

Per run: its policy's first evaluation episode played again (the same reset seed as
``summary.json``), with the judge's reward terms summed over it, the share of steps in
the air, on the foot alone and on other parts, the torso's highest point, and the
phases in the air of at least 0.08 s (how each took off, its length, top height, the
whole body's backward turn in the air, and how it landed); then the largest backward
turn in the air within any clip the run's oracle compared, how many compared clips
turned at least half a turn in the air, and how many hold a clean backflip
(``backflip/tasks/hopper_backflip/clean_flips.py``): a reward model learns nothing of flips, or of
landing them, from clips that hold none.

    python benchmarks/air_phases.py runs/backflip runs/backflip-s2
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from backflip.envs.make import make_run_env
from backflip.evaluation import episode_seed
from backflip.storage.run_dir import RunDir
from backflip.tasks.hopper_backflip.clean_flips import clean_flips_in_states
from backflip.tasks.hopper_backflip.flips import chain_pitches, floor_contacts_in_states
from backflip.tasks.hopper_backflip.judge import AIR, FOOT, LANDING_DEG, OTHER
from backflip.training.saved_run import SavedRun

SHORTEST = 10
"""env steps (0.08 s) a phase in the air must last to be listed."""
CONTACTS = {AIR: "air", FOOT: "foot", OTHER: "other"}


@dataclasses.dataclass(frozen=True)
class Flight:
    """One phase in the air: the states ``[start, end)`` of an episode with nothing on
    the floor."""

    start: int
    end: int
    start_s: float
    """its start in the episode (s)."""
    air_s: float
    """its length (s)."""
    took_off: str
    """what touched the floor before it: ``foot``, ``upright`` (the foot alone, torso
    within 45 degrees of vertical) or ``other``."""
    landed: str
    """what touched the floor after it (``foot``, ``upright`` or ``other``; ``air`` if
    the episode ended first)."""
    turns: float
    """the whole body's backward turn between take-off and landing (turns of 2 pi)."""
    top: float
    """the torso's highest point in it (m)."""
    took_off_deg: float
    """the torso's angle from vertical at the step before it (degrees, 0 to 180)."""
    landed_deg: float
    """the torso's angle from vertical at the step after it (degrees; at its last step if
    the episode ended first)."""


def _off_vertical_deg(pitch: float) -> float:
    return abs(math.degrees(math.remainder(pitch, 2 * math.pi)))


def _touch(contact: int, off_vertical_deg: float) -> str:
    return "upright" if contact == FOOT and off_vertical_deg < LANDING_DEG else CONTACTS[contact]


def air_phases(states: np.ndarray, contacts: np.ndarray | None = None) -> list[Flight]:
    """The phases in the air of the ``(T, 1 + nq + nv)`` physics states of one episode or
    clip; one already in the air at the first state is left out (its take-off is unseen).
    ``contacts``: the states' ``floor_contacts_in_states``, if already known."""
    if contacts is None:
        contacts = floor_contacts_in_states(states)
    _, body = chain_pitches(states)
    torso_pitch, height = states[:, 3], states[:, 2]  # qpos[2] and qpos[1], after the time
    phases, start = [], None
    for t, contact in enumerate(contacts):
        if contact == AIR and start is None:
            start = t
        if start is not None and (contact != AIR or t == len(contacts) - 1):
            if start > 0:
                end = t if contact != AIR else t + 1
                after = min(end, len(states) - 1)  # the landing step, or the last one
                took_off_deg = _off_vertical_deg(torso_pitch[start - 1])
                landed_deg = _off_vertical_deg(torso_pitch[after])
                phases.append(
                    Flight(
                        start,
                        end,
                        float(states[start, 0] - states[0, 0]),
                        float(states[end - 1, 0] - states[start - 1, 0]),
                        _touch(contacts[start - 1], took_off_deg),
                        _touch(contact, landed_deg) if contact != AIR else "air",
                        float(body[start - 1] - body[after]) / (2 * math.pi),
                        float(height[start:end].max()),
                        took_off_deg,
                        landed_deg,
                    )
                )
            start = None
    return phases


def largest_air_turn(states: np.ndarray, contacts: np.ndarray | None = None) -> float:
    """The largest backward turn (turns) of one phase in the air within a clip's states
    (``contacts`` as :func:`air_phases`)."""
    return max((phase.turns for phase in air_phases(states, contacts)), default=0.0)


def replay(run_dir: Path) -> tuple[dict[str, float], np.ndarray]:
    """The judge's reward terms summed over the run's first evaluation episode, and its
    physics states ``(T + 1, 1 + nq + nv)``."""
    run = SavedRun.open(run_dir, torch.device("cpu"))
    env = make_run_env(run.config, run.eval_horizon)
    obs, info = env.reset(seed=episode_seed(run.config, 0))
    sums: dict[str, float] = defaultdict(float)
    states, done = [info["physics_state"]], False
    while not done:
        obs, _, terminated, truncated, info = env.step(run.policy(obs))
        for name, value in info.items():
            if name.startswith("reward_"):
                sums[name.removeprefix("reward_")] += float(value)
        states.append(info["physics_state"])
        done = terminated or truncated
    env.close()
    return dict(sums), np.stack(states)


def labelled_clips(run_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """The largest turn in the air (turns) and the clean backflips of every clip the
    run's oracle compared, each ``(clips,)``."""
    with RunDir(run_dir).label_store() as store:
        ids = sorted({i for c in store.comparisons() for i in (c.left_id, c.right_id)})
        clips = [store.load_segment(i).states for i in ids]
    turns, clean = np.zeros(len(clips)), np.zeros(len(clips), dtype=np.int64)
    for index, states in enumerate(clips):
        contacts = floor_contacts_in_states(states)  # MuJoCo's contacts: the costly part
        turns[index] = largest_air_turn(states, contacts)
        clean[index] = clean_flips_in_states(states, contacts)[-1]
    return turns, clean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="finished backflip run folders")
    args = parser.parse_args()
    for folder in args.runs:
        terms, states = replay(folder)
        contacts = floor_contacts_in_states(states)
        after_steps = contacts[1:]
        shares = ", ".join(f"{CONTACTS[c]} {np.mean(after_steps == c):.2f}" for c in CONTACTS)
        print(f"## {folder.name}")
        print(
            f"judge return {sum(terms.values()):.1f}: "
            + ", ".join(f"{name} {value:.1f}" for name, value in terms.items() if value)
        )
        print(f"steps on the floor: {shares}; torso at most {states[:, 2].max():.2f} m")
        print("| start (s) | air (s) | took off (torso from vertical) | top (m) | turns | landed |")
        print("|---|---|---|---|---|---|")
        for phase in air_phases(states, contacts):
            if phase.end - phase.start >= SHORTEST:
                print(
                    f"| {phase.start_s:.2f} | {phase.air_s:.2f} "
                    f"| {phase.took_off} ({phase.took_off_deg:.0f}°) | {phase.top:.2f} "
                    f"| {phase.turns:.2f} | {phase.landed} ({phase.landed_deg:.0f}°) |"
                )
        turns, clean = labelled_clips(folder)
        if len(turns) == 0:  # a run on the true reward asks no one
            print("compared clips: none\n", flush=True)
            continue
        print(
            f"compared clips: {len(turns)}, largest turn in the air {turns.max():.2f}, "
            f"at least half a turn: {int(np.sum(turns >= 0.5))}, "
            f"with a clean backflip: {int(np.sum(clean > 0))}\n",
            flush=True,
        )


if __name__ == "__main__":
    main()
