"""The arguments of ``backflip eval``, ``video`` and ``label`` (``train``'s are the run's
configuration, ``backflip/config.py``). Light imports only: ``backflip --help`` is fast."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Literal

import tyro


@dataclasses.dataclass(frozen=True)
class EvalArgs:
    """Evaluate a run's latest policy on the env's reward; prints one JSON line."""

    run_dir: Annotated[Path, tyro.conf.Positional]
    """the run directory written by backflip train."""
    episodes: int | None = None
    """evaluation episodes (and as many for the random policy); default: the run's
    --eval-episodes, which with the run's own episode seeds reproduces summary.json."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """auto, cpu or cuda."""


@dataclasses.dataclass(frozen=True)
class CompareArgs:
    """Print a finished learned run next to its finished true-reward baseline (same env,
    algo, steps and seed) and the score (learned - random) / (baseline - random)."""

    learned: Annotated[Path, tyro.conf.Positional]
    """the learned run's directory."""
    baseline: Annotated[Path, tyro.conf.Positional]
    """the true-reward run's directory (--reward true)."""


@dataclasses.dataclass(frozen=True)
class VideoArgs:
    """Write policy.mp4, progress.mp4, pairs.mp4 and curves.png of a run."""

    run_dir: Annotated[Path, tyro.conf.Positional]
    """the run directory written by backflip train."""
    out: Path | None = None
    """output folder; default RUN_DIR/videos."""
    quality: Literal["fast", "high"] = "fast"
    """fast: no shadows, reflections or anti-aliasing (software rendering); high: all."""
    episodes: int = 2
    """episodes of the final policy in policy.mp4."""
    width: int = 320
    """frame width in pixels."""
    height: int = 240
    """frame height in pixels."""


@dataclasses.dataclass(frozen=True)
class LabelArgs:
    """Open the clip comparison window for a run that trains with --oracle human."""

    run_dir: Annotated[Path, tyro.conf.Positional]
    """the run directory of backflip train --oracle human."""
    labeller: str | None = None
    """name stored with each answer; default: your OS user name."""
    width: int = 320
    """width of each clip in pixels."""
    height: int = 240
    """height of each clip in pixels."""
    synthetic_human: bool = False
    """answer with the run's synthetic teacher by posting key presses (tests, demos)."""
    max_labels: int | None = None
    """quit after this many answers."""
    screenshot: Path | None = None
    """save a PNG of the window once the first pair shows."""
    wait_s: float = 0.0
    """seconds to wait for a trainer that is just starting to create the run."""
    question: str | None = None
    """the question shown above the clips; default: the env's task's ("Which clip does
    the task better?" unless the task asks its own)."""


@dataclasses.dataclass(frozen=True)
class ServeArgs:
    """Serve the clip comparison page of a run that trains with --oracle human, so that
    people label it from their browsers; prints an invite link per new labeller."""

    run_dir: Annotated[Path, tyro.conf.Positional]
    """the run directory of backflip train --oracle human."""
    host: str = "127.0.0.1"
    """address to listen on; 0.0.0.0 for every interface (put TLS in front: README)."""
    port: int = 8000
    """TCP port."""
    add_labeller: tuple[str, ...] = ()
    """add these labellers (or give them a new secret), print their invite links and exit."""
    public_url: str | None = None
    """the address people open, for the invite links (e.g. https://labels.example.org);
    default: http://HOST:PORT."""
    behind_proxy: bool = False
    """trust X-Forwarded-* headers from a reverse proxy on this machine (127.0.0.1), which
    marks the login cookie Secure when the proxy speaks HTTPS."""
    width: int = 320
    """width of each clip in pixels."""
    height: int = 240
    """height of each clip in pixels."""
    threads: int = 8
    """requests served at once."""
    render_processes: int = 1
    """processes rendering clips, each taking a CPU core while it draws; more keep up with
    more labellers where there are cores to spare."""
    question: str | None = None
    """the question shown above the clips; default: the env's task's."""


@dataclasses.dataclass(frozen=True)
class GridArgs:
    """Run a benchmark grid (envs x algos x label budgets x seeds, each with a true-reward
    baseline) as Ray tasks, and report scores with confidence intervals. Flags after `--`
    go to every run's `backflip train`."""

    out: Path
    """the grid's folder: grid.json, runs/<cell>/, report.md, results.csv, *.png."""
    env: tuple[str, ...] = ()
    """env ids, e.g. HalfCheetah-v5 Hopper-v5."""
    algo: tuple[Literal["sac", "ppo"], ...] = ("ppo",)
    """RL algorithms."""
    labels: tuple[int, ...] = ()
    """label budgets of the learned runs; none: the true-reward baselines alone (e.g. to
    compare agent settings)."""
    seeds: str = "0-4"
    """seeds: a range 0-4, a list 0,2,7, or one seed."""
    steps: int | None = None
    """env steps of every run (learned and baseline)."""
    address: str | None = None
    """a Ray cluster to run on: auto (the one `ray start` made on this machine) or
    HOST:PORT; default: a local Ray started for this grid with all of this machine's CPUs."""
    cpus_per_run: int = 1
    """CPUs (and torch threads) per run; numpy's BLAS runs on one thread in any run."""
    baselines_from: Path | None = None
    """another grid's folder: its finished true-reward baselines are copied instead of
    trained again where they match (env, algo, steps, seed, costs, alive, horizons, evaluation
    episodes, agent settings), e.g. for an ablation of the learned arm."""
    baselines: bool = True
    """train a true-reward baseline per env, algo and seed (the scores divide by it);
    --no-baselines: the learned runs alone (their returns and the task's metrics)."""
    report: bool = False
    """only rebuild the report from the runs that have finished."""
    publish: Path | None = None
    """also copy the report (report.md, results.csv and its plots) into this folder, e.g.
    docs/results/NAME: a results page made by the grid, never retyped."""
    train_flags: tyro.conf.Suppress[tuple[str, ...]] = ()
    """the flags after `--` (filled in by the command line)."""
