"""The ``backflip`` command: parses the subcommand and its flags, dispatches, and turns
every ``BackflipError`` into one line on stderr with exit status 2."""

from __future__ import annotations

import sys

import tyro

from backflip.commands.args import EvalArgs, LabelArgs, VideoArgs
from backflip.config import TrainConfig
from backflip.errors import BackflipError


def main(argv: list[str] | None = None) -> int:
    try:
        args = tyro.extras.subcommand_cli_from_dict(
            {"train": TrainConfig, "eval": EvalArgs, "video": VideoArgs, "label": LabelArgs},
            prog="backflip",
            args=argv,
        )
        # Each command imports what it needs only when it runs (torch takes seconds).
        if isinstance(args, TrainConfig):
            from backflip.commands.train import run_train

            return run_train(args)
        if isinstance(args, EvalArgs):
            from backflip.commands.eval import run_eval

            return run_eval(args)
        if isinstance(args, VideoArgs):
            from backflip.commands.video import run_video

            return run_video(args)
        from backflip.commands.label import run_label

        return run_label(args)
    except BackflipError as err:
        print(f"backflip: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("backflip: interrupted; continue with the same command and --resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
