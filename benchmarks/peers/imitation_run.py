r"""The peer's side of imitation_side_by_side.py: one run of the imitation library.

Executed by the peer's own python (``benchmarks/peers/.venv-imitation``), never by ours:

    imitation_run.py learned  --env HalfCheetah --steps 204800 --labels 700 --seed 0 \
        --episodes 10 --eval-seed 123 --out DIR      # preference comparisons
    imitation_run.py true     --env HalfCheetah --steps 204800 --seed 0 \
        --episodes 10 --eval-seed 123 --out DIR      # its RL on the true reward
    imitation_run.py rollout  --env HalfCheetah --reset-seed 123 --actions A.npy --out R.npz
    imitation_run.py versions

Both training commands run imitation's own scripts (``train_preference_comparisons`` and
``train_rl``, through their Sacred experiments) with the library's published named config
for the task (``seals_half_cheetah``, ``seals_hopper``, ``seals_walker``), changing only:

- ``environment.gym_id``: the named configs name ``seals/<Task>-v0``, which seals 0.2.1 (the
  release imitation 1.0.1 requires) no longer registers; its ``seals/<Task>-v1`` is the same
  task on gymnasium's v4 MuJoCo envs.
- the budget: ``total_comparisons`` (labels), ``total_timesteps`` (steps; for preference
  comparisons chosen so that the agent's actual PPO steps come closest to ``--steps``,
  see :func:`matched_total_timesteps`), ``seed``;
- what is saved (checkpoints, periodic policies, rollouts) and the scripts' own final
  evaluation, which is replaced by the one evaluation both sides share (:func:`evaluate`).
  None of these changes what is learned.
- only where the label budget is too small for it (a smoke test's): ``num_iterations``,
  lowered until every iteration gets a comparison (see :func:`usable_iterations`).

torch runs on ``--torch-threads`` threads (1 by default, as backflip's training).

Writes ``DIR/result.json``; the library's own logs go to ``DIR/imitation``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # imitation imports huggingface_sb3/datasets
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402
import seals  # noqa: E402, F401  (registers seals/<Task>-v1 with gymnasium)

NAMED_CONFIG = {
    "HalfCheetah": "seals_half_cheetah",
    "Hopper": "seals_hopper",
    "Walker2d": "seals_walker",
}
"""imitation's named config per task, the same name in both scripts' config files
(``src/imitation/scripts/config/train_preference_comparisons.py`` and ``train_rl.py``)."""


def gym_id(task: str) -> str:
    return f"seals/{task}-v1"


def versions() -> dict[str, str]:
    from importlib.metadata import version

    names = ["imitation", "seals", "gymnasium", "mujoco", "stable-baselines3", "torch"]
    found = {name: version(name) for name in names}
    found |= {"numpy": np.__version__, "sacred": version("sacred")}
    found["python"] = platform.python_version()
    return found


def evaluate(policy: Any, task: str, episodes: int, eval_seed: int) -> list[float]:
    """The one evaluation both sides share: ``episodes`` episodes of the task's fixed
    horizon (1000 steps, no early termination), episode ``k`` reset with ``eval_seed + k``;
    the env's own reward summed. ``policy=None`` acts uniformly at random (the action
    space seeded with ``eval_seed``), else deterministically."""
    env = gym.make(gym_id(task))
    env.action_space.seed(eval_seed)
    returns = []
    for episode in range(episodes):
        obs, _ = env.reset(seed=eval_seed + episode)
        total, done = 0.0, False
        while not done:
            if policy is None:
                action = env.action_space.sample()
            else:
                action = policy.predict(obs, deterministic=True)[0]
            obs, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    env.close()
    return returns


class Grab:
    """Stands in for the scripts' final evaluation (``policy_evaluation.eval_policy``):
    keeps the trained agent and the moment training ended."""

    def __init__(self) -> None:
        self.agent: Any = None
        self.ended: float | None = None

    def __call__(self, rl_algo: Any, venv: Any, *args: Any, **kwargs: Any) -> dict[str, float]:
        self.ended = time.perf_counter()
        self.agent = rl_algo
        return {}


def matched_total_timesteps(steps: int, num_iterations: int, rollout: int) -> int:
    """``total_timesteps`` for imitation's ``PreferenceComparisons.train`` whose agent ends
    closest to ``steps`` PPO steps. The trainer trains the agent ``num_iterations + 1``
    times (once after the initial comparisons, then once per iteration), each for
    ``total_timesteps // num_iterations`` steps, and SB3's ``learn`` rounds each call up to
    whole rollouts of ``rollout`` steps; so the agent takes
    ``(num_iterations + 1) * ceil(per_call / rollout) * rollout`` steps."""
    per_call = max(1, round(steps / ((num_iterations + 1) * rollout))) * rollout
    return per_call * num_iterations


def agent_steps(total_timesteps: int, num_iterations: int, rollout: int) -> int:
    """What the agent will take for ``total_timesteps`` (see :func:`matched_total_timesteps`)."""
    per_call, extra = divmod(total_timesteps, num_iterations)
    calls = [per_call] * (num_iterations + 1)
    calls[num_iterations - 1] += extra
    return sum(math.ceil(c / rollout) * rollout for c in calls)


def query_schedule(labels: int, iterations: int, initial_frac: float, name: str) -> list[int]:
    """Comparisons asked before each agent phase, as ``PreferenceComparisons.train``
    apportions them (the initial block, then one share per iteration)."""
    from imitation.algorithms.preference_comparisons import QUERY_SCHEDULES
    from imitation.util.util import oric

    initial = int(labels * initial_frac)
    probs = np.vectorize(QUERY_SCHEDULES[name])(np.linspace(0, 1, iterations))
    shares = oric(probs / probs.sum() * (labels - initial))
    return [initial, *shares.tolist()]


def usable_iterations(labels: int, iterations: int, initial_frac: float, name: str) -> int:
    """The most iterations, up to the published ``iterations``, that give every phase at
    least one comparison: imitation 1.0.1 raises ("No trajectories are long enough") at a
    phase asked for none, which small label budgets (a smoke test's) produce."""
    for n in range(iterations, 0, -1):
        if min(query_schedule(labels, n, initial_frac, name)) >= 1:
            return n
    raise SystemExit(
        f"imitation cannot run {labels} labels: its initial block "
        f"({initial_frac:g} of the budget) and each iteration need one comparison at least"
    )


def train(args: argparse.Namespace) -> dict[str, Any]:
    import sacred
    import torch

    torch.set_num_threads(args.torch_threads)

    sacred.SETTINGS.CAPTURE_MODE = "no"
    from imitation.scripts.ingredients import policy_evaluation

    if args.command == "learned":
        from imitation.scripts.train_preference_comparisons import (
            train_preference_comparisons_ex as experiment,
        )

        script = "imitation.scripts.train_preference_comparisons"
    else:
        from imitation.scripts.train_rl import train_rl_ex as experiment

        script = "imitation.scripts.train_rl"

    named = NAMED_CONFIG[args.env]
    log_dir = args.out / "imitation"
    updates: dict[str, Any] = {
        "seed": args.seed,
        "environment": {"gym_id": gym_id(args.env)},
        "logging": {"log_dir": str(log_dir)},
    }
    if args.command == "learned":
        updates |= {"total_comparisons": args.labels, "checkpoint_interval": -1}
    else:
        updates |= {
            "total_timesteps": args.steps,
            "policy_save_interval": 0,
            "policy_save_final": False,
            "rollout_save_final": False,
        }

    def create(config_updates: dict[str, Any]) -> Any:
        return experiment._create_run(
            command_name=experiment.default_command,
            config_updates=config_updates,
            named_configs=[named],
        )

    run = create(updates)
    config = run.config
    num_envs = int(config["environment"]["num_vec"])
    rollout = int(config["rl"]["batch_size"]) // num_envs * num_envs  # n_steps * num_envs
    changed: dict[str, Any] = {}
    if args.command == "learned":
        published = int(config["num_iterations"])
        frac, name = float(config["initial_comparison_frac"]), str(config["query_schedule"])
        iterations = usable_iterations(args.labels, published, frac, name)
        if iterations != published:
            updates["num_iterations"] = iterations
            changed["num_iterations"] = {
                "published": published,
                "used": iterations,
                "why": "imitation 1.0.1 raises at an iteration asked for no comparison",
            }
        total = matched_total_timesteps(args.steps, iterations, rollout)
        run = create(updates | {"total_timesteps": total})
        config = run.config
        expected = agent_steps(total, iterations, rollout)
    else:
        total = args.steps
        expected = math.ceil(total / rollout) * rollout

    grab = Grab()
    policy_evaluation.eval_policy = grab  # the scripts look it up when they call it
    started = time.perf_counter()
    run()
    if grab.agent is None or grab.ended is None:
        raise RuntimeError(f"{script} ended without training an agent")
    wall_s = grab.ended - started
    steps = int(grab.agent.num_timesteps)

    learned = evaluate(grab.agent, args.env, args.episodes, args.eval_seed)
    random = evaluate(None, args.env, args.episodes, args.eval_seed)
    shown = {
        key: config[key]
        for key in (
            "total_timesteps",
            "total_comparisons",
            "num_iterations",
            "fragment_length",
            "initial_comparison_frac",
            "transition_oversampling",
            "query_schedule",
            "reward_trainer_kwargs",
            "active_selection",
            "normalize_reward",
        )
        if key in config
    }
    shown |= {
        "environment": {k: config["environment"][k] for k in ("gym_id", "num_vec", "parallel")},
        "rl": {
            "rl_cls": getattr(config["rl"]["rl_cls"], "__name__", str(config["rl"]["rl_cls"])),
            "batch_size": config["rl"]["batch_size"],
            "rl_kwargs": config["rl"]["rl_kwargs"],
        },
        "policy": {
            "policy_cls": str(config["policy"]["policy_cls"]),
            "policy_kwargs": str(config["policy"]["policy_kwargs"]),
        },
    }
    if "reward" in config:
        shown["reward"] = {k: str(v) for k, v in config["reward"].items()}
    return {
        "side": "imitation",
        "kind": args.command,
        "script": script,
        "named_config": named,
        "env": gym_id(args.env),
        "seed": args.seed,
        "steps_asked": args.steps,
        "agent_steps": steps,
        "agent_steps_expected": expected,
        "labels": args.labels if args.command == "learned" else 0,
        "wall_s": round(wall_s, 2),
        "agent_steps_per_s": round(steps / wall_s, 1),
        "torch_threads": args.torch_threads,
        "eval_episodes": args.episodes,
        "eval_seed": args.eval_seed,
        "eval_return_mean": float(np.mean(learned)),
        "eval_returns": learned,
        "random_return_mean": float(np.mean(random)),
        "random_returns": random,
        "config": shown,
        "changed_from_published": changed,
        "versions": versions(),
    }


def rollout(args: argparse.Namespace) -> None:
    """Fixed actions from a seeded reset: observations, rewards and the env's description,
    to hold against ours (``imitation_side_by_side.py`` checks that the tasks agree)."""
    actions = np.load(args.actions, allow_pickle=False)
    env = gym.make(gym_id(args.env))
    obs, _ = env.reset(seed=args.reset_seed)
    observations, rewards, ends = [obs], [], []
    for action in actions:
        obs, reward, terminated, truncated, _ = env.step(action)
        observations.append(obs)
        rewards.append(reward)
        ends.append(terminated or truncated)
    spec = env.spec
    np.savez(
        args.out,
        observations=np.asarray(observations),
        rewards=np.asarray(rewards),
        ends=np.asarray(ends),
        dt=np.asarray(env.unwrapped.dt),
        max_episode_steps=np.asarray(spec.max_episode_steps if spec else -1),
    )
    env.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("learned", "true"):
        p = sub.add_parser(name)
        p.add_argument("--env", choices=sorted(NAMED_CONFIG), required=True)
        p.add_argument("--steps", type=int, required=True)
        p.add_argument("--labels", type=int, default=0)
        p.add_argument("--seed", type=int, required=True)
        p.add_argument("--episodes", type=int, required=True)
        p.add_argument("--eval-seed", type=int, required=True)
        p.add_argument("--out", type=Path, required=True)
        p.add_argument(
            "--torch-threads",
            type=int,
            default=1,
            help="torch's threads in this process (backflip trains on one)",
        )
    p = sub.add_parser("rollout")
    p.add_argument("--env", choices=sorted(NAMED_CONFIG), required=True)
    p.add_argument("--reset-seed", type=int, required=True)
    p.add_argument("--actions", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    sub.add_parser("versions")
    args = parser.parse_args()

    if args.command == "versions":
        print(json.dumps(versions()))
    elif args.command == "rollout":
        rollout(args)
    else:
        args.out.mkdir(parents=True, exist_ok=True)
        result = train(args)
        tmp = args.out / "result.json.tmp"
        tmp.write_text(json.dumps(result, indent=1, default=str))
        tmp.replace(args.out / "result.json")
        print(json.dumps({k: v for k, v in result.items() if k not in ("config", "versions")}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
