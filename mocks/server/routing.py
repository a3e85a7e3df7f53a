"""Routes by method and path: exact paths from a dict, patterns ({name} or {name:regex}) in order."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from mocks.server.message import Request, Response

Handler = Callable[[Request], Response | Awaitable[Response]]
_PLACEHOLDER = re.compile(r"\{(\w+)(?::([^{}]+))?\}")


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    handler: Handler
    # Accounted routes are the upstream's API (counted, timed, faulted); admin routes are not.
    accounted: bool = True


def compile_pattern(pattern: str) -> re.Pattern[str]:
    out, last = [], 0
    for match in _PLACEHOLDER.finditer(pattern):
        out.append(re.escape(pattern[last : match.start()]))
        out.append(f"(?P<{match.group(1)}>{match.group(2) or '[^/]+'})")
        last = match.end()
    out.append(re.escape(pattern[last:]))
    return re.compile("".join(out) + r"\Z")


class Router:
    def __init__(self) -> None:
        self._exact: dict[tuple[str, str], Route] = {}
        self._patterns: list[tuple[str, re.Pattern[str], Route]] = []

    def add(self, method: str, pattern: str, route: Route) -> None:
        """method "*" matches any; a path that matches with another method falls through to later routes."""
        if "{" in pattern:
            self._patterns.append((method, compile_pattern(pattern), route))
        else:
            self._exact[(method, pattern)] = route

    def resolve(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        exact = self._exact.get((method, path)) or self._exact.get(("*", path))
        if exact is not None:
            return exact, {}
        for wanted, regex, route in self._patterns:
            if wanted not in ("*", method):
                continue
            match = regex.match(path)
            if match is not None:
                return route, match.groupdict()
        return None
