"""The correlation file stays bounded however long the run: records past the cap are counted."""

from pathlib import Path

from mocks.common.recorder import CorrelationLog


def test_records_past_the_cap_are_counted_not_written(tmp_path: Path) -> None:
    log = CorrelationLog(tmp_path / "calls.jsonl", max_records=5)
    for index in range(8):
        log.add({"i": index})
    log.flush()
    lines = (tmp_path / "calls.jsonl").read_text().splitlines()
    assert lines == [f'{{"i":{index}}}' for index in range(5)]
    assert (log.written, log.dropped) == (5, 3)
