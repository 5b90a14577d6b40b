"""Reuse another grid's finished true-reward baselines instead of training them again.

An ablation changes only what the learned runs do; its baselines (env, algo, steps, seed
and the agent's settings) are those of the grid it is compared with. Copying them halves
the ablation's cost, and its scores then divide by the very same baselines.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from backflip.config import TrainConfig, config_from_json, config_to_json, upgraded
from backflip.envs.resolve import resolved_config
from backflip.errors import BackflipError
from backflip.grid.spec import Cell, GridDir, GridError
from backflip.storage.atomic import atomic_write_text

BASELINE_FIELDS = (
    "env",
    "algo",
    "steps",
    "seed",
    "reward",
    "costs",
    "alive",
    "env_kwargs",
    "restarts",
    "restarts_from",
    "horizon",
    "eval_horizon",
    "eval_episodes",
    "agent",
)
"""The ``config.json`` fields that decide a true-reward run (the others are for the
learned reward, or say where and on what device it ran)."""


def baseline_key(config: dict[str, Any]) -> dict[str, Any]:
    """The fields of a configuration (as ``config.json`` holds it) that a true-reward run
    depends on."""
    as_saved = json.loads(json.dumps(config))  # tuples become lists, as in the file
    return {name: as_saved.get(name) for name in BASELINE_FIELDS}


def reuse_baselines(
    grid: GridDir, configs: dict[Cell, TrainConfig], source: Path
) -> tuple[list[Cell], dict[Cell, str]]:
    """Copies each baseline of ``configs`` that ``grid`` has not finished from the grid in
    ``source`` when it finished there with the same `baseline_key`.

    Returns the cells copied and, for the others, why not (they are trained as usual).
    Raises `GridError` if ``source`` holds no grid or is ``grid`` itself.
    """
    other = GridDir(source)
    if not other.spec.exists():
        raise GridError(f"--baselines-from {source} holds no grid (no grid.json)")
    if other.root.resolve() == grid.root.resolve():
        raise GridError("--baselines-from names the grid itself")
    copied: list[Cell] = []
    skipped: dict[Cell, str] = {}
    for cell, config in configs.items():
        mine = grid.run_dir(cell)
        if cell.labels is not None or (mine / "summary.json").exists():
            continue
        theirs = other.run_dir(cell)
        if not (theirs / "summary.json").exists():
            skipped[cell] = "not finished there"
            continue
        try:
            saved = upgraded(json.loads((theirs / "config.json").read_text()))
            # Resolved as this version resolves its own, so older runs' defaults compare.
            found = baseline_key(config_to_json(resolved_config(config_from_json(saved))))
        except (BackflipError, ValueError, OSError) as err:
            skipped[cell] = f"its config.json cannot be read here ({err})"
            continue
        wanted = baseline_key(config_to_json(resolved_config(config)))
        differ = [name for name in BASELINE_FIELDS if found[name] != wanted[name]]
        if differ:
            skipped[cell] = "its " + ", ".join(differ) + " differ"
            continue
        if mine.exists():  # an unfinished attempt of our own: the finished one replaces it
            shutil.rmtree(mine)
        partial = mine.with_name(mine.name + ".copying")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(theirs, partial)
        _point_at(partial / "config.json", saved, mine)
        partial.rename(mine)
        copied.append(cell)
    return copied, skipped


def _point_at(path: Path, saved: dict[str, Any], run_dir: Path) -> None:
    """Rewrites the copied ``config.json`` so the run names its new folder."""
    atomic_write_text(path, json.dumps({**saved, "run_dir": str(run_dir)}, indent=2) + "\n")
