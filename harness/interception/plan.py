"""The runner's view of interception: certificates before the mocks start, the target's side after.

plan = InterceptionPlan.prepare(spec.interception, tmp_dir)    # CA + leaves in tmp_dir/tls
MocksConfig.for_run(..., tls=plan.mock_tls)                  # each mock serves its leaf
target_side = plan.activate(mocks.urls, run_dir, events_file, t0_epoch)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from harness.config import InterceptionSection
from harness.documents.events import PreloadActiveEvent, read_events
from harness.interception.ca import RunTls, build_run_tls
from harness.interception.modes import InterceptionMode, Redirect, TargetInterception, activate, parse_redirects
from harness.procs import HarnessError
from harness.rundir import RunFileError
from mocks.config import TlsFiles


def epoch_of_monotonic(t0_monotonic: float) -> float:
    """Wall-clock time of a monotonic instant, so other processes can stamp t_s like the harness."""
    return time.time() - (time.monotonic() - t0_monotonic)


@dataclass(frozen=True)
class InterceptionPlan:
    section: InterceptionSection
    redirects: list[Redirect]
    tls: RunTls

    @classmethod
    def prepare(cls, section: InterceptionSection, tmp_dir: Path) -> InterceptionPlan:
        redirects = parse_redirects({str(mock): host for mock, host in section.hosts.items()})
        tls = build_run_tls(tmp_dir / "tls", [redirect.host for redirect in redirects])
        return cls(section=section, redirects=redirects, tls=tls)

    @property
    def mode(self) -> InterceptionMode:
        return InterceptionMode(self.section.mode)

    @property
    def mock_tls(self) -> dict[str, TlsFiles]:
        """Leaf files by mock name, for the mocks' TLS listeners."""
        files = {}
        for redirect in self.redirects:
            leaf = self.tls.leaf(redirect.host)
            files[redirect.mock] = TlsFiles(cert_file=str(leaf.cert_file), key_file=str(leaf.key_file))
        return files

    def activate(
        self, mock_urls: dict[str, str], run_dir: Path, events_file: Path, t0_epoch: float
    ) -> TargetInterception:
        return activate(
            self.mode,
            self.redirects,
            base_url_env={str(mock): name for mock, name in self.section.base_url_env.items()},
            mock_urls=mock_urls,
            tls=self.tls,
            run_dir=run_dir,
            events_file=events_file,
            t0_epoch=t0_epoch,
        )

    def confirm_loaded(self, run_dir: Path) -> list[int]:
        """Pids that loaded the preload, the egress guard of every mode. In node-preload mode it is
        also the redirection, so a target that dropped NODE_OPTIONS must not run at all; in the other
        modes a target that is not Node runs unguarded, and the report says so."""
        try:
            events = read_events(run_dir)
        except RunFileError as exc:
            raise HarnessError(f"interception: {exc}") from None
        pids = sorted({e.pid for e in events if isinstance(e, PreloadActiveEvent) and e.pid is not None})
        if not pids and self.mode is InterceptionMode.NODE_PRELOAD:
            raise HarnessError(
                "interception: the target never loaded the node-preload (not a Node process, or its start "
                'script replaced NODE_OPTIONS); fix that or set [interception] mode = "proxy" or "base-url"'
            )
        return pids
