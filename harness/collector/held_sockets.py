"""Which live sockets a process tree holds, reading only the fds that may have changed.

Reading every fd link costs ~5 µs an fd: 50 ms for a target holding 10,000 Redis clients, every
sample. But a socket still open with a nonzero inode is held by some process (the kernel clears
the inode of a socket every holder has closed), so an fd last seen holding a socket that is still
alive holds it still. Only when a live socket is not accounted for are fds read again: first the
numbers a new fd takes (the kernel gives the lowest free one), then, if it is still not found,
every fd of the listing; a socket no process of the tree holds is foreign (another process
sharing the server) and is not looked for again while it lives.

Not seen: an fd the tree duplicated (dup, fork without exec) then closed and reused while the
duplicate keeps the old socket open; Node does neither with its sockets.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass

from harness.collector.procfs import descendants

_PAST_THE_END = 32  # fd numbers tried above the highest known before the fd table is listed


@dataclass(frozen=True)
class Holding:
    """The live sockets the tree holds, and how many fd links were read to tell."""

    inodes: frozenset[int]
    fds_read: int


class HeldSockets:
    """The tree of root_pid (but for the processes in exclude, e.g. the collector's own)."""

    def __init__(self, root_pid: int, exclude: frozenset[int] = frozenset()) -> None:
        self.root_pid = root_pid
        self._exclude = exclude
        self._links: dict[int, dict[int, int]] = {}  # pid -> fd -> socket inode as last read (0: not a socket)
        self._known: set[int] = set()  # every inode in _links
        self._foreign: frozenset[int] = frozenset()

    def held(self, live: frozenset[int]) -> Holding:
        """The inodes of live (sockets open now, with their inodes) that the tree holds."""
        missing = live - self._known - self._foreign
        fds_read = 0
        if missing:
            fds_read = self._look_for(missing, live)
            self._known = set().union(*(links.values() for links in self._links.values()))
        self._foreign = live - self._known
        return Holding(live & self._known, fds_read)

    def _look_for(self, missing: frozenset[int], live: frozenset[int]) -> int:
        """Reads the tree's fd links that may hold a missing socket until all are found: first
        where the kernel puts a new fd (the lowest free number), then, if any is still missing,
        every fd from the listings. The fds not read keep what they were last seen holding."""
        pids = [pid for pid in (self.root_pid, *(descendants(self.root_pid) or ())) if pid not in self._exclude]
        self._links = {pid: self._links.get(pid, {}) for pid in pids if os.path.isdir(f"/proc/{pid}/fd")}
        wanted = set(missing)
        fds_read = sum(self._guess(pid, wanted, live) for pid in self._links)
        if wanted:  # elsewhere in the fd table, or foreign: only the listing can tell
            fds_read += sum(self._list(pid, wanted, live) for pid in list(self._links))
        return fds_read

    def _guess(self, pid: int, wanted: set[int], live: frozenset[int]) -> int:
        """Reads the fd numbers a new socket can have taken, without listing the fd table (12 ms
        at 10,000 fds): numbers not known to hold a live socket, then past the highest known."""
        links = self._links[pid]
        top = max(links, default=-1)
        below = [fd for fd in range(top + 1) if links.get(fd, 0) not in live]
        fds_read = misses = 0
        for fd in itertools.chain(below, itertools.count(top + 1)):
            if not wanted or (fd > top and misses >= _PAST_THE_END):
                break
            inode = _socket_inode(f"/proc/{pid}/fd/{fd}")
            fds_read += 1
            if inode is None:  # not open
                links.pop(fd, None)
                misses += fd > top
                continue
            links[fd] = inode
            wanted.discard(inode)
            misses = 0
        return fds_read

    def _list(self, pid: int, wanted: set[int], live: frozenset[int]) -> int:
        """Reads every fd of the listing not known to hold a live socket (until none is wanted)."""
        try:
            fds = [int(name) for name in os.listdir(f"/proc/{pid}/fd")]
        except FileNotFoundError:  # exited meanwhile (PermissionError is the caller's to report)
            self._links.pop(pid, None)
            return 0
        before = self._links[pid]
        links = {fd: before[fd] for fd in fds if before.get(fd, 0) in live}
        fds_read = 0
        for fd in fds:
            if fd in links:
                continue
            found = _socket_inode(f"/proc/{pid}/fd/{fd}") if wanted else before.get(fd)
            fds_read += bool(wanted)
            if found is not None:
                links[fd] = found
                wanted.discard(found)
        self._links[pid] = links
        return fds_read


def _socket_inode(path: str) -> int | None:
    """The socket inode an fd link points to (0 for anything but a socket); None if it closed."""
    try:
        link = os.readlink(path)
    except OSError:
        return None
    return int(link[8:-1]) if link.startswith("socket:[") else 0
