"""A grid's report: ``results.csv`` (one row per run), ``report.md`` (scores with
confidence intervals, reward-model figures, wall time) and its plots."""

from __future__ import annotations

import csv
import datetime
import math
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import numpy as np

import backflip
from backflip.grid.plots import curves_png, score_png
from backflip.grid.results import CellResult, Group, collect, groups
from backflip.grid.spec import GridDir, GridSpec
from backflip.grid.stats import RESAMPLES, estimate, format_score, mean
from backflip.grid.zoo import ZOO_BENCHMARK, ZooFigure, zoo_figure
from backflip.tasks.registry import task_for

NO_LEARNED_RUNS = "No learned runs: the grid ran without `--labels`, baselines alone."


def write_report(grid: GridDir, spec: GridSpec, made: dict[str, str]) -> Path:
    """Writes the report of whatever has finished, saying which ``command`` and git
    ``commit`` last ran the grid; returns the path of ``report.md``."""
    results = collect(grid, spec)
    by_budget = groups(spec, results)
    _write_csv(grid.results, results, by_budget)
    score_plot = grid.root / "score_vs_labels.png"
    if spec.baselines:
        score_png(by_budget, score_plot)
    else:  # no scores to plot
        score_plot.unlink(missing_ok=True)
    curves_png(grid, spec, grid.root / "curves.png")
    grid.report.write_text(_markdown(made, spec, results, by_budget))
    return grid.report


def score_table(by_budget: list[Group]) -> str:
    """The score table of the report, in Markdown (also printed by ``backflip grid``)."""
    rows: list[tuple[object, ...]] = []
    for g in by_budget:
        learned, base = g.figures("eval_true_return_mean")
        random, _ = g.figures("random_true_return_mean")
        per_seed = ", ".join(format_score(s) for s in g.scores()) or "–"
        rows.append(
            (g.env, g.algo, g.labels, len(learned), _mean(learned), _mean(base), _mean(random))
            + (per_seed, f"**{g.score_mean()}**", g.score_iqm(), format_score(g.score_of_means()))
        )
    header = ("env", "algo", "labels", "seeds", "learned return", "baseline return", "random")
    table = _table(
        header + ("score per seed", "mean [95% CI]", "IQM [95% CI]", "score of means"), rows
    )
    return table + unscored_note(by_budget)


def unscored_note(by_budget: list[Group]) -> str:
    """A line per label budget with seeds whose baseline did not beat the random policy."""
    lines = [
        f"{g.env} {g.algo} {g.labels} labels: no score (–) for seed(s) "
        f"{', '.join(map(str, seeds))}, whose true-reward baseline did not beat the random "
        "policy; the mean and IQM leave them out, the score of means keeps them."
        for g in by_budget
        if (seeds := g.unscored_seeds())
    ]
    return "".join(f"\n\n{line}" for line in lines)


def learned_table(by_budget: list[Group]) -> str:
    """Per (env, algo, labels): the learned runs' final true return per seed, its mean
    with a 95% bootstrap interval, and a random policy's (a grid without baselines)."""
    rows: list[tuple[object, ...]] = []
    for g in by_budget:
        done = g.done()
        returns = [r.value("eval_true_return_mean") for r in done]
        per_seed = ", ".join(f"{v:.1f}" for v in returns) or "–"
        random = _mean([r.value("random_true_return_mean") for r in done])
        rows.append((g.env, g.algo, g.labels, len(done), per_seed, estimate(returns, mean), random))
    header = ("env", "algo", "labels", "seeds", "true return per seed", "mean [95% CI]", "random")
    return _table(header, rows)


def task_table(by_budget: list[Group]) -> str | None:
    """Per (env, algo, labels) and metric of the env's task (``backflip/tasks/base.py``):
    the learned runs' per seed, their mean with a 95% bootstrap interval, the baselines'
    mean and a random policy's; None where no env of the grid has a task metric."""
    rows: list[tuple[object, ...]] = []
    for g in by_budget:
        done = g.done()
        for metric in task_for(g.env).metrics:
            values = [r.value(metric.name) for r in done]
            bases = [b.value(metric.name) for b in g.baselines.values() if b.summary]
            random = _mean([r.value("random_" + metric.name) for r in done], 2)
            per_seed = ", ".join(f"{v:.2f}" for v in values) or "–"
            rows.append(
                (g.env, g.algo, g.labels, metric.label, per_seed, estimate(values, mean))
                + (_mean(bases, 2), random)
            )
    if not rows:
        return None
    header = ("env", "algo", "labels", "metric", "learned per seed", "mean [95% CI]")
    return _table(header + ("baseline", "random"), rows)


def publish_report(grid: GridDir, folder: Path) -> Path:
    """Copies the report with its table and plots into ``folder`` (a results page);
    returns the copy of ``report.md``."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in (grid.report, grid.results, *sorted(grid.root.glob("*.png"))):
        if path.exists():
            shutil.copyfile(path, folder / path.name)
    return folder / grid.report.name


def baseline_table(results: list[CellResult]) -> str:
    """Per (env, algo): the true-reward runs' returns and speed, in Markdown."""
    rows: list[tuple[object, ...]] = []
    done = [r for r in results if r.cell.labels is None and r.summary]
    for env, algo in sorted({(r.cell.env, r.cell.algo) for r in done}):
        mine = [r for r in done if (r.cell.env, r.cell.algo) == (env, algo)]
        ret = estimate([r.value("eval_true_return_mean") for r in mine], mean)
        env_ret = _mean([r.value("eval_env_return_mean") for r in mine])
        random = _mean([r.value("random_true_return_mean") for r in mine])
        speed = _mean([r.value("steps") / r.value("wall_s") for r in mine], 0)
        rows.append((env, algo, len(mine), ret, env_ret, random, speed))
    header = ("env", "algo", "seeds", "true return [95% CI]", "env return", "random", "steps/s")
    return _table(header, rows)


def _markdown(
    made: dict[str, str], spec: GridSpec, results: list[CellResult], by: list[Group]
) -> str:
    done = sum(r.status == "done" for r in results)
    failed = [r for r in results if r.status == "failed"]
    missing = [r for r in results if r.status == "missing"]
    header = f"""# Grid report

Made by `{made["command"]}` with backflip {backflip.__version__} at commit
{made["commit"]}; report of {datetime.date.today().isoformat()}. Runs: {done} done,
{len(failed)} failed, {len(missing)} not finished, of {len(results)}. """
    if spec.baselines:
        body = header + _SCORES.format(
            resamples=RESAMPLES,
            scores=score_table(by) if by else NO_LEARNED_RUNS,
            baselines=baseline_table(results),
        )
    else:
        body = header + _LEARNED.format(resamples=RESAMPLES, learned=learned_table(by))
    tasks = task_table(by)
    if tasks is not None:
        body += _TASKS.format(tasks=tasks)
    body += _REST.format(reward=_reward_table(by))
    zoo = zoo_table(results, spec.steps)
    if zoo:
        body += _ZOO.format(url=ZOO_BENCHMARK, zoo=zoo, wide=zoo_row_table(results))
    if spec.baselines:
        body += _TIME.format(time=_time_table(by))
    return body + _problems(failed, missing)


_SCORES = """Each learned run has
a true-reward baseline with the same env, algo, steps, seed and evaluation episodes.

## Score

Random-normalized score of the final policy's true return (mean over its evaluation
episodes): (learned − random) / (baseline − random), per seed; the random policy plays the
same episodes. Mean and interquartile mean (IQM) over seeds, with 95% percentile
bootstrap intervals ({resamples:,} resamples, `scipy.stats.bootstrap`). The score of
means is (mean learned − mean random) / (mean baseline − mean random): a seed whose
baseline failed inflates its own score, and with it the mean, but not this.

{scores}

![score against labels](score_vs_labels.png)

## True-reward baselines

Final true return (the task reward) with its 95% bootstrap interval over seeds, the
env's registered reward (with its control costs) and agent steps per second, mean over
seeds.

{baselines}
"""

_LEARNED = """The grid ran without
true-reward baselines (`--no-baselines`): there are no scores.

## Learned runs

Final true return (the task reward, mean over the evaluation episodes) per seed, its mean
over seeds with a 95% percentile bootstrap interval ({resamples:,} resamples), and a
random policy's on the same episodes.

{learned}
"""

_TASKS = """
## The task's metrics

Per evaluation episode, averaged over the run's evaluation episodes, from the episodes'
physics states (the env's task, `backflip/tasks/`); mean over seeds with a 95% bootstrap
interval; the baselines' and a random policy's mean.

{tasks}
"""

_REST = """
## Learning curves

True return of recent training episodes against env steps, mean over seeds (from each
run's `metrics.csv`).

![learning curves](curves.png)

## Reward model

Held-out preference accuracy and correlation of learned and oracle clip returns at the
end of each learned run, mean over seeds (per run in `results.csv`).

{reward}
"""

_ZOO = """
## Beside the RL Baselines3 Zoo

The env's own return (its registered reward, control costs included) of the final
policy, mean over seeds with a 95% bootstrap interval, beside the return the
[RL Baselines3 Zoo publishes]({url}) for the same algorithm on the same task, and the
fraction of it reached. The Zoo's is one trained agent on gym's v3 env, evaluated with
its deterministic policy in episodes that end when the Hopper or the Walker falls; ours
play fixed-length episodes on the same policy kind.

{zoo}

The same, a row per task: the env return per reward, mean over seeds, with the fraction of
the Zoo's in brackets (the seeds where fewer finished).

{wide}
"""

_TIME = """
## Wall time

Training wall time (`wall_s`, without the final evaluation), the part of it spent fitting
the reward model (`reward_fit_s`) and agent steps per second, mean over seeds; the ratio
is learned / true-reward wall time per seed, then averaged.

{time}
"""


def _zoo_env_returns(
    results: list[CellResult],
) -> dict[tuple[str, str], tuple[ZooFigure, dict[int, list[float]]]]:
    """Per (env, algo) the Zoo publishes: its figure and the env returns of our finished
    runs per arm (labels; 0 for the true reward)."""
    found: dict[tuple[str, str], tuple[ZooFigure, dict[int, list[float]]]] = {}
    for r in results:
        zoo = zoo_figure(r.cell.algo, r.cell.env) if r.summary else None
        if zoo is None:
            continue
        _, arms = found.setdefault((r.cell.env, r.cell.algo), (zoo, defaultdict(list)))
        arms[r.cell.labels or 0].append(r.value("eval_env_return_mean"))
    return found


def zoo_table(results: list[CellResult], steps: int) -> str:
    """Per (env, algo, arm) with a Zoo figure: our env return beside the Zoo's, in
    Markdown; empty if the Zoo publishes none of the grid's tasks."""
    rows: list[tuple[object, ...]] = []
    for (env, algo), (zoo, arms) in sorted(_zoo_env_returns(results).items()):
        for labels, mine in sorted(arms.items()):
            ours = estimate(mine, mean)
            arm = f"{labels} labels" if labels else "true reward"
            theirs = f"{zoo.mean_return:.1f} ± {zoo.std_return:.1f} ({zoo.env_id}, {zoo.steps:,})"
            fraction = f"{ours.value / zoo.mean_return:.2f}"
            rows.append((env, algo, arm, len(mine), f"{steps:,}", ours, theirs, fraction))
    header = ("env", "algo", "reward", "seeds", "steps", "env return [95% CI]", "Zoo")
    return _table(header + ("of the Zoo's",), rows) if rows else ""


def zoo_row_table(results: list[CellResult]) -> str:
    """Per (env, algo) with a Zoo figure, one row: the Zoo's return, then our env return
    per arm (true reward, then each label budget) with its fraction of the Zoo's."""
    found = _zoo_env_returns(results)
    all_arms = sorted({labels for _, arms in found.values() for labels in arms})
    rows: list[tuple[object, ...]] = []
    for (env, algo), (zoo, arms) in sorted(found.items()):
        most = max(len(mine) for mine in arms.values())
        cells = []
        for labels in all_arms:
            mine = arms.get(labels, [])
            if not mine:
                cells.append("–")
                continue
            ours = float(np.mean(mine))
            fewer = f"; {len(mine)} of {most} seeds" if len(mine) < most else ""
            cells.append(f"{ours:.1f} ({ours / zoo.mean_return:.2f}{fewer})")
        rows.append((env, algo, f"{zoo.mean_return:.1f} ({zoo.env_id})", *cells))
    names = tuple(f"{labels} labels" if labels else "true reward" for labels in all_arms)
    return _table(("env", "algo", "Zoo") + names, rows) if rows else ""


def _reward_table(by: list[Group]) -> str:
    rows: list[tuple[object, ...]] = []
    for g in by:
        done = g.done()
        acc = _mean([r.value("pref_accuracy") for r in done], digits=2)
        corr = _mean([r.value("reward_oracle_corr") for r in done], digits=3)
        rows.append((g.env, g.algo, g.labels, acc, corr))
    return _table(("env", "algo", "labels", "pref. accuracy", "reward corr."), rows)


def _time_table(by: list[Group]) -> str:
    rows: list[tuple[object, ...]] = []
    for g in by:
        wall, base = g.figures("wall_s")
        fit, _ = g.figures("reward_fit_s")
        steps, base_steps = g.figures("steps")
        ratio = estimate([w / b for w, b in zip(wall, base, strict=True)], mean)
        speed = [n / w for n, w in zip(steps, wall, strict=True)]
        base_speed = [n / w for n, w in zip(base_steps, base, strict=True)]
        rows.append(
            (g.env, g.algo, g.labels, _mean(wall, 0), _mean(fit, 0), _mean(base, 0), ratio)
            + (_mean(speed, 0), _mean(base_speed, 0))
        )
    header = ("env", "algo", "labels", "learned wall s", "of which reward fits", "baseline wall s")
    return _table(header + ("learned / true", "learned steps/s", "baseline steps/s"), rows)


def _problems(failed: list[CellResult], missing: list[CellResult]) -> str:
    if not failed and not missing:
        return ""
    lines = ["", "## Runs without a result", ""]
    lines += [f"- `{r.cell.name}` failed: {r.error}" for r in failed]
    lines += [f"- `{r.cell.name}` has not finished" for r in missing]
    return "\n".join(lines) + "\n"


def _write_csv(path: Path, results: list[CellResult], by: list[Group]) -> None:
    scores = {  # seeds without a score have an empty cell
        run.cell: score
        for g in by
        for (run, _), score in zip(g.paired(), g.scores(), strict=True)
        if not math.isnan(score)
    }
    keys = (
        *("steps", "wall_s", "eval_true_return_mean", "random_true_return_mean"),
        *("eval_env_return_mean", "pref_accuracy", "reward_oracle_corr"),
    )
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["run", "env", "algo", "labels", "seed", "status", *keys, "score", "error"])
        for r in results:
            c = r.cell
            figures = ["" if np.isnan(r.value(k)) else r.value(k) for k in keys]
            labels = "true" if c.labels is None else c.labels
            score = scores.get(c, "")
            writer.writerow(
                [c.name, c.env, c.algo, labels, c.seed, r.status, *figures, score, r.error or ""]
            )


def _table(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    """A Markdown table of ``rows``, each a cell per column of ``header``."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    return "\n".join(lines)


def _mean(values: list[float], digits: int = 1) -> str:
    finite = [v for v in values if not np.isnan(v)]
    return f"{np.mean(finite):.{digits}f}" if finite else "–"


def current_commit() -> str:
    """The package's git commit, marked when the working tree has changes."""
    root = Path(backflip.__file__).parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return (sha + (" with uncommitted changes" if dirty else "")) if sha else "unknown"
