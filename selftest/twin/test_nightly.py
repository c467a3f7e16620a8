"""The nightly job, for real in mini: installed as the owner's user units, started by systemd; a report appears,
`latest` moves and the index lists it; a planted fault is new in the next report and the service ends failed;
reverted, the next report says fixed. The Home Assistant stand-in on dietpi is the webhook: configured with a
canary webhook id, it gets exactly one notification for the fault (naming its check as new, holding no secret
and not the id) and one for the recovery; no artifact of the run and not the service's journal holds the id.
A run that hangs past the service's TimeoutStartSec= (cut to 20 s by a drop-in, a backend hanging) is stopped
by systemd, and its ExecStopPost= still sends exactly one notification: crashed, saying so.
"""
from __future__ import annotations

from selftest.artifacts import run_files

import json
import secrets
import time
from contextlib import contextmanager

from lab import topology as topo
from lab.faults import CATALOG, CONTRACT_CATALOG, plant, revert
from lab.standins.home_assistant import DEFAULT_WEBHOOK_RECORD
from selftest.twin.conftest import ROOT

SERVICE = "llm-lab-conformance.service"
TWIN_ARGS = "--site=lab/site-twin.yaml --baseline=lab/baseline-twin.yaml --command-timeout=5"
WEBHOOK_FILE = f"{topo.OWNER_HOME}/.config/llm-lab-conformance/webhook-url"
DROP_IN = f"{topo.OWNER_HOME}/.config/systemd/user/{SERVICE}.d/twin-timeout.conf"
TWIN_TIMEOUT = 20  # seconds: the service's bound in the timeout proof (1 h in deploy/)
PAYLOAD_KEYS = {"suite", "reasons", "site", "run", "verdict", "exit_status", "new_failures", "fixed", "previous_run",
                "report"}


def _owner(twin, command: str, check: bool = True):
    return twin.exec_in("mini", ["sh", "-c", f"cd {topo.CHECKOUT_IN_TWIN} && {command}"], user=topo.OWNER, check=check)


def _night(twin) -> tuple[int, dict, str]:
    """Start the service as systemd would at night; its exit, the new run's results and report."""
    before = (ROOT / "reports" / "latest").resolve()
    started = _owner(twin, f"systemctl --user start {SERVICE}", check=False)
    after = (ROOT / "reports" / "latest").resolve()
    assert after != before, f"the nightly run left no new run directory: {started.stderr}"
    return started.returncode, json.loads((after / "results.json").read_text()), (after / "report.html").read_text()


def _received(twin) -> list[dict]:
    """Every webhook request the Home Assistant stand-in on dietpi recorded, oldest first."""
    text = twin.exec_in("dietpi", ["sh", "-c", f"cat {DEFAULT_WEBHOOK_RECORD} 2>/dev/null || true"], check=True).stdout
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _new_notification(twin, before: int, canary: str) -> dict:
    """The one notification received since `before`: to the canary's webhook, JSON, without the id or a secret."""
    received = _received(twin)[before:]
    assert len(received) == 1, f"expected exactly one notification, got {len(received)}: {received}"
    got = received[0]
    assert (got["method"], got["webhook_id"], got["content_type"]) == ("POST", canary, "application/json")
    assert canary not in got["body"] and "sk-twin" not in got["body"]  # not the id, not the twin's secret keys
    body = json.loads(got["body"])
    assert set(body) == PAYLOAD_KEYS
    return body


@contextmanager
def _installed(twin):
    """The nightly job installed as the owner's units, its webhook the stand-in on dietpi; the canary webhook id."""
    twin.prepare_reports()
    canary = "llmlabcanary" + secrets.token_hex(16)  # the secret part of a Home Assistant webhook URL
    url = f"http://{topo.HOSTS['dietpi'].address}:8123/api/webhook/{canary}"
    _owner(twin, f"umask 077 && mkdir -p $(dirname {WEBHOOK_FILE}) && printf '%s\\n' '{url}' > {WEBHOOK_FILE}")
    _owner(twin, f'.venv/bin/python -m conformance.deploy install --args "{TWIN_ARGS}"')
    try:
        yield canary
    finally:
        _owner(twin, ".venv/bin/python -m conformance.deploy remove", check=False)
        _owner(twin, f"rm -f {WEBHOOK_FILE}", check=False)


def test_the_nightly_job_runs_reports_fails_on_drift_and_notifies(twin):
    with _installed(twin) as canary:
        timer = _owner(twin, "systemctl --user is-enabled llm-lab-conformance.timer").stdout.strip()
        assert timer == "enabled"
        status, results, _ = _night(twin)
        assert status == 0 and results["require_verified"] and results["exit_status"] == 0
        assert "local or studio or dietpi or contract" == results["markers"]
        assert results["contract"]["routes"] and {c["kind"] for c in results["checks"]} >= {"contract"}
        index = (ROOT / "reports" / "index.html").read_text()
        assert (ROOT / "reports" / "latest").resolve().name in index

        fault = next(f for f in CATALOG if f.id == "litellm-restart-sec")
        before = len(_received(twin))
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
        body = _new_notification(twin, before, canary)
        run = (ROOT / "reports" / "latest").resolve()
        assert body["reasons"] == ["new failure"] and body["new_failures"] == ["litellm-orch::restart-sec"]
        assert body["run"] == run.name and body["verdict"].startswith("1 check failing on mini, 1 new since")
        # the URL's secret part is in no artifact of the run, nor in what the service printed
        artifacts = run_files(run)
        assert {"report.html", "results.json", "commands.json", "junit.xml", "notification.json"} <= set(artifacts)
        assert [name for name, text in artifacts.items() if canary in text] == []
        outcome = json.loads(artifacts["notification.json"])
        assert outcome["delivered"] and outcome["target"] == f"http://{topo.HOSTS['dietpi'].address}:8123/<redacted>"
        journal = _owner(twin, f"journalctl --user -u {SERVICE} -o cat --no-pager").stdout  # as the owner reads it
        assert f"notification: sent to http://{topo.HOSTS['dietpi'].address}:8123/<redacted>" in journal
        assert canary not in journal

        before = len(_received(twin))
        status, _, report = _night(twin)
        assert status == 0 and "fixed since the previous run" in report
        body = _new_notification(twin, before, canary)
        assert body["reasons"] == ["recovery"] and body["fixed"] == ["litellm-orch::restart-sec"]


def test_a_run_stopped_by_the_services_timeout_still_notifies_once(twin):
    hang = next(f for f in CONTRACT_CATALOG if f.id == "contract-backend-hangs")  # the run takes minutes now
    with _installed(twin) as canary:
        _owner(twin, f"mkdir -p $(dirname {DROP_IN}) && printf '[Service]\\nTimeoutStartSec={TWIN_TIMEOUT}s\\n' > "
                     f"{DROP_IN} && systemctl --user daemon-reload")
        before = len(_received(twin))
        started = time.monotonic()
        plant(twin, [hang])
        try:
            run = _owner(twin, f"systemctl --user start {SERVICE}", check=False)
            for _ in range(240):  # the stop: SIGTERM, then ExecStopPost= (its notification), then `failed`
                shown = _owner(twin, f"systemctl --user show -p ActiveState -p Result {SERVICE}").stdout.split()
                state = dict(line.split("=", 1) for line in shown)
                if state["ActiveState"] in ("failed", "inactive"):
                    break
                time.sleep(0.5)
        finally:
            revert(twin, [hang])
            _owner(twin, f"rm -f {DROP_IN} && systemctl --user daemon-reload", check=False)
        seconds = time.monotonic() - started
        print(f"\nthe service stopped the run after {seconds:.1f} s (TimeoutStartSec={TWIN_TIMEOUT}s): {state}")
        assert run.returncode != 0 and state == {"ActiveState": "failed", "Result": "timeout"}, (run.stderr, state)
        body = _new_notification(twin, before, canary)
        assert body["reasons"] == ["crashed"] and body["verdict"].endswith("systemd says timeout (killed TERM)")
        stopped = ROOT / "reports" / body["run"]
        assert stopped.is_dir() and not (stopped / "results.json").exists(), "the stopped run finished after all"
        outcome = json.loads((stopped / "notification.json").read_text())
        assert outcome["delivered"] and canary not in json.dumps(outcome)
