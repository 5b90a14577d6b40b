"""The whole configuration survives config.json; what a run cannot use is refused."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest

from backflip.config import (
    FORMAT,
    AblationConfig,
    ConfigError,
    ExploreConfig,
    PPOConfig,
    RewardModelConfig,
    TeacherConfig,
    TrainConfig,
    config_differences,
    config_from_json,
    config_to_json,
    flat_fields,
)

CUSTOM = TrainConfig(
    env="Hopper-v5",
    algo="ppo",
    run_dir=Path("runs/x"),
    teacher=TeacherConfig(beta=math.inf, gamma=0.9),
    reward_model=RewardModelConfig(members=5, hidden=(32, 16, 8)),
    agent=dataclasses.replace(TrainConfig().agent, ppo=PPOConfig(n_steps=256, hidden=(32,))),
)


def test_json_round_trip_keeps_every_nested_value() -> None:
    text = json.dumps(config_to_json(CUSTOM), allow_nan=True)
    data = json.loads(text)
    assert data["format"] == FORMAT
    assert data["reward_model"]["hidden"] == [32, 16, 8]
    assert config_from_json(data) == CUSTOM


def test_every_knob_is_saved() -> None:
    """No setting lives only as a code default: each leaf field is in config.json."""
    data = config_to_json(CUSTOM)
    for name in flat_fields(CUSTOM):
        node: object = data
        for part in name.split("."):
            assert isinstance(node, dict) and part in node, name
            node = node[part]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("format"), "format 1"),
        (lambda d: d["teacher"].pop("gamma"), "missing ['teacher.gamma']"),
        (lambda d: d["schedule"].update(rounds_x=1), "unknown settings ['schedule.rounds_x']"),
        (lambda d: d.update(agent=[]), "agent is not a table of settings"),
        (lambda d: d.update(steps="many"), "steps must be int, got 'many'"),
        (lambda d: d.update(algo="dqn"), "algo must be one of sac, ppo"),
        (lambda d: d["teacher"].update(beta=-1.0), "beta must be > 0"),
    ],
)
def test_a_config_json_this_version_cannot_read_is_refused(edit, message: str) -> None:
    data = json.loads(json.dumps(config_to_json(CUSTOM), allow_nan=True))
    edit(data)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        config_from_json(data)


def as_format_10(config: TrainConfig) -> dict:
    """``config`` as a run of format 10 saved it: no preset or settings file, and the
    ablation knobs among the reward-training settings."""
    data = json.loads(json.dumps(config_to_json(config), allow_nan=True))
    data.pop("preset")
    data.pop("config")
    data["reward_training"].update(data.pop("ablation"))
    for new_in_12 in ("init_temperature", "target_update_interval"):
        data["agent"]["sac"].pop(new_in_12)
    data["schedule"].pop("random_clips")  # new in 13
    data["format"] = 10
    return data


def test_a_format_11_config_reads_as_sb3s_sac_defaults() -> None:
    data = json.loads(json.dumps(config_to_json(CUSTOM), allow_nan=True))
    for new_in_12 in ("init_temperature", "target_update_interval"):
        data["agent"]["sac"].pop(new_in_12)
    data["schedule"].pop("random_clips")  # new in 13
    data["format"] = 11
    sac = config_from_json(data).agent.sac
    assert (sac.init_temperature, sac.target_update_interval) == (1.0, 1)


def test_a_format_12_config_reads_as_a_run_whose_random_clips_are_cut_from_episodes() -> None:
    data = json.loads(json.dumps(config_to_json(CUSTOM), allow_nan=True))
    data["schedule"].pop("random_clips")
    data["format"] = 12
    assert config_from_json(data).schedule.random_clips == "episodes"


def test_a_format_14_config_reads_as_a_run_whose_baseline_did_not_pretrain() -> None:
    explored = dataclasses.replace(CUSTOM, explore=ExploreConfig(pebble_steps=100))
    data = json.loads(json.dumps(config_to_json(explored), allow_nan=True))
    data["explore"].pop("pebble_baseline")
    data["format"] = 14
    assert config_from_json(data) == explored
    assert not config_from_json(data).explore.pebble_baseline


def test_a_format_10_config_reads_with_its_ablation_knobs_in_their_group() -> None:
    ablated = dataclasses.replace(CUSTOM, ablation=AblationConfig(adapt_l2=True))
    data = as_format_10(ablated)
    assert data["reward_training"]["adapt_l2"] is True
    assert config_from_json(data) == ablated


def test_a_format_5_config_reads_as_what_that_version_did() -> None:
    data = as_format_10(CUSTOM)
    data.pop("alive")
    data["schedule"].pop("human_pace")
    data.pop("env_kwargs")
    data.pop("explore")
    data["query"].pop("top_share")
    data["format"] = 5
    unpaced = dataclasses.replace(CUSTOM.schedule, human_pace=False)
    assert config_from_json(data) == dataclasses.replace(CUSTOM, schedule=unpaced)
    assert CUSTOM.alive == "healthy" and CUSTOM.schedule.human_pace
    data["format"] = 4
    with pytest.raises(ConfigError, match="format 4"):
        config_from_json(data)


def test_a_format_6_config_reads_as_a_run_without_env_kwargs() -> None:
    data = as_format_10(CUSTOM)
    data.pop("env_kwargs")
    data.pop("explore")
    data["query"].pop("top_share")
    data.pop("restarts_from")
    data["format"] = 6
    assert config_from_json(data) == CUSTOM


def test_a_format_7_config_reads_as_a_run_without_pebble_surf_rune_or_restarts() -> None:
    explored = dataclasses.replace(
        CUSTOM, explore=ExploreConfig(pebble_steps=500, rune_beta=0.1), restarts=0.5
    )
    data = as_format_10(explored)
    data.pop("explore")
    data.pop("restarts")
    for name in ("surf_threshold", "surf_weight", "surf_crop"):
        data["reward_training"].pop(name)
    data["query"].pop("top_share")
    data.pop("restarts_from")
    data["format"] = 7
    assert config_from_json(data) == CUSTOM
    assert CUSTOM.explore == ExploreConfig()


def test_a_format_8_config_reads_as_a_run_that_asks_no_queries_among_the_best_clips() -> None:
    topped = dataclasses.replace(CUSTOM, query=dataclasses.replace(CUSTOM.query, top_share=0.5))
    data = as_format_10(topped)
    data["query"].pop("top_share")
    data.pop("restarts_from")
    data["format"] = 8
    assert config_from_json(data) == CUSTOM
    assert CUSTOM.query.top_share == 0.0


def test_a_format_9_config_reads_as_a_run_that_restarts_from_any_visited_state() -> None:
    data = as_format_10(CUSTOM)
    data.pop("restarts_from")
    data["format"] = 9
    assert config_from_json(data) == CUSTOM
    assert CUSTOM.restarts_from == "visited"


def test_env_kwargs_read_numbers_and_booleans_as_json_and_the_rest_as_text() -> None:
    config = TrainConfig(
        run_dir=Path("runs/x"), env_kwargs=("landing_weight=30", "takeoff=upright", "flag=true")
    )
    assert config.env_kwargs_dict() == {"landing_weight": 30, "takeoff": "upright", "flag": True}
    assert config_from_json(json.loads(json.dumps(config_to_json(config)))) == config


def test_differences_name_nested_flags_and_ignore_resumable_ones() -> None:
    given = dataclasses.replace(
        CUSTOM,
        device="cpu",
        resume=True,
        teacher=TeacherConfig(beta=2.0, gamma=0.9),
        reward_model=RewardModelConfig(members=5, hidden=(32, 16, 8)),
    )
    assert config_differences(CUSTOM, given) == ["--teacher.beta 2.0 (run has inf)"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"steps": 0}, "--steps must be positive"),
        ({"labels": 0}, "--labels must be positive"),
        ({"labels": 0, "reward": "true"}, None),  # a baseline asks no labels
        ({"label_window": True}, "--label-window needs --oracle human"),
        ({"eval_episodes": 0}, "--eval-episodes must be at least 1"),
    ],
)
def test_values_no_run_can_use_are_refused(fields: dict[str, object], message: str | None):
    if message is None:
        TrainConfig(**fields)  # type: ignore[arg-type]
        return
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**fields)  # type: ignore[arg-type]
