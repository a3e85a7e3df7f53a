"""A fresh test CA per run and one leaf certificate per redirected hostname, written as PEM files.

Private keys are created 0600 in a 0700 directory inside the run's temporary directory, so
they go away with it; nothing here is ever trusted outside the processes a run starts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import trustme

LOOPBACK_SAN = "127.0.0.1"


@dataclass(frozen=True)
class LeafFiles:
    """A leaf certificate chain and its key, for one hostname (plus a 127.0.0.1 SAN)."""

    hostname: str
    cert_file: Path
    key_file: Path


@dataclass(frozen=True)
class RunTls:
    ca_cert_file: Path
    ca_key_file: Path
    leaves: dict[str, LeafFiles]

    def leaf(self, hostname: str) -> LeafFiles:
        return self.leaves[hostname]


def _write_private(path: Path, data: bytes) -> None:
    """Create with 0600 from the start (never chmod after the fact: a reader could race it)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def build_run_tls(directory: Path, hostnames: list[str]) -> RunTls:
    """Make a CA and a leaf per hostname under directory (created 0700; must not exist yet)."""
    directory.mkdir(mode=0o700)
    ca = trustme.CA(organization_name="soak per-run test CA")
    ca_cert_file = directory / "ca.pem"
    ca_cert_file.write_bytes(ca.cert_pem.bytes())
    ca_key_file = directory / "ca.key"
    _write_private(ca_key_file, ca.private_key_pem.bytes())
    leaves: dict[str, LeafFiles] = {}
    for hostname in sorted(set(hostnames)):
        # The IP SAN lets base-url mode call https://127.0.0.1:<port> with verification on.
        leaf = ca.issue_cert(hostname, LOOPBACK_SAN, common_name=hostname)
        cert_file = directory / f"{hostname}.pem"
        cert_file.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        key_file = directory / f"{hostname}.key"
        _write_private(key_file, leaf.private_key_pem.bytes())
        leaves[hostname] = LeafFiles(hostname=hostname, cert_file=cert_file, key_file=key_file)
    return RunTls(ca_cert_file=ca_cert_file, ca_key_file=ca_key_file, leaves=leaves)
