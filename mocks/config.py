"""Settings of the mock upstreams: one schema, from a profile's [mocks] tables to the mocks process.

A profile's `[mocks.telegram]` is a TelegramMock (and so on); the mocks process reads a MocksConfig,
the same settings plus what a run adds (credentials, TLS files, the callback URL, where records go).
Durations and sizes take units ("20 ms", "60 min", "21 KiB"); bare numbers are seconds and bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from shared.fields import BytesPerSecond, Seconds, WholeBytes
from shared.strict import StrictModel
from vocab.upstreams import Upstream

# The route names faults and stats use, per upstream: an app registers exactly these (a test checks).
ROUTES: Mapping[str, tuple[str, ...]] = {
    Upstream.TELEGRAM: (
        "sendMessage",
        "getFile",
        "sendVoice",
        "answerCallbackQuery",
        "setWebhook",
        "getWebhookInfo",
        "deleteWebhook",
        "file",
        "unknown",
    ),
    Upstream.ELEVENLABS: ("speech_to_text", "text_to_speech", "text_to_speech_stream", "unknown"),
    Upstream.CURSOR_RUNNER: (
        "iterate",
        "iterate_async",
        "execute",
        "execute_async",
        "health",
        "health_queue",
        "unknown",
    ),
}
# What the target is given unless its profile says otherwise, and what the mocks expect by default.
DEFAULT_TELEGRAM_TOKEN = "123456:TEST-soak-token"
DEFAULT_ELEVENLABS_API_KEY = "soak-test-xi-api-key"


class _Frozen(StrictModel):
    # Written out under the names a profile uses, so a dumped config reads back as it was.
    model_config = ConfigDict(serialize_by_alias=True)


FaultKind = Literal["latency", "error", "rate_limit", "hang", "reset", "dribble", "malformed"]


class LatencySpec(_Frozen):
    """A latency: fixed, uniform between low and high, or lognormal around a median; "2 s" is fixed."""

    kind: Literal["fixed", "uniform", "lognormal"] = Field("fixed", description="the distribution")
    fixed_s: Seconds = Field(0.0, alias="fixed", ge=0, description="fixed: every request waits this long")
    low_s: Seconds = Field(0.0, alias="low", ge=0, description="uniform: the shortest wait")
    high_s: Seconds = Field(0.0, alias="high", ge=0, description="uniform: the longest wait")
    median_s: Seconds = Field(0.0, alias="median", ge=0, description="lognormal: the median wait")
    sigma: float = Field(1.0, ge=0, description="of the underlying normal, e.g. 1.0")
    cap_s: Seconds | None = Field(None, alias="cap", gt=0, description="no wait longer than this")

    @model_validator(mode="before")
    @classmethod
    def _plain_duration_is_fixed(cls, data: Any) -> Any:
        if isinstance(data, str | int | float) and not isinstance(data, bool):
            return {"kind": "fixed", "fixed": data}
        return data

    @model_validator(mode="after")
    def _ordered(self) -> LatencySpec:
        if self.high_s < self.low_s:
            raise ValueError("high must not be below low")
        return self


# Settings that mean something only for some kinds; any other kind refuses them, so a profile that
# says `kind = "hang"` with `status = 503` is told, not silently half-applied.
_KIND_SETTINGS: Mapping[str, frozenset[str]] = {
    "latency": frozenset({"latency"}),
    "error": frozenset({"status", "body"}),
    "rate_limit": frozenset({"retry_after_s"}),
    "dribble": frozenset({"dribble_bytes_per_s"}),
}
_ALL_KIND_SETTINGS = frozenset().union(*_KIND_SETTINGS.values())


class FaultSpec(_Frozen):
    """One fault on one route (or "*"), for a share of requests, optionally only inside a window.

    `start`/`end` count from the run's start (MocksConfig.t0_monotonic), so a profile can say
    "minutes 60-65: 503 for half of sendMessage" as start = "60 min", end = "65 min".
    """

    route: str = Field("*", description='the route name (e.g. "sendMessage"), or "*" for every route')
    kind: FaultKind = Field(description="what happens to the request (latency, an HTTP error, a reset...)")
    rate: float = Field(1.0, ge=0, le=1, description="share of the route's requests it hits")
    latency: LatencySpec = Field(
        default_factory=LatencySpec, description='kind latency: the added wait ("2 s", or a distribution)'
    )
    status: int = Field(500, ge=400, le=599, description="kind error: the HTTP status answered")
    body: str | None = Field(None, description="kind error: the body answered (else the upstream's own error)")
    retry_after_s: Seconds = Field(
        7.0, alias="retry_after", ge=0, description="kind rate_limit: Retry-After, whole seconds"
    )
    dribble_bytes_per_s: BytesPerSecond = Field(
        512.0, alias="dribble_rate", gt=0, description="kind dribble: the pace of the answer"
    )
    start_s: Seconds | None = Field(
        None, alias="start", ge=0, description='window start, from the start of the run, e.g. "60 min"'
    )
    end_s: Seconds | None = Field(None, alias="end", ge=0, description='window end, e.g. "65 min"')

    @model_validator(mode="after")
    def _consistent(self) -> FaultSpec:
        if self.start_s is not None and self.end_s is not None and self.end_s <= self.start_s:
            raise ValueError("end must be after start")
        if not self.retry_after_s.is_integer():
            raise ValueError("retry_after must be whole seconds (Retry-After carries an integer)")
        # Judged on values, not on what was spelled, so a dumped spec reads back (it spells everything).
        foreign = _ALL_KIND_SETTINGS - _KIND_SETTINGS.get(self.kind, frozenset())
        defaults = FaultSpec.model_construct(kind=self.kind)
        misplaced = {name for name in foreign if getattr(self, name) != getattr(defaults, name)}
        if misplaced:
            names = ", ".join(sorted(self._alias(name) for name in misplaced))
            verb = "does" if len(misplaced) == 1 else "do"
            raise ValueError(f"{names} {verb} not apply to kind '{self.kind}'")
        return self

    @classmethod
    def _alias(cls, name: str) -> str:
        return cls.model_fields[name].alias or name

    @property
    def windowed(self) -> bool:
        return self.start_s is not None or self.end_s is not None


def check_routes(upstream: str, routes: Sequence[str], faults: tuple[FaultSpec, ...]) -> None:
    """ValueError naming the upstream's routes when a fault names a route it does not have."""
    for index, spec in enumerate(faults):
        if spec.route != "*" and spec.route not in routes:
            raise ValueError(
                f"faults[{index}]: '{spec.route}' is not a route of the {upstream} mock; "
                f"its routes are {', '.join(routes)}, or '*' for all"
            )


class _Upstream(_Frozen):
    upstream: ClassVar[str]
    faults: tuple[FaultSpec, ...] = Field((), description="faults on the mock's routes")

    @field_validator("faults")
    @classmethod
    def _known_routes(cls, faults: tuple[FaultSpec, ...]) -> tuple[FaultSpec, ...]:
        check_routes(cls.upstream, ROUTES[cls.upstream], faults)
        return faults


class TlsFiles(_Frozen):
    """PEM files for a mock's extra TLS listener; cert_file may hold a chain."""

    cert_file: str
    key_file: str


class TelegramMock(_Upstream):
    """The Telegram Bot API mock."""

    upstream: ClassVar[str] = Upstream.TELEGRAM
    file_size_bytes: WholeBytes = Field(21_034, alias="file_size", ge=0, le=2**30, description="OGG bytes per download")
    strict: bool = Field(True, description="Telegram's real limits: malformed HTML, files over 20 MB, links expire")
    file_link_ttl_s: Seconds = Field(3600.0, alias="file_link_ttl", gt=0, description="how long a file path works")


class ElevenLabsMock(_Upstream):
    """The ElevenLabs mock: speech to text and text to speech."""

    upstream: ClassVar[str] = Upstream.ELEVENLABS
    transcripts: dict[str, str] = Field(default_factory=dict, description="transcript by file id")
    # The tag ties the cursor-runner job the transcript becomes to its voice update (per-update accounting).
    default_transcript: str = Field(
        "list failing tests on main [soak f{file_id}]", description="for a file id not in transcripts"
    )
    tts_size_bytes: WholeBytes = Field(32_000, alias="tts_size", ge=0, le=2**30, description="MP3 bytes per TTS answer")


class CallbackFaults(_Frozen):
    """Shares of cursor-runner callbacks to break, each drawn on its own."""

    drop: float = Field(0.0, ge=0, le=1, description="never sent")
    duplicate: float = Field(0.0, ge=0, le=1, description="sent twice")
    unknown_id: float = Field(0.0, ge=0, le=1, description="for a job id the target never created")
    bad_secret: float = Field(0.0, ge=0, le=1, description="with a wrong callback secret")
    missing_secret: float = Field(0.0, ge=0, le=1, description="without the callback secret")
    huge_output: float = Field(0.0, ge=0, le=1, description="output over the SUT's 100 kB body limit")
    failure: float = Field(0.0, ge=0, le=1, description="success:false with an error")


class CursorRunnerMock(_Upstream):
    """The cursor-runner mock: how it answers the target's jobs, and which callbacks it breaks."""

    upstream: ClassVar[str] = Upstream.CURSOR_RUNNER
    # "async" is the name for "ack+callback" (accept now, call back after the run).
    mode: Literal["sync", "sync+callback", "ack+callback", "async", "removed"] = Field(
        "sync+callback", description="sync: the result in the answer; +callback / ack+callback: by callback too"
    )
    latency_s: Seconds = Field(0.05, alias="latency", ge=0, description="how long a job takes")
    latency_distribution: LatencySpec | None = Field(None, description="replaces latency when set")
    callback_delay_s: Seconds = Field(
        0.05, alias="callback_delay", ge=0, description="from the job's end to its callback"
    )
    max_concurrent: int = Field(5, ge=1, description="jobs at once; more are answered busy")
    callback_faults: CallbackFaults = Field(default_factory=CallbackFaults, description="callbacks to break")


class MockSettings(_Frozen):
    """A profile's [mocks]: every setting of every mock, as the mocks read it."""

    telegram: TelegramMock = Field(default_factory=TelegramMock)
    elevenlabs: ElevenLabsMock = Field(default_factory=ElevenLabsMock)
    cursor_runner: CursorRunnerMock = Field(default_factory=CursorRunnerMock)
    # About 100 bytes a record: the default caps the file near 500 MB, whatever the run's length.
    correlation_max_records: int = Field(
        5_000_000, ge=0, description="upstream-calls.jsonl stops growing after this many records"
    )


class TelegramConfig(TelegramMock):
    token: str = DEFAULT_TELEGRAM_TOKEN
    tls: TlsFiles | None = None


class ElevenLabsConfig(ElevenLabsMock):
    api_key: str = DEFAULT_ELEVENLABS_API_KEY
    tls: TlsFiles | None = None


class CursorRunnerConfig(CursorRunnerMock):
    callback_url: str | None = None
    callback_secret: str = ""


class MocksConfig(MockSettings):
    """What the mocks process reads: the settings, plus what the run wires in."""

    telegram: TelegramConfig = Field(default_factory=TelegramConfig)
    elevenlabs: ElevenLabsConfig = Field(default_factory=ElevenLabsConfig)
    cursor_runner: CursorRunnerConfig = Field(default_factory=CursorRunnerConfig)
    correlation_file: str | None = Field(None, description="JSONL, one compact record per request")
    events_file: str | None = Field(None, description="the run's events.jsonl, for fault windows")
    t0_monotonic: float | None = Field(None, description="the run's start on CLOCK_MONOTONIC")
    stats_file: str | None = Field(None, description="mocks.jsonl: every mock's stats, one line per interval")
    stats_interval_s: Seconds = Field(5.0, alias="stats_interval", gt=0)

    @classmethod
    def for_run(
        cls,
        settings: MockSettings,
        *,
        telegram_token: str,
        elevenlabs_api_key: str,
        callback_url: str,
        callback_secret: str,
        tls: Mapping[str, TlsFiles],
        stats_interval_s: float,
    ) -> MocksConfig:
        """A profile's settings with the run's credentials, TLS leaves and callback URL."""
        wired = settings.model_dump()
        wired[Upstream.TELEGRAM].update(token=telegram_token, tls=tls.get(Upstream.TELEGRAM))
        wired[Upstream.ELEVENLABS].update(api_key=elevenlabs_api_key, tls=tls.get(Upstream.ELEVENLABS))
        wired[Upstream.CURSOR_RUNNER].update(callback_url=callback_url, callback_secret=callback_secret)
        return cls.model_validate({**wired, "stats_interval": stats_interval_s})
