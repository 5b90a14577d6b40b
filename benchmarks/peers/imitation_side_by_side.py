r"""Peers side by side: backflip and imitation's preference comparisons, the same work.

Both on the same tasks, steps, labels, seeds and evaluation, in one run:

    .venv/bin/python benchmarks/peers/imitation_side_by_side.py \
        --envs HalfCheetah Hopper Walker2d --seeds 0-4 --steps 204800 --labels 700 \
        --episodes 10 --out runs/peers-imitation

Per task and seed it runs four trainings, one process at a time:

- ours, learned: ``backflip train --algo ppo --costs visible`` (our PPO defaults) from
  ``--labels`` answers of the synthetic teacher;
- ours, baseline: the same with ``--reward true``;
- the peer, learned: imitation's ``train_preference_comparisons`` with its published named
  config for the task (``seals_half_cheetah``, ``seals_hopper``, ``seals_walker``);
- the peer, baseline: imitation's ``train_rl`` with the named config of the same name (its
  RL on the true reward).

``--costs visible`` is the peer's protocol: its synthetic gatherer judges the env's reward
with the control costs in it, its RL trains on it and its figures report it. Both sides are
evaluated alike: the final policy, deterministic, on ``--episodes`` episodes of 1000 steps
(no early termination) reset with backflip's evaluation seeds, the env's reward summed; and
a random policy on the same episodes. Wall time is each training's, without the final
evaluation; agent steps/s are the agent's PPO steps over it.

The peer lives in its own virtual environment (``benchmarks/peers/.venv-imitation``, made
on first use from ``imitation-requirements.txt``; nothing of it is in our dependencies) and
its runs are executed by its own python (``imitation_run.py``). imitation 1.0.1 needs
gymnasium 0.29, whose MuJoCo tasks are v4, through seals' fixed-horizon wrappers of them
(``seals/HalfCheetah-v1``: gymnasium's ``HalfCheetah-v4`` with the x position in the
observation; Hopper and Walker2d also without early termination). By default ours runs the
same task: gymnasium's v4 env (still in our gymnasium) with the position in the
observation, made fixed-horizon by backflip; ``--ours-task v5`` runs our usual v5 envs
instead. Before training, the script plays the same 1000 actions in both envs from the same
reset and reports whether observations and rewards agree.

Results: ``OUT/report.md`` (the printed table), ``OUT/results.csv``, the runs under
``OUT/ours`` and ``OUT/peer``. Run the same command again to go on after an interruption:
finished cells are read back, an interrupted backflip run resumes, an interrupted peer run
starts over.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PEER_VENV = HERE / ".venv-imitation"
PEER_REQUIREMENTS = HERE / "imitation-requirements.txt"
PEER_RUN = HERE / "imitation_run.py"
PEER_TORCH = "torch==2.13.0"
"""installed first and alone: the CPU build on this machine's disk (a plain ``torch`` would
bring a CUDA build of several GB)."""

TASKS = ("HalfCheetah", "Hopper", "Walker2d")
NAMED_CONFIG = {
    "HalfCheetah": "seals_half_cheetah",
    "Hopper": "seals_hopper",
    "Walker2d": "seals_walker",
}
CHECK_STEPS = 1000


def log(message: str) -> None:
    print(message, flush=True)


# --- the peer's virtual environment ---------------------------------------------------


def peer_python() -> Path:
    return PEER_VENV / "bin" / "python"


def ensure_peer_venv(base_python: str) -> None:
    """Makes ``.venv-imitation`` from ``imitation-requirements.txt`` unless it was made from
    the same file already (a copy of which the venv keeps)."""
    stamp = PEER_VENV / "installed-requirements.txt"
    wanted = PEER_REQUIREMENTS.read_text()
    if peer_python().exists() and stamp.exists() and stamp.read_text() == wanted:
        return
    log(
        f"making the peer's virtual environment {PEER_VENV.relative_to(REPO)} (once, a few minutes)"
    )
    shutil.rmtree(PEER_VENV, ignore_errors=True)
    subprocess.run([base_python, "-m", "venv", str(PEER_VENV)], check=True)
    pip = [str(peer_python()), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, PEER_TORCH], check=True)
    subprocess.run([*pip, "-r", str(PEER_REQUIREMENTS)], check=True)
    cuda = subprocess.run(
        [str(peer_python()), "-c", "import torch; print(torch.version.cuda or '')"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if cuda:
        raise SystemExit(
            f"the peer's venv got a CUDA build of torch ({cuda}); wanted {PEER_TORCH} (CPU)"
        )
    stamp.write_text(wanted)


def peer_versions() -> dict[str, str]:
    out = run_checked([str(peer_python()), str(PEER_RUN), "versions"])
    return json.loads(out.strip().splitlines()[-1])


def run_checked(command: list[str]) -> str:
    """Runs a short command; its output comes back, or its error ends the script."""
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"failed: {shlex.join(command)}\n{done.stdout}{done.stderr}")
    return done.stdout


def our_versions() -> dict[str, str]:
    found = {
        name: version(name)
        for name in ("gymnasium", "mujoco", "stable-baselines3", "torch", "numpy")
    }
    commit = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    found["backflip"] = f"{version('backflip')} ({commit or 'no git'})"
    return found


# --- tasks ----------------------------------------------------------------------------


def our_env(task: str, ours_task: str) -> tuple[str, list[str]]:
    """Our env id and ``--env-kwargs`` for ``task``."""
    if ours_task == "seals":
        return f"{task}-v4", ["exclude_current_positions_from_observation=false"]
    return f"{task}-v5", []


def env_kwargs_dict(pairs: list[str]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for pair in pairs:
        key, value = pair.split("=", 1)
        kwargs[key] = json.loads(value)
    return kwargs


def check_task(task: str, ours_task: str, out: Path) -> dict[str, Any]:
    """The same actions from the same reset in our env and the peer's: do they agree?"""
    path = out / "checks" / f"{task}-{ours_task}.json"
    if path.exists():
        return json.loads(path.read_text())
    import gymnasium as gym

    from backflip.envs.make import make_env

    path.parent.mkdir(parents=True, exist_ok=True)
    env_id, kwargs = our_env(task, ours_task)
    env = make_env(env_id, costs="visible", env_kwargs=env_kwargs_dict(kwargs))
    space = env.action_space
    assert isinstance(space, gym.spaces.Box)
    low, high = space.low, space.high
    actions = np.random.default_rng(0).uniform(low, high, size=(CHECK_STEPS, *low.shape))
    reset_seed = 2024
    obs, _ = env.reset(seed=reset_seed)
    ours_obs, ours_rewards, ours_ends = [obs], [], []
    for action in actions:
        obs, reward, terminated, truncated, _ = env.step(action)
        ours_obs.append(obs)
        ours_rewards.append(float(reward))
        ours_ends.append(terminated or truncated)
    env.close()
    actions_file = path.with_suffix(".actions.npy")
    peer_file = path.with_suffix(".peer.npz")
    np.save(actions_file, actions)
    run_checked(
        [
            str(peer_python()),
            str(PEER_RUN),
            "rollout",
            "--env",
            task,
            "--reset-seed",
            str(reset_seed),
            "--actions",
            str(actions_file),
            "--out",
            str(peer_file),
        ],
    )
    with np.load(peer_file, allow_pickle=False) as peer:
        peer_obs, peer_rewards, peer_ends = peer["observations"], peer["rewards"], peer["ends"]
        peer_horizon = int(peer["max_episode_steps"])
    ours_obs_a, ours_rewards_a = np.asarray(ours_obs), np.asarray(ours_rewards)
    same_shape = ours_obs_a.shape == peer_obs.shape
    result: dict[str, Any] = {
        "task": task,
        "ours": env_id + (f" ({', '.join(kwargs)})" if kwargs else ""),
        "peer": f"seals/{task}-v1",
        "steps": CHECK_STEPS,
        "obs_dims": [int(ours_obs_a.shape[1]), int(peer_obs.shape[1])],
        "max_obs_diff": float(np.abs(ours_obs_a - peer_obs).max()) if same_shape else None,
        "max_reward_diff": float(np.abs(ours_rewards_a - peer_rewards).max()),
        "return_ours": float(ours_rewards_a.sum()),
        "return_peer": float(peer_rewards.sum()),
        "episode_end_ours": int(np.argmax(ours_ends)) + 1 if any(ours_ends) else None,
        "episode_end_peer": int(np.argmax(peer_ends)) + 1 if peer_ends.any() else None,
        "peer_horizon": peer_horizon,
    }
    result["same"] = bool(
        same_shape
        and result["max_obs_diff"] < 1e-9
        and result["max_reward_diff"] < 1e-9
        and result["episode_end_ours"] == result["episode_end_peer"]
    )
    path.write_text(json.dumps(result, indent=1))
    return result


def describe_check(c: dict[str, Any]) -> str:
    if c["same"]:
        verdict = "the same task"
    elif c["max_obs_diff"] is None and c["max_reward_diff"] < 1e-9:
        verdict = "the same dynamics and reward, other observations"
    else:
        verdict = "NOT the same task"
    obs = (
        f"max |obs difference| {c['max_obs_diff']:.3g}"
        if c["max_obs_diff"] is not None
        else f"observations of {c['obs_dims'][0]} and {c['obs_dims'][1]} numbers"
    )
    return (
        f"- {c['task']}: ours `{c['ours']}`, peer `{c['peer']}`; the same {c['steps']} random "
        f"actions from the same reset: {obs}, max |reward difference| {c['max_reward_diff']:.3g} "
        f"(returns {c['return_ours']:.2f} and {c['return_peer']:.2f}), episodes end at step "
        f"{c['episode_end_ours']} and {c['episode_end_peer']}: **{verdict}**"
    )


# --- the runs ---------------------------------------------------------------------------


def run_logged(command: list[str], log_file: Path, threads: int | None = None) -> None:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if threads is not None:  # also the peer's env worker processes
        env |= {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    with log_file.open("a") as f:
        f.write(f"$ {shlex.join(command)}\n")
        f.flush()
        done = subprocess.run(command, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=REPO)
    if done.returncode != 0:
        tail = log_file.read_text().splitlines()[-15:]
        raise SystemExit(
            f"failed ({done.returncode}): {shlex.join(command)}\n  " + "\n  ".join(tail)
        )


def ours(kind: str, task: str, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    """``kind`` "learned" or "true": a backflip run, read back if it finished before."""
    env_id, kwargs = our_env(task, args.ours_task)
    run_dir = args.out / "ours" / f"{env_id}-{kind}-s{seed}"
    summary = run_dir / "summary.json"
    if not summary.exists():
        command = [sys.executable, "-m", "backflip.cli", "train", "--env", env_id]
        if kwargs:
            command += ["--env-kwargs", *kwargs]
        command += ["--algo", "ppo", "--costs", "visible", "--steps", str(args.steps)]
        command += ["--seed", str(seed), "--eval-episodes", str(args.episodes)]
        command += ["--labels", str(args.labels)] if kind == "learned" else ["--reward", "true"]
        command += ["--run-dir", str(run_dir)]
        if (run_dir / "config.json").exists():
            command.append("--resume")
        log(f"  ours {kind:7s} {env_id} seed {seed} ...")
        started = time.perf_counter()
        run_logged(command, run_dir.with_suffix(".log"))
        log(f"  ours {kind:7s} {env_id} seed {seed}: {time.perf_counter() - started:.0f} s")
    s = json.loads(summary.read_text())
    config = json.loads((run_dir / "config.json").read_text())
    asked = (config.get("steps"), s["eval_episodes"], s["labels"] if kind == "learned" else 0)
    if asked != (args.steps, args.episodes, args.labels if kind == "learned" else 0):
        raise SystemExit(
            f"{run_dir} was made with other steps, episodes or labels: use another --out"
        )
    return {
        "return": s["eval_env_return_mean"],
        "random": s["random_env_return_mean"],
        "wall_s": s["wall_s"],
        "steps": s["steps"],
        "steps_per_s": s["steps"] / s["wall_s"],
        "labels": s["labels"],
    }


def peer(
    kind: str, task: str, seed: int, eval_seed: int, args: argparse.Namespace
) -> dict[str, Any]:
    """``kind`` "learned" or "true": an imitation run in the peer's venv."""
    run_dir = args.out / "peer" / f"{task}-{kind}-s{seed}"
    result = run_dir / "result.json"
    if not result.exists():
        shutil.rmtree(run_dir, ignore_errors=True)  # an interrupted run starts over
        command = [
            str(peer_python()),
            str(PEER_RUN),
            kind,
            "--env",
            task,
            "--steps",
            str(args.steps),
        ]
        if kind == "learned":
            command += ["--labels", str(args.labels)]
        command += ["--seed", str(seed), "--episodes", str(args.episodes)]
        command += ["--eval-seed", str(eval_seed), "--out", str(run_dir)]
        command += ["--torch-threads", str(args.peer_threads)]
        log(f"  peer {kind:7s} seals/{task}-v1 seed {seed} ...")
        started = time.perf_counter()
        log_file = run_dir.with_suffix(".log")
        log_file.unlink(missing_ok=True)
        run_logged(command, log_file, threads=args.peer_threads)
        log(f"  peer {kind:7s} seals/{task}-v1 seed {seed}: {time.perf_counter() - started:.0f} s")
    r = json.loads(result.read_text())
    asked = (r["steps_asked"], r["eval_episodes"], r["labels"], r["eval_seed"])
    if asked != (args.steps, args.episodes, args.labels if kind == "learned" else 0, eval_seed):
        raise SystemExit(
            f"{run_dir} was made with other steps, episodes or labels: use another --out"
        )
    return {
        "return": r["eval_return_mean"],
        "random": r["random_return_mean"],
        "wall_s": r["wall_s"],
        "steps": r["agent_steps"],
        "steps_per_s": r["agent_steps_per_s"],
        "labels": r["labels"],
        "changed": r.get("changed_from_published", {}),
        "config": r["config"],
    }


# --- the report ------------------------------------------------------------------------


COLUMNS = (
    "task",
    "seed",
    "ours_learned",
    "ours_baseline",
    "peer_learned",
    "peer_baseline",
    "random_ours",
    "random_peer",
    "ours_learned_wall_s",
    "ours_baseline_wall_s",
    "peer_learned_wall_s",
    "peer_baseline_wall_s",
    "ours_learned_steps",
    "ours_baseline_steps",
    "peer_learned_steps",
    "peer_baseline_steps",
    "ours_learned_steps_per_s",
    "ours_baseline_steps_per_s",
    "peer_learned_steps_per_s",
    "peer_baseline_steps_per_s",
    "ours_score",
    "peer_score",
)


def score(learned: float, baseline: float, random: float) -> float:
    return (learned - random) / (baseline - random) if baseline != random else math.nan


def row(task: str, seed: int, cell: dict[str, dict[str, Any]]) -> dict[str, Any]:
    r: dict[str, Any] = {"task": task, "seed": seed}
    for side in ("ours", "peer"):
        for kind, name in (("learned", "learned"), ("true", "baseline")):
            c = cell[f"{side}_{kind}"]
            r[f"{side}_{name}"] = c["return"]
            r[f"{side}_{name}_wall_s"] = c["wall_s"]
            r[f"{side}_{name}_steps"] = c["steps"]
            r[f"{side}_{name}_steps_per_s"] = c["steps_per_s"]
        r[f"random_{side}"] = cell[f"{side}_learned"]["random"]
        r[f"{side}_score"] = score(r[f"{side}_learned"], r[f"{side}_baseline"], r[f"random_{side}"])
    return r


def fmt(x: float, digits: int = 1) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{digits}f}"


def table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| task | seed | ours learned | ours baseline | peer learned | peer baseline | random "
        "| ours wall s (learned / baseline) | ours agent steps/s "
        "| peer wall s (learned / baseline) | peer agent steps/s |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]

    def line(r: dict[str, Any], seed: str) -> str:
        random = fmt(r["random_ours"])
        if abs(r["random_ours"] - r["random_peer"]) >= 0.05:
            random += f" / {fmt(r['random_peer'])}"
        return (
            f"| {r['task']} | {seed} | {fmt(r['ours_learned'])} | {fmt(r['ours_baseline'])} "
            f"| {fmt(r['peer_learned'])} | {fmt(r['peer_baseline'])} | {random} "
            f"| {fmt(r['ours_learned_wall_s'], 0)} / {fmt(r['ours_baseline_wall_s'], 0)} "
            f"| {fmt(r['ours_learned_steps_per_s'], 0)} / {fmt(r['ours_baseline_steps_per_s'], 0)} "
            f"| {fmt(r['peer_learned_wall_s'], 0)} / {fmt(r['peer_baseline_wall_s'], 0)} "
            f"| {fmt(r['peer_learned_steps_per_s'], 0)} "
            f"/ {fmt(r['peer_baseline_steps_per_s'], 0)} |"
        )

    for task in dict.fromkeys(r["task"] for r in rows):
        mine = [r for r in rows if r["task"] == task]
        lines += [line(r, str(r["seed"])) for r in mine]
        if len(mine) > 1:
            mean = {k: float(np.mean([r[k] for r in mine])) for k in COLUMNS[2:]}
            lines.append(line({"task": f"**{task}**", **mean}, f"**mean of {len(mine)}**"))
    return lines


def mean_of(rows: list[dict[str, Any]], task: str, key: str) -> str:
    return fmt(float(np.mean([r[key] for r in rows if r["task"] == task])), 2)


def report(
    rows: list[dict[str, Any]],
    checks: list[dict[str, Any]],
    extra: dict[str, Any],
    args: argparse.Namespace,
) -> str:
    ours_v, peer_v = extra["ours_versions"], extra["peer_versions"]
    tasks = "the same tasks" if all(c["same"] for c in checks) else "the tasks below"
    lines = [
        "# backflip and imitation's preference comparisons, side by side",
        "",
        f"`{extra['command']}`",
        "",
        f"{args.steps:,} agent steps asked, {args.labels} labels from a perfect synthetic teacher "
        "judging the env's reward with its control costs (`--costs visible`, the peer's protocol), "
        f"seeds {', '.join(map(str, args.seeds))}; returns are the env's reward over "
        f"{args.episodes} deterministic episodes of 1000 steps (no early termination) reset with "
        f"backflip's evaluation seeds, and a random policy's on the same episodes; on {tasks}.",
        "",
        *table(rows),
        "",
        "Baseline: each side's own RL on the true reward, same steps and seed. Wall time: the "
        "training's, without the final evaluation; agent steps/s: its PPO steps over that time. "
        "A random column with two numbers gives ours / the peer's.",
        "",
        "Random-normalized score, (learned − random) / (own baseline − random), mean over seeds: "
        + "; ".join(
            f"{task} ours {mean_of(rows, task, 'ours_score')}, "
            f"peer {mean_of(rows, task, 'peer_score')}"
            for task in dict.fromkeys(r["task"] for r in rows)
        )
        + ".",
        "",
        "Agent steps taken (asked "
        + f"{args.steps:,}"
        + "): "
        + "; ".join(
            f"{task} ours {r['ours_learned_steps']:,} / {r['ours_baseline_steps']:,}, "
            f"peer {r['peer_learned_steps']:,} / {r['peer_baseline_steps']:,}"
            for task, r in {r["task"]: r for r in rows}.items()
        )
        + " (learned / baseline). imitation's preference comparisons train the agent "
        "`num_iterations + 1` times, each rounded up to whole PPO rollouts: its "
        "`total_timesteps` is set so that the agent's steps come closest to those asked.",
        "",
        "## Tasks",
        "",
        *(describe_check(c) for c in checks),
        "",
        "## Settings",
        "",
        f"- **ours**: backflip {ours_v['backflip']}, `backflip train --algo ppo --costs visible "
        f"--steps {args.steps} --labels {args.labels} --eval-episodes {args.episodes}` "
        "(PPO and preference defaults; baseline `--reward true`); gymnasium "
        f"{ours_v['gymnasium']}, mujoco {ours_v['mujoco']}, stable-baselines3 "
        f"{ours_v['stable-baselines3']}, torch {ours_v['torch']}, numpy {ours_v['numpy']}.",
        f"- **peer**: imitation {peer_v['imitation']} in its own venv (seals {peer_v['seals']}, "
        f"gymnasium {peer_v['gymnasium']}, mujoco {peer_v['mujoco']}, stable-baselines3 "
        f"{peer_v['stable-baselines3']}, torch {peer_v['torch']}, numpy {peer_v['numpy']}, "
        f"sacred {peer_v['sacred']}): `imitation.scripts.train_preference_comparisons` and "
        "`imitation.scripts.train_rl` with their named configs "
        + ", ".join(f"`{NAMED_CONFIG[t]}`" for t in dict.fromkeys(r["task"] for r in rows))
        + "; changed: `environment.gym_id` (`seals/<task>-v1`: the configs name `-v0`, which seals "
        "0.2.1 does not register), `total_timesteps`, `total_comparisons`, `seed`, and what is "
        "saved; the scripts' own final evaluation is replaced by the shared one. "
        f"torch on {args.peer_threads} thread(s) per process, as ours on one.",
    ]
    for (task, kind), changed in extra["peer_changes"].items():
        for key, what in changed.items():
            lines.append(
                f"- **peer, {task} {kind}**: `{key}` {what['used']} instead of the published "
                f"{what['published']} ({what['why']}; only small label budgets need this)."
            )
    for task, configs in extra["peer_configs"].items():
        lines.append(
            f"- peer settings, {task}: learned `{json.dumps(configs['learned'], default=str)}`; "
            f"baseline `{json.dumps(configs['true'], default=str)}`"
        )
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--envs", nargs="+", choices=TASKS, default=list(TASKS))
    parser.add_argument("--seeds", default="0-4", help="a range 0-4, a list 0,2,7 or one seed")
    parser.add_argument("--steps", type=int, default=204_800, help="agent steps of every training")
    parser.add_argument("--labels", type=int, default=700, help="comparisons of each learned run")
    parser.add_argument("--episodes", type=int, default=10, help="evaluation episodes")
    parser.add_argument("--out", type=Path, default=Path("runs/peers-imitation"))
    parser.add_argument(
        "--ours-task",
        choices=("seals", "v5"),
        default="seals",
        help="seals: ours on gymnasium's v4 env with the position in the observation, the "
        "peer's task (default); v5: our usual v5 env",
    )
    parser.add_argument(
        "--peer-threads",
        type=int,
        default=1,
        help="torch (OpenMP) threads of the peer's processes; backflip trains on one (default 1)",
    )
    parser.add_argument(
        "--peer-python",
        default=getattr(sys, "_base_executable", sys.executable),
        help="the Python (3.11) that makes the peer's venv",
    )
    args = parser.parse_args()
    from backflip.grid.spec import parse_seeds
    from backflip.seeds import Seeds

    args.seeds = parse_seeds(args.seeds)
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    command = "python benchmarks/peers/imitation_side_by_side.py " + shlex.join(sys.argv[1:])
    started = time.perf_counter()

    ensure_peer_venv(args.peer_python)
    extra: dict[str, Any] = {
        "command": command,
        "ours_versions": our_versions(),
        "peer_versions": peer_versions(),
        "peer_changes": {},
        "peer_configs": {},
    }
    checks = [check_task(task, args.ours_task, args.out) for task in args.envs]
    for c in checks:
        log(describe_check(c))

    rows: list[dict[str, Any]] = []
    for task in args.envs:
        for seed in args.seeds:
            eval_seed = Seeds.of(seed).evaluation  # backflip's evaluation episodes
            log(f"{task}, seed {seed}:")
            cell = {
                "ours_learned": ours("learned", task, seed, args),
                "ours_true": ours("true", task, seed, args),
                "peer_learned": peer("learned", task, seed, eval_seed, args),
                "peer_true": peer("true", task, seed, eval_seed, args),
            }
            for kind in ("learned", "true"):
                if cell[f"peer_{kind}"]["changed"]:
                    extra["peer_changes"][(task, kind)] = cell[f"peer_{kind}"]["changed"]
            extra["peer_configs"][task] = {
                k: cell[f"peer_{k}"]["config"] for k in ("learned", "true")
            }
            rows.append(row(task, seed, cell))
            write(rows, checks, extra, args)  # partial results as they come

    text = write(rows, checks, extra, args)
    print()
    print(text)
    took = time.perf_counter() - started
    log(f"({took:.0f} s; {args.out / 'report.md'}, {args.out / 'results.csv'})")


def write(
    rows: list[dict[str, Any]],
    checks: list[dict[str, Any]],
    extra: dict[str, Any],
    args: argparse.Namespace,
) -> str:
    text = report(rows, checks, extra, args)
    (args.out / "report.md").write_text(text)
    with (args.out / "results.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return text


if __name__ == "__main__":
    main()
