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
