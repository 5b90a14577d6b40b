"""``backflip label``: the clip comparison window on a run that asks a person."""

from __future__ import annotations

import time

from backflip.commands.args import LabelArgs
from backflip.errors import UsageError
from backflip.labelling.window import LabelWindow, check_display, default_labeller
from backflip.preference.oracle import SyntheticOracle
from backflip.seeds import Seeds
from backflip.storage.run_dir import RunDir
from backflip.tasks.registry import task_for


def run_label(args: LabelArgs) -> int:
    if args.width < 16 or args.height < 16:
        raise UsageError("--width and --height must be at least 16")
    run_dir = RunDir(args.run_dir)
    deadline = time.monotonic() + args.wait_s
    while not run_dir.labels.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    config = run_dir.read_config()
    if config.reward == "learned" and config.oracle != "human":
        raise UsageError(
            f"{args.run_dir} is answered by the synthetic teacher and never asks a person: "
            "start a run with --oracle human to label it"
        )
    if config.reward != "learned" or not run_dir.labels.exists():
        raise UsageError(f"{args.run_dir} has no labels to give: start it with --oracle human")
    if run_dir.summary.exists() and _nothing_pending(run_dir):
        raise UsageError(f"{args.run_dir} has finished training: nothing is left to label")
    check_display()
    teacher = None
    if args.synthetic_human:
        teacher = SyntheticOracle(config.teacher, Seeds.of(config.seed).teacher)
    window = LabelWindow(
        run_dir,
        config.env,
        args.labeller or default_labeller(),
        args.width,
        args.height,
        synthetic_human=teacher,
        max_labels=args.max_labels,
        screenshot=args.screenshot,
        question=args.question or task_for(config.env).question,
    )
    print(f"labels given: {window.run()}")
    return 0


def _nothing_pending(run_dir: RunDir) -> bool:
    store = run_dir.label_store(read_only=True)
    try:
        return store.pending_count() == 0
    finally:
        store.close()
