"""The import rules of ../shared/DESIGN.md that ruff's banned-api cannot say per folder, checked on the AST."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(folder: str) -> dict[str, set[str]]:
    """Module path -> every module it imports, at any depth (function-level imports included)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def _offenders(folder: str, banned: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    def hit(name: str, prefixes: tuple[str, ...]) -> bool:
        return any(name == p or name.startswith(p + ".") for p in prefixes)

    return [
        f"{module} imports {name}"
        for module, names in _imports(folder).items()
        for name in sorted(names)
        if hit(name, banned) and not hit(name, allowed)
    ]


def test_only_scenarios_import_locust_or_gevent() -> None:
    # Importing locust monkey-patches the whole process with gevent.
    for folder in ("harness", "mocks", "benchmarks"):
        assert _offenders(folder, ("locust", "gevent")) == []


def test_no_harness_or_mocks_module_pulls_in_locust() -> None:
    """Transitively too: the harness may use scenarios' pure shape maths, never what imports locust."""
    script = (
        "import importlib, pkgutil, sys\n"
        "import harness, mocks\n"
        "for package in (harness, mocks):\n"
        "    for info in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "        if not info.name.endswith('__main__'):\n"
        "            importlib.import_module(info.name)\n"
        "print(len(sys.modules), sorted(m for m in sys.modules if m.split('.')[0] in ('locust', 'gevent')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    module_count, loaded = result.stdout.split(" ", 1)
    assert int(module_count) > 100  # the walk did import the packages
    assert loaded.strip() == "[]"


def test_analysis_is_pure() -> None:
    io = ("os", "pathlib", "io", "sqlite3", "subprocess", "socket", "json", "psutil", "redis", "httpx", "aiohttp")
    assert _offenders("harness/analysis", io) == []
    allowed = ("harness.analysis", "harness.config", "shared", "vocab")
    assert _offenders("harness/analysis", ("harness",), allowed) == []


def test_report_never_touches_a_live_process() -> None:
    live = ("psutil", "redis", "subprocess", "socket", "httpx", "aiohttp", "harness.runner", "harness.target")
    assert _offenders("harness/report", live) == []


def test_report_only_renders() -> None:
    """report/ gets (Verdict, RunData) from evaluate/: it never reads the store, the run's records
    or the heap snapshots, and never judges."""
    readers = ("harness.collector", "harness.evaluate", "harness.accounting", "harness.heapsnap", "harness.runstate")
    assert _offenders("harness/report", readers) == []
    assert _offenders("harness/report", ("harness.analysis.verdict",)) == []


def test_evaluate_reads_and_judges_but_never_runs_anything() -> None:
    live = ("psutil", "subprocess", "socket", "httpx", "aiohttp", "harness.runner", "harness.target", "harness.load")
    assert _offenders("harness/evaluate", live) == []
    assert _offenders("harness/evaluate", ("harness.collector",), ("harness.collector.store",)) == []


def test_the_vocabulary_depends_on_nothing() -> None:
    """vocab/ is imported by the harness, the mocks and Locust's scenarios alike: the standard library only."""
    imported = {name.split(".")[0] for names in _imports("vocab").values() for name in names}
    assert imported <= {"__future__", "enum", "vocab"}


def test_mocks_stand_alone() -> None:
    # The mocks run as their own process (and `soak mocks serve`); they never reach into the harness.
    assert _offenders("mocks", ("harness", "psutil", "scenarios")) == []


def test_shared_code_depends_on_nothing_of_ours() -> None:
    # harness, mocks and scenarios all import shared/, so it imports none of them (nor any I/O library).
    ours = ("harness", "mocks", "scenarios", "psutil", "redis", "httpx", "aiohttp", "locust")
    assert _offenders("shared", ours) == []
    assert "shared.units" in _imports("shared")["shared/fields.py"]


def test_the_scanner_sees_imports_inside_functions() -> None:
    # harness/cli.py imports the mocks lazily, inside a command: a scan of module level alone would miss it.
    assert "mocks.__main__" in _imports("harness")["harness/cli.py"]
