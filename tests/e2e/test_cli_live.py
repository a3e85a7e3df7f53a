"""`soak run` as a CI job and as a person at a terminal use it: --json on stdout with the plain
status lines on stderr, --set, the metrics endpoint, a profile started from another directory; and
the status block redrawn in place on a pseudo-terminal. Then `report --json` and `compare --json`."""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import pty
import re
import struct
import subprocess
import termios
import threading
import time
import urllib.request
from pathlib import Path

from prometheus_client.openmetrics.parser import text_string_to_metric_families

from tests.conftest import ROOT
from tests.e2e.test_runs import SOAK, soak

EXIT_CODES = {"pass": 0, "fail": 1, "inconclusive": 3}
PLAIN_LINE = re.compile(r"^soak: (\w+) (\d+:\d\d) elapsed.* \| RSS ([^|]+) \|.* \| failing: (.*)$")


class Lines:
    """A stream read line by line in a thread, each line with the time it arrived."""

    def __init__(self, stream: object) -> None:
        self.lines: list[tuple[float, str]] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def join(self) -> list[tuple[float, str]]:
        self._thread.join(timeout=30)
        return self.lines

    def find(self, prefix: str) -> str | None:
        return next((line for _, line in self.lines if line.startswith(prefix)), None)


def _scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    request = urllib.request.Request(url, headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _scrape_during_load(stderr: Lines, proc: subprocess.Popen[str]) -> Samples:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        announced = stderr.find("soak: metrics at ")
        if announced is not None:
            samples = _scrape(announced.removeprefix("soak: metrics at "))
            if samples.get(("soak_phase", (("phase", "load"),))) == 1 and ("soak_target_rss_bytes", ()) in samples:
                return samples
        time.sleep(1)
    raise AssertionError("never scraped the run in its load phase")


def _target_environ(run_dir: Path) -> dict[str, str]:
    pid = json.loads((run_dir / "run.json").read_text())["target"]["pid"]
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)


def test_json_plain_lines_set_and_metrics_from_another_directory(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    argv = [
        *SOAK, "run", str(ROOT / "profiles" / "smoke.toml"), "--duration", "24 s", "--results", str(tmp_path / "res"),
        "--json", "--view", "plain", "--status-every", "5 s", "--metrics-port", "0",
        "--set", "load.users=4", "--set", "target.env.SOAK_CACHE_URL={redis_url}", "--set", "run.name=cli",
    ]  # fmt: skip
    proc = subprocess.Popen(argv, cwd=elsewhere, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stderr = Lines(proc.stderr)
    try:
        samples = _scrape_during_load(stderr, proc)
        run_dir = Path(next(tmp_path.glob("res/cli-*")))
        environ = _target_environ(run_dir)
        assert proc.stdout is not None
        stdout = proc.stdout.read()  # not communicate(): the reader thread owns stderr
        proc.wait(timeout=180)
    finally:
        proc.kill()
    lines = stderr.join()

    # stdout is the verdict document and nothing else.
    document = json.loads(stdout)
    assert proc.returncode == EXIT_CODES[document["status"]], [line for _, line in lines]
    assert Path(document["run_dir"]) == run_dir
    assert {key: value for key, value in document.items() if key != "run_dir"} == json.loads(
        (run_dir / "verdict.json").read_text()
    )
    info = json.loads((run_dir / "run.json").read_text())
    assert info["spec"]["load"]["users"] == 4
    assert environ["SOAK_CACHE_URL"] == f"redis://127.0.0.1:{info['redis']['port']}/0" == environ["REDIS_URL"]

    # The metrics endpoint had the collector's latest samples and Locust's figures.
    assert samples[("soak_target_rss_bytes", ())] > 10 * 1024**2
    assert samples[("soak_target_fds", ())] > 5
    assert ("soak_target_alive", ()) in samples

    # Plain lines on stderr: figures in human units, at most one per --status-every.
    plain = [(at, PLAIN_LINE.match(line)) for at, line in lines if PLAIN_LINE.match(line)]
    assert len(plain) >= 4, [line for _, line in lines]
    gaps = [later[0] - earlier[0] for earlier, later in itertools.pairwise(plain)]
    assert min(gaps) > 4.0, gaps
    phases = {match.group(1) for _, match in plain if match}
    assert "load" in phases
    during_load = [match for _, match in plain if match and match.group(1) == "load"]
    assert during_load and all(match.group(3).strip().endswith("MiB") for match in during_load)
    assert any(line.startswith("verdict: ") for _, line in lines)  # the human verdict went to stderr
    assert any(line.startswith("results: ") for _, line in lines)

    again = soak("report", str(run_dir), "--json")
    assert json.loads(again.stdout)["status"] == document["status"] and again.returncode == proc.returncode
    assert again.stderr.startswith("verdict: ")

    same = soak("compare", str(run_dir), str(run_dir), "--json")
    comparison = json.loads(same.stdout)
    assert same.returncode == 0 and comparison["regressed"] == [] and comparison["exit_code"] == 0
    assert Path(comparison["overlay"]).is_file() and Path(comparison["table"]).is_file()
    assert same.stderr.startswith("A: ")  # the aligned table, on stderr
    assert {row["name"] for row in comparison["checks"]} == {check["name"] for check in document["checks"]}
    assert all(row["change"] in (None, 0.0) for row in comparison["checks"])


def _run_on_a_terminal(argv: list[str], timeout_s: float) -> tuple[int, str]:
    """argv on a 120x40 pseudo-terminal (stdin, stdout and stderr); what it drew, and its exit code."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    env.pop("CI", None)  # rich takes CI for a terminal that cannot redraw
    proc = subprocess.Popen(argv, cwd=ROOT, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the last holder of the terminal closed it
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    try:
        code = proc.wait(timeout=30)
    finally:
        proc.kill()
    return code, b"".join(chunks).decode(errors="replace")


def test_the_status_block_is_redrawn_in_place_on_a_terminal(tmp_path: Path) -> None:
    argv = [*SOAK, "run", "profiles/smoke.toml", "--duration", "12 s", "--results", str(tmp_path)]
    code, screen = _run_on_a_terminal(argv, timeout_s=180)
    assert code in EXIT_CODES.values(), screen[-3000:]
    # rich moves the cursor up over the previous block and erases it before each redraw.
    redraws = screen.count("\x1b[1A\x1b[2K")
    assert redraws > 20, screen[-3000:]
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)
    for label in ("updates/s", "webhook p95", "RSS", "heap", "fds", "sockets", "Redis clients", "fault window"):
        assert label in plain
    assert re.search(r"soak smoke-\S+\s+load \d:\d\d elapsed, \d:\d\d left", plain), plain[-3000:]
    assert "soak: load" in plain and "verdict: " in plain  # phase lines and the verdict print around it
    assert not PLAIN_LINE.search(plain)  # no log lines on a terminal
