"""Profile TOML -> typed, validated run spec. The only place that knows the profile schema."""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mocks.config import DEFAULT_ELEVENLABS_API_KEY, DEFAULT_TELEGRAM_TOKEN, MockSettings
from shared.fields import Bytes, BytesPerRequest, BytesPerSecond, Seconds


class ConfigError(Exception):
    """A profile that cannot be read or does not validate; the message is one line."""


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
    telegram_token: str = DEFAULT_TELEGRAM_TOKEN
    webhook_secret: str = "soak-webhook-secret"
    callback_secret: str = "soak-callback-secret"
    elevenlabs_api_key: str = DEFAULT_ELEVENLABS_API_KEY


RedisFaultKind = Literal["down", "pause", "slow", "kill_clients"]
# Settings that mean something for one kind only; another kind refuses them rather than ignore them.
_REDIS_KIND_SETTINGS: dict[str, str] = {"stall_s": "slow", "every_s": "kill_clients", "commands": "pause"}


class RedisFault(_Strict):
    """A window in which the run's Redis misbehaves; start and end count from the run's start.

    down: shut down (saving its data), started again at `end` on the same port with that data;
    pause: CLIENT PAUSE (`commands` all or write); slow: the server stalls `stall` at a time, back to
    back (DEBUG SLEEP), so a command waits up to that long; kill_clients: the target's connections
    are closed (CLIENT KILL) at `start` and then every `every` until `end`.
    """

    kind: RedisFaultKind
    start_s: Seconds = Field(alias="start", ge=0)
    end_s: Seconds = Field(alias="end", gt=0)
    stall_s: Seconds = Field(0.05, alias="stall", gt=0, le=10)
    every_s: Seconds = Field(1.0, alias="every", gt=0)
    commands: Literal["all", "write"] = "all"

    @model_validator(mode="after")
    def _consistent(self) -> RedisFault:
        if self.end_s <= self.start_s:
            raise ValueError("end must be after start")
        defaults = RedisFault.model_construct(kind=self.kind, start_s=0.0, end_s=1.0)
        for name, kind in _REDIS_KIND_SETTINGS.items():
            if kind != self.kind and getattr(self, name) != getattr(defaults, name):
                alias = RedisFault.model_fields[name].alias or name
                raise ValueError(f"{alias} applies to kind '{kind}' only, not '{self.kind}'")
        return self


class RedisSection(_Strict):
    backend: Literal["auto", "redis-server", "fakeredis"] = "auto"
    faults: tuple[RedisFault, ...] = ()

    @model_validator(mode="after")
    def _playable(self) -> RedisSection:
        if self.faults and self.backend == "fakeredis":
            raise ValueError("redis faults need backend 'redis-server' (fakeredis cannot keep its data over a restart)")
        windows = sorted(self.faults, key=lambda fault: fault.start_s)
        for earlier, later in itertools.pairwise(windows):
            if later.start_s < earlier.end_s:
                raise ValueError(
                    f"redis fault windows overlap: {earlier.kind} until {earlier.end_s:g} s, "
                    f"{later.kind} from {later.start_s:g} s"
                )
        return self


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


# "telegram", or "telegram.sendMessage": an upstream, or one of its routes as the mocks name them.
CallKey = Annotated[str, Field(pattern=r"^(telegram|elevenlabs|cursor_runner)(\.[A-Za-z_]+)?$")]

FlowCallKey = Annotated[
    str,
    Field(pattern=r"^(text|edited|local|voice_forwarded|voice_failed|callback_query|callback)"
          r"\.(telegram|elevenlabs|cursor_runner)$"),
]  # fmt: skip


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
    timers_growth_max: float | None = None
    tcp_close_wait_max: float | None = None
    temp_file_age_max_s: Seconds | None = Field(None, alias="temp_file_age_max", gt=0)
    loop_delay_p99_max_s: Seconds | None = Field(None, alias="loop_delay_p99_max", gt=0)
    fds_residual_max: float | None = None
    sockets_residual_max: float | None = None
    temp_files_residual_max: float | None = None
    recovery_window_s: Seconds = Field(5.0, alias="recovery_window", gt=0)
    listener_warnings_max: int | None = Field(None, ge=0)
    connection_churn_max: float | None = Field(
        None, ge=0, le=1, description="share of requests at each mock on churned (one-shot or left-behind) connections"
    )
    egress_refused_max: int | None = Field(0, ge=0, description="judged when interception is active")
    error_ratio_max: float | None = Field(None, ge=0, le=1)
    upstream_calls_per_update_min: float | None = Field(
        None, gt=0, description="calls at the mocks per update sent: a service that stops working shows here"
    )
    contract_violations_max: int | None = Field(0, ge=0, description="requests the mocks refused as breaking the API")
    # Amplification: calls at the mocks per update sent, by "upstream" or "upstream.route", judged
    # per work window; windows touching a fault window are judged apart, at limit x fault factor.
    upstream_calls_per_update_max: dict[CallKey, float] = Field(default_factory=dict)
    work_window_s: Seconds = Field(30.0, alias="work_window", gt=0, description="window for work ratios")
    fault_calls_factor: float = Field(2.0, ge=1, description="a failed call and its fallback per call")
    # Per-update accounting (updates.jsonl joined with upstream-calls.jsonl), per flow: §1.1's flows
    # text, edited, local, voice_forwarded, voice_failed, callback_query, callback.
    lost_updates_max: int | None = Field(None, ge=0, description="accepted, never completed, no fault explains it")
    e2e_latency_p95_max_s: Seconds | None = Field(None, alias="e2e_latency_p95_max", gt=0)
    calls_per_update_max: dict[FlowCallKey, float] = Field(default_factory=dict, description='"text.telegram" = 1')
    jobs_per_update_max: float | None = Field(None, gt=0, description="distinct cursor-runner jobs per forward")
    completion_timeout_s: Seconds = Field(60.0, alias="completion_timeout", gt=0)
    upstreams_called: bool = Field(True, description="every upstream the flows reach must see calls")
    redis_keys_growth_max: float | None = Field(None, description="pending records (cursor_runner_callback:*)")
    latency_p95_max_s: Seconds | None = Field(None, alias="latency_p95_max", gt=0)
    significance: float = Field(0.05, gt=0, lt=1)


class CollectorSection(_Strict):
    """Cadences and budgets of the slow probes; the process sample runs every run.interval."""

    memory_detail_every_s: Seconds = Field(10.0, alias="memory_detail_every", gt=0, description="USS/PSS")
    tcp_every_s: Seconds = Field(5.0, alias="tcp_every", gt=0)
    mocks_every_s: Seconds = Field(1.0, alias="mocks_every", gt=0)
    tmp_every_s: Seconds = Field(2.0, alias="tmp_every", gt=0)
    redis_every_s: Seconds = Field(5.0, alias="redis_every", gt=0)
    redis_scan_budget_s: Seconds = Field(0.05, alias="redis_scan_budget", gt=0)
    inspector: bool = True
    inspector_every_s: Seconds = Field(5.0, alias="inspector_every", gt=0)
    forced_gc_every_s: Seconds = Field(60.0, alias="forced_gc_every", ge=0, description="0 = never (peak runs)")
    probe_budget_s: Seconds = Field(0.25, alias="probe_budget", gt=0)
    probe_cpu_share: float = Field(0.002, gt=0, le=1, description="a slow probe costing more runs less often")
    temp_patterns: list[str] = Field(default_factory=lambda: ["telegram_*", "elevenlabs_tts_*"])
    redis_prefixes: list[str] = Field(default_factory=lambda: ["cursor_runner_callback:"])


HostPort = Annotated[str, Field(pattern=r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")]
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
RedirectedMock = Literal["telegram", "elevenlabs"]
_REAL_HOSTS: dict[RedirectedMock, str] = {"telegram": "api.telegram.org:443", "elevenlabs": "api.elevenlabs.io:443"}
_BASE_URL_ENV: dict[RedirectedMock, str] = {"telegram": "TELEGRAM_API_BASE", "elevenlabs": "ELEVENLABS_API_BASE"}


class InterceptionSection(_Strict):
    """How the target's hard-coded upstream hostnames reach the mocks (TARGET-CONTRACT §2.2)."""

    mode: Literal["node-preload", "proxy", "base-url"] = "node-preload"
    hosts: dict[RedirectedMock, HostPort] = Field(default_factory=lambda: dict(_REAL_HOSTS))
    base_url_env: dict[RedirectedMock, EnvName] = Field(default_factory=lambda: dict(_BASE_URL_ENV))


class RunSpec(_Strict):
    run: RunSection = Field(default_factory=RunSection)
    target: TargetSection
    redis: RedisSection = Field(default_factory=RedisSection)
    mocks: MockSettings = Field(default_factory=MockSettings)
    load: LoadSection = Field(default_factory=LoadSection)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    collector: CollectorSection = Field(default_factory=CollectorSection)
    interception: InterceptionSection = Field(default_factory=InterceptionSection)


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
