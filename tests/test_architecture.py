"""The package's layering: no package imports one that imports it back, and only the
commands and the CLI deal in the user's input errors."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import backflip

ROOT = Path(backflip.__file__).parent


def unit(module: str) -> str:
    """``backflip.storage.run_dir`` -> ``storage``; top-level modules are their own unit."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


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


def test_usage_errors_are_raised_only_by_the_commands() -> None:
    for path in ROOT.rglob("*.py"):
        if path.parent.name == "commands" or path.name == "errors.py":
            continue
        assert "UsageError" not in path.read_text(), path
