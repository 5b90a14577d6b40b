"""``backflip compare``: the score of a learned run against its baseline, or one line why not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backflip.cli import main


def summary(root: Path, **changes: object) -> Path:
    data = {
        "env_id": "HalfCheetah-v5",
        "algo": "ppo",
        "reward": "learned",
        "costs": "hidden",
        "steps": 1000,
        "labels": 50,
        "seed": 0,
        "eval_episodes": 10,
        "eval_horizon": 1000,
        "wall_s": 12.5,
        "eval_true_return_mean": 700.0,
        "random_true_return_mean": -100.0,
        **changes,
    }
    root.mkdir()
    (root / "summary.json").write_text(json.dumps(data))
    return root


def test_prints_both_returns_and_the_random_normalized_score(tmp_path, capsys) -> None:
    learned = summary(tmp_path / "a")
    baseline = summary(tmp_path / "b", reward="true", labels=0, eval_true_return_mean=900.0)
    assert main(["compare", str(learned), str(baseline)]) == 0
    out = capsys.readouterr().out
    assert "learned from 50 labels 700.0" in out and "true-reward baseline 900.0" in out
    assert "score 0.80" in out  # (700 + 100) / (900 + 100)


def test_a_baseline_no_better_than_random_gives_no_score(tmp_path, capsys) -> None:
    learned = summary(tmp_path / "a")
    baseline = summary(tmp_path / "b", reward="true", labels=0, eval_true_return_mean=-120.0)
    assert main(["compare", str(learned), str(baseline)]) == 0
    assert "no score: the baseline did not beat the random policy" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("baseline_changes", "message"),
    [
        ({"reward": "true", "seed": 1}, "the runs differ in seed"),
        ({"reward": "true", "costs": "visible"}, "the runs differ in costs"),
        ({}, "is not a true-reward run"),
    ],
)
def test_runs_that_cannot_be_compared_are_one_line(
    tmp_path, capsys, baseline_changes: dict[str, object], message: str
) -> None:
    learned = summary(tmp_path / "a")
    baseline = summary(tmp_path / "b", **baseline_changes)
    assert main(["compare", str(learned), str(baseline)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_an_unfinished_run_is_one_line(tmp_path, capsys) -> None:
    (tmp_path / "a").mkdir()
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "a")]) == 2
    assert "has no summary.json" in capsys.readouterr().err
