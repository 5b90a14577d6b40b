"""Older ``config.json`` formats read as the runs they were: each step fills in what its
format lacked with the value that version used."""

from __future__ import annotations

import dataclasses
from typing import Any

from backflip.config.preference import ExploreConfig

FORMAT = 15
"""Version of the run-directory layout, saved in ``config.json``. Runs of format 1
(before the configuration was saved whole) have no ``format`` key; format 2 had no
``--costs`` and no observation normalization, format 3 no reward normalization, format 4
no shared hold-out and re-standardization settings; formats 5-14 are upgraded below."""

ABLATION_FIELDS = ("shared_holdout", "restandardize", "adapt_l2")
"""The reward-training fields that format 11 moved into ``ablation``."""


def upgraded(data: dict[str, Any]) -> dict[str, Any]:
    """A saved configuration in this version's format where it only lacks fields whose
    value is what its version did (format 5: ``alive``, ``schedule.human_pace``; format
    6: ``env_kwargs``; format 7: ``explore``, SURF's fields, ``restarts``; format 8:
    ``query.top_share``; format 9: ``restarts_from``; format 10: ``preset``, ``config``
    and the ``ablation`` group, whose fields were ``reward_training``'s; format 11: SAC's
    ``init_temperature`` and ``target_update_interval``, SB3's defaults; format 12:
    ``schedule.random_clips``; format 13: ``sim``; format 14: ``explore.pebble_baseline``);
    any other one unchanged."""
    if data.get("format") == 5 and isinstance(data.get("schedule"), dict):
        schedule = {**data["schedule"], "human_pace": False}
        data = {**data, "format": 6, "alive": "healthy", "schedule": schedule}
    if data.get("format") == 6:
        data = {**data, "format": 7, "env_kwargs": []}
    if data.get("format") == 7 and isinstance(data.get("reward_training"), dict):
        surf = {"surf_threshold": 0.0, "surf_weight": 1.0, "surf_crop": 0.0}
        training = {**data["reward_training"], **surf}
        explore = dataclasses.asdict(ExploreConfig())
        data = {
            **data,
            "format": 8,
            "explore": explore,
            "reward_training": training,
            "restarts": 0.0,
        }
    if data.get("format") == 8 and isinstance(data.get("query"), dict):
        data = {**data, "format": 9, "query": {**data["query"], "top_share": 0.0}}
    if data.get("format") == 9:
        data = {**data, "format": 10, "restarts_from": "visited"}
    if data.get("format") == 10 and isinstance(data.get("reward_training"), dict):
        training = dict(data["reward_training"])
        moved = {name: training.pop(name) for name in ABLATION_FIELDS if name in training}
        ablation = {**data.get("ablation", {}), **moved}
        data = {
            **data,
            "format": 11,
            "preset": data.get("preset"),
            "config": data.get("config"),
            "reward_training": training,
            "ablation": ablation,
        }
    agent = data.get("agent")
    if data.get("format") == 11 and isinstance(agent, dict) and isinstance(agent.get("sac"), dict):
        sac = {"init_temperature": 1.0, "target_update_interval": 1, **agent["sac"]}
        data = {**data, "format": 12, "agent": {**agent, "sac": sac}}
    if data.get("format") == 12 and isinstance(data.get("schedule"), dict):
        schedule = {"random_clips": "episodes", **data["schedule"]}
        data = {**data, "format": 13, "schedule": schedule}
    if data.get("format") == 13:
        data = {**data, "format": 14, "sim": "mujoco"}
    if data.get("format") == 14 and isinstance(data.get("explore"), dict):
        explore = {**data["explore"], "pebble_baseline": False}
        data = {**data, "format": 15, "explore": explore}
    return data
