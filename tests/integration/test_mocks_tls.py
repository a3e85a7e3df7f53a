"""The Telegram and ElevenLabs mocks also serve TLS from given PEM files, on a second port."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from harness.mocks_launcher import MocksHandle, start_mocks
from mocks.config import (
    DEFAULT_ELEVENLABS_API_KEY,
    DEFAULT_TELEGRAM_TOKEN,
    ElevenLabsConfig,
    MocksConfig,
    TelegramConfig,
    TlsFiles,
)

TOKEN = DEFAULT_TELEGRAM_TOKEN


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_mocks(tmp_path: Path, ca: trustme.CA) -> Iterator[MocksHandle]:
    cert = ca.issue_cert("api.telegram.org", "api.elevenlabs.io", "127.0.0.1")
    cert_file, key_file = tmp_path / "chain.pem", tmp_path / "key.pem"
    cert.private_key_pem.write_to_path(str(key_file))
    for blob in cert.cert_chain_pems:
        blob.write_to_path(str(cert_file), append=True)
    files = TlsFiles(cert_file=str(cert_file), key_file=str(key_file))
    config = MocksConfig(telegram=TelegramConfig(tls=files), elevenlabs=ElevenLabsConfig(tls=files))
    handle = start_mocks(config.model_dump_json(), tmp_path)
    yield handle
    handle.child.stop()


def test_tls_listeners_serve_the_same_apps(tls_mocks: MocksHandle, ca: trustme.CA) -> None:
    urls = tls_mocks.urls
    assert urls["telegram_tls"].startswith("https://127.0.0.1:") and urls["telegram"].startswith("http://")
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with httpx.Client(verify=context) as client:
        sent = client.post(f"{urls['telegram_tls']}/bot{TOKEN}/sendMessage", json={"chat_id": 7, "text": "hi"})
        spoken = client.post(
            f"{urls['elevenlabs_tls']}/v1/text-to-speech/voice1",
            json={"text": "hello"},
            headers={"xi-api-key": DEFAULT_ELEVENLABS_API_KEY},
        )
    assert sent.status_code == 200 and sent.json()["result"]["chat"]["id"] == 7
    assert spoken.status_code == 200 and spoken.headers["content-type"] == "audio/mpeg"
    with httpx.Client() as plain:
        stats = plain.get(f"{urls['telegram']}/__mock__/stats").json()
    assert stats["routes"]["sendMessage"] == {"200": 1}
    # The TLS listener's connection is counted with the plain ones (one server behind both ports).
    assert stats["connections"]["opened"] == 1 and stats["connections"]["requests"] == 1


def test_tls_rejects_a_client_that_does_not_trust_the_ca(tls_mocks: MocksHandle) -> None:
    with httpx.Client() as client, pytest.raises(httpx.ConnectError):
        client.post(f"{tls_mocks.urls['telegram_tls']}/bot{TOKEN}/sendMessage", json={"chat_id": 7, "text": "hi"})


def test_no_tls_port_unless_configured(mocks: MocksHandle) -> None:
    assert set(mocks.urls) == {"telegram", "elevenlabs", "cursor_runner"}
