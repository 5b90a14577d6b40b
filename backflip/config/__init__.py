"""The whole configuration of a run: parsed from the CLI (and presets), saved whole in
``config.json``. Nothing here imports anything heavy: ``backflip --help`` stays fast.

``train`` holds ``TrainConfig``; ``preference`` and ``agent`` its groups; ``saved`` and
``migrations`` the JSON form and its older formats; ``presets`` and ``parse`` how the
command line and TOML files become a configuration; ``differences`` what ``--resume``
compares.
"""

from backflip.config.agent import AgentConfig, PPOConfig, SACConfig
from backflip.config.checks import ConfigError
from backflip.config.differences import RESUMABLE_CHANGES, config_differences, flat_fields
from backflip.config.migrations import FORMAT, upgraded
from backflip.config.parse import parse_train, parse_train_quietly
from backflip.config.preference import (
    NO_ABLATION,
    AblationConfig,
    ExploreConfig,
    QueryConfig,
    QueryMethod,
    RewardModelConfig,
    RewardTrainingConfig,
    ScheduleConfig,
    TeacherConfig,
)
from backflip.config.saved import config_from_json, config_to_json
from backflip.config.train import VISITED, Alive, Costs, TrainConfig, env_kwarg_items

__all__ = [
    "FORMAT",
    "NO_ABLATION",
    "RESUMABLE_CHANGES",
    "VISITED",
    "AblationConfig",
    "AgentConfig",
    "Alive",
    "ConfigError",
    "Costs",
    "ExploreConfig",
    "PPOConfig",
    "QueryConfig",
    "QueryMethod",
    "RewardModelConfig",
    "RewardTrainingConfig",
    "SACConfig",
    "ScheduleConfig",
    "TeacherConfig",
    "TrainConfig",
    "config_differences",
    "config_from_json",
    "config_to_json",
    "env_kwarg_items",
    "flat_fields",
    "parse_train",
    "parse_train_quietly",
    "upgraded",
]
