"""The nightly job, for real in mini: installed as the owner's user units, started by systemd; a report appears,
`latest` moves and the index lists it; a planted fault is new in the next report and the service ends failed;
reverted, the next report says fixed."""
from __future__ import annotations

import json

from lab import topology as topo
from lab.faults import CATALOG, plant, revert
from selftest.twin.conftest import ROOT

SERVICE = "llm-lab-conformance.service"
TWIN_ARGS = "--site=lab/site-twin.yaml --baseline=lab/baseline-twin.yaml --command-timeout=5"


def _owner(twin, command: str, check: bool = True):
    return twin.exec_in("mini", ["sh", "-c", f"cd {topo.CHECKOUT_IN_TWIN} && {command}"], user=topo.OWNER, check=check)


def _night(twin) -> tuple[int, dict, str]:
    """Start the service as systemd would at night; its exit, the new run's results and report."""
    before = (ROOT / "reports" / "latest").resolve()
    started = _owner(twin, f"systemctl --user start {SERVICE}", check=False)
    after = (ROOT / "reports" / "latest").resolve()
    assert after != before, f"the nightly run left no new run directory: {started.stderr}"
    return started.returncode, json.loads((after / "results.json").read_text()), (after / "report.html").read_text()


def test_the_nightly_job_runs_reports_and_fails_on_drift(twin):
    twin.prepare_reports()
    _owner(twin, f'.venv/bin/python -m conformance.deploy install --args "{TWIN_ARGS}"')
    try:
        timer = _owner(twin, "systemctl --user is-enabled llm-lab-conformance.timer").stdout.strip()
        assert timer == "enabled"
        status, results, _ = _night(twin)
        assert status == 0 and results["require_verified"] and results["exit_status"] == 0
        assert "local or studio or dietpi" == results["markers"]
        index = (ROOT / "reports" / "index.html").read_text()
        assert (ROOT / "reports" / "latest").resolve().name in index

        fault = next(f for f in CATALOG if f.id == "litellm-restart-sec")
        plant(twin, [fault])
        try:
            status, results, report = _night(twin)
        finally:
            revert(twin, [fault])
        assert status != 0  # systemctl start of a oneshot that failed
        failed = _owner(twin, f"systemctl --user is-failed {SERVICE}", check=False).stdout.strip()
        assert failed == "failed"  # `systemctl --user --failed` shows the drift
        assert {c["id"] for c in results["checks"] if c["status"] == "failed"} == {"litellm-orch::restart-sec"}
        assert "1 new since the previous run" in report and "litellm-orch::restart-sec" in report

        status, _, report = _night(twin)
        assert status == 0 and "fixed since the previous run" in report
    finally:
        _owner(twin, ".venv/bin/python -m conformance.deploy remove", check=False)
