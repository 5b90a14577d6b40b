"""A grid's axes, cells, saved spec and statistics (no Ray needed)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from backflip.grid.cells import cell_config
from backflip.grid.report import (
    baseline_table,
    publish_report,
    score_table,
    write_report,
    zoo_row_table,
    zoo_table,
)
from backflip.grid.results import CellResult, Group
from backflip.grid.spec import Cell, GridDir, GridError, GridSpec, parse_seeds
from backflip.grid.stats import estimate, iqm, mean
from backflip.grid.zoo import zoo_figure

SPEC = GridSpec(("Hopper-v5",), ("ppo",), (10, 20), (0, 1), 512, ("--horizon", "50"))


@pytest.mark.parametrize(
    ("text", "seeds"), [("0-4", (0, 1, 2, 3, 4)), ("0,2,7", (0, 2, 7)), ("3", (3,))]
)
def test_seeds_parse(text: str, seeds: tuple[int, ...]) -> None:
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["4-0", "", "a-b", "1,1"])
def test_bad_seeds_are_refused(text: str) -> None:
    with pytest.raises(GridError, match="--seeds"):
        parse_seeds(text)


def test_every_seed_has_a_baseline_and_every_budget() -> None:
    names = [cell.name for cell in SPEC.cells()]
    assert names == [
        "Hopper-v5-ppo-true-s0",
        "Hopper-v5-ppo-10-s0",
        "Hopper-v5-ppo-20-s0",
        "Hopper-v5-ppo-true-s1",
        "Hopper-v5-ppo-10-s1",
        "Hopper-v5-ppo-20-s1",
    ]


def test_cell_configs_are_ordinary_train_configs(tmp_path: Path) -> None:
    baseline = cell_config(SPEC, Cell("Hopper-v5", "ppo", None, 1), tmp_path / "b")
    learned = cell_config(SPEC, Cell("Hopper-v5", "ppo", 20, 1), tmp_path / "l")
    assert (baseline.reward, learned.reward, learned.labels) == ("true", "learned", 20)
    assert baseline.horizon == learned.horizon == 50 and learned.device == "cpu"
    assert learned.steps == baseline.steps == 512 and learned.seed == 1


def test_a_preset_after_the_double_dash_sets_both_arms_of_every_cell(tmp_path: Path) -> None:
    """``backflip grid ... -- --preset bpref`` runs B-Pref's experiment unchanged (its SAC
    baseline without PEBBLE's pre-training, as B-Pref's own); the backflip preset's
    baseline explores as its learned run does."""
    bpref = GridSpec(("dmc/walker_walk-v0",), ("sac",), (100,), (0,), 20_000, ("--preset", "bpref"))
    learned = cell_config(bpref, Cell("dmc/walker_walk-v0", "sac", 100, 0), tmp_path / "l")
    baseline = cell_config(bpref, Cell("dmc/walker_walk-v0", "sac", None, 0), tmp_path / "b")
    for config in (learned, baseline):
        assert config.preset == "bpref" and config.steps == 20_000
        assert tuple(config.agent.sac.hidden) == (1024, 1024) and config.query.segment_len == 50
        assert config.explore.pebble_steps == 9000 and not config.explore.pebble_baseline
    assert learned.reward_training.random_answer_prob == 0  # B-Pref's plain cross-entropy
    assert (learned.reward, learned.labels, baseline.reward) == ("learned", 100, "true")
    env = "backflip/HopperBackflip-v1"
    flip = GridSpec((env,), ("ppo",), (900,), (0,), 4_000_000, ("--preset", "backflip"))
    baseline = cell_config(flip, Cell(env, "ppo", None, 0), tmp_path / "f")
    assert baseline.reward == "true" and baseline.explore.pebble_baseline
    assert (baseline.restarts, baseline.restarts_from, baseline.horizon) == (0.3, "landings", 300)


def test_the_grid_sets_its_own_flags() -> None:
    with pytest.raises(GridError, match="--seed after -- is set by backflip grid"):
        GridSpec(("Hopper-v5",), ("ppo",), (10,), (0,), 512, ("--seed", "3"))


def test_spec_round_trip_and_differences(tmp_path: Path) -> None:
    grid = GridDir(tmp_path)
    grid.write_spec(SPEC, {"command": "backflip grid ...", "commit": "abc123"})
    saved, made = grid.read_spec()
    assert saved == SPEC and made == {"command": "backflip grid ...", "commit": "abc123"}
    other = GridSpec(("Hopper-v5",), ("ppo",), (10,), (0, 1), 1000, ())
    assert other.differences(saved) == [
        "--labels 10 (grid has 10 20)",
        "--steps 1000 (grid has 512)",
        "flags after -- '' (grid has '--horizon 50')",
    ]


def test_statistics_over_seeds() -> None:
    one = estimate([0.5])
    assert one.value == 0.5 and math.isnan(one.low)
    values = [0.1, 0.8, 0.9, 1.0, 5.0]
    assert iqm(np.array(values)) == pytest.approx(np.mean([0.8, 0.9, 1.0]))
    spread = estimate(values, mean)
    assert spread.low < spread.value < spread.high
    assert estimate(values, mean) == spread  # seeded: the same report twice


def test_scores_are_random_normalized_per_seed() -> None:
    def run(labels: int | None, seed: int, ret: float) -> CellResult:
        summary = {"eval_true_return_mean": ret, "random_true_return_mean": -100.0}
        return CellResult(Cell("Hopper-v5", "ppo", labels, seed), summary)

    group = Group(
        "Hopper-v5",
        "ppo",
        10,
        learned=[
            run(10, 0, 400.0),
            run(10, 1, 150.0),
            CellResult(Cell("Hopper-v5", "ppo", 10, 2), None),
        ],
        baselines={0: run(None, 0, 900.0), 1: run(None, 1, 400.0), 2: run(None, 2, 1.0)},
    )
    assert group.scores() == [0.5, 0.5]  # seed 2 has not finished: left out
    # (400 + 150 + 200) / (900 + 400 + 200)
    assert group.score_of_means() == pytest.approx(750 / 1500)


def test_a_failed_baseline_inflates_the_mean_score_not_the_score_of_means() -> None:
    def run(labels: int | None, seed: int, ret: float) -> CellResult:
        summary = {"eval_true_return_mean": ret, "random_true_return_mean": 0.0}
        return CellResult(Cell("Hopper-v5", "ppo", labels, seed), summary)

    baselines = {0: run(None, 0, 1000.0), 1: run(None, 1, 1000.0), 2: run(None, 2, 10.0)}
    learned = [run(10, 0, 900.0), run(10, 1, 900.0), run(10, 2, 900.0)]
    group = Group("Hopper-v5", "ppo", 10, learned, baselines)
    assert group.score_mean().value == pytest.approx((0.9 + 0.9 + 90) / 3)
    assert group.score_of_means() == pytest.approx(2700 / 2010)


def test_a_baseline_below_the_random_policy_gives_its_seed_no_score() -> None:
    """Below random, (learned − random) / (baseline − random) would rank a better learned
    run lower: the seed is left out of the mean and the report says so."""

    def run(labels: int | None, seed: int, ret: float) -> CellResult:
        summary = {"eval_true_return_mean": ret, "random_true_return_mean": -40.0}
        return CellResult(Cell("Hopper-v5", "sac", labels, seed), summary)

    baselines = {0: run(None, 0, 960.0), 1: run(None, 1, -45.0), 2: run(None, 2, 460.0)}
    learned = [run(100, 0, 460.0), run(100, 1, 300.0), run(100, 2, 460.0)]
    group = Group("Hopper-v5", "sac", 100, learned, baselines)
    scores = group.scores()
    assert scores[0] == 0.5 and math.isnan(scores[1]) and scores[2] == 1.0
    assert group.unscored_seeds() == [1]
    assert group.score_mean().value == pytest.approx(0.75)
    assert group.score_of_means() == pytest.approx((1220 + 120) / (1375 + 120))
    table = score_table([group])
    assert "| 0.50, –, 1.00 |" in table
    assert "no score (–) for seed(s) 1, whose true-reward baseline did not beat" in table


def test_a_grid_of_baselines_alone_reports_their_returns() -> None:
    spec = GridSpec(envs=("Hopper-v5",), algos=("ppo",), labels=(), seeds=(0, 1, 2), steps=100)
    assert [c.labels for c in spec.cells()] == [None, None, None]
    results = [
        CellResult(
            Cell("Hopper-v5", "ppo", None, seed),
            {
                "eval_true_return_mean": value,
                "eval_env_return_mean": value - 10,
                "random_true_return_mean": -5.0,
                "steps": 100,
                "wall_s": 2.0,
            },
        )
        for seed, value in enumerate((100.0, 200.0, 300.0))
    ]
    table = baseline_table(results).splitlines()
    assert len(table) == 3
    assert table[2].startswith("| Hopper-v5 | ppo | 3 | 200.00 [")
    assert "| 190.0 | -5.0 | 50 |" in table[2]


def test_a_grid_without_baselines_reports_the_learned_returns_and_the_tasks_metrics(
    tmp_path: Path,
) -> None:
    spec = GridSpec(("backflip/HopperBackflip-v1",), ("ppo",), (900,), (0, 1), 100, baselines=False)
    assert [c.labels for c in spec.cells()] == [900, 900]
    with pytest.raises(GridError, match="--no-baselines needs --labels"):
        GridSpec(("Hopper-v5",), ("ppo",), (), (0,), 100, baselines=False)
    grid = GridDir(tmp_path / "grid")
    grid.write_spec(spec, {"command": "backflip grid --no-baselines", "commit": "abc"})
    assert grid.read_spec()[0] == spec
    for cell, (ret, clean) in zip(spec.cells(), ((900.0, 3.0), (500.0, 0.0)), strict=True):
        run_dir = grid.run_dir(cell)
        run_dir.mkdir(parents=True)
        summary = {
            "eval_true_return_mean": ret,
            "random_true_return_mean": -100.0,
            "clean_flips_per_episode": clean,
            "random_clean_flips_per_episode": 0.0,
            "steps": 100,
            "wall_s": 1.0,
        }
        (run_dir / "summary.json").write_text(json.dumps(summary))
    report = write_report(grid, spec, {"command": "c", "commit": "abc"}).read_text()
    assert "without\ntrue-reward baselines" in report and "## Score" not in report
    assert "| backflip/HopperBackflip-v1 | ppo | 900 | 2 | 900.0, 500.0 | 700.00 [" in report
    clean = next(line for line in report.splitlines() if "clean backflips per" in line)
    assert "| 3.00, 0.00 | 1.50 [" in clean and clean.endswith("| – | 0.00 |")
    published = publish_report(grid, tmp_path / "docs" / "results" / "backflip")
    assert published.read_text() == report
    assert (published.parent / "results.csv").exists()
    assert not (grid.root / "score_vs_labels.png").exists()  # no scores, no score plot
    assert (grid.root / "curves.png").exists()


def test_an_older_grid_json_has_baselines() -> None:
    data = SPEC.to_json()
    del data["baselines"]
    assert GridSpec.from_json(data).baselines


def _finished(env: str, labels: int | None, seed: int, env_return: float) -> CellResult:
    return CellResult(Cell(env, "ppo", labels, seed), {"eval_env_return_mean": env_return})


def test_env_returns_are_set_beside_the_zoos_published_ones() -> None:
    results = [
        _finished("Hopper-v5", None, 0, 2400.0),
        _finished("Hopper-v5", None, 1, 2000.0),
        _finished("Hopper-v5", 700, 0, 1205.0),
        CellResult(Cell("Hopper-v5", "ppo", 700, 1), None),  # not finished: left out
        _finished("backflip/HopperBackflip-v1", 900, 0, 99.0),  # not a task the Zoo publishes
    ]
    table = zoo_table(results, 1_000_000).splitlines()
    assert len(table) == 4  # header, rule, true reward, 700 labels
    # The Zoo's PPO on Hopper-v3 after 1M steps: 2410.435 ± 10.026; 2200 / 2410.4 = 0.91
    assert table[2].startswith("| Hopper-v5 | ppo | true reward | 2 | 1,000,000 | 2200.00 [")
    assert table[2].endswith("| 2410.4 ± 10.0 (Hopper-v3, 1,000,000) | 0.91 |")
    assert table[3].startswith("| Hopper-v5 | ppo | 700 labels | 1 | 1,000,000 | 1205.00")
    assert table[3].endswith("| 0.50 |")
    assert zoo_table([_finished("backflip/HopperBackflip-v1", 900, 0, 99.0)], 100) == ""
    assert zoo_figure("sac", "HalfCheetah-v5") == zoo_figure("sac", "HalfCheetah-v4")
    assert zoo_figure("ppo", "Humanoid-v5") is None


def test_a_tasks_returns_beside_the_zoos_fit_one_row() -> None:
    results = [
        _finished("Hopper-v5", None, 0, 2400.0),
        _finished("Hopper-v5", None, 1, 2000.0),
        _finished("Hopper-v5", 700, 0, 1205.0),
        CellResult(Cell("Hopper-v5", "ppo", 700, 1), None),  # not finished: left out
        _finished("Walker2d-v5", 100, 0, 3478.798),
        _finished("backflip/HopperBackflip-v1", 900, 0, 99.0),  # not a task the Zoo publishes
    ]
    table = zoo_row_table(results).splitlines()
    assert table[0] == "| env | algo | Zoo | true reward | 100 labels | 700 labels |"
    # 2200 / 2410.435 = 0.91; the 700-label arm has one seed where the baseline has two
    assert table[2] == (
        "| Hopper-v5 | ppo | 2410.4 (Hopper-v3) | 2200.0 (0.91) | – | 1205.0 (0.50; 1 of 2 seeds) |"
    )
    assert table[3] == "| Walker2d-v5 | ppo | 3478.8 (Walker2d-v3) | – | 3478.8 (1.00) | – |"
    assert len(table) == 4  # the backflip has no row
