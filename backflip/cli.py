"""The ``backflip`` command: parses the subcommand and its flags, dispatches, and turns
every ``BackflipError`` into one line on stderr with exit status 2."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import io
import os
import sys
from collections.abc import Callable

import tyro

from backflip.commands.args import (
    CompareArgs,
    EvalArgs,
    GridArgs,
    LabelArgs,
    ServeArgs,
    VideoArgs,
)
from backflip.config import TrainConfig, parse_train
from backflip.errors import BackflipError, UsageError

COMMANDS: dict[str, Callable[..., object]] = {
    "train": TrainConfig,
    "eval": EvalArgs,
    "compare": CompareArgs,
    "video": VideoArgs,
    "label": LabelArgs,
    "serve": ServeArgs,
    "grid": GridArgs,
}

DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)
"""What the machine's disks do to a command, not a bug of backflip: one line, not a traceback."""

INTERRUPTED = {
    "train": "; continue with the same command and --resume",
    "grid": "; run the same command again: finished runs are kept, the others resume",
}


def parse(argv: list[str]) -> object:
    """The arguments of the subcommand ``argv`` names, ``backflip train``'s with its
    presets applied. ``--help`` prints and exits as tyro does; flags tyro cannot parse are
    a :class:`UsageError` of one line."""
    if "-h" in argv or "--help" in argv:
        return _parse(argv)
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            return _parse(argv)
    except SystemExit:
        raise UsageError(first_line(err.getvalue() + out.getvalue(), argv)) from None


def _parse(argv: list[str]) -> object:
    if argv[:1] == ["train"]:
        return parse_train(argv[1:])
    return tyro.extras.subcommand_cli_from_dict(COMMANDS, prog="backflip", args=argv)


def first_line(box: str, argv: list[str]) -> str:
    """What tyro's error box says went wrong (the line under its title), and where the
    full help is."""
    lines = [line.strip(" │╭╮╰╯─-") for line in box.splitlines()]
    lines = [line for line in lines if line]  # the box's title, then what went wrong
    text = lines[1] if len(lines) > 1 else lines[0] if lines else "bad arguments"
    if text.endswith(":") and len(lines) > 2:  # "Missing from backflip eval:" and what
        text = f"{text} {lines[2]}"
    command = " ".join(["backflip", *argv[:1]]) if argv[:1] and argv[0] in COMMANDS else "backflip"
    return f"{text} (see {command} --help)"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `backflip grid ... -- FLAGS`: FLAGS go to every run's `backflip train`.
    passed: list[str] = []
    if argv[:1] == ["grid"] and "--" in argv:
        cut = argv.index("--")
        argv, passed = argv[:cut], argv[cut + 1 :]
    try:
        args = parse(argv)
        # Each command imports what it needs only when it runs (torch takes seconds).
        if isinstance(args, TrainConfig):
            from backflip.commands.train import run_train

            return run_train(args)
        if isinstance(args, EvalArgs):
            from backflip.commands.eval import run_eval

            return run_eval(args)
        if isinstance(args, CompareArgs):
            from backflip.commands.compare import run_compare

            return run_compare(args)
        if isinstance(args, VideoArgs):
            from backflip.commands.video import run_video

            return run_video(args)
        if isinstance(args, GridArgs):
            from backflip.commands.grid import run_grid

            return run_grid(dataclasses.replace(args, train_flags=tuple(passed)))
        if isinstance(args, ServeArgs):
            from backflip.commands.serve import run_serve

            return run_serve(args)
        from backflip.commands.label import run_label

        assert isinstance(args, LabelArgs)
        return run_label(args)
    except BackflipError as err:
        print(f"backflip: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        if err.errno not in DISK_ERRORS:
            raise
        resume = " with --resume" if argv[:1] == ["train"] else ""
        hint = f"free space and run the same command{resume}"
        if err.errno == errno.EROFS:
            hint = "write to a writable filesystem"
        where = f" ({err.filename})" if err.filename else ""
        print(f"backflip: error: {os.strerror(err.errno)}{where}: {hint}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        hint = INTERRUPTED.get(argv[0] if argv else "", "")
        print(f"backflip: interrupted{hint}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
