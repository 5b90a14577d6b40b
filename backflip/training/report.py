"""What a run reports: a metrics row per round, and the summary at its end."""

from __future__ import annotations

import math

import numpy as np

from backflip.agents.normalization import agent_observation
from backflip.agents.progress import recent_env_return
from backflip.evaluation import evaluate
from backflip.training.build import Run, evaluation_horizon


def _rounded(value: float | None, digits: int) -> object:
    return "" if value is None or math.isnan(value) else round(value, digits)


def metrics_row(run: Run, step: int, wall_s: float) -> dict[str, object]:
    """One row of ``metrics.csv`` (empty cells where a value does not exist yet)."""
    prefs = run.preferences
    fit = prefs.last_fit if prefs is not None else None
    corr = prefs.model.correlation(prefs.pool.heldout) if prefs is not None else None
    return {
        "step": step,
        "wall_s": round(wall_s, 2),
        "labels": prefs.store.n_answered() if prefs is not None else 0,
        "true_return": _rounded(recent_env_return(run.agent.ep_info_buffer), 3),
        "reward_train_loss": _rounded(None if fit is None else fit.train_loss, 5),
        "reward_train_accuracy": _rounded(None if fit is None else fit.train_accuracy, 4),
        "reward_fit_steps": "" if fit is None else fit.steps,
        "reward_fit_s": "" if prefs is None else round(prefs.fit_s, 2),
        "reward_val_loss": _rounded(None if fit is None else fit.val_loss, 5),
        "pref_accuracy": _rounded(None if fit is None else fit.val_accuracy, 4),
        "reward_oracle_corr": _rounded(corr, 4),
    }


def summary(run: Run, wall_s: float) -> dict[str, object]:
    """``summary.json``: the run's final evaluation next to a random policy's."""
    config, agent, prefs = run.config, run.agent, run.preferences
    fit = prefs.last_fit if prefs is not None else None
    horizon = evaluation_horizon(config)

    def policy(obs: np.ndarray) -> np.ndarray:
        return agent.predict(agent_observation(agent, obs), deterministic=True)[0]

    return {
        "env_id": config.env,
        "algo": config.algo,
        "reward": config.reward,
        "costs": config.costs,
        "alive": config.alive,
        "env_kwargs": list(config.env_kwargs),
        "steps": int(agent.num_timesteps),
        "labels": prefs.store.n_answered() if prefs is not None else 0,
        "wall_s": round(wall_s, 1),
        "reward_fit_s": None if prefs is None else round(prefs.fit_s, 1),
        **evaluate(config, horizon, policy, config.eval_episodes),
        "reward_oracle_corr": prefs.model.correlation(prefs.pool.heldout) if prefs else None,
        "pref_accuracy": None if fit is None or math.isnan(fit.val_accuracy) else fit.val_accuracy,
        "eval_episodes": config.eval_episodes,
        "eval_horizon": horizon,
        "seed": config.seed,
        "device": str(agent.device),
    }
