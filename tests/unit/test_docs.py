"""docs/profile.md is what the models say, every key has a description, and the environment table
names every variable soak really gives the target."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.config import InterceptionSection, RunSpec, parse_profile
from harness.docs import PAGE, render
from harness.docs_env import documented_names
from harness.docs_types import section_rows
from harness.interception.modes import LOOPBACK_NO_PROXY, PROXY_VARIABLES, Guard, base_url, node_preload
from harness.interception.plan import InterceptionPlan
from harness.target import INSPECT_OPTION, append_node_options, target_env
from tests.conftest import ROOT


def test_the_page_is_current() -> None:
    """Fails when a model changed and `make docs` (python -m harness.docs) was not run."""
    result = subprocess.run(
        [sys.executable, "-m", "harness.docs", "--check"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert PAGE.read_text(encoding="utf-8") == render()


def test_a_stale_page_is_told(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import harness.docs

    stale = tmp_path / "profile.md"
    stale.write_text(render().replace("quiet sampling before the load", "something else"))
    monkeypatch.setattr(harness.docs, "PAGE", stale)
    assert harness.docs.main(["--check"]) == 1
    assert harness.docs.main([]) == 0 and harness.docs.main(["--check"]) == 0


def test_every_key_has_a_type_a_default_and_a_description() -> None:
    undescribed = [
        f"{section.table}.{row.key}"
        for section in section_rows(RunSpec)
        for row in section.rows
        if not row.description.strip()
    ]
    assert undescribed == []
    keys = {(section.table, row.key) for section in section_rows(RunSpec) for row in section.rows}
    assert ("run", "duration") in keys and ("thresholds", "rss_max") in keys and ("target", "env") in keys


def test_rows_show_units_bounds_and_defaults_as_a_profile_writes_them() -> None:
    rows = {(section.table, row.key): row for section in section_rows(RunSpec) for row in section.rows}
    duration = rows[("run", "duration")]
    assert (duration.kind, duration.default) == ("duration (> 0 s)", '`"1 min"`')
    assert rows[("run", "interval")].kind == "duration (>= 50 ms)"
    assert rows[("thresholds", "rss_slope_max")].kind == "size per time"
    assert rows[("thresholds", "rss_max")].default == "not set"
    assert rows[("target", "command")].default == "**required**"
    assert rows[("collector", "temp_patterns")].default == '`["telegram_*", "elevenlabs_tts_*"]`'


def test_the_environment_table_names_every_variable_soak_sets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "environ", {})
    target = parse_profile({"target": {"command": ["node"], "cwd": "/"}}).target
    upstreams = {
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "CURSOR_RUNNER_URL": "http://127.0.0.1:2",
        "REDIS_READY_CHECK": "1",
    }
    env = target_env(target, 1, upstreams, tmp_path)
    append_node_options(env, INSPECT_OPTION)
    plan = InterceptionPlan.prepare(InterceptionSection(), tmp_path)
    urls = {name: "https://127.0.0.1:3" for name in ("telegram", "telegram_tls", "elevenlabs", "elevenlabs_tls")}
    guard = Guard(tmp_path / "events.jsonl", 0.0)
    base_url_env = dict(InterceptionSection().base_url_env)
    for side in (node_preload(plan.redirects, urls, plan.tls, guard),
                 base_url(plan.redirects, base_url_env, urls, plan.tls, guard)):  # fmt: skip
        env.update(side.env)
    names = set(env) | set(PROXY_VARIABLES) | {"NO_PROXY", "no_proxy"}
    assert LOOPBACK_NO_PROXY in PAGE.read_text(encoding="utf-8")
    assert names - documented_names() == set()
    assert documented_names() - names == set()  # nothing documented that soak no longer sets
