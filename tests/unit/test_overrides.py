"""`--set KEY=VALUE` on a profile, and target.cwd counted from the profile's own directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import ConfigError, RunSpec, load_profile
from harness.overrides import SettingError, apply_settings, parse_setting
from harness.prestart import check_before_start
from tests.conftest import BOT_DIR, ROOT, shipped_profile_text


@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ("load.users=50", ("load", "users"), 50),
        ("load.rate_per_user=0.5", ("load", "rate_per_user"), 0.5),
        ("collector.inspector=false", ("collector", "inspector"), False),
        ("run.duration=90 s", ("run", "duration"), "90 s"),
        ('thresholds.rss_max="2 GiB"', ("thresholds", "rss_max"), "2 GiB"),
        ("load.mix={text = 1, voice = 2}", ("load", "mix"), {"text": 1, "voice": 2}),
        ('target.command=["node", "x.js"]', ("target", "command"), ["node", "x.js"]),
        # Text fields keep the text as typed, whatever TOML would read in it.
        ("target.env.RETRIES=3", ("target", "env", "RETRIES"), "3"),
        ("target.env.FLAG=true", ("target", "env", "FLAG"), "true"),
        ('target.env.QUOTED="a b"', ("target", "env", "QUOTED"), "a b"),
        ("target.env.URL={redis_url}", ("target", "env", "URL"), "{redis_url}"),
        ("run.name=2024", ("run", "name"), "2024"),
        ("redis.backend=fakeredis", ("redis", "backend"), "fakeredis"),
        ("target.env.EMPTY=", ("target", "env", "EMPTY"), ""),
    ],
)
def test_values_read_as_toml_with_text_where_the_schema_wants_text(
    text: str, path: tuple[str, ...], value: object
) -> None:
    setting = parse_setting(text, RunSpec)
    assert setting.path == path
    assert setting.value == value and type(setting.value) is type(value)


@pytest.mark.parametrize("text", ["load.users", "=5", "users=5", "load..users=5", "load.us ers=5", ".load=1"])
def test_malformed_settings_are_refused(text: str) -> None:
    with pytest.raises(SettingError, match="--set"):
        parse_setting(text, RunSpec)


def test_settings_merge_deep_and_later_ones_win() -> None:
    data = {"target": {"command": ["node"], "env": {"A": "1"}}, "load": {"users": 5}}
    settings = [parse_setting(text, RunSpec) for text in ("target.env.B=2", "load.users=7", "load.users=9")]
    merged = apply_settings(data, settings)
    assert merged == {"target": {"command": ["node"], "env": {"A": "1", "B": "2"}}, "load": {"users": 9}}
    assert data["target"]["env"] == {"A": "1"}  # the profile's own tables are not changed


def _profile(tmp_path: Path) -> Path:
    path = tmp_path / "smoke.toml"
    path.write_text(shipped_profile_text("smoke.toml"))
    return path


def test_load_profile_applies_and_validates_settings(tmp_path: Path) -> None:
    spec = load_profile(_profile(tmp_path), settings=["load.users=50", "target.env.MODE=x", "run.duration=2 min"])
    assert spec.load.users == 50 and spec.target.env["MODE"] == "x" and spec.run.duration_s == 120
    assert spec.target.env["LEAKS"] == ""  # the file's own values stay


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("load.users=abc", "load.users: .*\\(from --set load.users=abc\\)"),
        ("load.userz=5", "load.userz: .*\\(from --set load.userz=5\\)"),
        ("thresholds.rss_max=-1", "rss_max.*\\(from --set thresholds.rss_max=-1\\)"),
        ("run.duration=5 parsecs", "run.duration: .*parsecs.*\\(from --set"),
        ("load.users.x=1", "load.users: must be a table to set load.users.x \\(from --set load.users.x=1\\)"),
        ("target.env.URL={redis_ur}", "unknown placeholder \\{redis_ur\\}"),
        ("target.env.bad-name=1", "target.env.bad-name"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_profile(_profile(tmp_path), settings=[text])
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("name", sorted(path.name for path in (ROOT / "profiles").glob("*.toml")))
def test_shipped_profiles_work_from_any_directory(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = load_profile(ROOT / "profiles" / name, {"run": {"results_dir": str(tmp_path / "results")}})
    assert Path(spec.target.cwd) == BOT_DIR
    check_before_start(spec)  # the cwd, the command and the scenario are all found from here


def test_relative_cwd_counts_from_the_profile_and_from_the_shell_with_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "service").mkdir()
    (tmp_path / "elsewhere").mkdir()
    profile = tmp_path / "conf" / "p.toml"
    profile.write_text('[target]\ncommand = ["node"]\ncwd = "service"\n')
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert load_profile(profile).target.cwd == str(tmp_path / "conf" / "service")
    assert load_profile(Path("../conf/p.toml")).target.cwd == str(tmp_path / "conf" / "service")
    assert load_profile(profile, settings=["target.cwd=sub"]).target.cwd == str(tmp_path / "elsewhere" / "sub")
    profile.write_text('[target]\ncommand = ["node"]\n')
    assert load_profile(profile).target.cwd == str(tmp_path / "conf")  # the default "." too
