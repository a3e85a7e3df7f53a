"""Report lines about interception: the mode, the proxy caveat, refused egress."""

from harness.documents.events import Event, event_of
from harness.documents.run_info import InterceptionRecord
from harness.interception.modes import PROXY_POOLING_NOTE
from harness.interception.notes import interception_notes


def _typed(records: list[dict[str, object]]) -> list[Event]:
    return [event_of(record, "test") for record in records]


def test_preload_run_without_refusals_says_only_the_mode() -> None:
    events = [{"event": "phase", "phase": "load"}, {"event": "preload_active", "pid": 7}]
    assert interception_notes(InterceptionRecord(mode="node-preload"), _typed(events)) == [
        "upstream interception: node-preload"
    ]


def test_proxy_caveat_and_refusals_are_reported() -> None:
    events = [
        {"event": "egress_refused", "host": "example.com", "port": 443},
        {"event": "egress_refused", "host": "example.com", "port": 443},
        {"event": "egress_refused", "host": "10.0.0.1", "port": 80},
    ]
    notes = interception_notes(InterceptionRecord(mode="proxy", note=PROXY_POOLING_NOTE), _typed(events))
    assert notes[:2] == ["upstream interception: proxy", PROXY_POOLING_NOTE]
    assert notes[2] == (
        "egress guard refused 3 connection(s) off the machine: example.com:443 ×2, 10.0.0.1:80 ×1 (events.jsonl)"
    )


def test_a_run_from_before_interception_gets_no_lines() -> None:
    assert interception_notes(None, []) == []


def test_a_target_that_could_not_load_the_guard_is_said_to_be_unguarded() -> None:
    unguarded = interception_notes(InterceptionRecord(mode="base-url", preload_pids=[]), [])
    assert unguarded[1].startswith("egress guard: none; the target did not load the Node preload")
    assert "base-url mode" in unguarded[1]
    guarded = interception_notes(InterceptionRecord(mode="base-url", preload_pids=[7]), [])
    assert guarded == ["upstream interception: base-url"]
