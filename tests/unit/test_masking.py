"""Secrets masked in documents, text and files; private files 0600 from their creation."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from harness.config import parse_profile
from harness.masking import MASK, Secrets, looks_secret, write_private

TARGET = {
    "command": ["node", "x.js"],
    "telegram_token": "111:tokenAAAA",
    "webhook_secret": "hookBBBB",
    "callback_secret": "cbCCCC",
    "elevenlabs_api_key": "xiDDDD",
    "env": {"OPENAI_API_KEY": "sk-EEEE", "db_password": "pwFFFF", "HTTP_AUTH": "auGGGG", "APP_NAME": "visible"},
}


def test_secret_looking_names() -> None:
    assert all(map(looks_secret, ["OPENAI_API_KEY", "db_password", "HTTP_AUTH", "GITHUB_TOKEN", "secret"]))
    assert not any(map(looks_secret, ["APP_NAME", "PORT", "NODE_ENV", "LEAKS"]))


def test_a_spec_dump_keeps_its_shape_and_loses_its_secrets() -> None:
    spec = parse_profile({"target": TARGET})
    secrets = Secrets.of_target(spec.target)
    dump = spec.model_dump(by_alias=True, mode="json")
    masked = secrets.data({"spec": dump, "target_command": ["node", "x.js", "--token=111:tokenAAAA"]})
    text = json.dumps(masked)
    for value in ("111:tokenAAAA", "hookBBBB", "cbCCCC", "xiDDDD", "sk-EEEE", "pwFFFF", "auGGGG"):
        assert value not in text
    assert masked["spec"]["target"]["env"]["APP_NAME"] == "visible"
    assert masked["target_command"][-1] == f"--token={MASK}"
    assert dump["target"]["telegram_token"] == "111:tokenAAAA"  # a copy: the original is untouched
    # `soak report` reads the masked spec back: it must still validate.
    assert parse_profile(masked["spec"]).target.telegram_token == MASK


def test_short_values_are_masked_where_named_but_not_in_free_text(tmp_path: Path) -> None:
    secrets = Secrets.of(["abc", "longer-secret"])
    assert secrets.data({"API_KEY": "abc", "note": "abc and longer-secret"}) == {
        "API_KEY": MASK,
        "note": f"abc and {MASK}",
    }
    log = tmp_path / "target.log"
    log.write_bytes(b"start longer-secret\n" * 3 + b"\xff binary tail longer-secret")
    assert secrets.file(log)
    assert log.read_bytes() == f"start {MASK}\n".encode() * 3 + f"\xff binary tail {MASK}".encode("latin-1")
    assert not secrets.file(log)  # nothing left: the file is not rewritten
    assert [p.name for p in tmp_path.iterdir()] == ["target.log"]


def test_private_file_is_0600_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "mocks-config.json"
    path.write_text("old, world-readable")
    path.chmod(0o644)
    write_private(path, "token")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text() == "token"
