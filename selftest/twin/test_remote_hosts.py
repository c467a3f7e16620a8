"""The Studio and the DietPi over SSH: green from inside mini and from the outer machine; a host that
cannot be reached fails each of its checks quickly, with one root cause, and no command is sent."""
from __future__ import annotations

import json
import subprocess
import time

import pytest

from lab import paths
from lab.faults import CATALOG, plant, revert
from selftest.twin.conftest import ROOT, TWIN_SUITE_ARGS, SuiteRun, suite_check_ids

REMOTE = ("studio", "dietpi")


def test_green_from_the_outer_machine_through_the_site_file(twin, tmp_path):
    """As the owner would from a laptop: the twin's ssh config, the site file mapping the documented hosts."""
    p = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "pytest", "-m", "studio or dietpi", "-p", "no:cacheprovider",
         "--site=lab/site-twin.yaml", f"--ssh-config={paths.ssh_config()}", f"--report-dir={tmp_path}", *TWIN_SUITE_ARGS],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    run = SuiteRun(p.returncode, (tmp_path / "latest").resolve())
    run.assert_green(suite_check_ids(REMOTE), "the run from the outer machine")
    trips = {h: {c["batch"] for c in run.commands if c["host"] == h and not c.get("test")} for h in REMOTE}
    print(f"\nround trips of the facts: {', '.join(f'{h} {len(b)}' for h, b in trips.items())}")
    assert len(trips["studio"]) <= 2


FAILURES = {
    "studio-unreachable": "studio unreachable: connect timed out after 5 s (alias studio -> 10.213.0.3:22",
    "studio-sshd-stopped": "studio unreachable: no SSH banner within 5 s",
    "studio-host-key-changed": "studio: host key verification failed against",
}


@pytest.mark.parametrize("fault_id", sorted(FAILURES))
def test_a_studio_that_cannot_be_reached_fails_its_checks_quickly_with_one_cause(twin, run_suite, fault_id):
    fault = next(f for f in CATALOG if f.id == fault_id)
    plant(twin, [fault])
    try:
        started = time.monotonic()
        run = run_suite()
        seconds = time.monotonic() - started
    finally:
        revert(twin, [fault])
    studio = [c for c in run.results["checks"] if c["host"] == "studio"]
    print(f"\n{fault_id}: the run took {seconds:.1f} s; {studio[0]['found']}")
    assert seconds < 15  # the ssh login into mini and pytest's start included; the studio's share is the 5 s connect
    assert studio and {c["status"] for c in studio} == {"failed"}
    assert {c["found"].split(" (", 1)[0] for c in studio} == {studio[0]["found"].split(" (", 1)[0]}  # one root cause
    assert all(FAILURES[fault_id] in c["found"] for c in studio), studio[0]["found"]
    others = [c for c in run.results["checks"] if c["host"] != "studio"]
    assert {c["status"] for c in others} == {"passed"}  # the other hosts' checks still ran
    sent = [c for c in run.commands if c["host"] == "studio"]
    assert sent and all(c["exit_status"] == -1 for c in sent)  # no command ran on the studio
    assert sum(1 for c in sent if "round trip failed" in c["stderr"]) == len(sent) - sum(
        1 for c in sent if c["stderr"].startswith("not sent:"))
    assert json.dumps(run.results).count("ssh failed (exit 255)") == 0  # a cause named, not a bare exit status
