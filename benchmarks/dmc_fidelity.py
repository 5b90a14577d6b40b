"""Reference figures of dm_control's own DMC tasks, for ``tests/tasks/test_dmc.py``.

dm_control's ``Physics`` does not load with the MuJoCo this package pins, so run this with
a Python that has ``dm_control==1.0.50`` and the MuJoCo it supports (``mujoco==3.17.0``),
e.g. a separate virtual environment:

    python -m venv /tmp/dmcref && /tmp/dmcref/bin/pip install mujoco==3.17.0 dm_control==1.0.50
    /tmp/dmcref/bin/python benchmarks/dmc_fidelity.py

For each task: the episode's start with ``random=5`` and the rewards and last observation
after 20 steps of the same actions (uniform in [-1, 1], numpy's ``default_rng(0)``).
"""

from __future__ import annotations

import json

import numpy as np
from dm_control import suite

STEPS = 20


def main() -> None:
    figures = {}
    for domain, task in (
        ("walker", "walk"),
        ("walker", "run"),
        ("cheetah", "run"),
        ("quadruped", "walk"),
        ("quadruped", "run"),
    ):
        env = suite.load(domain, task, task_kwargs={"random": 5})
        env.reset()
        start = np.concatenate([env.physics.data.qpos, env.physics.data.qvel])
        actions = np.random.default_rng(0).uniform(-1, 1, (STEPS, env.action_spec().shape[0]))
        rewards = []
        for action in actions:
            step = env.step(action)
            rewards.append(float(step.reward))
        last = np.concatenate([np.atleast_1d(v).ravel() for v in step.observation.values()])
        figures[f"{domain}_{task}"] = {
            "start": start.round(10).tolist(),
            "rewards": np.round(rewards, 10).tolist(),
            "last_obs": last.round(8).tolist(),
        }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
