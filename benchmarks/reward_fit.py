"""Reward-model fits replayed offline: the labels of finished runs, fit in the order and
at the label counts the runs fit them, for training settings side by side.

No RL runs, so no RL noise: each variant sees the very same comparisons. Prints, per
variant and mean over runs, the fits' optimizer steps and seconds, the last fit's
out-of-bag accuracy, and the final model against the oracle on the run's held-out clips
(a uniform sample of the run): accuracy on every pair of them and on pairs of the newest
half (late behaviour, where clips differ least), and the correlation of clip returns;
also the weakest member's accuracy on its own training comparisons after the last fit
(``min_acc``), and the share of replays where it stayed below 0.8 (``stuck``). Each run is
replayed with the ensemble's seed of the run itself (``backflip/seeds.py``) and with
``--more-seeds``; ``--flip`` turns that share of the answers around (a mistaken teacher).

    python benchmarks/reward_fit.py grids/part1d/runs/Hopper-v5-ppo-700-s{0,1,2} \
        --variant default --variant paper-l2-rule:adapt_l2=True
    python benchmarks/reward_fit.py grids/locomotion-ppo-1m/runs/Hopper-v5-ppo-100-s* \
        --more-seeds 2 --flip 0.1 --variant default --variant plain:random_answer_prob=0
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from pathlib import Path

import numpy as np
import torch

from backflip.config.migrations import ABLATION_FIELDS
from backflip.preference.reward_model import RewardModel
from backflip.records import Comparison, Segment
from backflip.seeds import Seeds
from backflip.storage.clip_files import load_clips
from backflip.storage.run_dir import RunDir, read_metrics


@dataclasses.dataclass
class Replay:
    """What one finished run's fits saw."""

    comparisons: list
    segments: dict[int, Segment]
    fit_at: list[int]  # answered comparisons at each fit
    heldout: list[Segment]
    seed: int  # the run's seed


def load(folder: Path) -> Replay:
    run = RunDir(folder)
    config = run.read_config()
    with run.label_store() as store:
        comparisons = store.comparisons()
        ids = {i for c in comparisons for i in (c.left_id, c.right_id)}
        segments = {i: store.load_segment(i) for i in ids}
    initial = round(config.labels * config.schedule.initial_fraction)
    batches = config.schedule.initial_batches
    fit_at = [round(initial * (k + 1) / batches) for k in range(batches)]
    fit_at += [int(row["labels"]) for row in read_metrics(run.metrics)]
    fit_at = sorted({n for n in fit_at if 0 < n <= len(comparisons)})
    checkpoint = run.latest_checkpoint()
    assert checkpoint is not None, f"{folder} has no checkpoint"
    heldout = load_clips(checkpoint.heldout_clips)
    return Replay(comparisons, segments, fit_at, heldout, config.seed)


def pair_accuracy(predicted: np.ndarray, oracle: np.ndarray) -> float:
    """Share of pairs (oracle returns not equal) whose order the prediction gets right."""
    i, j = np.triu_indices(len(oracle), k=1)
    decided = oracle[i] != oracle[j]
    agree = np.sign(predicted[i] - predicted[j]) == np.sign(oracle[i] - oracle[j])
    return float(agree[decided].mean())


def flipped(comparisons: list[Comparison], share: float, seed: int) -> list[Comparison]:
    """``comparisons`` with ``share`` of the decided answers turned around (seeded)."""
    rng = np.random.default_rng(seed)
    return [
        dataclasses.replace(c, label=1.0 - c.label)
        if c.label in (0.0, 1.0) and rng.random() < share
        else c
        for c in comparisons
    ]


def replay(
    rep: Replay, config_run: Path, changes: dict[str, object], seed: int
) -> dict[str, float]:
    config = RunDir(config_run).read_config()
    ablated = {k: v for k, v in changes.items() if k in ABLATION_FIELDS}
    trained = {k: v for k, v in changes.items() if k not in ablated}
    training = dataclasses.replace(config.reward_training, **trained)  # type: ignore[arg-type]
    ablation = dataclasses.replace(config.ablation, **ablated)  # type: ignore[arg-type]
    first = next(iter(rep.segments.values()))
    model = RewardModel(
        first.obs.shape[1],
        first.acts.shape[1],
        config.reward_model,
        training,
        torch.device("cpu"),
        seed,
        ablation,
    )
    steps, seconds = 0, 0.0
    for n in rep.fit_at:
        start = time.perf_counter()
        stats = model.fit(rep.comparisons[:n], rep.segments)
        seconds += time.perf_counter() - start
        steps += stats.steps
    predicted = model.ensemble.clip_returns(rep.heldout).mean(axis=0)
    oracle = np.array([clip.oracle_return for clip in rep.heldout])
    late = np.argsort([clip.episode for clip in rep.heldout])[len(rep.heldout) // 2 :]
    return {
        "fits": len(rep.fit_at),
        "steps": steps,
        "fit_s": seconds,
        "oob_acc": stats.val_accuracy,
        "pair_acc": pair_accuracy(predicted, oracle),
        "late_pair_acc": pair_accuracy(predicted[late], oracle[late]),
        "corr": float(np.corrcoef(predicted, oracle)[0, 1]),
        "min_acc": stats.train_accuracy,
        "stuck": float(stats.train_accuracy < 0.8),
    }


def parse_variant(text: str) -> tuple[str, dict[str, object]]:
    """``name:field=value,field=value`` (fields of RewardTrainingConfig or AblationConfig)
    or ``name``."""
    name, _, rest = text.partition(":")
    changes: dict[str, object] = {}
    for item in filter(None, rest.split(",")):
        key, value = item.split("=")
        changes[key] = _value(value)
    return name, changes


def _value(text: str) -> object:
    if text in ("True", "False"):
        return text == "True"
    return int(text) if text.lstrip("-").isdigit() else float(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="finished learned run folders")
    parser.add_argument("--variant", action="append", default=[], help="name:field=value,...")
    parser.add_argument("--more-seeds", type=int, default=0, help="ensemble seeds but the run's")
    parser.add_argument("--flip", type=float, default=0.0, help="share of answers turned around")
    args = parser.parse_args()
    torch.set_num_threads(1)
    replays = {run: load(run) for run in args.runs}
    for rep in replays.values():
        rep.comparisons = flipped(rep.comparisons, args.flip, rep.seed)
    print(f"{len(replays)} runs, fits at {', '.join(str(r.fit_at) for r in replays.values())}")
    keys = (
        *("fits", "steps", "fit_s", "oob_acc", "pair_acc", "late_pair_acc", "corr"),
        *("min_acc", "stuck"),
    )
    print("| variant | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for text in args.variant or ["default"]:
        name, changes = parse_variant(text)
        rows = [
            replay(rep, run, changes, seed)
            for run, rep in replays.items()
            for seed in [Seeds.of(rep.seed).reward_model] + list(range(args.more_seeds))
        ]
        means = {k: float(np.mean([r[k] for r in rows])) for k in keys}
        cells = [f"{means[k]:.0f}" if k in ("fits", "steps") else f"{means[k]:.3f}" for k in keys]
        cells[2] = f"{means['fit_s']:.1f}"
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
        assert all(math.isfinite(means[k]) for k in ("fit_s", "pair_acc"))


if __name__ == "__main__":
    main()
