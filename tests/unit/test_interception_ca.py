"""The per-run CA: private files, a leaf per hostname that chains to this run's CA only."""

from __future__ import annotations

import contextlib
import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509

from harness.interception import build_run_tls


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keys_are_owner_only_and_leaves_name_their_host(tmp_path: Path) -> None:
    tls = build_run_tls(tmp_path / "tls", ["api.telegram.org", "api.elevenlabs.io"])
    assert _mode(tmp_path / "tls") == 0o700
    assert _mode(tls.ca_key_file) == 0o600
    assert sorted(tls.leaves) == ["api.elevenlabs.io", "api.telegram.org"]
    for hostname, leaf in tls.leaves.items():
        assert _mode(leaf.key_file) == 0o600
        cert = x509.load_pem_x509_certificate(leaf.cert_file.read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert names.get_values_for_type(x509.DNSName) == [hostname]
        assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def test_each_run_gets_its_own_ca(tmp_path: Path) -> None:
    first = build_run_tls(tmp_path / "a", ["api.telegram.org"])
    second = build_run_tls(tmp_path / "b", ["api.telegram.org"])
    assert first.ca_cert_file.read_bytes() != second.ca_cert_file.read_bytes()
    # A leaf of one run must not verify under the other run's CA.
    context = ssl.create_default_context(cafile=str(second.ca_cert_file))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf = first.leaf("api.telegram.org")
    server.load_cert_chain(leaf.cert_file, leaf.key_file)
    client_in, client_out, server_in, server_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    client = context.wrap_bio(client_in, client_out, server_hostname="api.telegram.org")
    peer = server.wrap_bio(server_in, server_out, server_side=True)
    with pytest.raises(ssl.SSLCertVerificationError):
        for _ in range(10):
            for side in (client, peer):
                with contextlib.suppress(ssl.SSLWantReadError):
                    side.do_handshake()
            server_in.write(client_out.read())
            client_in.write(server_out.read())


def test_refuses_to_reuse_a_directory(tmp_path: Path) -> None:
    build_run_tls(tmp_path / "tls", ["api.telegram.org"])
    with pytest.raises(FileExistsError):
        build_run_tls(tmp_path / "tls", ["api.telegram.org"])
