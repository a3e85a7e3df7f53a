from pathlib import Path

import pytest

from harness.config import ConfigError, load_profile, parse_profile

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = {"target": {"command": ["node", "x.js"]}}


def test_shipped_profiles_validate() -> None:
    for path in sorted((ROOT / "profiles").glob("*.toml")):
        spec = load_profile(path)
        assert spec.run.duration_s > 0, path


def test_units_in_thresholds_are_resolved() -> None:
    spec = parse_profile({**MINIMAL, "thresholds": {"warmup": "2 min", "rss_slope_max": "2 MiB/h"}})
    assert spec.thresholds.warmup_s == 120
    assert spec.thresholds.rss_slope_max == pytest.approx(2 * 2**20 / 3600)


def test_overrides_win() -> None:
    spec = parse_profile(MINIMAL, {"run": {"duration": "90 s"}})
    assert spec.run.duration_s == 90


def test_unknown_key_is_a_one_line_error() -> None:
    with pytest.raises(ConfigError) as info:
        parse_profile({**MINIMAL, "run": {"durashun": "1 s"}})
    assert "durashun" in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_unit_is_reported_with_its_place() -> None:
    with pytest.raises(ConfigError, match=r"thresholds\.rss_slope_max"):
        parse_profile({**MINIMAL, "thresholds": {"rss_slope_max": "2 MiB"}})


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_profile(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[run\nname=")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_profile(bad)


def test_node_options_are_appended_not_replaced() -> None:
    from harness.target import append_node_options

    env = {"NODE_OPTIONS": "--max-old-space-size=256"}
    append_node_options(env, "--require /x/preload.js")
    append_node_options(env, "--inspect=127.0.0.1:0", "--require /x/preload.js")
    assert env["NODE_OPTIONS"].split() == [
        "--max-old-space-size=256",
        "--require",
        "/x/preload.js",
        "--inspect=127.0.0.1:0",
    ]


def test_metric_limits_by_name_parse_their_units() -> None:
    toml = """
[target]
command = ["node", "x.js"]
[[thresholds.metric]]
name = "node.external_after_gc_bytes"
per_update_max = "1 KiB"
per_hour_max = "2 MiB/h"
[[thresholds.metric]]
name = "target.fds.pipe"
growth_max = 2
max = 40
residual_max = 0
per_hour_max = 30
"""
    import tomllib

    external, pipes = parse_profile(tomllib.loads(toml)).thresholds.metric
    assert external.per_update_max == 1024 and external.per_hour_max_s == pytest.approx(2 * 2**20 / 3600)
    assert (pipes.growth_max, pipes.peak_max, pipes.residual_max) == (2, 40, 0)
    assert pipes.per_hour_max_s == pytest.approx(30 / 3600)  # a bare number is per hour


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"name": "node.external_bytes"}], "sets no limit"),
        ([{"name": "external bytes", "max": 1}], "not a metric name"),
        ([{"name": "a.b", "max": 1}, {"name": "a.b", "growth_max": 1}], "more than once"),
        ([{"name": "a.b", "per_update_max": "1 KiB/h"}], "per_update_max"),
        ([{"name": "a.b", "slope": 1}], "slope"),
    ],
)
def test_bad_metric_limits_are_one_line_errors(entries: list[dict[str, object]], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        parse_profile({**MINIMAL, "thresholds": {"metric": entries}})
    assert "\n" not in str(info.value)


def test_every_shipped_profile_limits_heap_and_external_memory_after_gc() -> None:
    for path in sorted((ROOT / "profiles").glob("*.toml")):
        spec = load_profile(path)
        limits = spec.thresholds
        assert None not in (limits.heap_per_request_max, limits.external_per_request_max), path
        # Per hour too, but on a knee: its load lasts as long as its knee is high, so a rate per
        # hour of what it kept is no figure to compare (profiles/peak.toml).
        if spec.load.shape != "knee":
            assert None not in (limits.heap_slope_max, limits.external_slope_max), path
        assert spec.collector.forced_gc_every_s > 0, f"{path}: no forced GC, so no memory after GC"
