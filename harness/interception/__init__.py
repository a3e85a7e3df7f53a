"""Redirecting the target's hard-coded upstream hostnames to the mocks, with a per-run test CA.

The runner builds the CA (`build_run_tls`), gives each mock its leaf, then `activate`s the
profile's mode to get the target's environment, Node flags and, in proxy mode, a proxy process.
"""

from harness.interception.ca import LeafFiles, RunTls, build_run_tls
from harness.interception.modes import (
    PRELOAD_JS,
    InterceptionMode,
    Redirect,
    TargetInterception,
    activate,
    parse_redirects,
)
from harness.interception.plan import InterceptionPlan, epoch_of_monotonic

__all__ = [
    "PRELOAD_JS",
    "InterceptionMode",
    "InterceptionPlan",
    "LeafFiles",
    "Redirect",
    "RunTls",
    "TargetInterception",
    "activate",
    "build_run_tls",
    "epoch_of_monotonic",
    "parse_redirects",
]
