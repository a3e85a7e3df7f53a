"""Each leak switch of the reference bot grows its resource at the configured rate per update,
measured from outside (psutil, /proc, CLIENT LIST, the bot's TMPDIR, the debug route for
listeners and timers); with no switch the same run grows none of them."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from mocks.config import TelegramConfig
from tests.integration.test_reference_bot_support import (
    LEAKS_SOURCE,
    Bot,
    Poster,
    fds_on,
    get_json,
    port_of,
    redis_clients,
    retained_bytes,
    route_counts,
    rss_after_gc_bytes,
    rss_bytes,
    runtime,
    start_bot,
    tcp_to_port,
    temp_files,
    text_update,
    voice_update,
    wait_for,
)
from tests.integration.upstreams import Upstreams, started_upstreams

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node")

MiB = 1024 * 1024
WARMUP_UPDATES = 30
UPDATES = 60


@pytest.fixture(scope="module")
def upstreams(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upstreams]:
    yield from started_upstreams(tmp_path_factory.mktemp("leaks"))


@dataclass
class Driver:
    """A running bot and a counter of the updates posted to it; each update forwards one prompt."""

    bot: Bot
    up: Upstreams
    voice: bool = False
    posted: int = 0
    poster: Poster = field(init=False)

    def __post_init__(self) -> None:
        self.poster = Poster(self.bot)

    def iterations(self) -> int:
        return route_counts(self.up.mocks.urls["cursor_runner"]).get("iterate", 0)

    def post(self, count: int, each: Callable[[], None] | None = None) -> None:
        """Post count updates one at a time, each once CR has seen the one before, so the
        figures do not depend on how many happened to be in flight together."""
        start = self.iterations()
        for i in range(count):
            self.posted += 1
            uid = self.bot.port * 100_000 + self.posted
            if self.voice:
                update = voice_update(uid, 4400000 + self.posted, self.posted, f"AwACAgIAAxkD-{uid}")
            else:
                update = text_update(uid, 4400000 + self.posted, self.posted, f"prompt {uid}")
            self.poster.update(update)
            if each is not None:
                each()
            wait_for(lambda n=i + 1: self.iterations() - start >= n, 10.0, "the update forwarded", poll_s=0.002)


@pytest.fixture
def run_bot(upstreams: Upstreams) -> Iterator[Callable[..., Driver]]:
    drivers: list[Driver] = []

    def start(leaks: str, voice: bool = False, warmup: int = WARMUP_UPDATES, **env: str) -> Driver:
        extra = {"LEAKS": leaks, "BOT_DEBUG_ROUTES": "1", "CURSOR_RUNNER_MODE": "sync", "NODE_OPTIONS": "--expose-gc"}
        extra.update(env)
        bot = start_bot(upstreams.work_dir, upstreams.mocks.urls, upstreams.redis.url, extra)
        driver = Driver(bot=bot, up=upstreams, voice=voice)
        drivers.append(driver)
        driver.post(warmup)
        return driver

    yield start
    for driver in drivers:
        driver.poster.close()
        driver.bot.child.stop()


def grow(driver: Driver, measure: Callable[[], float], updates: int = UPDATES) -> float:
    before = measure()
    driver.post(updates)
    time.sleep(0.1)
    return measure() - before


def measures(driver: Driver) -> dict[str, Callable[[], float]]:
    bot, up = driver.bot, driver.up
    cr_port = port_of(up.mocks.urls["cursor_runner"])
    return {
        "fds": lambda: fds_on(bot, LEAKS_SOURCE),
        "cr_sockets": lambda: tcp_to_port(bot, cr_port),
        "redis_clients": lambda: redis_clients(up.redis.url),
        "temp_files": lambda: temp_files(bot, "telegram_"),
        "listeners": lambda: runtime(bot)["listeners"],
        "timers": lambda: runtime(bot)["resources"].get("Timeout", 0),
    }


# switch, rate, voice updates?, resource, growth per update at that rate
COUNTED: list[tuple[str, float, bool, str]] = [
    ("fd", 0.5, False, "fds"),
    ("socket", 1.0, False, "cr_sockets"),
    ("redis", 1.0, False, "redis_clients"),
    ("tempfile", 1.0, True, "temp_files"),
    ("listener", 1.0, False, "listeners"),
    ("timer", 0.5, False, "timers"),
]


@pytest.mark.parametrize(("switch", "rate", "voice", "resource"), COUNTED, ids=[c[0] for c in COUNTED])
def test_counted_leak_grows_at_its_rate(
    run_bot: Callable[..., Driver], switch: str, rate: float, voice: bool, resource: str
) -> None:
    driver = run_bot(f"{switch}:{rate}", voice=voice)
    growth = grow(driver, measures(driver)[resource])
    # The switches fire deterministically (exactly rate * events); a leaked socket is reused by
    # nothing else, so each is exact up to one in-flight request.
    assert abs(growth - rate * UPDATES) <= 1, f"{resource} grew by {growth}, expected {rate * UPDATES}"


@pytest.mark.parametrize("switch", ["external", "cache"])
def test_memory_leak_grows_at_its_rate(run_bot: Callable[..., Driver], switch: str) -> None:
    per_update = 256 * 1024
    driver = run_bot(f"{switch}:{per_update}")
    growth = grow(driver, lambda: rss_bytes(driver.bot), updates=100)
    expected = 100 * per_update
    assert 0.8 * expected <= growth <= 1.5 * expected + 4 * MiB, f"rss grew {growth / MiB:.1f} MiB"


def heap_and_external_after_gc(driver: Driver) -> tuple[int, int]:
    memory = runtime(driver.bot, gc=True)["memory"]
    return int(memory["heapUsed"]), int(memory["external"])


@pytest.mark.parametrize("per_update", [4096])
def test_heap_keeps_its_bytes_in_the_js_heap_not_in_external_memory(
    run_bot: Callable[..., Driver], per_update: int
) -> None:
    """heap:N keeps about N bytes of JS heap per update (strings with their header and slot), beyond
    what a clean bot's heap does over the same updates (which moves by hundreds of KiB: code and
    feedback V8 keeps growing after the first updates); external memory does not grow."""
    updates = 1500
    clean, leaking = run_bot("", warmup=300), run_bot(f"heap:{per_update}", warmup=300)
    grown = {}
    for name, driver in (("clean", clean), ("leaking", leaking)):
        heap_before, external_before = heap_and_external_after_gc(driver)
        driver.post(updates)
        heap_after, external_after = heap_and_external_after_gc(driver)
        grown[name] = (heap_after - heap_before, external_after - external_before)
    kept = grown["leaking"][0] - grown["clean"][0]
    expected = updates * per_update
    assert 0.8 * expected - 512 * 1024 <= kept <= 1.25 * expected + 512 * 1024, (grown, expected)
    assert abs(grown["leaking"][1]) < 64 * 1024, grown


def test_buffer_keeps_each_downloaded_file_in_external_memory(run_bot: Callable[..., Driver]) -> None:
    driver = run_bot("buffer:1", voice=True)

    def memory() -> dict[str, int]:
        return {key: int(value) for key, value in runtime(driver.bot, gc=True)["memory"].items()}

    # What the first updates build once (compiled code, pools: ~400 KiB of heap on a busy machine)
    # is no leak: measured from after a warm-up.
    driver.post(20)
    before = memory()
    driver.post(100)
    after = memory()
    expected = 100 * TelegramConfig().file_size_bytes
    external, heap = after["external"] - before["external"], after["heapUsed"] - before["heapUsed"]
    assert 0.9 * expected <= external <= expected + 512 * 1024, f"external grew {external} B, expected {expected}"
    assert heap < 0.2 * expected, f"the JS heap grew {heap} B: the leak should be in Buffers"


def test_no_switch_grows_nothing(run_bot: Callable[..., Driver]) -> None:
    text = run_bot("")
    voice = run_bot("", voice=True)
    growth = {name: grow(text, read) for name, read in measures(text).items()}
    growth |= {f"voice_{name}": grow(voice, read) for name, read in measures(voice).items()}
    growth["retained_kib"] = grow(text, lambda: retained_bytes(text.bot), updates=100) / 1024
    # V8 and the allocator still size themselves in the first minutes, so RSS is judged loosely.
    growth["rss_mib"] = grow(text, lambda: rss_after_gc_bytes(text.bot), updates=100) / MiB
    assert growth["retained_kib"] < 512, growth
    assert growth["rss_mib"] < 12, growth
    counted = {k: v for k, v in growth.items() if k not in ("rss_mib", "retained_kib")}
    assert counted == dict.fromkeys(counted, 0), growth
    assert measures(text)["cr_sockets"]() == 1


def test_lru_fills_to_its_cap_then_plateaus(run_bot: Callable[..., Driver]) -> None:
    per_entry, cap = 256 * 1024, 40
    driver = run_bot(f"lru:{per_entry}", LEAK_LRU_ENTRIES=str(cap))
    filling = grow(driver, lambda: retained_bytes(driver.bot), updates=cap)
    plateau = grow(driver, lambda: retained_bytes(driver.bot), updates=100)
    assert filling >= 0.7 * cap * per_entry - 30 * per_entry, f"filling {filling / MiB:.1f} MiB"
    assert plateau < 0.25 * 100 * per_entry, f"plateau phase grew {plateau / MiB:.1f} MiB"


def test_pool_warmup_grows_in_steps_to_its_size(run_bot: Callable[..., Driver]) -> None:
    pool_bytes = 16 * MiB
    # One slab of 2 MiB per 0.2 s of updates (the first comes with the first update).
    driver = run_bot(f"pool-warmup:{pool_bytes}", warmup=1, LEAK_POOL_STEP_S="0.2")
    before = retained_bytes(driver.bot)
    driver.post(20, each=lambda: time.sleep(0.1))
    warming = retained_bytes(driver.bot) - before
    warm = grow(driver, lambda: retained_bytes(driver.bot), updates=100)
    assert warming >= 0.5 * pool_bytes, f"warm-up grew {warming / MiB:.1f} MiB"
    assert warm < 3 * MiB, f"grew {warm / MiB:.1f} MiB after the pool was full"


def test_gc_lazy_makes_a_tall_sawtooth_but_keeps_nothing(run_bot: Callable[..., Driver]) -> None:
    per_update = 4 * MiB
    driver = run_bot(f"gc-lazy:{per_update}", warmup=0)
    start = retained_bytes(driver.bot)
    peaks: list[int] = []
    driver.post(30, each=lambda: peaks.append(rss_bytes(driver.bot)))
    settled_growth = grow(driver, lambda: retained_bytes(driver.bot), updates=100)
    assert max(peaks) - start >= 3 * per_update, f"transient growth only {(max(peaks) - start) / MiB:.1f} MiB"
    assert settled_growth < 0.05 * 100 * per_update, f"kept {settled_growth / MiB:.1f} MiB"


def test_churn_opens_and_closes_a_connection_per_request(run_bot: Callable[..., Driver]) -> None:
    """churn:p grows nothing: each affected call's connection is closed right after its answer."""
    driver = run_bot("churn:0.5")
    stats_url = f"{driver.up.mocks.urls['cursor_runner']}/__mock__/stats"

    def one_shot() -> float:
        return float(get_json(stats_url)["connections"]["churn"]["one_shot"])

    sockets = measures(driver)["cr_sockets"]
    before_sockets = sockets()
    churned = grow(driver, one_shot)
    assert abs(churned - 0.5 * UPDATES) <= 1, f"{churned} one-shot connections, expected {0.5 * UPDATES}"
    assert sockets() - before_sockets <= 0
