"""Settings of the mock upstreams, as the runner hands them over (a JSON file)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class TelegramConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    token: str = "123456:TEST-soak-token"


class CursorRunnerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    mode: Literal["sync", "sync+callback", "ack+callback", "removed"] = "sync+callback"
    latency_s: float = Field(0.05, ge=0)
    callback_delay_s: float = Field(0.05, ge=0)
    max_concurrent: int = Field(5, ge=1)
    callback_url: str | None = None
    callback_secret: str = ""


class MocksConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    telegram: TelegramConfig = Field(default_factory=TelegramConfig)
    cursor_runner: CursorRunnerConfig = Field(default_factory=CursorRunnerConfig)
