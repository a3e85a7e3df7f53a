"""Pid files of a run's children (run_dir/pids/NAME-PID.json), so that whoever finds soak gone
(its watchdog at once, the next `soak run` later) can stop what it left running.

Stdlib only: the watchdog imports this module and must start in a few milliseconds.
A pid alone can be reused; a record names a process by pid and start time (field 22 of
/proc/PID/stat), and each child leads its own process group, so the group is what is stopped.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
from dataclasses import asdict, dataclass
from pathlib import Path

PIDS_DIR = "pids"


@dataclass(frozen=True)
class PidRecord:
    name: str
    pid: int  # also the process group id: each child is started in a session of its own
    start_ticks: int | None


def start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot, None when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    fields = stat[stat.rfind(")") + 2 :].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def _zombie_or_gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return True
    return stat[stat.rfind(")") + 2 :].startswith(("Z", "X"))


def is_same_process(pid: int, ticks: int | None) -> bool:
    """pid is alive (not a zombie) and is the process that started at `ticks`."""
    return ticks is not None and start_ticks(pid) == ticks and not _zombie_or_gone(pid)


def group_members(pgid: int) -> list[int]:
    """Live processes whose process group is pgid (a scan of /proc)."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text(encoding="ascii", errors="replace")
        except (FileNotFoundError, ProcessLookupError, PermissionError, NotADirectoryError):
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def live_members(record: PidRecord) -> list[int]:
    """What is still running of the record's process group.

    The leader alive with its start time: the group is ours. The leader gone but members left:
    still ours, because Linux never hands out a pid that is in use as a group id. A leader with
    another start time: the pid was reused, nothing of ours is left.
    """
    if is_same_process(record.pid, record.start_ticks):
        return group_members(record.pid) or [record.pid]
    if start_ticks(record.pid) is not None and not _zombie_or_gone(record.pid):
        return []
    return group_members(record.pid)


def write_record(pid_dir: Path, record: PidRecord) -> Path:
    pid_dir.mkdir(mode=0o700, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_]+", "-", record.name).strip("-") or "child"
    path = pid_dir / f"{stem}-{record.pid}.json"
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(asdict(record)), encoding="utf-8")
    os.replace(partial, path)
    return path


def read_records(pid_dir: Path) -> list[tuple[Path, PidRecord]]:
    records = []
    for path in sorted(pid_dir.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            record = PidRecord(str(data["name"]), int(data["pid"]), data.get("start_ticks"))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # cut by a kill mid-write: the file was never renamed into place
        records.append((path, record))
    return records


def stop_recorded(pid_dir: Path) -> list[PidRecord]:
    """SIGKILL every recorded group that still has live processes; returns those records.

    SIGKILL, not SIGTERM: whoever calls this found soak gone, and nothing these processes do
    from now on is recorded or judged.
    """
    stopped = []
    for path, record in read_records(pid_dir):
        members = live_members(record)
        if members:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(record.pid, signal.SIGKILL)
            stopped.append(record)
        path.unlink(missing_ok=True)
    remove_if_empty(pid_dir)
    return stopped


def remove_if_empty(pid_dir: Path) -> None:
    """The pid folder goes once every child stopped; a pid file left in it is for the next run."""
    with contextlib.suppress(OSError):
        pid_dir.rmdir()
