"""verdict -> JUnit XML, one testcase per check, so CI systems show each check by name."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harness.analysis.model import Status, Verdict


def junit_xml(run_name: str, verdict: Verdict, duration_s: float) -> str:
    failures = sum(check.status is Status.FAIL for check in verdict.checks)
    skipped = sum(check.status is Status.INCONCLUSIVE for check in verdict.checks)
    suite = ET.Element(
        "testsuite",
        name=f"soak.{run_name}",
        tests=str(len(verdict.checks)),
        failures=str(failures),
        skipped=str(skipped),
        errors="0",
        time=f"{duration_s:.1f}",
    )
    for check in verdict.checks:
        case = ET.SubElement(suite, "testcase", classname=f"soak.{run_name}", name=check.name)
        if check.status is Status.FAIL:
            ET.SubElement(case, "failure", message=check.detail, type="threshold").text = check.detail
        elif check.status is Status.INCONCLUSIVE:
            # Inconclusive is not a pass: shown as skipped with the reason, and the exit code is 3.
            ET.SubElement(case, "skipped", message=f"inconclusive: {check.detail}")
        ET.SubElement(case, "system-out").text = check.detail
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
