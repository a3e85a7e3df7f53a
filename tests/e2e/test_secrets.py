"""A real run with secrets in its profile leaves none of them in any file of its run directory:
run.json, the reports and the logs soak captured are masked, the mocks' config file is gone."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.conftest import shipped_profile_text
from tests.e2e.test_runs import run_dir_of, soak

SECRETS = {
    "telegram_token": "987654:SECRETtokenAAA",
    "webhook_secret": "WebhookSecretBBB",
    "callback_secret": "CallbackSecretCCC",
    "elevenlabs_api_key": "xiKeyDDDsecret",
}
ENV_SECRETS = {"OPENAI_API_KEY": "sk-openaiEEEsecret", "DB_PASSWORD": "dbpassFFFsecret", "My_Auth": "authGGGsecret"}
VISIBLE = {"APP_NAME": "VisibleAppName"}


def _profile(tmp_path: Path) -> Path:
    text = shipped_profile_text("smoke.toml")
    target = "".join(f'{key} = "{value}"\n' for key, value in SECRETS.items())
    env = "".join(f'{key} = "{value}"\n' for key, value in {**ENV_SECRETS, **VISIBLE}.items())
    # A service that prints its configuration at start, as many do: the log must not keep it.
    shout = 'echo "config: token=$TELEGRAM_BOT_TOKEN openai=$OPENAI_API_KEY db=$DB_PASSWORD"; exec node src/index.js'
    text = text.replace('command = ["node", "src/index.js"]\n', f'command = ["sh", "-c", \'{shout}\']\n{target}')
    text = text.replace('LEAKS = ""\n', f'LEAKS = ""\n{env}')
    profile = tmp_path / "secrets.toml"
    profile.write_text(text)
    return profile


def test_no_secret_is_left_in_any_file_of_the_run_dir(tmp_path: Path) -> None:
    result = soak("run", str(_profile(tmp_path)), "--duration", "15 s", "--results", str(tmp_path / "results"))
    assert result.returncode in (0, 3), result.stdout + result.stderr
    run_dir = run_dir_of(result)
    values = [value.encode() for value in [*SECRETS.values(), *ENV_SECRETS.values()]]
    files = [Path(root) / name for root, _, names in os.walk(run_dir) for name in names]
    assert len(files) >= 10
    for path in files:
        data = path.read_bytes()
        leaked = [value.decode() for value in values if value in data]
        assert not leaked, f"{path.name} holds {leaked}"
    assert not (run_dir / "mocks-config.json").exists()
    info = json.loads((run_dir / "run.json").read_text())
    assert info["spec"]["target"]["env"]["APP_NAME"] == "VisibleAppName"  # masking is not blanket
    assert "target.log" in info["masked_secrets_in"]
    assert "config: token=__masked__ openai=__masked__ db=__masked__" in (run_dir / "target.log").read_text()
    again = soak("report", str(run_dir))  # the masked run.json still reads back
    assert again.returncode in (0, 3) and "verdict:" in again.stdout
