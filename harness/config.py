"""Profile TOML -> typed, validated run spec. The only place that knows the profile schema."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from harness.units import (
    UnitError,
    parse_duration_s,
    parse_size_bytes,
    parse_size_per_request_bytes,
    parse_size_rate_bytes_per_s,
)


class ConfigError(Exception):
    """A profile that cannot be read or does not validate; the message is one line."""


def _unit(parser: Any) -> Any:
    def convert(value: Any) -> Any:
        try:
            return parser(value)
        except UnitError as exc:
            raise ValueError(str(exc)) from exc

    return BeforeValidator(convert)


Seconds = Annotated[float, _unit(parse_duration_s)]
Bytes = Annotated[float, _unit(parse_size_bytes)]
BytesPerSecond = Annotated[float, _unit(parse_size_rate_bytes_per_s)]
BytesPerRequest = Annotated[float, _unit(parse_size_per_request_bytes)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunSection(_Strict):
    name: str = "run"
    duration_s: Seconds = Field(60.0, alias="duration", gt=0)
    cooldown_s: Seconds = Field(10.0, alias="cooldown", ge=0)
    baseline_s: Seconds = Field(3.0, alias="baseline", ge=0, description="quiet sampling before the load")
    interval_s: Seconds = Field(1.0, alias="interval", gt=0)
    results_dir: str = "results"


class TargetSection(_Strict):
    command: list[str]
    cwd: str = "."
    env: dict[str, str] = Field(default_factory=dict)
    health_path: str = "/health"
    startup_timeout_s: Seconds = Field(30.0, alias="startup_timeout", gt=0)
    stop_timeout_s: Seconds = Field(10.0, alias="stop_timeout", gt=0)
    telegram_token: str = "123456:TEST-soak-token"
    webhook_secret: str = "soak-webhook-secret"
    callback_secret: str = "soak-callback-secret"
    elevenlabs_api_key: str = "soak-test-xi-api-key"


class RedisSection(_Strict):
    backend: Literal["auto", "redis-server", "fakeredis"] = "auto"


class CursorRunnerMock(_Strict):
    mode: Literal["sync", "sync+callback", "ack+callback", "removed"] = "sync+callback"
    latency_s: Seconds = Field(0.05, alias="latency", ge=0)
    callback_delay_s: Seconds = Field(0.05, alias="callback_delay", ge=0)


class MocksSection(_Strict):
    cursor_runner: CursorRunnerMock = Field(default_factory=CursorRunnerMock)


class LoadSection(_Strict):
    scenario: str = "text"
    shape: Literal["steady", "ramp", "spike"] = "steady"
    users: int = Field(5, ge=1, le=10_000)
    peak_users: int | None = Field(None, ge=1, le=10_000, description="ramp target or spike height")
    ramp_s: Seconds = Field(0.0, alias="ramp", ge=0)
    spike_at_s: Seconds = Field(0.0, alias="spike_at", ge=0)
    spike_s: Seconds = Field(0.0, alias="spike_duration", ge=0)
    spawn_rate: float = Field(5.0, gt=0)
    rate_per_user: float = Field(1.0, gt=0, description="updates per second per user")
    mix: dict[str, float] = Field(default_factory=dict, description="update kind -> weight (mixed scenario)")

    @model_validator(mode="after")
    def _shape_needs_a_peak(self) -> LoadSection:
        if self.shape != "steady" and self.peak_users is None:
            raise ValueError(f"shape '{self.shape}' needs peak_users")
        if self.shape == "spike" and self.spike_s <= 0:
            raise ValueError("shape 'spike' needs spike_duration > 0")
        return self


class Thresholds(_Strict):
    warmup_s: Seconds = Field(10.0, alias="warmup", ge=0)
    window_s: Seconds = Field(5.0, alias="window", gt=0)
    min_windows: int = Field(5, ge=3)
    rss_slope_max: BytesPerSecond | None = None
    rss_per_request_max: BytesPerRequest | None = None
    rss_max: Bytes | None = None
    fds_growth_max: float | None = None
    heap_slope_max: BytesPerSecond | None = None
    heap_per_request_max: BytesPerRequest | None = None
    sockets_growth_max: float | None = None
    redis_clients_growth_max: float | None = None
    handles_growth_max: float | None = None
    tcp_close_wait_max: float | None = None
    temp_file_age_max_s: Seconds | None = Field(None, alias="temp_file_age_max", gt=0)
    loop_delay_p99_max_s: Seconds | None = Field(None, alias="loop_delay_p99_max", gt=0)
    fds_residual_max: float | None = None
    sockets_residual_max: float | None = None
    temp_files_residual_max: float | None = None
    recovery_window_s: Seconds = Field(5.0, alias="recovery_window", gt=0)
    listener_warnings_max: int | None = Field(None, ge=0)
    error_ratio_max: float | None = Field(None, ge=0, le=1)
    latency_p95_max_s: Seconds | None = Field(None, alias="latency_p95_max", gt=0)
    significance: float = Field(0.05, gt=0, lt=1)


class RunSpec(_Strict):
    run: RunSection = Field(default_factory=RunSection)
    target: TargetSection
    redis: RedisSection = Field(default_factory=RedisSection)
    mocks: MocksSection = Field(default_factory=MocksSection)
    load: LoadSection = Field(default_factory=LoadSection)
    thresholds: Thresholds = Field(default_factory=Thresholds)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "profile"
    return f"{where}: {error['msg']}"


def parse_profile(data: dict[str, Any], overrides: dict[str, Any] | None = None) -> RunSpec:
    """Validate a profile dict; overrides are merged into its sections first."""
    merged = {key: dict(value) if isinstance(value, dict) else value for key, value in data.items()}
    for section, values in (overrides or {}).items():
        merged.setdefault(section, {}).update(values)
    try:
        return RunSpec.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_first_error(exc)) from None


def load_profile(path: Path, overrides: dict[str, Any] | None = None) -> RunSpec:
    """Read and validate a profile file; every failure becomes a one-line ConfigError."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"profile not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read profile {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    try:
        return parse_profile(data, overrides)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
