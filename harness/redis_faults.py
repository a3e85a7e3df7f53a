"""The profile's Redis fault windows, played on a thread against the run's redis-server.

Each window is logged to events.jsonl as `fault_window_start`/`fault_window_end` with upstream
"redis", like the mocks' windows; after a window that cut the target's connections, the time until
the target connected again is logged as `redis_target_reconnected`. The harness's own connections
are named "soak-*", so `kill_clients` spares them and the reconnect watch does not count them.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from harness.config import RedisFault
from harness.documents.events import EventLog, FaultWindowEvent, RedisReconnectedEvent
from harness.procs import Child, HarnessError
from harness.redis_backend import RedisBackend, RedisHandle, restart_redis
from vocab.events import EventKind
from vocab.upstreams import Peer

CLIENT_NAME = "soak-faults"
HARNESS_CLIENT_PREFIX = "soak-"
SHUTDOWN_WAIT_S = 10.0
RECONNECT_WAIT_MAX_S = 60.0
POLL_S = 0.1


class RedisState(StrEnum):
    UP = "up"
    DOWN = "down"  # from just before SHUTDOWN until the restarted server accepts connections


def target_clients(client: redis.Redis) -> list[dict[str, Any]]:
    """Connections that are not the harness's own: on the run's private Redis, the target's."""
    return [c for c in client.client_list() if not str(c.get("name", "")).startswith(HARNESS_CLIENT_PREFIX)]


class RedisFaultPlayer:
    """Plays the windows in order; `excuses` tells the runner when a dead Redis is the plan."""

    def __init__(self, handle: RedisHandle, faults: tuple[RedisFault, ...], events: EventLog, t0: float) -> None:
        if faults and handle.backend is not RedisBackend.REDIS_SERVER:
            raise HarnessError(
                "redis faults need redis-server, and this run uses fakeredis (no redis-server on PATH); "
                "install redis-server or remove [[redis.faults]]"
            )
        self._handle = handle
        self._faults = sorted(faults, key=lambda fault: fault.start_s)
        self._events = events
        self._t0 = t0
        self._lock = threading.Lock()
        self._state = RedisState.UP
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._play, name="soak-redis-faults", daemon=True)
        self.error: str | None = None

    def start(self) -> None:
        if self._faults:
            self._thread.start()

    def stop(self) -> None:
        """Stop playing; a server down at this point stays down (the run is ending)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=SHUTDOWN_WAIT_S + 20.0)

    def excuses(self, child: Child) -> bool:
        """True when child is the run's Redis and being down is part of a planned window."""
        with self._lock:
            return child is self._handle.child and (self._state is RedisState.DOWN or child.exit_code() is None)

    # the thread

    def _play(self) -> None:
        try:
            for index, fault in enumerate(self._faults):
                if not self._sleep_until(fault.start_s):
                    return
                self._window(fault, index)
                if self._stop.is_set():
                    return
        except (redis.RedisError, HarnessError, OSError) as exc:
            self.error = f"redis fault window failed: {type(exc).__name__}: {exc}"

    def _window(self, fault: RedisFault, index: int) -> None:
        describe: dict[str, Any] = {"upstream": Peer.REDIS, "route": "*", "kind": fault.kind, "rate": 1.0}
        describe |= {"start_s": fault.start_s, "end_s": fault.end_s}
        self._events.emit(FaultWindowEvent(event=EventKind.FAULT_WINDOW_START, **describe))
        action: Callable[[RedisFault], dict[str, Any]] = {
            "down": self._down,
            "pause": self._pause,
            "slow": self._slow,
            "kill_clients": self._kill_clients,
        }[fault.kind]
        details = action(fault)
        if self._stop.is_set():
            return  # cut short by the run's end: the window did not close
        self._events.emit(FaultWindowEvent(event=EventKind.FAULT_WINDOW_END, **describe, **details))
        if fault.kind in ("down", "kill_clients"):
            next_start_s = self._faults[index + 1].start_s if index + 1 < len(self._faults) else None
            self._watch_reconnect(fault, next_start_s)

    def _client(self, timeout_s: float = 5.0) -> redis.Redis:
        # No retries: redis-py's default would retry a SHUTDOWN's closed connection for seconds.
        return redis.Redis(
            port=self._handle.port,
            client_name=CLIENT_NAME,
            socket_timeout=timeout_s,
            socket_connect_timeout=2.0,
            retry=Retry(NoBackoff(), 0),
        )

    def _down(self, fault: RedisFault) -> dict[str, Any]:
        child = self._handle.child
        with self._lock:
            self._state = RedisState.DOWN
        # The server closes the connection as it goes away.
        with self._client() as client, contextlib.suppress(redis.ConnectionError):
            client.shutdown(save=True)
        try:
            child.popen.wait(timeout=SHUTDOWN_WAIT_S)
        except subprocess.TimeoutExpired:
            child.stop(timeout_s=1.0)  # a server that would not go: its data is lost, and the event says so
        saved = child.exit_code() == 0
        self._sleep_until(fault.end_s)
        if self._stop.is_set():
            return {}
        restart_redis(self._handle, cancelled=self._stop.is_set)
        if self._stop.is_set():
            return {}
        with self._lock:
            self._state = RedisState.UP
        return {"data_saved": saved, "restarted_pid": self._handle.child.pid}

    def _pause(self, fault: RedisFault) -> dict[str, Any]:
        with self._client() as client:
            timeout_ms = max(1, round((fault.end_s - self._elapsed_s()) * 1000))
            client.client_pause(timeout_ms, all=fault.commands == "all")
        # The pause ends by itself: CLIENT UNPAUSE would wait out the pause too, as every client does.
        self._sleep_until(fault.end_s)
        return {"commands": fault.commands}

    def _slow(self, fault: RedisFault) -> dict[str, Any]:
        stalls = 0
        with self._client(timeout_s=fault.stall_s + 5.0) as client:
            while not self._stop.is_set() and self._elapsed_s() < fault.end_s:
                client.execute_command("DEBUG", "SLEEP", f"{fault.stall_s:.3f}")
                stalls += 1
        return {"stall_s": fault.stall_s, "stalls": stalls}

    def _kill_clients(self, fault: RedisFault) -> dict[str, Any]:
        killed = 0
        while not self._stop.is_set() and self._elapsed_s() < fault.end_s:
            with self._client() as client:
                for entry in target_clients(client):
                    killed += int(client.client_kill_filter(_id=str(entry["id"])))
            self._sleep_until(min(fault.end_s, self._elapsed_s() + fault.every_s))
        return {"killed": killed}

    def _watch_reconnect(self, fault: RedisFault, next_start_s: float | None) -> None:
        """How long after the window the target had a connection again (None: not within the wait)."""
        limit_s = fault.end_s + RECONNECT_WAIT_MAX_S
        if next_start_s is not None:
            limit_s = min(limit_s, next_start_s)
        with self._client() as client:
            while not self._stop.is_set() and self._elapsed_s() < limit_s:
                clients = target_clients(client)
                if clients:
                    after_s = round(self._elapsed_s() - fault.end_s, 3)
                    self._events.emit(RedisReconnectedEvent(after_s=after_s, clients=len(clients)))
                    return
                self._stop.wait(POLL_S)
        if not self._stop.is_set():
            waited_s = round(self._elapsed_s() - fault.end_s, 3)
            self._events.emit(RedisReconnectedEvent(after_s=None, waited_s=waited_s))

    def _elapsed_s(self) -> float:
        return time.monotonic() - self._t0

    def _sleep_until(self, at_s: float) -> bool:
        """Wait until at_s into the run; False when the player was stopped first."""
        return not self._stop.wait(max(0.0, at_s - self._elapsed_s()))
