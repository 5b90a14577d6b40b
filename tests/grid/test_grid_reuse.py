"""Copying another grid's finished baselines: only those that match (no Ray needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backflip.config import config_to_json
from backflip.grid.cells import cell_config
from backflip.grid.reuse import reuse_baselines
from backflip.grid.spec import Cell, GridDir, GridError, GridSpec
from backflip.storage.run_dir import RunDir


def _grid(root: Path, spec: GridSpec, finished: bool) -> tuple[GridDir, dict[Cell, object]]:
    """A grid folder whose runs hold only their config (and a summary if ``finished``)."""
    grid = GridDir(root)
    grid.write_spec(spec, {"command": "test", "commit": "test"})
    configs = {cell: cell_config(spec, cell, grid.run_dir(cell)) for cell in spec.cells()}
    for cell, config in configs.items():
        folder = grid.run_dir(cell)
        folder.mkdir(parents=True)
        (folder / "config.json").write_text(json.dumps(config_to_json(config)))
        if finished:
            (folder / "summary.json").write_text(json.dumps({"cell": cell.name}))
    return grid, configs


def _spec(*flags: str) -> GridSpec:
    return GridSpec(("Hopper-v5",), ("ppo",), (10,), (0, 1), 512, flags)


def test_matching_baselines_are_copied_and_learned_runs_are_not(tmp_path: Path) -> None:
    source, _ = _grid(tmp_path / "a", _spec("--horizon", "50"), finished=True)
    target = GridDir(tmp_path / "b")
    spec = _spec("--horizon", "50", "--query.tie-margin", "0")
    configs = {cell: cell_config(spec, cell, target.run_dir(cell)) for cell in spec.cells()}
    copied, skipped = reuse_baselines(target, configs, source.root)
    assert [c.name for c in copied] == ["Hopper-v5-ppo-true-s0", "Hopper-v5-ppo-true-s1"]
    assert skipped == {}
    run = target.run_dir(copied[0])
    assert json.loads((run / "summary.json").read_text()) == {"cell": "Hopper-v5-ppo-true-s0"}
    assert json.loads((run / "config.json").read_text())["run_dir"] == str(run)
    assert not target.run_dir(Cell("Hopper-v5", "ppo", 10, 0)).exists()
    assert reuse_baselines(target, configs, source.root) == ([], {})  # nothing left to copy


def test_a_format_5_baseline_is_reused_as_the_healthy_bonus_it_had(tmp_path: Path) -> None:
    source, _ = _grid(tmp_path / "a", _spec("--horizon", "50"), finished=True)
    for cell in _spec().cells():
        path = source.run_dir(cell) / "config.json"
        old = json.loads(path.read_text())
        del old["alive"]
        path.write_text(json.dumps({**old, "format": 5}))
    target = GridDir(tmp_path / "b")
    for flags, reused in ((("--alive", "height"), 0), (("--alive", "healthy"), 2)):
        spec = _spec("--horizon", "50", *flags)
        configs = {cell: cell_config(spec, cell, target.run_dir(cell)) for cell in spec.cells()}
        copied, _ = reuse_baselines(target, configs, source.root)
        assert len(copied) == reused
    assert RunDir(target.run_dir(copied[0])).read_config().alive == "healthy"


@pytest.mark.parametrize(
    ("flags", "why"),
    [
        (("--horizon", "60"), "horizon"),
        (("--horizon", "50", "--costs", "visible"), "costs"),
        (("--horizon", "50", "--alive", "height"), "alive"),
        (("--horizon", "50", "--agent.ppo.n-epochs", "3"), "agent"),
    ],
)
def test_a_baseline_that_differs_is_trained_again(tmp_path: Path, flags, why: str) -> None:
    source, _ = _grid(tmp_path / "a", _spec("--horizon", "50"), finished=True)
    target = GridDir(tmp_path / "b")
    spec = _spec(*flags)
    configs = {cell: cell_config(spec, cell, target.run_dir(cell)) for cell in spec.cells()}
    copied, skipped = reuse_baselines(target, configs, source.root)
    assert copied == [] and len(skipped) == 2
    assert all(why in reason for reason in skipped.values())
    assert not target.runs.exists()


def test_unfinished_baselines_and_missing_grids_are_not_copied(tmp_path: Path) -> None:
    source, _ = _grid(tmp_path / "a", _spec(), finished=False)
    target = GridDir(tmp_path / "b")
    configs = {cell: cell_config(_spec(), cell, target.run_dir(cell)) for cell in _spec().cells()}
    copied, skipped = reuse_baselines(target, configs, source.root)
    assert copied == [] and set(skipped.values()) == {"not finished there"}
    with pytest.raises(GridError, match="holds no grid"):
        reuse_baselines(target, configs, tmp_path / "nowhere")
