"""Outcome: a check's finding -> pytest's outcome (pass, fail, skip as "cannot verify" or "not applicable", xfail
under a waiver, a security warning), each test's report redacted before any output sees it, and the outcome
of each contract route from its checks."""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import pytest

from ..checks.contract import Layer
from ..checks.derive import evaluate
from ..checks.finding import Check, Finding, Status
from ..checks.waivers import Verdict, judge
from ..redaction import Redactor
from ..replay import redacted_in_recording
from ..report.model import CANNOT_VERIFY, ERROR, FAILED, NOT_APPLICABLE, NOT_RUN, PASSED, CheckResult
from . import extras
from .collection import check_of

if TYPE_CHECKING:
    from .run import ConformanceRun

FINDING = pytest.StashKey[tuple[Check, Finding]]()
LAYERS = {layer.value for layer in Layer}


class SecurityFinding(UserWarning):
    """A documented state that is also a security exposure; shown, not failed."""


class OptionalAbsent(UserWarning):
    """Something documented as optional (an MLX port whose listening state varies) is absent now."""


class Outcome:
    """verify(check) for the tests, and the hook that hands each test's redacted report to the outputs."""

    def __init__(self, run: ConformanceRun) -> None:
        self.run = run
        self.session = run.session
        self.redact: Redactor = run.redact

    def verify(self, item: pytest.Item, check: Check) -> Finding:
        try:
            finding = evaluate(check, self.session.facts_for(check))
        except Exception as e:  # the host's facts could not even be set up: an error of this check, kept
            finding = Finding(Status.ERROR, check.title, f"{type(e).__name__}: {e}", "the suite")
        if self.session.replay:
            finding = redacted_in_recording(finding)
        item.stash[FINDING] = (check, finding)
        if finding.status is Status.ERROR:
            pytest.fail(self.redact(f"{check.id}: {finding.message}"), pytrace=False)
        outcome = judge(check.id, finding, self.session.waivers.get(check.id), self.session.as_of)
        message = self.redact(outcome.message)
        if outcome.verdict is Verdict.FAIL:
            pytest.fail(message, pytrace=False)
        if outcome.verdict is Verdict.NOT_APPLICABLE:
            warnings.warn(OptionalAbsent(message))
            pytest.skip(message)
        if outcome.verdict is Verdict.NOT_RUN:  # not opted in, or unproven at this site: a skip naming why
            pytest.skip(message)
        if outcome.verdict is Verdict.CANNOT_VERIFY:
            if self.run.require_verified:
                pytest.fail(f"{message} (--require-verified)", pytrace=False)
            pytest.skip(message)
        if outcome.verdict is Verdict.WAIVED:
            pytest.xfail(message)
        if check.id in self.session.waivers:
            warnings.warn(UserWarning(message))
        if finding.note:
            warnings.warn(SecurityFinding(self.redact(f"{check.id}: {finding.note}")))
        return finding

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call):
        """The report, redacted; a check's verdict (its call, or the error that kept it from one) or an owner's
        test's outcome to the results and the report's extras."""
        report = yield
        redact_report(report, self.redact)
        check = check_of(item)
        if check is None:
            if report.when == "call" or (report.when == "setup" and not report.passed):
                self.run.results.add_own_test(item.nodeid, report)
                sent = [r for r in self.session.records() if getattr(r, "test", None) == item.nodeid]
                extras.attach_commands(report, sent, self.redact)
        elif report.when == "call" or (report.failed and FINDING not in item.stash):
            judged = item.stash.get(FINDING, None) or self._error_before_verify(check, report)
            if judged is not None:
                check, finding = judged
                extras.attach_evidence(report, check, finding, self.redact)
                self.run.results.add_check(item.nodeid, check, finding)
        return report

    def _error_before_verify(self, check: Check, report) -> tuple[Check, Finding] | None:
        """A check whose test failed before it was verified (a setup error): still listed, as an error (once)."""
        if self.run.results.has(check.id):
            return None
        reason = (str(report.longrepr).strip().splitlines() or ["error"])[-1]
        return check, Finding(Status.ERROR, check.title, reason, "the test")


def redact_report(report, redact: Redactor) -> None:
    """The report feeds the terminal, junit.xml and report.html: redact what they will show."""
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:  # a skip: (path, line, message)
        path, line, message = report.longrepr
        report.longrepr = (path, line, redact(str(message)))
    elif report.longrepr is not None:
        report.longrepr = redact(str(report.longrepr))
    if hasattr(report, "wasxfail"):
        report.wasxfail = redact(report.wasxfail)
    report.sections = [(name, redact(content)) for name, content in report.sections]


def route_outcome(backend: str, route: str, checks: list[CheckResult]) -> tuple[str, str]:
    """A contract route's outcome from its checks (`<backend>::contract:<route>:...`), worst first, and the layer
    its first failure names ("" when none does)."""
    prefix = f"{backend}::contract:{route}:"
    mine = [c for c in checks if c.id.startswith(prefix)]
    states = {c.status for c in mine}
    outcome = next((s for s in (ERROR, FAILED, CANNOT_VERIFY, NOT_APPLICABLE) if s in states),
                   PASSED if mine else NOT_RUN)
    layer = next((str(c.found).split(":", 1)[0] for c in mine
                  if c.status == FAILED and str(c.found).split(":", 1)[0] in LAYERS), "")
    return outcome, layer
