"""What pytest's own outputs get from a run: pytest-html's page and junit.xml written into the run directory,
the page's metadata (site, inventory, baseline, a replay, redaction switched off), and each test's evidence
(the check's finding and the commands behind it, the commands an owner's test sent; redacted)."""
from __future__ import annotations

from pathlib import Path

import pytest

from ..checks.finding import Check, Finding
from ..redaction import DISABLE_SWITCH, Redactor
from ..session import SuiteSession
from .options import inventory_name


def into_run_dir(config: pytest.Config, run_dir: Path, session: SuiteSession) -> None:
    """pytest-html's page and junit.xml beside the suite's own files. report.html is the suite's own page, rendered
    from the run's JSON (conformance/report/); pytest-html's stays beside it for those who know it."""
    config.option.htmlpath = str(run_dir / "pytest-report.html")
    config.option.self_contained_html = True
    config.option.xmlpath = str(run_dir / "junit.xml")
    from pytest_metadata.plugin import metadata_key
    metadata = config.stash[metadata_key]
    metadata["Site"] = session.site.name
    metadata["Inventory"] = inventory_name(config)
    if session.baseline:
        metadata["Baseline"] = f"site {session.baseline.site}, recorded {session.baseline.recorded:%Y-%m-%d}"
    if not session.redactor.enabled:
        metadata["REDACTION"] = f"DISABLED by {DISABLE_SWITCH} (self-test only): this report may hold secrets"
    if session.replay:
        metadata["Replay of"] = f"run {session.replay.recording.run} (no host was contacted)"


def attach_evidence(report, check: Check, finding: Finding, redact: Redactor) -> None:
    """junit.xml's properties (check id, source) and pytest-html's "evidence": the finding and its commands."""
    report.user_properties += [("check_id", check.id), ("source", redact(finding.source))]
    evidence = "\n\n".join(r.render(redact) for r in finding.evidence) or "(no command: the fact came from a file already read)"
    summary = (f"check: {check.id}  [{check.source}, impact {check.impact}]\n{check.title}\n"
               f"status: {finding.status.value}\nexpected: {finding.expected}\nfound: {finding.found}\n"
               f"source: {finding.source}" + (f"\nnote: {finding.note}" if finding.note else ""))
    _attach(report, redact(summary + "\n\n" + evidence), "evidence")


def attach_commands(report, sent: list, redact: Redactor) -> None:
    """pytest-html's "commands" of an owner's own test: what it sent, through the runner."""
    if sent:
        _attach(report, redact("\n\n".join(r.render(redact) for r in sent)), "commands")


def _attach(report, text: str, name: str) -> None:
    try:
        from pytest_html import extras
    except ImportError:
        return
    report.extras = getattr(report, "extras", []) + [extras.text(text, name=name)]


def pytest_html_report_title(report) -> None:
    report.title = "LLM-lab conformance"
