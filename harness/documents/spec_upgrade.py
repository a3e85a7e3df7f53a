"""Older run.json specs brought to the current profile models before they are checked: a run
recorded by an earlier soak stays re-judgeable (`soak report`, `soak compare`)."""

from __future__ import annotations

from typing import Any

# Before the mocks' settings took units (fault windows as start/end, "20 ms"), their keys said the unit.
_FAULT_KEYS = {
    "start_s": "start",
    "end_s": "end",
    "retry_after_s": "retry_after",
    "dribble_bytes_per_s": "dribble_rate",
}
_LATENCY_KEYS = {"fixed_s": "fixed", "low_s": "low", "high_s": "high", "median_s": "median", "cap_s": "cap"}


def _renamed(record: Any, names: dict[str, str]) -> Any:
    if not isinstance(record, dict):
        return record
    return {names.get(key, key): value for key, value in record.items()}


def _fault(fault: Any) -> Any:
    fault = _renamed(fault, _FAULT_KEYS)
    if isinstance(fault, dict) and "latency" in fault:
        fault["latency"] = _renamed(fault["latency"], _LATENCY_KEYS)
    return fault


def upgraded_spec(spec: Any) -> Any:
    """The spec with every older key renamed; anything else is left for the model to judge."""
    if not isinstance(spec, dict) or not isinstance(spec.get("mocks"), dict):
        return spec
    mocks = dict(spec["mocks"])
    for name, stored in mocks.items():
        if not isinstance(stored, dict):
            continue
        section = dict(stored)
        if isinstance(section.get("faults"), list):
            section["faults"] = [_fault(fault) for fault in section["faults"]]
        if "latency_distribution" in section:
            section["latency_distribution"] = _renamed(section["latency_distribution"], _LATENCY_KEYS)
        mocks[name] = section
    return {**spec, "mocks": mocks}
