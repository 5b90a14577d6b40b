"""The package's layering: no package imports one that imports it back, generic code never
imports a task plug-in or names a task, and only the commands and the CLI deal in the
user's input errors."""

from __future__ import annotations

import ast
import fractions
import importlib
import itertools
import re
from pathlib import Path

import pytest

import backflip

ROOT = Path(backflip.__file__).parent


def unit(module: str) -> str:
    """``backflip.storage.run_dir`` -> ``storage``; top-level modules are their own unit,
    and so is each task plug-in (``backflip.tasks.hopper_backflip.env`` ->
    ``tasks.hopper_backflip``)."""
    parts = module.split(".")
    if parts[1:2] == ["tasks"] and len(parts) > 3:
        return f"tasks.{parts[2]}"
    if parts[1:2] == ["tasks"] and len(parts) == 3 and (ROOT / "tasks" / parts[2]).is_dir():
        return f"tasks.{parts[2]}"
    return parts[1] if len(parts) > 1 else parts[0]


def is_plugin(unit_name: str) -> bool:
    return unit_name.startswith("tasks.")


GENERIC = re.compile(
    r"(?<![Bb]ack)flips?\b(?!\()|[Bb]ackflips|HopperBackflip|landing|the judge", re.I
)
"""Words of the backflip task, which generic code must not need."""


def imports() -> dict[str, set[str]]:
    """Module name -> backflip modules it imports (at any depth in the file)."""
    out: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        name = ".".join(("backflip", *path.relative_to(ROOT).with_suffix("").parts))
        name = name.removesuffix(".__init__")
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        out[name] = {m for m in found if m.startswith("backflip.")}
    return out


def test_no_two_packages_import_each_other() -> None:
    graph: dict[str, set[str]] = {}
    for module, targets in imports().items():
        graph.setdefault(unit(module), set()).update(unit(t) for t in targets)
    for unit_a, unit_b in itertools.combinations(sorted(graph), 2):
        both = unit_b in graph[unit_a] and unit_a in graph[unit_b]
        assert not both, f"{unit_a} and {unit_b} import each other"


def test_library_code_never_imports_the_command_line() -> None:
    for module, targets in imports().items():
        if unit(module) in ("cli", "commands"):
            continue
        assert not {t for t in targets if unit(t) in ("cli", "commands")}, module


def test_usage_errors_are_raised_only_by_the_commands_and_the_cli() -> None:
    for path in ROOT.rglob("*.py"):
        if path.parent.name == "commands" or path.name in ("errors.py", "cli.py"):
            continue
        assert "UsageError" not in path.read_text(), path


def test_no_generic_package_imports_a_task_plugin() -> None:
    for module, targets in imports().items():
        if is_plugin(unit(module)):
            continue
        plugins = sorted(t for t in targets if is_plugin(unit(t)))
        assert not plugins, f"{module} imports {plugins}"


def test_no_generic_module_names_the_backflip() -> None:
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).parts
        if relative[0] == "tasks" and len(relative) > 2:
            continue  # a plug-in's own code
        found = GENERIC.findall(path.read_text())
        assert not found, f"{path.relative_to(ROOT)} names {sorted(set(found))}"


def test_the_fixed_constants_in_the_architecture_map_are_the_codes() -> None:
    """Each row of docs/architecture.md's "Fixed constants": its values are the named
    constants' in the named module."""
    text = (ROOT.parent / "docs" / "architecture.md").read_text()
    table = text.split("## Fixed constants", 1)[1]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "`backflip/" in line]
    assert len(rows) >= 8
    for row in rows:
        _, values, where = (cell.strip() for cell in row.strip("|").split("|"))
        path, *names = re.findall(r"`([^`]+)`", where)
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        expected = [float(fractions.Fraction(v.strip())) for v in values.split(",")]
        found = [float(getattr(module, name)) for name in names]
        assert found == pytest.approx(expected), row
