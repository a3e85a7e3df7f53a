"""Profile TOML -> typed, validated run spec. The only place that knows the profile schema."""

from __future__ import annotations

import itertools
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, model_validator

from mocks.config import DEFAULT_ELEVENLABS_API_KEY, DEFAULT_TELEGRAM_TOKEN, MockSettings
from shared.fields import MAX_BYTES, Bytes, BytesPerRequest, BytesPerSecond, Seconds, with_unit
from shared.strict import StrictModel
from shared.units import parse_amount_per_update, parse_rate_per_hour_s, parse_size_bytes


class ConfigError(Exception):
    """A profile that cannot be read or does not validate; the message is one line."""


# Intervals and cadences below this measure the harness more than the target.
MIN_INTERVAL_S = 0.05
Interval = Annotated[Seconds, Field(ge=MIN_INTERVAL_S)]
# Limits by metric name are in the metric's own unit (bytes or a count).
PerUpdate = Annotated[float, with_unit(parse_amount_per_update, MAX_BYTES)]
PerHourAsPerSecond = Annotated[float, with_unit(parse_rate_per_hour_s, MAX_BYTES)]
Amount = Annotated[float, with_unit(parse_size_bytes, MAX_BYTES)]
_METRIC_NAME = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_:-]+)+$")


def _metric_name(name: str) -> str:
    if not _METRIC_NAME.match(name):
        raise ValueError(f"{name!r} is not a metric name (dotted, as in samples.db: e.g. 'node.external_bytes')")
    return name


MetricName = Annotated[str, AfterValidator(_metric_name)]


def _shaped(pattern: str, what: str) -> Any:
    """A string check whose error says what is expected in words, not as a regular expression."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if compiled.fullmatch(value) is None:
            raise ValueError(f"must be {what}, got {value[:80]!r}")
        return value

    return AfterValidator(check)


EnvName = Annotated[str, _shaped(r"[A-Za-z_][A-Za-z0-9_]*", "an environment variable name ([A-Za-z_][A-Za-z0-9_]*)")]
# Printable ASCII without spaces, at most 256: these travel in HTTP headers and query strings.
HeaderSafe = Annotated[str, _shaped(r"[!-~]{1,256}", "1-256 printable ASCII characters without spaces")]
RunName = Annotated[
    str, _shaped(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", "one name of letters, digits, '.', '_' or '-' (not a path)")
]
UrlPath = Annotated[str, _shaped(r"/[!-~]*", "a path starting with '/', without spaces")]


class _Strict(StrictModel):
    """Frozen, no unknown keys, no inf/NaN, no booleans as numbers (see shared.strict.StrictModel)."""


class RunSection(_Strict):
    # One path component: the run directory is results_dir/<name>-<time>, never outside it.
    name: RunName = "run"
    duration_s: Seconds = Field(60.0, alias="duration", gt=0)
    cooldown_s: Seconds = Field(10.0, alias="cooldown", ge=0)
    baseline_s: Seconds = Field(3.0, alias="baseline", ge=0, description="quiet sampling before the load")
    interval_s: Interval = Field(1.0, alias="interval")
    results_dir: str = Field("results", min_length=1)


class TargetSection(_Strict):
    command: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    cwd: str = Field(".", min_length=1)
    env: dict[EnvName, str] = Field(default_factory=dict)
    health_path: UrlPath = "/health"
    startup_timeout_s: Seconds = Field(30.0, alias="startup_timeout", gt=0)
    stop_timeout_s: Seconds = Field(10.0, alias="stop_timeout", gt=0)
    # The token is a URL path segment (bot<TOKEN>); the webhook secret has Telegram's own alphabet.
    telegram_token: Annotated[str, _shaped(r"[A-Za-z0-9:_-]{1,256}", "1-256 of A-Z a-z 0-9 : _ -")] = (
        DEFAULT_TELEGRAM_TOKEN
    )
    webhook_secret: Annotated[str, _shaped(r"[A-Za-z0-9_-]{1,256}", "1-256 of A-Z a-z 0-9 _ -")] = "soak-webhook-secret"
    callback_secret: HeaderSafe = "soak-callback-secret"
    elevenlabs_api_key: HeaderSafe = DEFAULT_ELEVENLABS_API_KEY


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


Weight = Annotated[float, Field(ge=0)]


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
    mix: dict[str, Weight] = Field(default_factory=dict, description="update kind -> weight (mixed scenario)")

    @model_validator(mode="after")
    def _shape_needs_a_peak(self) -> LoadSection:
        if self.mix and not any(weight > 0 for weight in self.mix.values()):
            raise ValueError("mix needs at least one weight above 0")
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


class MetricLimit(_Strict):
    """Limits on one recorded metric by its name, as k6 names any metric (`[[thresholds.metric]]`).

    Amounts are in the metric's unit: sizes for bytes ("1 KiB"), plain numbers for counts.
    """

    name: MetricName
    per_update_max: PerUpdate | None = Field(None, description="Theil-Sen slope against updates sent")
    per_hour_max_s: PerHourAsPerSecond | None = Field(None, alias="per_hour_max", description="slope over time")
    growth_max: Amount | None = Field(None, description="last window minus the first, judged span")
    peak_max: Amount | None = Field(None, alias="max", description="highest sample over the run")
    residual_max: Amount | None = Field(None, description="left after the cool-down above the baseline")

    @model_validator(mode="after")
    def _some_limit(self) -> MetricLimit:
        if all(v is None for v in (self.per_update_max, self.per_hour_max_s, self.growth_max, self.peak_max)) and (
            self.residual_max is None
        ):
            raise ValueError(
                f"metric {self.name!r} sets no limit (per_update_max, per_hour_max, growth_max, max, residual_max)"
            )
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
    external_slope_max: BytesPerSecond | None = Field(None, description="external + array-buffer memory after GC")
    external_per_request_max: BytesPerRequest | None = None
    sockets_growth_max: float | None = None
    redis_clients_growth_max: float | None = None
    handles_growth_max: float | None = None
    timers_growth_max: float | None = None
    threads_growth_max: float | None = None
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
    metric: tuple[MetricLimit, ...] = Field((), description="limits on any recorded metric by name")
    screen: bool = Field(True, description="report any resource curve that grew and did not come back")

    @model_validator(mode="after")
    def _one_entry_per_metric(self) -> Thresholds:
        names = [entry.name for entry in self.metric]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"[[thresholds.metric]] names {', '.join(repeated)} more than once: merge the entries")
        return self

    @model_validator(mode="after")
    def _no_negative_limits(self) -> Thresholds:
        """A limit below 0 can never pass (no count, size or rate here goes below 0): a typo."""
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            limits = value.items() if isinstance(value, dict) else [("", value)]
            for key, limit in limits:
                if isinstance(limit, int | float) and not isinstance(limit, bool) and limit < 0:
                    where = f"{info.alias or name}.{key}".rstrip(".")
                    raise ValueError(f"{where} must not be negative, got {limit:g}")
        return self


class CollectorSection(_Strict):
    """Cadences and budgets of the slow probes; the process sample runs every run.interval."""

    memory_detail_every_s: Interval = Field(10.0, alias="memory_detail_every", description="USS/PSS")
    tcp_every_s: Interval = Field(5.0, alias="tcp_every")
    mocks_every_s: Interval = Field(1.0, alias="mocks_every")
    tmp_every_s: Interval = Field(2.0, alias="tmp_every")
    redis_every_s: Interval = Field(5.0, alias="redis_every")
    redis_scan_budget_s: Seconds = Field(0.05, alias="redis_scan_budget", gt=0)
    inspector: bool = True
    inspector_every_s: Interval = Field(5.0, alias="inspector_every")
    forced_gc_every_s: Seconds = Field(60.0, alias="forced_gc_every", ge=0, description="0 = never (peak runs)")
    listener_census_every_s: Seconds = Field(
        300.0,
        alias="listener_census_every",
        ge=0,
        description="listeners of live EventEmitters, at a forced GC; 0 = never",
    )
    probe_budget_s: Seconds = Field(0.25, alias="probe_budget", gt=0)
    probe_cpu_share: float = Field(0.002, gt=0, le=1, description="a slow probe costing more runs less often")
    # Names inside the target's TMPDIR: a '/' would reach outside it.
    temp_patterns: list[Annotated[str, _shaped(r"[^/]+", "a file name pattern without '/'")]] = Field(
        default_factory=lambda: ["telegram_*", "elevenlabs_tts_*"]
    )
    redis_prefixes: list[str] = Field(default_factory=lambda: ["cursor_runner_callback:"])

    @model_validator(mode="after")
    def _gc_every_is_off_or_an_interval(self) -> CollectorSection:
        if 0 < self.forced_gc_every_s < MIN_INTERVAL_S:
            raise ValueError(f"forced_gc_every must be 0 (never) or at least {MIN_INTERVAL_S * 1000:.0f} ms")
        return self


def _host_port(value: str) -> str:
    host, _, port = value.partition(":")
    port_ok = not port or (port.isascii() and port.isdigit() and 0 < int(port) < 65536)
    if not re.fullmatch(r"[A-Za-z0-9.-]+", host) or not port_ok:
        raise ValueError(f"must be host or host:port (port 1-65535), got {value[:80]!r}")
    return value


HostPort = Annotated[str, AfterValidator(_host_port)]
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


def _one_line(text: str) -> str:
    """Control characters from the profile (a newline in a key) escaped, so the error stays one line."""
    return re.sub(r"[\x00-\x1f\x7f]", lambda match: repr(match.group())[1:-1], text)[:300]


def first_error(exc: ValidationError, root: str = "profile") -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or root
    return _one_line(f"{where}: {str(error['msg']).removeprefix('Value error, ')}")


def _reject_nul(value: Any, where: str) -> None:
    """No NUL anywhere: it cannot be in a path, an argument or an environment variable."""
    if isinstance(value, str) and "\x00" in value:
        raise ConfigError(f"{where or 'profile'}: contains a NUL character")
    if isinstance(value, dict):
        for key, item in value.items():
            _reject_nul(key, where)
            _reject_nul(item, f"{where}.{key}".lstrip("."))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _reject_nul(item, f"{where}.{index}")


def parse_profile(data: dict[str, Any], overrides: dict[str, Any] | None = None) -> RunSpec:
    """Validate a profile dict; overrides are merged into its sections first."""
    merged = {key: dict(value) if isinstance(value, dict) else value for key, value in data.items()}
    for section, values in (overrides or {}).items():
        if not isinstance(merged.setdefault(section, {}), dict):
            raise ConfigError(f"{section}: must be a table, got {type(merged[section]).__name__}")
        merged[section].update(values)
    _reject_nul(merged, "")
    try:
        return RunSpec.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(first_error(exc)) from None


def load_profile(path: Path, overrides: dict[str, Any] | None = None) -> RunSpec:
    """Read and validate a profile file; every failure becomes a one-line ConfigError."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return parse_profile(data, overrides)
    except FileNotFoundError:
        raise ConfigError(_one_line(f"profile not found: {path}")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(_one_line(f"cannot read profile {path}: {exc}")) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_one_line(f"{path}: invalid TOML: {exc}")) from None
    except ConfigError as exc:
        raise ConfigError(_one_line(f"{path}: {exc}")) from None
