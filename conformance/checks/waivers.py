"""Waivers: a known failure is shown as expected until its waiver expires; then it fails again."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from ..inventory.schema import Waiver
from .finding import Finding, Status


class Verdict(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    WAIVED = "waived"  # failing, and accepted until the waiver expires
    CANNOT_VERIFY = "cannot verify"
    NOT_APPLICABLE = "not applicable"  # documented optional and absent: a skip with a warning, even for nightly runs
    NOT_RUN = "not run"  # not opted in, or unproven at this site: a skip that names why, never a pass


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    message: str


def judge(check_id: str, finding: Finding, waiver: Waiver | None, today: date) -> Outcome:
    if finding.status is Status.CANNOT_VERIFY:
        return Outcome(Verdict.CANNOT_VERIFY, f"{check_id}: {finding.message}")
    if finding.status is Status.NOT_APPLICABLE:
        return Outcome(Verdict.NOT_APPLICABLE, f"{check_id}: {finding.message}")
    if finding.status in (Status.OPT_IN, Status.UNPROVEN):
        return Outcome(Verdict.NOT_RUN, f"{check_id}: {finding.message}")
    if finding.status is Status.PASSED:
        note = f" (waiver until {waiver.expires} is no longer needed)" if waiver else ""
        return Outcome(Verdict.PASS, f"{check_id}: passed{note}")
    if waiver is None:
        return Outcome(Verdict.FAIL, f"{check_id}: {finding.message}")
    if today > waiver.expires:
        return Outcome(Verdict.FAIL, f"{check_id}: waiver expired on {waiver.expires} ({waiver.reason}); {finding.message}")
    return Outcome(Verdict.WAIVED, f"{check_id}: waived until {waiver.expires} ({waiver.reason}); {finding.message}")
