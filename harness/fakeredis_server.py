"""Entry point for the fallback Redis: fakeredis's TCP server on a given loopback port."""

from __future__ import annotations

import argparse

from fakeredis import TcpFakeServer


def main() -> None:
    parser = argparse.ArgumentParser(description="fakeredis TCP server on 127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server = TcpFakeServer(("127.0.0.1", args.port), server_type="redis")
    server.serve_forever()


if __name__ == "__main__":
    main()
