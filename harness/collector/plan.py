"""Assembling the collector for one target: which probes, on which cadence, with which budget."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from harness.collector.mock_probe import MockProbe
from harness.collector.node_probe import NodeInspectorProbe
from harness.collector.pause import PauseLog
from harness.collector.process_probe import ProcessProbe
from harness.collector.redis_probe import RedisProbe
from harness.collector.sampler import Probe, Sampler, Slow
from harness.collector.self_probe import SelfProbe
from harness.collector.store import SampleWriter
from harness.collector.tcp_probe import TcpProbe
from harness.collector.tmp_probe import TempFilesProbe
from harness.config import CollectorSection
from harness.documents.events import EventLog
from vocab.upstreams import Peer, peer_of

log = logging.getLogger(__name__)
JUDGED_SHARE = 5  # times probe_cpu_share, for probes whose readings a check needs on every window


@dataclass(frozen=True)
class Attachment:
    """What the collector watches, as known when it starts (absent parts are simply not probed)."""

    target_pid: int
    tmp_dir: str | None = None
    mock_urls: Mapping[str, str] = field(default_factory=dict)
    redis_url: str | None = None
    inbound_ports: frozenset[int] = frozenset()
    inspector_url: str | None = None


def _port(url: str) -> int | None:
    return urlsplit(url).port


def peer_ports(attachment: Attachment) -> dict[int, str]:
    """Remote port -> upstream name, for naming the target's connections."""
    peers: dict[int, str] = {}
    for upstream, url in attachment.mock_urls.items():
        port = _port(url)
        if port is not None:
            peers[port] = peer_of(upstream)
    if attachment.redis_url is not None and (port := _port(attachment.redis_url)) is not None:
        peers[port] = Peer.REDIS
    return peers


class Collector:
    """The process and self probes run inline every tick; everything else (mocks' HTTP stats,
    TCP table, temp dir, Redis, inspector) on its own thread and cadence. With events, the pauses
    the inspector probe imposes on the target are recorded there (target_pause)."""

    def __init__(
        self,
        writer: SampleWriter,
        attachment: Attachment,
        settings: CollectorSection,
        interval_s: float,
        t0: float,
        *,
        events: EventLog | None = None,
    ) -> None:
        self._pauses = PauseLog(events) if events is not None else None
        self.process = ProcessProbe(attachment.target_pid, attachment.tmp_dir, settings.memory_detail_every_s)
        self.self_probe = SelfProbe()
        inline: list[Probe] = [self.process, self.self_probe]
        self._closers: list[RedisProbe | NodeInspectorProbe | MockProbe] = []
        self.sampler = Sampler(writer, inline, interval_s, t0, slow=self._slow(attachment, settings))

    def _slow(self, attachment: Attachment, settings: CollectorSection) -> list[Slow]:
        budget_s, share = settings.probe_budget_s, settings.probe_cpu_share
        peers = peer_ports(attachment)
        mock_ports = frozenset(port for port, name in peers.items() if name != Peer.REDIS)
        inspector_port = _port(attachment.inspector_url) if attachment.inspector_url else None
        tcp = TcpProbe(
            attachment.target_pid,
            self.process.socket_inodes,
            peers,
            inbound_ports=attachment.inbound_ports,
            mock_ports=mock_ports,
            inspector_port=inspector_port,
        )
        slow = [Slow("tcp", tcp, settings.tcp_every_s, budget_s, share)]
        if attachment.mock_urls:
            mocks = MockProbe(dict(attachment.mock_urls))
            self._closers.append(mocks)
            # The judge divides by these counters: a larger share keeps them on their cadence.
            slow.append(Slow("mocks", mocks, settings.mocks_every_s, budget_s, cpu_share=JUDGED_SHARE * share))
        if attachment.tmp_dir is not None:
            tmp = TempFilesProbe(attachment.tmp_dir, settings.temp_patterns)
            slow.append(Slow("tmp", tmp, settings.tmp_every_s, budget_s, share))
        if attachment.redis_url is not None:
            scan_budget_s = settings.redis_scan_budget_s
            redis = RedisProbe(attachment.redis_url, settings.redis_prefixes, attachment.target_pid, scan_budget_s)
            self._closers.append(redis)
            # The judge trends the target's clients, and a client leak is what makes counting them
            # cost (~50 ms of CPU at 10,000, benchmarks/redis_clients.py): a larger share keeps
            # the readings on cadence through the leak.
            every_s, probe_budget_s = settings.redis_every_s, budget_s + scan_budget_s
            slow.append(Slow("redis", redis, every_s, probe_budget_s, cpu_share=JUDGED_SHARE * share))
        if attachment.inspector_url is not None and settings.inspector:
            node = NodeInspectorProbe(
                attachment.inspector_url,
                settings.forced_gc_every_s,
                timeout_s=budget_s * 4,
                census_every_s=settings.listener_census_every_s,
                pauses=self._pauses,
            )
            self._closers.append(node)
            slow.append(Slow("node", node, settings.inspector_every_s, budget_s, share))
        return slow

    def watch(self, role: str, pid: int) -> None:
        """Also record RSS and CPU of a harness part started later (e.g. 'locust')."""
        self.self_probe.watch(role, pid)

    @property
    def error(self) -> BaseException | None:
        return self.sampler.error

    def start(self) -> None:
        self.sampler.start()

    def stop(self) -> None:
        self.sampler.stop()
        for probe in self._closers:
            try:
                probe.close()
            except Exception as exc:  # noqa: BLE001 - one probe's connection must not keep the others open
                log.warning("closing probe %s failed: %s", type(probe).__name__, exc)
