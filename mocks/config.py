"""Settings of the mock upstreams, as the runner hands them over (a JSON file)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TlsFiles(_Frozen):
    """PEM files for a mock's extra TLS listener; cert_file may hold a chain."""

    cert_file: str
    key_file: str


class TelegramConfig(_Frozen):
    token: str = "123456:TEST-soak-token"
    tls: TlsFiles | None = None


class ElevenLabsConfig(_Frozen):
    api_key: str = "soak-elevenlabs-key"
    tls: TlsFiles | None = None
    transcripts: dict[str, str] = Field(default_factory=dict, description="transcript by file id")
    default_transcript: str = "list failing tests on main"
    tts_bytes: int = Field(32_000, ge=0, description="MP3 bytes per text-to-speech answer")


class CursorRunnerConfig(_Frozen):
    mode: Literal["sync", "sync+callback", "ack+callback", "removed"] = "sync+callback"
    latency_s: float = Field(0.05, ge=0)
    callback_delay_s: float = Field(0.05, ge=0)
    max_concurrent: int = Field(5, ge=1)
    callback_url: str | None = None
    callback_secret: str = ""


class MocksConfig(_Frozen):
    telegram: TelegramConfig = Field(default_factory=TelegramConfig)
    elevenlabs: ElevenLabsConfig = Field(default_factory=ElevenLabsConfig)
    cursor_runner: CursorRunnerConfig = Field(default_factory=CursorRunnerConfig)
