"""The RL Baselines3 Zoo's published returns, for absolute levels beside a grid's.

From the Zoo's ``benchmark.md``
(https://github.com/DLR-RM/rl-baselines3-zoo/blob/0088472b8cb622732bdbc4aa3d0d0abde86c67ed/benchmark.md):
one trained agent per row, its deterministic policy evaluated for 150,000 steps on the
gym v3 envs, whose episodes end when the Hopper or the Walker falls; the env's own
reward, control costs included.
"""

from __future__ import annotations

from dataclasses import dataclass

ZOO_BENCHMARK = (
    "https://github.com/DLR-RM/rl-baselines3-zoo/blob/"
    "0088472b8cb622732bdbc4aa3d0d0abde86c67ed/benchmark.md"
)


@dataclass(frozen=True)
class ZooFigure:
    """A row of the Zoo's table: ``env_id`` as it ran, mean and std of the episode return
    (the env's reward), after ``steps`` training steps."""

    env_id: str
    mean_return: float
    std_return: float
    steps: int


_FIGURES = {
    ("ppo", "HalfCheetah"): ZooFigure("HalfCheetah-v3", 5819.099, 663.530, 1_000_000),
    ("ppo", "Hopper"): ZooFigure("Hopper-v3", 2410.435, 10.026, 1_000_000),
    ("ppo", "Walker2d"): ZooFigure("Walker2d-v3", 3478.798, 821.708, 1_000_000),
    ("ppo", "Ant"): ZooFigure("Ant-v3", 1327.158, 451.577, 1_000_000),
    ("ppo", "Swimmer"): ZooFigure("Swimmer-v3", 281.561, 9.671, 1_000_000),
    ("sac", "HalfCheetah"): ZooFigure("HalfCheetah-v3", 9535.451, 100.470, 1_000_000),
    ("sac", "Hopper"): ZooFigure("Hopper-v3", 2325.547, 1129.676, 1_000_000),
    ("sac", "Walker2d"): ZooFigure("Walker2d-v3", 3863.203, 254.347, 1_000_000),
    ("sac", "Ant"): ZooFigure("Ant-v3", 4615.791, 1354.111, 1_000_000),
    ("sac", "Swimmer"): ZooFigure("Swimmer-v3", 345.568, 3.084, 1_000_000),
    ("sac", "Humanoid"): ZooFigure("Humanoid-v3", 6232.287, 279.885, 2_000_000),
}


def zoo_figure(algo: str, env_id: str) -> ZooFigure | None:
    """The Zoo's figure for ``algo`` on the gymnasium task ``env_id`` (any version:
    ``Hopper-v5`` matches the Zoo's ``Hopper-v3``), or None (a plug-in's env, or a task the
    Zoo did not publish for the algorithm)."""
    if "/" in env_id:
        return None
    return _FIGURES.get((algo, env_id.split("-v")[0]))
