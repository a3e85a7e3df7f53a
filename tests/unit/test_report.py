"""Report renderers: JUnit counts, Markdown rows and the self-contained HTML with its charts."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from harness.analysis.model import Check, Span, Status, Verdict
from harness.report.html import Chart, render_html
from harness.report.junit import junit_xml
from harness.report.summary import summary_markdown
from harness.report.svg import Band, decimate, line_chart

VERDICT = Verdict(
    Status.FAIL,
    (
        Check("rss_per_request", Status.FAIL, 30000.0, 8192.0, "B/req", Span(15, 60), "30000 B per request <leak>"),
        Check("fds_growth", Status.PASS, 0.0, 16.0, "fds", Span(15, 60), "open fds 52 -> 52"),
        Check("rss_slope", Status.INCONCLUSIVE, None, 100.0, "B/s", Span(15, 20), "2 windows after warm-up"),
    ),
)


def test_junit_counts_failures_and_inconclusive_as_skipped() -> None:
    suite = ET.fromstring(junit_xml("smoke-1", VERDICT, 60.0).split("\n", 1)[1])
    assert suite.get("tests") == "3" and suite.get("failures") == "1" and suite.get("skipped") == "1"
    failing = [case.get("name") for case in suite if case.find("failure") is not None]
    assert failing == ["rss_per_request"]


def test_summary_lists_failures_first() -> None:
    lines = summary_markdown("smoke-1", VERDICT).splitlines()
    assert lines[0] == "# soak run `smoke-1`: FAIL"
    assert lines[4].startswith("| rss_per_request | **FAIL** | 15-60 |")


def test_html_is_self_contained_escaped_and_charts_every_metric() -> None:
    charts = [
        Chart("target.rss_bytes", "bytes", "process", (0.0, 1.0, 2.0), (1.0, 2.0, 3.0)),
        Chart("target.fds", "count", "process", (0.0, 1.0), (5.0, 5.0)),
    ]
    page = render_html("smoke-1", VERDICT, charts, [Band(0, 1, "warm-up", "#f4b400")])
    assert page.count("<svg") == 2
    assert "<leak>" not in page and "&lt;leak&gt;" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched


def test_chart_maps_values_inside_the_plot_area() -> None:
    svg = line_chart((0.0, 10.0), (100.0, 200.0), [])
    points = svg.split('points="')[1].split('"')[0].split()
    (x0, y0), (x1, y1) = (tuple(map(float, p.split(","))) for p in points)
    assert x0 < x1 and y0 > y1  # time runs right, higher values are drawn higher


def test_a_night_of_samples_draws_in_few_points_and_keeps_its_spike() -> None:
    t_s = [float(t) for t in range(12 * 3600)]  # 12 h at 1 Hz
    values = [100.0 + (t % 7) for t in range(len(t_s))]
    values[30_001] = 5_000.0  # one sample's spike
    svg = line_chart(t_s, values, [])
    points = svg.split('points="')[1].split('"')[0].split()
    assert len(points) <= 2 * 630
    ys = [float(p.split(",")[1]) for p in points]
    assert min(ys) == pytest.approx(10.0)  # the spike is drawn, at the top of the plot area
    assert ">0 s<" in svg and ">12.0 h<" in svg
    kept_t, kept_v = decimate(np.asarray(t_s), np.asarray(values), 630)
    assert np.all(np.diff(kept_t) > 0) and 5_000.0 in kept_v and kept_v.min() == 100.0
    short_t, short_v = decimate(np.asarray([0.0, 1.0]), np.asarray([1.0, 2.0]), 630)
    assert short_t.tolist() == [0.0, 1.0] and short_v.tolist() == [1.0, 2.0]


def test_notes_reach_summary_and_html() -> None:
    notes = ["upstream interception: proxy", "egress guard refused 2 connection(s) off the machine"]
    assert "- upstream interception: proxy" in summary_markdown("r", VERDICT, notes)
    assert "egress guard refused 2" in render_html("r", VERDICT, [], [], notes)
