"""The README checks itself: its commands parse with the real parser, its result tables
are copies of the grids' own reports, its links lead somewhere, and it stays short."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from backflip.cli import parse
from backflip.commands.args import GridArgs
from backflip.config import parse_train_quietly
from backflip.errors import UsageError

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
PUBLISHED = (ROOT / "docs" / "published-figures.md").read_text()


def commands(text: str) -> list[list[str]]:
    """Each ``backflip ...`` command of the ```bash blocks, continuation lines joined and
    comments dropped, as arguments after ``backflip``."""
    found = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["backflip"]:
                found.append(words[1:])
    return found


def test_every_backflip_command_in_the_readme_parses() -> None:
    found = commands(README)
    assert len(found) >= 8
    assert commands(PUBLISHED), "docs/published-figures.md gives the grid command"
    for args in found + commands(PUBLISHED):
        passed: list[str] = []
        if args[0] == "grid" and "--" in args:
            cut = args.index("--")
            args, passed = args[:cut], args[cut + 1 :]
        try:
            parsed = parse(args)
        except UsageError as err:
            pytest.fail(f"`backflip {shlex.join(args)}` does not parse: {err}")
        if isinstance(parsed, GridArgs):
            parse_train_quietly(passed)


def test_a_renamed_flag_would_fail_the_check() -> None:
    with pytest.raises(UsageError, match="Unrecognized options: --pebble-steps"):
        parse(commands("```bash\nbackflip train --pebble-steps 10\n```\n")[0])


def test_the_result_tables_are_the_grid_reports_own_lines() -> None:
    results = README.split("## Results", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in results.splitlines() if line.startswith("| ")]
    assert rows, "the README shows no result table"
    reports = "\n".join(p.read_text() for p in (ROOT / "docs" / "results").rglob("report.md"))
    for row in rows:
        assert row in reports, f"not in any docs/results report: {row}"


def test_local_links_lead_to_files() -> None:
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), target


def test_the_readme_stays_short() -> None:
    assert len(README.splitlines()) < 400
