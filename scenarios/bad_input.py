"""Bad input for the webhook and the answers the contract gives it (TARGET-CONTRACT §3): malformed
JSON and a body over the 100 kB limit get 500 with the error envelope {"ok": false, "result":
{"error": "<message>"}}; an update of a kind the service does not handle gets 200 and is ignored.
Pure functions: no Locust import."""

from __future__ import annotations

import json
from typing import Any

# Cut off mid-string: every JSON parser refuses it.
MALFORMED_JSON = b'{"update_id": 90000000, "message": {"message_id": 1, "text": "cut off here'
OVERSIZE_BYTES = 128 * 1024  # over the contract's 100 kB body limit, whichever kB the parser means


def oversize_body(chat_id: int) -> bytes:
    """A well-formed update whose body alone is over the limit: only its size is wrong."""
    message = {"message_id": 1, "chat": {"id": chat_id, "type": "private"}, "text": "x" * OVERSIZE_BYTES}
    return json.dumps({"update_id": 90000000, "message": message}).encode()


def unknown_kind_update(update_id: int, chat_id: int) -> dict[str, Any]:
    """A poll: a real Telegram update kind the contract does not handle (answer 200, do nothing)."""
    return {
        "update_id": update_id,
        "poll": {
            "id": f"5{chat_id}",
            "question": "Ship it?",
            "options": [{"text": "yes", "voter_count": 1}, {"text": "no", "voter_count": 0}],
            "total_voter_count": 1,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
        },
    }


def _error_envelope(body: bytes) -> str | None:
    """Why body is not {"ok": false, "result": {"error": "<non-empty string>"}}; None when it is."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return f"a body that is not JSON ({body[:60]!r})"
    if not isinstance(document, dict) or document.get("ok") is not False:
        return 'a body without "ok": false'
    result = document.get("result")
    error = result.get("error") if isinstance(result, dict) else None
    if not isinstance(error, str) or not error.strip():
        return "a body without result.error"
    return None


def answer_problem(kind: str, status: int, body: bytes) -> str | None:
    """How the service's answer to bad input of this kind breaks the contract; None when it does not."""
    if kind == "unknown_kind":
        return None if status == 200 else f"answered {status}, the contract says 200 (ignored)"
    if status != 500:
        return f"answered {status}, the contract says 500 with the error envelope"
    problem = _error_envelope(body)
    return None if problem is None else f"answered 500 with {problem}"
