"""The mock-stats probe against the real mocks process."""

from __future__ import annotations

import contextlib
import urllib.request

from harness.collector import metrics
from harness.collector.mock_probe import MockProbe
from harness.mocks_launcher import MocksHandle


def test_counters_follow_requests_and_tls_twins_are_not_double_counted(mocks: MocksHandle) -> None:
    probe = MockProbe(mocks.urls)
    before = probe.sample()
    for _ in range(3):  # any request counts, even one the contract does not know
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"{mocks.urls['cursor_runner']}/no-such-route", timeout=2).close()
    after = probe.sample()
    probe.close()
    plain = [name for name, url in mocks.urls.items() if url.startswith("http://")]
    assert {m.name for m in after} >= {metrics.mock_requests(name).name for name in plain}
    assert not any("tls" in m.name for m in after)
    added = after[metrics.mock_requests("cursor_runner")] - before[metrics.mock_requests("cursor_runner")]
    assert added == 3
    assert after[metrics.MOCK_REQUESTS] - before[metrics.MOCK_REQUESTS] == 3


def test_unreachable_mock_yields_nothing() -> None:
    probe = MockProbe({"telegram": "http://127.0.0.1:9"})
    assert probe.sample() == {}
    probe.close()
