"""The vocabulary (vocab/) is the one place metric, upstream and event names are spelled: checked
on the AST of every other module, and against the event names the Node preload writes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from vocab.events import EventKind
from vocab.metrics import Metric
from vocab.upstreams import Upstream

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("harness", "mocks", "scenarios")
NAMES = {str(name): f"{kind.__name__}.{name.name}" for kind in (Metric, Upstream, EventKind) for name in kind}


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the string constants that are docstrings (of the module, a class or a function)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def spelled_names(source: str) -> list[tuple[int, str]]:
    """(line, name) of every string literal that is a vocabulary name, docstrings aside."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if node.value in NAMES and id(node) not in docstrings
    ]


def test_no_module_outside_the_vocabulary_spells_a_name() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {name!r} is {NAMES[name]}"
        for folder in FOLDERS
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line, name in spelled_names(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_scanner_finds_a_spelled_name_and_skips_docstrings() -> None:
    source = '"""target.rss_bytes in a docstring"""\nX = "target.rss_bytes"\nY = {"telegram": 1}\nZ = "phases"\n'
    assert spelled_names(source) == [(2, "target.rss_bytes"), (3, "telegram")]


def test_the_preload_writes_only_event_kinds_of_the_vocabulary() -> None:
    preload = (ROOT / "harness" / "interception" / "preload.js").read_text(encoding="utf-8")
    written = set(re.findall(r"appendEvent\('([a-z_]+)'", preload))
    assert written == {EventKind.EGRESS_REFUSED, EventKind.PRELOAD_ACTIVE}
    assert written <= set(EventKind)
