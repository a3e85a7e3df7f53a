"""Heap snapshots of the reference bot under a short, fast load: for each leak switch that grows
the heap, the top grower of the diff names the leaking kind of object; with no switch, no kind
grows beyond noise. Snapshots are taken as a run takes them: one inspector session, a forced GC
first, streamed to disk."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.analysis.heap_growth import HeapGrowth
from harness.config import SnapshotPlan
from harness.documents.events import EventLog, HeapSnapshotEvent, read_events
from harness.heapsnap.diff import heap_growth
from harness.heapsnap.schedule import HeapSnapshots
from harness.heapsnap.snapshot import load_earlier, load_snapshot
from harness.heapsnap.take import InspectorSession, take_snapshot
from harness.target import INSPECT_OPTION, inspector_url
from tests.integration.test_reference_bot_support import Bot, Poster, start_bot, text_update
from tests.integration.upstreams import Upstreams, started_upstreams

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node")

WARMUP_UPDATES = 60
POSTERS = 4


@pytest.fixture(scope="module")
def upstreams(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upstreams]:
    yield from started_upstreams(tmp_path_factory.mktemp("heap"))


def post(bot: Bot, first_id: int, count: int) -> None:
    """count text updates from POSTERS keep-alive clients at once, as fast as the bot answers."""

    def client(start: int) -> None:
        poster = Poster(bot)
        for uid in range(start, first_id + count, POSTERS):
            poster.update(text_update(uid, 4400000 + uid % 97, uid, f"prompt {uid}"))
        poster.close()

    threads = [threading.Thread(target=client, args=(first_id + i,)) for i in range(POSTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)


def growth_under_load(up: Upstreams, tmp_path: Path, leaks: str, updates: int, drain_s: float) -> HeapGrowth:
    extra = {"LEAKS": leaks, "CURSOR_RUNNER_MODE": "sync", "NODE_OPTIONS": "--inspect=127.0.0.1:0"}
    bot = start_bot(up.work_dir, up.mocks.urls, up.redis.url, extra)
    session = None
    try:
        url = inspector_url(up.work_dir / f"bot-{bot.port}.log")
        assert url is not None
        session = InspectorSession(url)
        post(bot, 1, WARMUP_UPDATES)
        before = take_snapshot(session, tmp_path / "a.heapsnapshot")
        post(bot, 1 + WARMUP_UPDATES, updates)
        # Updates answered 200 may still be working: let them finish, and idle sockets close.
        threading.Event().wait(drain_s)
        after = take_snapshot(session, tmp_path / "b.heapsnapshot")
        assert before.size_bytes > 1e6 and after.pause_s > 0
    finally:
        if session is not None:
            session.close()
        bot.child.stop()
    earlier = load_earlier(before.path)
    return heap_growth(earlier, load_snapshot(after.path, earlier), updates=updates)


# switch, updates, what the top grower must be (kind, or a test on the grower)
LEAKS = [
    ("heap:4096", 600, "(string)"),
    ("external:4096", 600, "Buffer"),
    ("cache:4096", 600, "Buffer"),
    ("timer:1", 600, "Timeout"),
    ("listener:1", 600, "(closure) anonymous @ src/leaks.js:"),
]


@pytest.mark.parametrize(("leaks", "updates", "kind"), LEAKS, ids=[case[0].split(":")[0] for case in LEAKS])
def test_the_top_grower_names_the_leaking_kind(
    upstreams: Upstreams, tmp_path: Path, leaks: str, updates: int, kind: str
) -> None:
    growth = growth_under_load(upstreams, tmp_path, leaks, updates, drain_s=1.0)
    top = growth.growers[0]
    assert top.kind.startswith(kind), [g.kind for g in growth.growers]
    # One leaked object per update, each held by an object that was there before the load.
    assert 0.9 * updates <= top.new_roots <= 1.1 * updates, top
    # Retainer paths run from a GC root down to the sampled objects.
    assert top.paths and all(path.kinds[-1] == top.kind for path in top.paths), top.paths


def test_a_leaked_redis_client_is_one_grower_holding_its_connection(upstreams: Upstreams, tmp_path: Path) -> None:
    growth = growth_under_load(upstreams, tmp_path, "redis:1", 200, drain_s=1.0)
    top = growth.growers[0]
    # ioredis copies EventEmitter's prototype members, `constructor` too, onto its Redis class,
    # so V8 (and DevTools) call a client EventEmitter; the class whose prototype it has is Redis.
    assert (top.kind, top.holder) == ("Redis", ""), [(g.kind, g.holder) for g in growth.growers]
    assert 180 <= top.new_roots <= 220 and 180 <= top.objects_added <= 220, top
    assert "Node / TCPSocketWrap" in top.carries or "Socket" in top.carries, top.carries
    assert any("src/leaks.js" in " ".join(path.kinds) for path in top.paths), top.paths


def test_leaked_agents_are_named_by_the_sockets_they_hold(upstreams: Upstreams, tmp_path: Path) -> None:
    growth = growth_under_load(upstreams, tmp_path, "socket:1", 200, drain_s=1.0)
    top = growth.growers[0]
    # The switch keeps a plain {httpAgent, httpsAgent} object per upstream request: the grower
    # is named by what owns most of what it holds, the open socket, and says what holds it.
    assert top.kind in {"Socket", "TLSSocket"} and top.holder == "Object", [(g.kind, g.holder) for g in growth.growers]
    assert "Agent" in top.carries, top.carries
    assert top.new_roots >= 200 and top.objects_added >= 180, top
    assert top.paths and all(path.kinds[-1] == top.kind and "Agent" in path.kinds for path in top.paths), top.paths


def test_a_clean_bot_grows_no_kind_beyond_noise(upstreams: Upstreams, tmp_path: Path) -> None:
    growth = growth_under_load(upstreams, tmp_path, "", 1200, drain_s=6.0)
    assert growth.growers == (), [(g.kind, g.new_roots, g.retained_bytes) for g in growth.growers]


def test_a_run_takes_its_snapshots_at_its_phase_points(tmp_path: Path) -> None:
    script = "globalThis.kept = []; setInterval(() => globalThis.kept.push({ at: Date.now() }), 5)"
    node = subprocess.Popen(["node", INSPECT_OPTION, "-e", script], stderr=subprocess.PIPE, text=True)
    try:
        assert node.stderr is not None
        url = node.stderr.readline().split()[-1]
        assert url.startswith("ws://127.0.0.1:")
        events = EventLog(tmp_path, time.monotonic())
        plan = SnapshotPlan(enabled=True, every_s=1.0)
        snapshots = HeapSnapshots(url, tmp_path, plan, events, warmup_s=1.0, window_s=0.5, cooldown_s=0.2)
        snapshots.load_started()
        # A snapshot pauses the target for seconds on a loaded machine: the load lasts until one
        # periodic snapshot is written (bounded), so its pause cannot use up the load it falls in.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list(tmp_path.glob("heap-snapshots/*-t*s.heapsnapshot")):
            time.sleep(0.2)
        snapshots.load_ended()
        snapshots.close()
        # Stopped before the load ended (Ctrl-C): no end-of-load snapshot is attempted.
        (tmp_path / "x").mkdir()
        stopped = HeapSnapshots(
            url, tmp_path / "x", SnapshotPlan(enabled=True), events, warmup_s=60, window_s=1, cooldown_s=0
        )
        stopped.load_started()
        stopped.close()
        time.sleep(0.3)
    finally:
        node.kill()
        node.wait()
    taken = [e for e in read_events(tmp_path) if isinstance(e, HeapSnapshotEvent)]
    files = [Path(e.file).name for e in taken]
    assert files[0] == "01-warmup-end.heapsnapshot" and files[-1].endswith("-load-end.heapsnapshot"), files
    assert len(files) >= 3 and any("-t" in name for name in files), files  # one every second in between
    assert all(e.pause_s > 0 and (e.bytes or 0) > 0 for e in taken)
    assert load_snapshot(tmp_path / taken[-1].file).summary.kinds["Object"].count > 0
    assert not list((tmp_path / "x" / "heap-snapshots").glob("*"))
