"""The terminal: the header (the site, a replay, redaction switched off) and the summary lines after the run
(round trips per host, checks that could not be verified or raised, the contract's latency, the report)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..redaction import DISABLE_SWITCH
from ..report.model import CANNOT_VERIFY, ERROR, OPT_IN, UNPROVEN, Contract
from ..report.summary import round_trips_said

if TYPE_CHECKING:
    from .run import ConformanceRun


class TerminalSummary:
    def __init__(self, run: ConformanceRun) -> None:
        self.run = run
        self.session = run.session

    def pytest_report_header(self) -> list[str]:
        lines = [f"conformance: site {self.session.site.name}, local host {self.session.local_host}"]
        if self.session.replay:
            lines.append(f"conformance: REPLAY of run {self.session.replay.recording.run} "
                         f"({self.session.replay.source}): every answer comes from its recording, no host is contacted")
        if not self.run.redact.enabled:
            lines.append(f"conformance: REDACTION DISABLED by {DISABLE_SWITCH} (self-test only)")
        return lines

    def pytest_terminal_summary(self, terminalreporter) -> None:
        results = self.run.results
        stats = self.session.host_stats()
        if stats:
            per_host = "; ".join(round_trips_said(h, s) for h, s in stats.items())
            terminalreporter.write_line(f"conformance: site {self.session.site.name}; sent: {per_host}")
        unverifiable = [c for c in results.checks if c.status == CANNOT_VERIFY]
        if unverifiable:
            how = "failed (--require-verified)" if self.run.require_verified else "skipped"
            terminalreporter.write_line(f"conformance: {len(unverifiable)} check(s) could not be verified ({how})")
        for status, said in ((UNPROVEN, "unproven at this site"), (OPT_IN, "not run: opt-in")):
            named = [c.id for c in results.checks if c.status == status]
            if named:  # listed by name: a fact the run could not stand behind is never silently green
                terminalreporter.write_line(f"conformance: {len(named)} check(s) {said}: {', '.join(named)}")
        errors = [c for c in results.checks if c.status == ERROR]
        if errors:
            terminalreporter.write_line(f"conformance: {len(errors)} check(s) raised an error: "
                                        + ", ".join(c.id for c in errors))
        for line in latency_lines(results.contract) if results.contract else []:
            terminalreporter.write_line(line)
        if results.run_dir:
            terminalreporter.write_line(f"conformance: report {results.run_dir / 'report.html'}")


def latency_lines(contract: Contract) -> list[str]:
    """The terminal's latency lines: per route, directly -> through LiteLLM, a stream's TTFT and that same
    stream's total, then a non-streamed chat's total; the overhead is on the chat."""
    lines = [f"contract: {len(contract.routes)} route(s) in {contract.wall_seconds:.2f} s (concurrently); "
             "per route, direct -> through LiteLLM: a stream's TTFT / its total, and a chat's total "
             "(non-streamed); overhead on the chat"]
    for r in contract.routes:
        d, p = r.direct, r.proxy
        lines.append(f"  {r.route:<18} {_ms(d.ttft_seconds)} / {_ms(d.stream_seconds)}, "
                     f"{_ms(d.chat_seconds)} -> {_ms(p.ttft_seconds)} / {_ms(p.stream_seconds)}, "
                     f"{_ms(p.chat_seconds)}  overhead {_ms(r.overhead_seconds)}")
    return lines


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"
