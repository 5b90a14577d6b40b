"""A grid cell's configuration, and the function that trains it in a Ray worker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from backflip.config import ConfigError, TrainConfig, config_from_json, parse_train_quietly
from backflip.grid.spec import Cell, GridError, GridSpec


def cell_config(spec: GridSpec, cell: Cell, run_dir: Path) -> TrainConfig:
    """The cell's ``backflip train`` configuration, resolved (``backflip/envs/resolve.py``):
    the grid's flags for the cell, on the CPU unless the flags after ``--`` (applied to
    every cell) say otherwise."""
    from backflip.envs.resolve import resolved_config

    args = [*cell.train_args(spec.steps, run_dir), "--device", "cpu", *spec.train_flags]
    try:
        return resolved_config(parse_train_quietly(args))
    except ConfigError as err:
        flags = " ".join(spec.train_flags)
        raise GridError(f"the flags after -- ({flags}) do not make a run: {err}") from None


def run_cell(config_data: dict[str, Any], threads: int) -> dict[str, object]:
    """Trains the cell (resuming it if it has a checkpoint) and returns its summary; a
    finished cell's summary is returned as it is. Runs in a Ray worker."""
    import torch

    from backflip.storage.run_dir import RunDir
    from backflip.training.run import train

    config = config_from_json(config_data)
    run_dir = RunDir(config.resolved_run_dir())
    if run_dir.summary.exists():
        return dict(json.loads(run_dir.summary.read_text()))
    torch.set_num_threads(threads)
    device = "cpu" if config.device == "auto" else config.device
    return train(config, torch.device(device), progress=False)
