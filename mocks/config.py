"""Settings of the mock upstreams, as the runner hands them over (a JSON file)."""

from __future__ import annotations

from functools import cache
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, model_validator


def _holds_numbers(annotation: Any) -> bool:
    kinds = get_args(annotation) or (annotation,)
    return int in kinds or float in kinds


@cache
def _number_keys(model: type[BaseModel]) -> tuple[frozenset[str], frozenset[str]]:
    """Input keys of the fields that hold a number (optional or not), and of tables of numbers."""
    numbers, tables = set(), set()
    for name, info in model.model_fields.items():
        key = info.alias or name
        if get_origin(info.annotation) is dict:
            if _holds_numbers(get_args(info.annotation)[1]):
                tables.add(key)
        elif _holds_numbers(info.annotation):
            numbers.add(key)
    return frozenset(numbers), frozenset(tables)


class StrictModel(BaseModel):
    """Settings read from a file: frozen, no unknown keys, no inf or NaN, and no booleans where a
    number goes (to Python, `true` is the int 1, so `rate = true` would read as 100 %)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_booleans_as_numbers(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        numbers, tables = _number_keys(cls)
        for key in sorted(numbers):
            if isinstance(data.get(key), bool):
                raise ValueError(f"{key} must be a number, not {str(data[key]).lower()}")
        for key in sorted(tables):
            table = data.get(key)
            for name, value in table.items() if isinstance(table, dict) else ():
                if isinstance(value, bool):
                    raise ValueError(f"{key}.{name} must be a number, not {str(value).lower()}")
        return data


class _Frozen(StrictModel):
    pass


FaultKind = Literal["latency", "error", "rate_limit", "hang", "reset", "dribble", "malformed"]


class LatencySpec(_Frozen):
    """A latency distribution: fixed, uniform between low and high, or lognormal around a median."""

    kind: Literal["fixed", "uniform", "lognormal"] = Field("fixed", description="the distribution")
    fixed_s: float = Field(0.0, ge=0, description="fixed: every request waits this many seconds")
    low_s: float = Field(0.0, ge=0, description="uniform: the shortest wait, seconds")
    high_s: float = Field(0.0, ge=0, description="uniform: the longest wait, seconds")
    median_s: float = Field(0.0, ge=0, description="lognormal: the median wait, seconds")
    sigma: float = Field(1.0, ge=0, description="of the underlying normal, e.g. 1.0")
    cap_s: float | None = Field(None, gt=0, description="no wait longer than this, seconds")

    @model_validator(mode="after")
    def _ordered(self) -> LatencySpec:
        if self.high_s < self.low_s:
            raise ValueError("high_s must not be below low_s")
        return self


class FaultSpec(_Frozen):
    """One fault on one route (or "*"), for a share of requests, optionally only inside a window.

    start_s/end_s count from the run's start (MocksConfig.t0_monotonic), so a profile can say
    "minutes 10-15: 503 for half of sendMessage".
    """

    route: str = Field("*", description='the route name (e.g. "sendMessage"), or "*" for every route')
    kind: FaultKind = Field(description="what happens to the request (latency, an HTTP error, a reset...)")
    rate: float = Field(1.0, ge=0, le=1, description="share of the route's requests it hits")
    latency: LatencySpec = Field(default_factory=LatencySpec, description="kind latency: the added wait")
    status: int = Field(500, ge=400, le=599, description="kind error: the HTTP status answered")
    body: str | None = Field(None, description="kind error: the body answered (else the upstream's own error)")
    retry_after_s: int = Field(7, ge=0, description="kind rate_limit: Retry-After, whole seconds")
    dribble_bytes_per_s: float = Field(512.0, gt=0, description="kind dribble: bytes per second of the answer")
    start_s: float | None = Field(None, ge=0, description="window start, seconds from the run's start")
    end_s: float | None = Field(None, ge=0, description="window end, seconds from the run's start")

    @model_validator(mode="after")
    def _window(self) -> FaultSpec:
        if self.start_s is not None and self.end_s is not None and self.end_s <= self.start_s:
            raise ValueError("end_s must be after start_s")
        return self

    @property
    def windowed(self) -> bool:
        return self.start_s is not None or self.end_s is not None


class TlsFiles(_Frozen):
    """PEM files for a mock's extra TLS listener; cert_file may hold a chain."""

    cert_file: str
    key_file: str


class TelegramConfig(_Frozen):
    token: str = "123456:TEST-soak-token"
    tls: TlsFiles | None = None
    file_bytes: int = Field(21_034, ge=0, description="OGG bytes served per file download")
    strict: bool = Field(True, description="Telegram's real limits: malformed HTML, files over 20 MB, links expire")
    file_link_ttl_s: float = Field(3600.0, gt=0, description="how long a getFile path can be downloaded")
    faults: tuple[FaultSpec, ...] = ()


class ElevenLabsConfig(_Frozen):
    api_key: str = "soak-elevenlabs-key"
    tls: TlsFiles | None = None
    transcripts: dict[str, str] = Field(default_factory=dict, description="transcript by file id")
    # The tag ties the cursor-runner job the transcript becomes to its voice update (per-update accounting).
    default_transcript: str = "list failing tests on main [soak f{file_id}]"
    tts_bytes: int = Field(32_000, ge=0, description="MP3 bytes per text-to-speech answer")
    faults: tuple[FaultSpec, ...] = ()


class CallbackFaults(_Frozen):
    """Shares of cursor-runner callbacks to break, each drawn on its own."""

    drop: float = Field(0.0, ge=0, le=1, description="never sent")
    duplicate: float = Field(0.0, ge=0, le=1, description="sent twice")
    unknown_id: float = Field(0.0, ge=0, le=1, description="for a job id the target never created")
    bad_secret: float = Field(0.0, ge=0, le=1, description="with a wrong callback secret")
    missing_secret: float = Field(0.0, ge=0, le=1, description="without the callback secret")
    huge_output: float = Field(0.0, ge=0, le=1, description="output over the SUT's 100 kB body limit")
    failure: float = Field(0.0, ge=0, le=1, description="success:false with an error")


class CursorRunnerConfig(_Frozen):
    # "async" is the name for "ack+callback" (accept now, call back after the run).
    mode: Literal["sync", "sync+callback", "ack+callback", "async", "removed"] = "sync+callback"
    latency_s: float = Field(0.05, ge=0)
    latency: LatencySpec | None = Field(None, description="replaces latency_s when set")
    callback_delay_s: float = Field(0.05, ge=0)
    max_concurrent: int = Field(5, ge=1)
    callback_url: str | None = None
    callback_secret: str = ""
    callback_faults: CallbackFaults = Field(default_factory=CallbackFaults)
    faults: tuple[FaultSpec, ...] = ()


class MocksConfig(_Frozen):
    telegram: TelegramConfig = Field(default_factory=TelegramConfig)
    elevenlabs: ElevenLabsConfig = Field(default_factory=ElevenLabsConfig)
    cursor_runner: CursorRunnerConfig = Field(default_factory=CursorRunnerConfig)
    correlation_file: str | None = Field(None, description="JSONL, one compact record per request")
    # About 100 bytes a record: the default caps the file near 500 MB, whatever the run's length.
    correlation_max_records: int = Field(5_000_000, ge=0)
    events_file: str | None = Field(None, description="the run's events.jsonl, for fault windows")
    t0_monotonic: float | None = Field(None, description="the run's start on CLOCK_MONOTONIC")
    stats_file: str | None = Field(None, description="mocks.jsonl: every mock's stats, one line per interval")
    stats_interval_s: float = Field(5.0, gt=0)
