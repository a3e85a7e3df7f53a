"""The mocks' churn accounting on simulated timelines: pools at any rate are quiet, clients per request are not."""

from __future__ import annotations

from dataclasses import dataclass, field

from mocks.common.connections import ConnectionStats
from mocks.server.connection import CloseCause

# Listener ports as the accounting keys connections by: labels only, no socket is opened here.
MOCK_LISTENER = 1
OTHER_LISTENER = 2


@dataclass(eq=False)
class Conn:
    local_port: int = MOCK_LISTENER
    idle_since_s: float | None = None
    close_cause: CloseCause | None = None
    last_idle_s: float = 0.0


@dataclass
class Sim:
    """Drives ConnectionStats as HttpConnection does, on a clock the test moves."""

    now_s: float = 1000.0
    stats: ConnectionStats = field(init=False)

    def __post_init__(self) -> None:
        self.stats = ConnectionStats(clock=lambda: self.now_s)

    def at(self, t_s: float) -> Sim:
        self.now_s = 1000.0 + t_s
        return self

    def call(self, conn: Conn | None = None, agent: str = "axios/1.13.2") -> Conn:
        """A request answered at once, on conn or a new connection."""
        conn = conn or Conn()
        if conn.idle_since_s is not None:
            conn.last_idle_s = self.now_s - conn.idle_since_s
        conn.idle_since_s = None
        self.stats.on_request(conn, agent)
        conn.idle_since_s = self.now_s
        return conn

    def close(self, conn: Conn, cause: CloseCause | None = None) -> None:
        conn.close_cause = cause
        self.stats.on_lost(conn)

    def churn(self) -> dict[str, int]:
        figures: dict[str, int] = self.stats.snapshot()["churn"]
        return figures


def test_a_pool_called_slower_than_its_idle_timeout_is_no_churn() -> None:
    """Node's default agent at one call per 10 s: a connection per call, each closed after 5 s idle."""
    sim = Sim()
    for n in range(6):
        conn = sim.at(10 * n).call()
        sim.at(10 * n + 5).close(conn)
    snapshot = sim.stats.snapshot()
    assert snapshot["opened"] == 6 and snapshot["requests_per_connection"] == 1.0
    assert sim.churn() == {"connections": 0, "one_shot": 0, "left_behind": 0}
    assert snapshot["closed"] == {"client": 6} and snapshot["client_idle_before_close_s"] == {"le_5": 6}


def test_a_pool_without_idle_timeout_reuses_and_idles_out_at_the_mock() -> None:
    sim = Sim()
    conn = sim.call()
    for n in range(1, 20):
        sim.at(n).call(conn)
    sim.at(100).close(conn, CloseCause.SERVER_IDLE)
    assert sim.churn()["connections"] == 0
    assert sim.stats.snapshot()["closed"] == {"server_idle": 1}


def test_a_client_per_request_closing_at_once_is_one_shot_churn() -> None:
    sim = Sim()
    for n in range(5):
        destroyed = sim.at(n).call()
        sim.at(n + 0.05).close(destroyed)  # agent.destroy() after the answer
        asked = sim.at(n + 0.5).call()
        sim.close(asked, CloseCause.CLIENT_REQUESTED)  # Connection: close
    assert sim.churn() == {"connections": 10, "one_shot": 10, "left_behind": 0}
    assert sim.stats.snapshot()["closed"] == {"client": 5, "client_requested": 5}


def test_closes_that_are_not_the_client_walking_away_are_not_churn() -> None:
    sim = Sim()
    sim.close(sim.call(), CloseCause.SERVER_ERROR)  # a reset fault
    sim.close(sim.call(), CloseCause.SERVER_SHUTDOWN)
    aborted = sim.call()
    aborted.idle_since_s = None  # a request still in progress: the client gave up waiting
    sim.close(aborted, CloseCause.CLIENT_RESET)
    kept = sim.at(0.5).call()
    sim.at(2).close(kept)  # one request, but the client kept it idle past ONE_SHOT_IDLE_S
    assert sim.churn()["connections"] == 0
    assert sim.stats.snapshot()["closed"] == {
        "client": 1,
        "client_abort": 1,
        "server_error": 1,
        "server_shutdown": 1,
    }


def test_a_keep_alive_agent_per_request_leaves_each_connection_behind() -> None:
    """Never destroyed: each call's connection stays idle, and the next calls open beside them."""
    sim = Sim()
    for n in range(6):
        sim.at(10 * n).call()
    assert sim.churn() == {"connections": 5, "one_shot": 0, "left_behind": 5}  # all but the newest
    assert sim.stats.snapshot()["open"] == 6


def test_a_second_pool_of_the_same_library_is_not_taken_for_a_leak() -> None:
    """Pool A keeps one idle connection; pool B (5 s timeout, called every 10 s) opens beside it."""
    sim = Sim()
    sim.call()  # pool A's connection, idle from here on
    for n in range(6):
        conn = sim.at(10 * n + 3).call()
        sim.at(10 * n + 8).close(conn)
    assert sim.churn()["connections"] == 0


def test_a_second_pool_passes_over_a_burst_pool_s_idle_connections_once() -> None:
    """Pool A grew to 4 in a burst and keeps 3 idle (LIFO, no idle timeout); pool B (5 s timeout,
    called every 10 s) opens a connection per call beside them."""
    sim = Sim()
    burst = [sim.call() for _ in range(4)]
    b_conn: Conn | None = None
    for t in range(1, 60):
        sim.at(t).call(burst[0])
        if b_conn is not None and t % 10 == 5:
            sim.close(b_conn)  # B's idle timeout
        if t % 10 == 0:
            b_conn = sim.at(t + 0.5).call(agent="axios/1.13.2")
    # A's three idle ones, once each, however many times B opens beside them; none of B's.
    assert sim.churn() == {"connections": 3, "one_shot": 0, "left_behind": 3}


def test_other_clients_and_listeners_are_other_pools() -> None:
    sim = Sim()
    for n in range(3):
        sim.at(n * 10).call(agent="node")
    sim.at(30).call(agent="axios/1.13.2")
    sim.at(31).call(Conn(local_port=OTHER_LISTENER), agent="node")
    assert sim.churn()["connections"] == 2  # only the first two "node" calls on the mock's listener


def test_a_connection_used_again_is_withdrawn() -> None:
    """A client whose loop lagged: the mock saw two connections idle the client still held as busy."""
    sim = Sim()
    first, second = sim.call(), sim.call()
    sim.at(2).call()  # opened while both looked idle for 2 s
    assert sim.churn()["left_behind"] == 2
    sim.at(2.1).call(first)
    sim.at(2.2).call(second)
    assert sim.churn() == {"connections": 0, "one_shot": 0, "left_behind": 0}
    assert sim.stats.withdrawn == 2


def test_idle_means_longer_than_the_client_takes_to_reuse_a_connection() -> None:
    """A client that reuses its pool 3 s after each answer: one-request connections idle 4 s are not left behind."""
    sim = Sim()
    pool = sim.call()
    for n in range(1, 5):
        sim.at(3 * n).call(pool)
    sim.at(12).call()
    sim.at(12).call()
    sim.at(16).call()
    assert sim.churn()["connections"] == 0
    sim.at(19).call()
    assert sim.churn()["connections"] == 2  # idle for 7 s, past twice the 3 s pick-up


def test_closing_a_left_behind_connection_keeps_it_counted() -> None:
    sim = Sim()
    first, second = sim.call(), sim.call()
    sim.at(5).call()
    sim.at(80).close(first, CloseCause.SERVER_IDLE)
    sim.close(second)
    assert sim.churn() == {"connections": 2, "one_shot": 0, "left_behind": 2}
    assert not any(client.left_behind_idle for client in sim.stats.by_client.values())


def test_accounting_forgets_closed_connections() -> None:
    sim = Sim()
    for n in range(200):
        sim.at(n).close(sim.at(n).call(agent=f"client-{n % 7}"))
    assert not sim.stats.live and not sim.stats.by_client


def test_requests_per_connection_and_the_live_map() -> None:
    sim = Sim()
    first, second = Conn(), Conn()
    assert [sim.stats.on_request(first) for _ in range(3)] == [1, 1, 1]
    assert sim.stats.on_request(second) == 2
    first.idle_since_s = sim.now_s
    sim.stats.on_lost(first)
    sim.stats.on_lost(Conn())  # a connection that never carried a request: not counted
    snapshot = sim.stats.snapshot()
    assert snapshot["opened"] == 2 and snapshot["open"] == 1 and snapshot["requests_per_connection"] == 2.0
    assert snapshot["closed_by_requests"] == {"le_4": 1}
