"""The results writer: the run directory, its results.json (report/model.py's Run, the one results model the
report reads back), commands.json, the recording a later --replay judges again, report.html, and `latest`."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ..checks.contract import latency_summary
from ..checks.finding import Check, Finding
from ..replay import Recorder, Recording, write as write_recording
from ..report import new_run_dir, point_latest, write_json
from ..report.model import (UNFINISHED, CheckResult, Contract, NotModelled, OwnTest, RecordingCost, ReplayOf,
                            RouteLatency, Run, Timing, Waiver, check_state, results_json)
from ..report.render import write_report
from ..report.topology import topology_of
from .options import inventory_name
from .outcome import route_outcome

if TYPE_CHECKING:
    from .run import ConformanceRun


class ResultsWriter:
    """Keeps each check's result and each owner's test's outcome as the run goes, and writes them at its end."""

    def __init__(self, run: ConformanceRun) -> None:
        self.run = run
        self.config = run.config
        self.session = run.session
        self.redact = run.redact
        self.started = datetime.now(timezone.utc)
        self.checks: list[CheckResult] = []
        self.tests: list[OwnTest] = []  # the owner's own tests (testinfra's idiom), not checks
        self.exit_status: int | None = None
        self.stopped_early = ""  # why pytest stopped before the end (-x, --maxfail), if it did
        self.run_dir: Path | None = None
        self.contract: Contract | None = None  # the contract's routes, once the run is over (if it called them)
        config = self.config
        if not config.getoption("--no-report") and not config.option.collectonly and not config.getoption("--dry-run"):
            self.run_dir = new_run_dir(Path(config.getoption("--report-dir") or Path(config.rootpath) / "reports"))
            if config.getoption("--run-dir-file"):
                Path(config.getoption("--run-dir-file")).write_text(f"{self.run_dir.resolve()}\n", encoding="utf-8")

    # --- as the run goes ---------------------------------------------------------------------
    def has(self, check_id: str) -> bool:
        return any(c.id == check_id for c in self.checks)

    def add_check(self, test: str, check: Check, finding: Finding) -> None:
        waiver = self.session.waivers.get(check.id)
        waiver = Waiver(waiver.reason, waiver.expires.isoformat()) if waiver else None
        status = finding.status.value
        self.checks.append(CheckResult(
            id=check.id, host=check.host, kind=check.kind, title=check.title, source=check.source,
            impact=check.impact.value, status=status, expected=finding.expected, found=finding.found,
            missing=tuple(finding.missing), extra=tuple(finding.extra), evidence_source=finding.source,
            note=finding.note, test=test, waiver=waiver, evidence=tuple(r.render(self.redact) for r in finding.evidence),
            state=check_state(status, waiver, self.session.as_of)))

    def add_own_test(self, test: str, report) -> None:
        """A test of the owner's own: its outcome, and the last line of what it said."""
        message = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr or "")
        lines = [line for line in message.strip().splitlines() if line.strip()]
        self.tests.append(OwnTest(test, report.outcome, lines[-1] if lines else ""))

    def _contract(self) -> Contract | None:
        """Per route of the contract (when it ran): latency both ways, and the outcome of its checks."""
        if not self.session.contract_gathered:
            return None
        return contract_of(latency_summary(self.session.contract()), self.checks)

    # --- the end -----------------------------------------------------------------------------
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus) -> None:
        self.exit_status = int(exitstatus)
        # -x / --maxfail: exit status 1 like a drift, but the checks after the stop were never run
        stop = session.shouldfail or session.shouldstop
        self.stopped_early = str(stop) if stop else ""
        self.contract = self._contract()
        if self.run_dir is None:
            return
        # commands.json first: results.json (each written whole) is what makes the directory a complete run
        write_json(self.run_dir / "commands.json", [r.shown(self.redact) for r in self.session.records()])
        recording = None
        if not self.config.getoption("--no-record"):
            started = time.monotonic()
            path = write_recording(self.run_dir, self._recording(self.exit_status))
            # what keeping it costs, for `make demo` and the replay proof to print (never asserted)
            recording = RecordingCost(path.stat().st_size, round(time.monotonic() - started, 4))
        write_json(self.run_dir / "results.json", self.redact.data(results_json(self._run(recording))))
        write_report(self.run_dir, redact=self.redact)  # from the redacted JSON only, the previous run's too

    def _run(self, recording: RecordingCost | None) -> Run:
        replay = self.session.replay
        return Run(
            path=self.run_dir, site=self.session.site.name, site_id=self.session.site.id, exit_status=self.exit_status,
            replay=ReplayOf(replay.recording.run, replay.recording.started, replay.option("exit_status"))
            if replay else None,
            recording=recording, stopped_early=self.stopped_early, require_verified=self.run.require_verified,
            markers=self.config.getoption("markexpr") or "", inventory=inventory_name(self.config),
            started=self.started, finished=datetime.now(timezone.utc),
            hosts=self.session.host_stats(), checks=tuple(self.checks), tests=tuple(self.tests), contract=self.contract,
            topology=topology_of(self.session.inventory, self.session.site),
            not_modelled=tuple(NotModelled(m.what, m.reason, m.source, m.where or "")
                               for m in self.session.inventory.not_modelled))

    def _recording(self, exit_status: int) -> Recording:
        """What a later --replay needs, through this run's Redactor (conformance/replay/recording.py)."""
        recorder = Recorder(self.redact)
        session = self.session
        key_env = session.inventory.litellm.master_key.key_env if session.inventory.litellm else None
        recording = Recording(
            run=self.run_dir.name, started=self.started.isoformat(timespec="seconds"),
            options={"markers": self.config.getoption("markexpr") or "", "local_host": session.local_host,
                     "require_verified": self.run.require_verified, "exit_status": exit_status,
                     "master_key_given": bool(key_env and session.contract_environ().get(key_env)),
                     "keys_given": [name for name in session.key_envs() if session.contract_environ().get(name)]},
            inputs={name: recorder.input(Path(path)) for name, path in session.inputs.items()},
            hosts={host: {"user": runner.user, "round_trips": [recorder.round_trip(t) for t in runner.round_trips]}
                   for host, runner in session.runners.items()},
            http=[kept for kept in map(recorder.http, session.http.exchanges) if kept is not None])
        recording.not_kept = recorder.not_kept
        return recording

    def finish(self) -> None:
        # `latest` moves only to a run that finished (the lab matched or drifted), never an interrupted or crashed one
        finished = self.exit_status is not None and self.exit_status not in UNFINISHED and not self.stopped_early
        # nor to a replay: `latest` is the lab's last night, not a judgement of an old one
        if self.run_dir and finished and not self.session.replay and (self.run_dir / "report.html").exists():
            point_latest(self.run_dir)


def contract_of(summary: dict, checks: list[CheckResult] = ()) -> Contract:
    """conformance/checks/contract.py's latency_summary as the model, each route's outcome from its checks."""
    routes = []
    for r in summary["routes"]:
        outcome, layer = route_outcome(r["backend"], r["route"], list(checks))
        routes.append(_known(RouteLatency, r, direct=_known(Timing, r["direct"]), proxy=_known(Timing, r["proxy"]),
                             outcome=outcome, layer=layer))
    return Contract(proxy=summary["proxy"], wall_seconds=summary["wall_seconds"], routes=tuple(routes))


def _known(cls, raw: dict, **given):
    """A latency record of conformance/checks/contract.py's latency_summary as the model's `cls`, with `given`
    fields; a key the model does not name is not written (selftest/unit/test_plugin_results.py fails on one)."""
    return cls(**{k: v for k, v in raw.items() if k in cls.__dataclass_fields__ and k not in given}, **given)
