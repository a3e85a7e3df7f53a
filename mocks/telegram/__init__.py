"""Mock of the Telegram Bot API."""
