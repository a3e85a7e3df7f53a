"""Report renderers: JUnit counts, Markdown rows, and report.html: the verdict first in human units,
a chart per judged check with its limit, the sections in the order a person investigates."""

import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from harness.analysis.flows import LATENCY_BOUNDS_S, Accounting, FlowWindow, latency_bucket
from harness.analysis.model import Check, Curve, Guide, GuideRole, RunData, Span, Status, Verdict
from harness.report.html import PageExtras, render_html
from harness.report.junit import junit_xml
from harness.report.layout import chart_plan
from harness.report.page_data import COLUMNS, encode_series
from harness.report.summary import summary_markdown
from harness.report.svg import Band

RSS_GUIDES = (
    Guide(GuideRole.JUDGED, "window medians", (20.0, 40.0, 60.0), (1.0e8, 1.2e8, 1.4e8)),
    Guide(GuideRole.FIT, "Theil-Sen fit", (20.0, 40.0, 60.0), (1.0e8, 1.2e8, 1.4e8)),
    Guide(GuideRole.LIMIT, "limit", (20.0, 40.0, 60.0), (1.0e8, 1.01e8, 1.02e8)),
)
VERDICT = Verdict(
    Status.FAIL,
    (
        Check("fds_growth", Status.PASS, 0.0, 16.0, "fds", Span(15, 60), "open fds 52 -> 52", "target.fds"),
        Check("rss_per_request", Status.FAIL, 44.2 * 1024, 8192.0, "B/req", Span(15, 60), "45261 B per request <leak>",
              "target.rss_bytes", guides=RSS_GUIDES),
        Check("rss_slope", Status.INCONCLUSIVE, None, 100.0, "B/s", Span(15, 20), "2 windows after warm-up"),
        Check("listener_warnings", Status.PASS, 0.0, 0.0, "lines", None, "0 lines"),
    ),
)  # fmt: skip
T_S = tuple(float(t) for t in range(0, 80))
CURVES = {
    "target.rss_bytes": Curve(T_S, tuple(1e8 + 5e5 * t for t in T_S)),
    "target.fds": Curve(T_S, tuple(52.0 for _ in T_S)),
    "node.heap_used_after_gc_bytes": Curve(T_S, tuple(3e7 + (t % 3) * 1e5 for t in T_S)),
    "collector.tick_cost_s": Curve(T_S, tuple(0.001 * (1 + t % 2) for t in T_S)),
    "redis.connected_clients": Curve(T_S, tuple(3.0 for _ in T_S)),
    "collector.node.errors_total": Curve(T_S, tuple(0.0 for _ in T_S)),
}
UNITS = {"target.rss_bytes": "bytes", "target.fds": "count", "node.heap_used_after_gc_bytes": "bytes",
         "collector.tick_cost_s": "seconds", "redis.connected_clients": "count",
         "collector.node.errors_total": "count"}  # fmt: skip


def _data(**changes: object) -> RunData:
    fields: dict[str, object] = {"curves": CURVES, "load": Span(5.0, 65.0), "baseline": Span(0.0, 5.0)}
    fields.update(changes)
    return RunData(**fields)  # type: ignore[arg-type]


def _page(verdict: Verdict = VERDICT, data: RunData | None = None, notes: tuple[str, ...] = ()) -> str:
    data = data or _data()
    plan = chart_plan(verdict, data, UNITS)
    extras = PageExtras(phases=[Band(0, 5, "baseline", "#9e9e9e"), Band(5, 65, "load (judged)", "#4285f4")])
    return render_html("smoke-1", verdict, data, notes, plan, extras=extras)


def _document(page: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="soak-data">(.*?)</script>', page, re.S)
    assert found is not None
    document: dict[str, object] = json.loads(found.group(1))
    return document


def test_junit_counts_failures_and_inconclusive_as_skipped() -> None:
    suite = ET.fromstring(junit_xml("smoke-1", VERDICT, 60.0).split("\n", 1)[1])
    assert suite.get("tests") == "4" and suite.get("failures") == "1" and suite.get("skipped") == "1"
    failing = [case.get("name") for case in suite if case.find("failure") is not None]
    assert failing == ["rss_per_request"]


def test_summary_lists_failures_first_in_human_units() -> None:
    lines = summary_markdown("smoke-1", VERDICT).splitlines()
    assert lines[0] == "# soak run `smoke-1`: FAIL"
    row = next(line for line in lines if line.startswith("| rss_per_request"))
    assert row.startswith("| rss_per_request | **FAIL** | 44.2 KiB/update | 8.00 KiB/update | 15-60 s |")
    assert lines.index(row) < next(i for i, line in enumerate(lines) if line.startswith("| fds_growth"))


def test_the_verdict_comes_first_failing_checks_on_top_in_human_units() -> None:
    page = _page()
    lead = page[page.index('<p class="lead">') : page.index("</p>", page.index('<p class="lead">'))]
    assert "1 of 4 checks failed" in lead and "rss_per_request 44.2 KiB/update (limit 8.00 KiB/update)" in lead
    rows = re.findall(r'<tr class="check (\w+)" id="check-([\w.]+)"', page)
    assert rows[0] == ("fail", "rss_per_request") and rows[1] == ("inconclusive", "rss_slope")
    assert "e+0" not in page.split('id="soak-data"')[0]  # no raw floats in the tables


def test_every_check_with_a_course_over_time_has_its_chart_and_the_failing_one_its_limit() -> None:
    page = _page()
    charts = _document(page)["charts"]
    assert isinstance(charts, dict)
    failing = charts["check-rss_per_request"]
    assert [s["role"] for s in failing["series"]] == ["line", "judged", "fit", "limit"]
    assert failing["series"][0]["key"] == "target.rss_bytes" and failing["unit"] == "bytes"
    assert "check-fds_growth" in charts
    assert 'data-chart="check-rss_per_request"' in page and "<details open>" in page  # the failing chart is open
    assert "no chart: judged on a count with no course over time" in page  # listener_warnings says why


def test_sections_follow_the_order_a_person_investigates() -> None:
    page = _page()
    order = [
        page.index(f'id="{name}"') for name in ("verdict", "memory", "handles", "work", "faults", "notes", "other")
    ]
    assert order == sorted(order)
    other = page[page.index('id="other"') :]
    assert other.startswith('id="other"><summary>')  # collapsed: a <details>, drawn when opened
    assert 'data-chart="other-collector.tick_cost_s"' in other
    flat = other[other.index('class="plain flat"') :]
    assert "<code>collector.node.errors_total</code></td><td>0</td>" in flat  # never moved: a line, not a chart
    assert 'data-chart="other-collector.node.errors_total"' not in page
    charts = _document(page)["charts"]
    assert isinstance(charts, dict) and [s["key"] for s in charts["heap"]["series"]] == [
        "node.heap_used_after_gc_bytes"
    ]


def test_the_page_is_self_contained_and_escapes_what_it_shows() -> None:
    page = _page(notes=("upstream interception: proxy <x>",))
    assert "<leak>" not in page and "&lt;leak&gt;" in page and "&lt;x&gt;" in page
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|url\(\s*['\"]?https?:", page)
    assert "uPlot" in page  # the library is inlined


def test_work_series_come_from_the_accounting_window_by_window() -> None:
    counts = [0] * (len(LATENCY_BOUNDS_S) + 1)
    counts[latency_bucket(0.2)] = 9
    counts[latency_bucket(2.0)] = 1
    windows = tuple(
        FlowWindow("text", Span(s, s + 10), 10, 9, 1, 0, {"telegram.sendMessage": 12, "cursor_runner.iterate": 10},
                   10, 10, 0, tuple(counts))
        for s in (5.0, 15.0, 25.0)
    )  # fmt: skip
    page = _page(data=_data(accounting=Accounting(windows, 30.0, 30)))
    document = _document(page)
    series = document["series"]
    assert isinstance(series, dict)
    assert series["work.calls_per_update.telegram"][1] == [1.2, 1.2, 1.2]
    assert series["work.updates_lost"] == [[10, 20, 30], [1, 1, 1]]
    p95 = series["work.e2e_latency_p95_s"][1][0]
    assert p95 == pytest.approx(LATENCY_BOUNDS_S[latency_bucket(2.0)], rel=1e-5)
    assert "End to end: 27 of 30 updates completed within 30 s, 3 lost" in page


def test_a_day_at_one_hertz_is_decimated_and_keeps_its_spike() -> None:
    t_s = np.arange(86_400, dtype=float)
    values = 1e8 + (t_s % 7) * 1e3
    values[50_001] = 5e9
    encoded_t, encoded_v = encode_series(Curve(t_s, values))
    assert len(encoded_t) <= 2 * COLUMNS and encoded_t == sorted(encoded_t)
    assert 5e9 in encoded_v and min(encoded_v) == 1e8
    assert encode_series(Curve((0.0, 1.5), (float("nan"), 2.0))) == [[0, 1.5], [None, 2]]


def test_notes_reach_summary_and_html() -> None:
    notes = ("upstream interception: proxy", "egress guard refused 2 connection(s) off the machine")
    assert "- upstream interception: proxy" in summary_markdown("r", VERDICT, notes)
    assert "egress guard refused 2" in _page(notes=notes)
