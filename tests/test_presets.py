"""Presets and settings files: laid over the defaults, under the flags; a run saves the
resolved whole, and ``--resume`` compares resolved settings."""

from __future__ import annotations

import dataclasses
import json
import types
from pathlib import Path

import pytest
import torch

from backflip.config import ConfigError, TrainConfig, config_to_json, parse_train
from backflip.config.presets import configured, plain, preset_names
from backflip.envs.resolve import resolved_config, resolved_env_kwargs
from backflip.storage.run_dir import RunDir
from backflip.tasks.base import Task
from backflip.tasks.hopper_backflip import HOPPER_BACKFLIP
from backflip.tasks.registry import task_env_ids, task_for
from backflip.training.run import train


def test_every_shipped_preset_is_a_valid_configuration() -> None:
    assert {"demo", "backflip"} <= set(preset_names())
    for name in preset_names():
        config = parse_train(["--preset", name])
        assert config.preset == name
        resolved_config(config)  # its env exists and takes its settings


def test_the_backflip_preset_is_make_backflips_settings() -> None:
    config = parse_train(["--preset", "backflip"])
    assert (config.env, config.algo, config.steps, config.labels) == (
        HOPPER_BACKFLIP,
        "ppo",
        4_000_000,
        900,
    )
    assert (config.horizon, config.eval_horizon, config.restarts_from) == (300, 1000, "landings")
    assert config.query.segment_seconds == 1.2 and config.explore.pebble_steps == 400_000
    assert config.agent.ppo.hidden == (64, 64) and config.agent.ppo.activation == "tanh"
    assert config.agent.sac == TrainConfig().agent.sac  # what it does not set stays default


def test_flags_override_a_settings_file_which_overrides_the_preset(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text("labels = 150\n[agent.ppo]\ngamma = 0.99\n[teacher]\nmistake = 0.1\n")
    config = parse_train(["--preset", "backflip", "--config", str(path), "--seed", "12"])
    assert (config.labels, config.seed, config.steps) == (150, 12, 4_000_000)
    assert config.agent.ppo.gamma == 0.99 and config.agent.ppo.ent_coef == 0.01
    assert config.teacher.mistake == 0.1
    again = parse_train(["--config", str(path), "--preset", "backflip", "--labels", "300"])
    assert again.labels == 300 and again.config == path


def test_a_settings_file_is_checked_like_flags(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[agent.ppo]\ngamma = 1.5\n")
    with pytest.raises(ConfigError, match=r"--agent.ppo.gamma must be in \(0, 1\]"):
        parse_train(["--config", str(path)])
    path.write_text("[agent.ppo]\nhidden = [64, 0]\n")
    with pytest.raises(ConfigError, match="hidden sizes must be >= 1"):
        parse_train(["--config", str(path)])


def test_a_run_saves_every_env_argument_and_both_episode_lengths(tmp_path: Path) -> None:
    config = TrainConfig(
        env="Hopper-v5",
        algo="ppo",
        steps=512,
        labels=8,
        run_dir=tmp_path / "run",
        eval_episodes=1,
        env_kwargs=("healthy_reward=2",),
        query=dataclasses.replace(TrainConfig().query, segment_len=10),
    )
    torch.set_num_threads(1)
    train(
        dataclasses.replace(config, schedule=dataclasses.replace(config.schedule, rounds=1)),
        torch.device("cpu"),
        progress=False,
    )
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    kwargs = dict(item.split("=", 1) for item in saved["env_kwargs"])
    assert kwargs["healthy_reward"] == "2" and kwargs["frame_skip"] == "4"
    assert kwargs["healthy_z_range"] == "[0.7, Infinity]"
    assert "xml_file" not in kwargs and "default_camera_config" not in kwargs
    assert (saved["horizon"], saved["eval_horizon"]) == (1000, 1000)
    assert RunDir(tmp_path / "run").read_config() == resolved_config(
        dataclasses.replace(config, schedule=dataclasses.replace(config.schedule, rounds=1))
    )


def test_resolving_is_idempotent_and_a_default_given_explicitly_changes_nothing() -> None:
    plain = resolved_config(TrainConfig(env="Hopper-v5"))
    assert resolved_config(plain) == plain
    explicit = resolved_config(TrainConfig(env="Hopper-v5", env_kwargs=("frame_skip=4",)))
    assert explicit == plain
    other = resolved_config(TrainConfig(env="Hopper-v5", env_kwargs=("frame_skip=5",)))
    assert other != plain
    assert json.loads(json.dumps(config_to_json(plain)))["env_kwargs"] == list(plain.env_kwargs)


def test_the_registered_judge_is_part_of_the_resolved_arguments() -> None:
    kwargs = resolved_env_kwargs(HOPPER_BACKFLIP, {})
    assert kwargs["landing_weight"] == 100 and kwargs["flight_obs"] is True
    assert kwargs["rotation_weight"] == 1.0  # a constructor default
    assert resolved_env_kwargs(HOPPER_BACKFLIP, {"landing_weight": 30})["landing_weight"] == 30


def test_a_settings_file_may_fix_what_its_preset_alone_would_not_allow(tmp_path: Path) -> None:
    path = tmp_path / "short.toml"
    path.write_text("steps = 100_000\n[explore]\npebble_steps = 0\n")  # 400,000 > 100,000
    config = parse_train(["--preset", "backflip", "--config", str(path)])
    assert (config.steps, config.explore.pebble_steps) == (100_000, 0)
    path.write_text("steps = 100_000\n")
    with pytest.raises(ConfigError, match="preset 'backflip' with --config .*pebble-steps"):
        parse_train(["--preset", "backflip", "--config", str(path)])


def test_env_kwargs_may_be_a_table_in_a_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "kwargs.toml"
    path.write_text('env = "Hopper-v5"\n[env_kwargs]\nhealthy_reward = 2\nframe_skip = 5\n')
    config = parse_train(["--config", str(path)])
    assert config.env_kwargs_dict() == {"frame_skip": 5, "healthy_reward": 2}


def test_a_task_sets_its_own_defaults_under_presets_files_and_flags(tmp_path: Path) -> None:
    pendulum = parse_train(["--env", "InvertedPendulum-v5"])
    assert pendulum.schedule.random_clips == "resets"
    assert (pendulum.horizon, pendulum.eval_horizon) == (100, 1000)
    assert parse_train(["--env", "InvertedPendulum-v5", "--horizon", "50"]).horizon == 50
    assert parse_train(["--env", "Hopper-v5"]).schedule.random_clips == "episodes"
    overridden = parse_train(
        ["--env", "InvertedPendulum-v5", "--schedule.random-clips", "episodes"]
    )
    assert overridden.schedule.random_clips == "episodes"
    path = tmp_path / "pendulum.toml"
    path.write_text('env = "InvertedPendulum-v5"\n')
    assert parse_train(["--config", str(path)]).schedule.random_clips == "resets"
    path.write_text('env = "InvertedPendulum-v5"\n[schedule]\nrandom_clips = "episodes"\n')
    assert parse_train(["--config", str(path)]).schedule.random_clips == "episodes"
    # the env of the command line picks the task, whatever the file names
    assert parse_train(["--config", str(path), "--env", "Hopper-v5"]).schedule.rounds == 20


def test_every_registered_tasks_settings_are_settings() -> None:
    for env in task_env_ids():
        config = configured(None, None, env)
        for group, values in plain(task_for(env).settings).items():
            for name, value in values.items() if isinstance(values, dict) else [(None, values)]:
                got = (
                    getattr(config, group)
                    if name is None
                    else getattr(getattr(config, group), name)
                )
                assert got == value, (env, group, name)


def test_a_task_with_an_unknown_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class Odd(Task):
        settings = types.MappingProxyType({"schedule": {"no_such_knob": 1}})

    monkeypatch.setattr("backflip.config.presets.task_for", lambda env: Odd())
    with pytest.raises(ConfigError, match=r"unknown settings \['schedule.no_such_knob'\]"):
        parse_train(["--env", "Hopper-v5"])
