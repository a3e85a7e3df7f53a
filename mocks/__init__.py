"""Mock upstreams of the service under test: Telegram Bot API and cursor-runner, on loopback."""
