"""Runs a grid's unfinished cells as Ray tasks and shows how far it has got."""

from __future__ import annotations

from tqdm.auto import tqdm

from backflip.config import TrainConfig, config_to_json
from backflip.grid.cells import run_cell
from backflip.grid.local_ray import cluster_cpus, ray_session
from backflip.grid.spec import Cell, GridDir


def run_cells(
    grid: GridDir,
    configs: dict[Cell, TrainConfig],
    address: str | None,
    cpus_per_run: int,
) -> dict[str, str]:
    """Trains every cell without a ``summary.json`` (resuming those with a checkpoint),
    ``cpus_per_run`` CPUs each; returns ``{cell name: error}`` of the cells that failed.
    A failed cell does not stop the others."""
    import ray

    todo = [cell for cell in configs if not (grid.run_dir(cell) / "summary.json").exists()]
    failures: dict[str, str] = {}
    bar = tqdm(total=len(configs), initial=len(configs) - len(todo), unit="run", desc="grid")
    if not todo:
        bar.close()
        return failures
    env_vars = {"MUJOCO_GL": "egl"}
    with ray_session(address, cpus_per_run, grid.local_ray, env_vars):
        task = ray.remote(num_cpus=cpus_per_run, max_retries=0)(run_cell)
        pending = {task.remote(config_to_json(configs[c]), cpus_per_run): c for c in todo}
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=2.0)
                for ref in ready:
                    cell = pending.pop(ref)
                    try:
                        summary = ray.get(ref)
                    except ray.exceptions.RayError as err:
                        failures[cell.name] = _one_line(err)
                        bar.write(f"failed {cell.name}: {failures[cell.name]}")
                    else:
                        bar.write(f"done {cell.name}: {_figure(summary)}")
                    bar.update(1)
                total, free = cluster_cpus()
                running = min(len(pending), round((total - free) / cpus_per_run))
                waiting = len(pending) - running
                bar.set_postfix_str(f"running {running}, waiting {waiting}, failed {len(failures)}")
        except KeyboardInterrupt:
            for ref in pending:  # a cluster would go on with them otherwise
                ray.cancel(ref, force=True)
            raise
        finally:
            bar.close()
    return failures


def _figure(summary: dict[str, object]) -> str:
    ret, rnd = summary["eval_true_return_mean"], summary["random_true_return_mean"]
    return f"true return {ret:.1f} (random {rnd:.1f}) in {summary['wall_s']:.0f} s"


def _one_line(err: Exception) -> str:
    """The original error of a failed task, on one line."""
    cause = getattr(err, "cause", None) or err
    text = f"{type(cause).__name__}: {cause}".strip().splitlines()
    return text[-1] if len(text) == 1 else f"{text[0]} ... {text[-1]}"
