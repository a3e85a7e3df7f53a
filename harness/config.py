"""Profile TOML -> typed, validated run spec. The only place that knows the profile schema."""

from __future__ import annotations

import itertools
import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, model_validator

from harness.overrides import Setting, SettingError, apply_settings, parse_setting
from harness.placeholders import PLACEHOLDERS, unknown_placeholders
from mocks.config import DEFAULT_ELEVENLABS_API_KEY, DEFAULT_TELEGRAM_TOKEN, MockSettings
from shared.fields import MAX_BYTES, Bytes, BytesPerRequest, BytesPerSecond, Seconds, with_unit
from shared.strict import StrictModel
from shared.units import (
    UnitError,
    parse_amount_per_update,
    parse_duration_s,
    parse_rate_per_hour_s,
    parse_size_bytes,
)
from vocab.upstreams import Upstream


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


def _known_placeholders(value: str) -> str:
    unknown = unknown_placeholders(value)
    if unknown:
        known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        raise ValueError(f"unknown placeholder {{{unknown[0]}}} (known: {known}; {{{{x}}}} is a literal {{x}})")
    return value


EnvValue = Annotated[str, AfterValidator(_known_placeholders)]


class _Strict(StrictModel):
    """Frozen, no unknown keys, no inf/NaN, no booleans as numbers (see shared.strict.StrictModel)."""


class RunSection(_Strict):
    """The run's name, its phases' lengths and the sampling interval."""

    # One path component: the run directory is results_dir/<name>-<time>, never outside it.
    name: RunName = Field("run", description="names the run directory: <results_dir>/<name>-<UTC time>")
    duration_s: Seconds = Field(60.0, alias="duration", gt=0, description="how long the load runs (`--duration`)")
    cooldown_s: Seconds = Field(
        10.0, alias="cooldown", ge=0, description="sampling after the load stops, to see resources come back"
    )
    baseline_s: Seconds = Field(
        3.0,
        alias="baseline",
        ge=0,
        description="quiet sampling before the load: the level residuals are judged against",
    )
    interval_s: Interval = Field(1.0, alias="interval", description="the process sample's period (at least 50 ms)")
    results_dir: str = Field(
        "results", min_length=1, description="where run directories go, from the current directory (`--results`)"
    )


class TargetSection(_Strict):
    """The service under test: how to start it, the environment it gets (see "The environment of the
    target" below) and the credentials the mocks expect from it."""

    command: list[Annotated[str, Field(min_length=1)]] = Field(
        min_length=1, description='argv, e.g. ["node", "src/index.js"]; a path with "/" counts from cwd'
    )
    cwd: str = Field(".", min_length=1, description="the target's working directory, from the profile's directory")
    env: dict[EnvName, EnvValue] = Field(
        default_factory=dict, description='variables added last; values may hold placeholders such as "{redis_url}"'
    )
    health_path: UrlPath = Field("/health", description="GET until 2xx before the run starts")
    startup_timeout_s: Seconds = Field(
        30.0, alias="startup_timeout", gt=0, description="how long the health check may take to pass"
    )
    stop_timeout_s: Seconds = Field(10.0, alias="stop_timeout", gt=0, description="SIGTERM, then SIGKILL after this")
    # The token is a URL path segment (bot<TOKEN>); the webhook secret has Telegram's own alphabet.
    telegram_token: Annotated[str, _shaped(r"[A-Za-z0-9:_-]{1,256}", "1-256 of A-Z a-z 0-9 : _ -")] = Field(
        DEFAULT_TELEGRAM_TOKEN, description="TELEGRAM_BOT_TOKEN; the Telegram mock accepts only this one (masked)"
    )
    webhook_secret: Annotated[str, _shaped(r"[A-Za-z0-9_-]{1,256}", "1-256 of A-Z a-z 0-9 _ -")] = Field(
        "soak-webhook-secret", description="TELEGRAM_WEBHOOK_SECRET, sent by Locust with every update (masked)"
    )
    callback_secret: HeaderSafe = Field(
        "soak-callback-secret", description="WEBHOOK_SECRET, sent by the cursor-runner mock's callbacks (masked)"
    )
    elevenlabs_api_key: HeaderSafe = Field(
        DEFAULT_ELEVENLABS_API_KEY, description="ELEVENLABS_API_KEY; the ElevenLabs mock accepts only this one (masked)"
    )


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

    kind: RedisFaultKind = Field(description="down, pause, slow or kill_clients")
    start_s: Seconds = Field(alias="start", ge=0, description='from the start of the run, e.g. "60 min"')
    end_s: Seconds = Field(alias="end", gt=0, description='e.g. "65 min"; down: Redis is started again then')
    stall_s: Seconds = Field(0.05, alias="stall", gt=0, le=10, description="slow: each stall of the server")
    every_s: Seconds = Field(
        1.0, alias="every", gt=0, description="kill_clients: the target's connections closed this often"
    )
    commands: Literal["all", "write"] = Field("all", description="pause: the commands held (CLIENT PAUSE)")

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
    """The run's private Redis, on a free loopback port, and the windows in which it misbehaves."""

    backend: Literal["auto", "redis-server", "fakeredis"] = Field(
        "auto", description="auto: redis-server when installed, else fakeredis's TCP server (run.json says which)"
    )
    faults: tuple[RedisFault, ...] = Field((), description="[[redis.faults]] windows; they need redis-server")

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
Share = Annotated[float, Field(ge=0, le=1)]
UpdatesPerSecond = Annotated[float, Field(gt=0, le=1_000_000)]
BadInputKind = Literal["malformed_json", "oversize", "unknown_kind"]


def _host_port(value: str) -> str:
    host, _, port = value.partition(":")
    port_ok = not port or (port.isascii() and port.isdigit() and 0 < int(port) < 65536)
    if not re.fullmatch(r"[A-Za-z0-9.-]+", host) or not port_ok:
        raise ValueError(f"must be host or host:port (port 1-65535), got {value[:80]!r}")
    return value


HostPort = Annotated[str, AfterValidator(_host_port)]


def _bind_address(value: str) -> str:
    if ":" not in value:
        raise ValueError(f"must be host:port, the address Locust's master listens on, got {value[:80]!r}")
    return value


BindAddress = Annotated[HostPort, AfterValidator(_bind_address)]
_CLOSED_PEAKED = ("ramp", "spike", "diurnal")
_BAD_INPUT_KINDS: tuple[BadInputKind, ...] = ("malformed_json", "oversize", "unknown_kind")


class LoadSection(_Strict):
    """The load: soak's scenario or your locustfile, the load model, who the updates come from,
    and how many Locust processes send them (README "Load")."""

    scenario: str = Field(
        "text", min_length=1, description="text (prompts only), mixed (every update kind), or a path to your locustfile"
    )
    shape: Literal["steady", "ramp", "spike", "diurnal", "arrival_rate", "knee"] = Field(
        "steady", description="the load model: closed (steady, ramp, spike, diurnal) or open (arrival_rate, knee)"
    )
    users: int = Field(5, ge=1, le=10_000, description="closed models: users; open models: the sending pool")
    peak_users: int | None = Field(None, ge=1, le=10_000, description="ramp target, spike height, diurnal top")
    ramp_s: Seconds = Field(0.0, alias="ramp", ge=0, description="ramp: from users to peak_users over this long")
    spike_at_s: Seconds = Field(0.0, alias="spike_at", ge=0, description="spike: when, from the load's start")
    spike_s: Seconds = Field(0.0, alias="spike_duration", ge=0, description="spike: how long peak_users are held")
    period_s: Seconds = Field(0.0, alias="period", ge=0, description="diurnal: one sine period (0: the duration)")
    spawn_rate: float = Field(5.0, gt=0, description="users started (or stopped) per second")
    rate_per_user: float = Field(1.0, gt=0, description="closed models: updates per second per user")
    rate: UpdatesPerSecond | None = Field(None, description="arrival_rate: updates/s; knee: the first step")
    peak_rate: UpdatesPerSecond | None = Field(None, description="arrival_rate curve's top; knee: the last step")
    rate_curve: Literal["constant", "ramp", "spike", "diurnal"] = Field(
        "constant", description="arrival_rate: how the rate moves from rate to peak_rate (on the shape's timing fields)"
    )
    step_rate: UpdatesPerSecond | None = Field(None, description="knee: updates/s added per step")
    # A step's last answers take up to a second to reach the master, and it is judged 2 s after it ends.
    step_s: Seconds = Field(30.0, alias="step", ge=5, description="knee: how long each step holds")
    mix: dict[str, Weight] = Field(default_factory=dict, description="update kind -> weight (mixed scenario)")
    new_chat_share: Share = Field(0.0, description="share of updates from a chat never seen before")
    chat_pool: int = Field(0, ge=0, le=10_000_000, description="chats all users share; 0: one per user")
    file_reuse_share: Share = Field(0.5, description="share of voice updates re-sending a file sent before")
    bad_input_share: float = Field(0.0, ge=0, le=0.5, description="share of webhook requests that are bad input")
    bad_input_mix: dict[BadInputKind, Weight] = Field(
        default_factory=lambda: dict.fromkeys(_BAD_INPUT_KINDS, 1.0),
        description="bad input kind (malformed_json, oversize, unknown_kind) -> weight",
    )
    workers: int = Field(0, ge=0, le=64, description="local Locust workers under a master; 0: one process")
    master_bind: BindAddress | None = Field(None, description="host:port the master listens on for remote workers")
    remote_workers: int = Field(0, ge=0, le=1000, description="remote workers the master waits for")
    public_host: HostPort | None = Field(None, description="the target's address as remote workers reach it")

    @model_validator(mode="after")
    def _shape_needs_its_fields(self) -> LoadSection:
        if self.mix and not any(weight > 0 for weight in self.mix.values()):
            raise ValueError("mix needs at least one weight above 0")
        if self.bad_input_share > 0 and not any(weight > 0 for weight in self.bad_input_mix.values()):
            raise ValueError("bad_input_mix needs at least one weight above 0")
        if self.shape in _CLOSED_PEAKED and self.peak_users is None:
            raise ValueError(f"shape '{self.shape}' needs peak_users")
        curve = self.shape if self.shape in _CLOSED_PEAKED else self.rate_curve if self.shape == "arrival_rate" else ""
        if curve == "spike" and self.spike_s <= 0:
            raise ValueError(f"{'shape' if self.shape == 'spike' else 'rate_curve'} 'spike' needs spike_duration > 0")
        if self.shape in ("arrival_rate", "knee") and self.rate is None:
            raise ValueError(f"shape '{self.shape}' needs rate (updates/s)")
        needs_peak = self.shape == "knee" or (self.shape == "arrival_rate" and self.rate_curve != "constant")
        if needs_peak and (self.peak_rate is None or self.rate is None or self.peak_rate < self.rate):
            raise ValueError(f"shape '{self.shape}' needs peak_rate at or above rate")
        if self.shape == "knee" and self.step_rate is None:
            raise ValueError("shape 'knee' needs step_rate (updates/s added per step)")
        if self.remote_workers and self.master_bind is None:
            raise ValueError("remote_workers needs master_bind (host:port the remote workers connect to)")
        return self


# "telegram", or "telegram.sendMessage": an upstream, or one of its routes as the mocks name them.
CallKey = Annotated[str, Field(pattern=r"^(telegram|elevenlabs|cursor_runner)(\.[A-Za-z_]+)?$")]

FlowCallKey = Annotated[
    str,
    Field(pattern=r"^(text|edited|local|voice_forwarded|voice_local|voice_failed|callback_query|callback)"
          r"\.(telegram|elevenlabs|cursor_runner)$"),
]  # fmt: skip


class MetricLimit(_Strict):
    """Limits on one recorded metric by its name, as k6 names any metric (`[[thresholds.metric]]`).

    Amounts are in the metric's unit: sizes for bytes ("1 KiB"), plain numbers for counts.
    """

    name: MetricName = Field(description="as in samples.db, e.g. node.external_bytes or target.fds.socket")
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


_SLOPE = "significant rise over the judged span (load after warmup), per hour of run"
_PER_UPDATE = "Theil-Sen slope against updates sent, over the judged span"
_GROWTH = "last window's median minus the first's, over the judged span"
_RESIDUAL = "left at the end of the cool-down (its last recovery_window) above the baseline"


class Thresholds(_Strict):
    """Limits the verdict judges; a limit left unset is not judged. Trends and growth are judged on
    the load after `warmup`, on per-window medians; peaks over the whole run."""

    warmup_s: Seconds = Field(10.0, alias="warmup", ge=0, description="start of the load left out of the judged span")
    window_s: Seconds = Field(5.0, alias="window", gt=0, description="width of the windows curves are reduced to")
    min_windows: int = Field(5, ge=3, description="fewer windows in the judged span make a check inconclusive")
    rss_slope_max: BytesPerSecond | None = Field(None, description=f"RSS: {_SLOPE}")
    rss_per_request_max: BytesPerRequest | None = Field(None, description=f"RSS: {_PER_UPDATE}")
    rss_max: Bytes | None = Field(None, description="RSS: highest sample over the run")
    fds_growth_max: float | None = Field(
        None, description=f"open file descriptors other than sockets (sockets_growth judges those): {_GROWTH}"
    )
    heap_slope_max: BytesPerSecond | None = Field(None, description=f"JS heap after GC (else heap used): {_SLOPE}")
    heap_per_request_max: BytesPerRequest | None = Field(None, description=f"JS heap after GC: {_PER_UPDATE}")
    external_slope_max: BytesPerSecond | None = Field(
        None, description=f"external + array-buffer memory after GC: {_SLOPE}"
    )
    external_per_request_max: BytesPerRequest | None = Field(
        None, description=f"external + array-buffer memory after GC: {_PER_UPDATE}"
    )
    sockets_growth_max: float | None = Field(None, description=f"socket descriptors: {_GROWTH}")
    redis_clients_growth_max: float | None = Field(
        None, description=f"the target's Redis connections (established, held by its processes): {_GROWTH}"
    )
    handles_growth_max: float | None = Field(None, description=f"Node's active handles: {_GROWTH}")
    timers_growth_max: float | None = Field(None, description=f"Node's active timers: {_GROWTH}")
    threads_growth_max: float | None = Field(None, description=f"threads of the process tree: {_GROWTH}")
    tcp_close_wait_max: float | None = Field(
        None,
        description="sockets in CLOSE_WAIT (peer closed, target did not): the highest count of the same sockets "
        "held through a whole window",
    )
    temp_file_age_max_s: Seconds | None = Field(
        None, alias="temp_file_age_max", gt=0, description="age of the oldest matching temp file: highest sample"
    )
    loop_delay_p99_max_s: Seconds | None = Field(
        None, alias="loop_delay_p99_max", gt=0, description="Node event-loop delay p99: highest sample"
    )
    fds_residual_max: float | None = Field(None, description=f"file descriptors {_RESIDUAL}")
    sockets_residual_max: float | None = Field(None, description=f"socket descriptors {_RESIDUAL}")
    temp_files_residual_max: float | None = Field(
        None, description="matching temp files left at the end of the cool-down (healthy level: 0)"
    )
    recovery_window_s: Seconds = Field(
        5.0, alias="recovery_window", gt=0, description="the end of the cool-down residuals are measured on"
    )
    listener_warnings_max: int | None = Field(None, ge=0, description="MaxListenersExceededWarning lines in target.log")
    connection_churn_max: float | None = Field(
        None, ge=0, le=1, description="share of requests at each mock on churned (one-shot or left-behind) connections"
    )
    egress_refused_max: int | None = Field(0, ge=0, description="judged when interception is active")
    error_ratio_max: float | None = Field(None, ge=0, le=1, description="failed webhook requests / sent (Locust)")
    upstream_calls_per_update_min: float | None = Field(
        None, gt=0, description="calls at the mocks per update sent: a service that stops working shows here"
    )
    contract_violations_max: int | None = Field(0, ge=0, description="requests the mocks refused as breaking the API")
    # Amplification: calls at the mocks per update sent, by "upstream" or "upstream.route", judged
    # per work window; windows touching a fault window are judged apart, at limit x fault factor.
    upstream_calls_per_update_max: dict[CallKey, float] = Field(
        default_factory=dict,
        description='calls at a mock per update sent, by "upstream" or "upstream.route", per work window',
    )
    work_window_s: Seconds = Field(30.0, alias="work_window", gt=0, description="window for work ratios")
    fault_calls_factor: float = Field(2.0, ge=1, description="a failed call and its fallback per call")
    # Per-update accounting (updates.jsonl joined with upstream-calls.jsonl), per flow: §1.1's flows
    # text, edited, local, voice_forwarded, voice_local, voice_failed, callback_query, callback.
    lost_updates_max: int | None = Field(None, ge=0, description="accepted, never completed, no fault explains it")
    e2e_latency_p95_max_s: Seconds | None = Field(
        None, alias="e2e_latency_p95_max", gt=0, description="update sent to its last upstream call, p95"
    )
    calls_per_update_max: dict[FlowCallKey, float] = Field(default_factory=dict, description='"text.telegram" = 1')
    jobs_per_update_max: float | None = Field(None, gt=0, description="distinct cursor-runner jobs per forward")
    completion_timeout_s: Seconds = Field(
        60.0,
        alias="completion_timeout",
        gt=0,
        description="an update not completed this long after it was sent is lost",
    )
    upstreams_called: bool = Field(True, description="every upstream the flows reach must see calls")
    redis_keys_growth_max: float | None = Field(None, description="pending records (cursor_runner_callback:*)")
    latency_p95_max_s: Seconds | None = Field(
        None,
        alias="latency_p95_max",
        gt=0,
        description="webhook response time p95 over the load after warmup (whole load, Locust, without updates.jsonl)",
    )
    significance: float = Field(
        0.05, gt=0, lt=1, description="of the trend tests: a rise must be this unlikely by chance"
    )
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


@dataclass(frozen=True)
class SnapshotPlan:
    """When heap snapshots are taken: never, or at the end of warm-up and of the load, plus
    every `every_s` in between when set."""

    enabled: bool
    every_s: float | None = None


def parse_snapshot_plan(text: str) -> SnapshotPlan:
    """'off', 'ends' or 'every 10 min'."""
    words = text.strip().lower()
    if words == "off":
        return SnapshotPlan(False)
    if words == "ends":
        return SnapshotPlan(True)
    if words.startswith("every "):
        every_s = parse_duration_s(words.removeprefix("every "))
        if every_s <= 0:
            raise UnitError(f"heap snapshot interval must be positive: {text!r}")
        return SnapshotPlan(True, every_s)
    raise UnitError(f"expected 'off', 'ends' or 'every <duration>': {text!r}")


def _snapshot_plan_text(text: str) -> str:
    try:
        parse_snapshot_plan(text)
    except UnitError as exc:
        raise ValueError(str(exc)) from exc
    return text


class CollectorSection(_Strict):
    """Cadences and budgets of the slow probes, each on its own thread; the process sample runs every
    run.interval. A probe costing more CPU than probe_cpu_share runs less often."""

    memory_detail_every_s: Interval = Field(10.0, alias="memory_detail_every", description="USS/PSS")
    tcp_every_s: Interval = Field(5.0, alias="tcp_every", description="the TCP table: states and peers")
    mocks_every_s: Interval = Field(1.0, alias="mocks_every", description="the mocks' request and connection counters")
    tmp_every_s: Interval = Field(2.0, alias="tmp_every", description="temp files in the target's TMPDIR")
    redis_every_s: Interval = Field(5.0, alias="redis_every", description="Redis clients, memory and keys")
    redis_scan_budget_s: Seconds = Field(
        0.05, alias="redis_scan_budget", gt=0, description="time a key count (SCAN) may take per sample"
    )
    inspector: bool = Field(True, description="start Node with --inspect and read its heap, handles and loop delay")
    inspector_every_s: Interval = Field(5.0, alias="inspector_every", description="the Node runtime probe")
    forced_gc_every_s: Seconds = Field(60.0, alias="forced_gc_every", ge=0, description="0 = never (peak runs)")
    listener_census_every_s: Seconds = Field(
        300.0,
        alias="listener_census_every",
        ge=0,
        description="listeners of live EventEmitters, at a forced GC; 0 = never",
    )
    probe_budget_s: Seconds = Field(
        0.25, alias="probe_budget", gt=0, description="a slow probe taking longer is counted as over budget"
    )
    probe_cpu_share: float = Field(
        0.002, gt=0, le=1, description="a slow probe costing more runs less often (mocks and Redis: 5 times this)"
    )
    # Names inside the target's TMPDIR: a '/' would reach outside it.
    temp_patterns: list[Annotated[str, _shaped(r"[^/]+", "a file name pattern without '/'")]] = Field(
        default_factory=lambda: ["telegram_*", "elevenlabs_tts_*"],
        description="names of the temp files counted in TMPDIR (glob)",
    )
    redis_prefixes: list[str] = Field(
        default_factory=lambda: ["cursor_runner_callback:"], description="key prefixes counted (redis.keys.<prefix>)"
    )
    heap_snapshots: Annotated[str, AfterValidator(_snapshot_plan_text)] = Field(
        "off", description="'off', 'ends' (end of warm-up and of load) or 'every 10 min' too; each pauses the target"
    )

    @property
    def snapshot_plan(self) -> SnapshotPlan:
        return parse_snapshot_plan(self.heap_snapshots)

    @model_validator(mode="after")
    def _snapshots_need_the_inspector(self) -> CollectorSection:
        if self.snapshot_plan.enabled and not self.inspector:
            raise ValueError("heap_snapshots needs inspector = true")
        return self

    @model_validator(mode="after")
    def _gc_every_is_off_or_an_interval(self) -> CollectorSection:
        if 0 < self.forced_gc_every_s < MIN_INTERVAL_S:
            raise ValueError(f"forced_gc_every must be 0 (never) or at least {MIN_INTERVAL_S * 1000:.0f} ms")
        return self


RedirectedMock = Literal[Upstream.TELEGRAM, Upstream.ELEVENLABS]
_REAL_HOSTS: dict[RedirectedMock, str] = {
    Upstream.TELEGRAM: "api.telegram.org:443",
    Upstream.ELEVENLABS: "api.elevenlabs.io:443",
}
_BASE_URL_ENV: dict[RedirectedMock, str] = {
    Upstream.TELEGRAM: "TELEGRAM_API_BASE",
    Upstream.ELEVENLABS: "ELEVENLABS_API_BASE",
}


class InterceptionSection(_Strict):
    """How the target's hard-coded upstream hostnames reach the mocks (TARGET-CONTRACT §2.2)."""

    mode: Literal["node-preload", "proxy", "base-url"] = Field(
        "node-preload", description="node-preload: a --require maps the hosts; proxy: HTTPS_PROXY; base-url: env"
    )
    hosts: dict[RedirectedMock, HostPort] = Field(
        default_factory=lambda: dict(_REAL_HOSTS), description="the real host:port each mock stands in for"
    )
    base_url_env: dict[RedirectedMock, EnvName] = Field(
        default_factory=lambda: dict(_BASE_URL_ENV), description="base-url mode: the variables given the mocks' URLs"
    )


class RunSpec(_Strict):
    """A whole profile."""

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


def parse_profile(
    data: dict[str, Any], overrides: dict[str, Any] | None = None, settings: Sequence[Setting] = ()
) -> RunSpec:
    """Validate a profile dict; overrides (section -> values) and then settings are merged in first."""
    from_overrides = [
        Setting((section, key), value) for section, values in (overrides or {}).items() for key, value in values.items()
    ]
    try:
        merged = apply_settings(data, [*from_overrides, *settings])
    except SettingError as exc:
        raise ConfigError(str(exc)) from None
    _reject_nul(merged, "")
    try:
        return RunSpec.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_blame_setting(first_error(exc), settings)) from None


def _blame_setting(message: str, settings: Sequence[Setting]) -> str:
    """Name the --set an error comes from, when it does: the file is not where to look then."""
    where, _, said = message.partition(":")
    for setting in reversed(settings):
        inside = where == setting.key or where.startswith(setting.key + ".")
        # A table's own check (a negative limit) names the key in its message, not in its place.
        named = setting.key.startswith(where + ".") and setting.path[-1] in said
        if inside or named:
            return message + setting.origin
    return message


def _resolve_cwd(data: dict[str, Any], profile_dir: Path) -> dict[str, Any]:
    """A relative target.cwd (or the default ".") is the profile's own directory, whichever
    directory soak is started from."""
    target = data.get("target")
    if not isinstance(target, dict):
        return data
    cwd = target.get("cwd", ".")
    if not isinstance(cwd, str) or not cwd or "\x00" in cwd:
        return data  # validation names what is wrong with it
    return {**data, "target": {**target, "cwd": os.path.normpath(profile_dir / Path(cwd).expanduser())}}


def parse_settings(texts: Sequence[str]) -> list[Setting]:
    """--set KEY=VALUE texts, each checked for shape; ConfigError names the bad one."""
    try:
        return [parse_setting(text, RunSpec) for text in texts]
    except SettingError as exc:
        raise ConfigError(_one_line(str(exc))) from None


def load_profile(path: Path, overrides: dict[str, Any] | None = None, settings: Sequence[str] = ()) -> RunSpec:
    """Read and validate a profile file; every failure becomes a one-line ConfigError.

    A relative target.cwd in the file counts from the file's directory; one given with --set, from
    the directory soak runs in (as any path typed on a command line).
    """
    parsed = parse_settings(settings)
    try:
        data = _resolve_cwd(tomllib.loads(path.read_text(encoding="utf-8")), path.absolute().parent)
        spec = parse_profile(data, overrides, parsed)
    except FileNotFoundError:
        raise ConfigError(_one_line(f"profile not found: {path}")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(_one_line(f"cannot read profile {path}: {exc}")) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_one_line(f"{path}: invalid TOML: {exc}")) from None
    except ConfigError as exc:
        raise ConfigError(_one_line(f"{path}: {exc}")) from None
    if Path(spec.target.cwd).is_absolute():
        return spec
    target = spec.target.model_copy(update={"cwd": os.path.abspath(spec.target.cwd)})
    return spec.model_copy(update={"target": target})
