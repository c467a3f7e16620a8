"""A host is asked what the run's selected checks need, nothing else (facts/plan.py): a check deselected by -m or -k
costs nothing. Real runs of the suite on this machine (its checks fail here, as a drifted lab's would: what counts
is what was sent, in commands.json), and plans made from one check's needs."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conformance.checks.derive import host_checks
from conformance.facts.host import HostFacts, NotPlanned
from conformance.facts.kinds import kind_of
from conformance.facts.plan import HostPlan
from conformance.runner import Runner
from conformance.site import SiteAddresses

from ._support import ROOT, FakeMini, ShellBackend, environ_without_pytest_vars, mini_system_show, real_inventory

SHOW = "systemctl show --no-pager -p Id,LoadState,ActiveState,SubState,UnitFileState,FragmentPath,DropInPaths," \
       "ExecStart,Restart,RestartUSec,EnvironmentFiles,Environment,StandardInput,StandardOutput,StandardError," \
       "InvocationID,NRestarts,User,ExecMainStatus --"


def _sent(tmp_path, *args: str) -> tuple[list[dict], dict]:
    reports = tmp_path / "reports"
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-m", "local",
                        f"--report-dir={reports}", *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env=environ_without_pytest_vars())
    (run,) = [r for r in reports.iterdir() if r.is_dir() and not r.is_symlink()]
    assert p.returncode in (0, 1), p.stdout[-2000:]
    return json.loads((run / "commands.json").read_text()), json.loads((run / "results.json").read_text())


@pytest.mark.parametrize("check_id, commands", [
    ("litellm-orch::restart-sec", [f"{SHOW} litellm-orch.service"]),
    ("open-webui::path:data-dir", ["stat -c '%F|%a|%U|%G|%s|%n' -- /home/christopherbailey/.open-webui"]),
    ("open-webui::env:DATA_DIR", ["head -c 262145 -- /etc/open-webui/env"]),
    ("litellm-orch::listen:4000", ["ss -ltnH"]),
])
def test_a_run_of_one_check_sends_only_what_that_check_needs(tmp_path, check_id, commands):
    sent, results = _sent(tmp_path, "-k", check_id)
    assert [c["id"] for c in results["checks"]] == [check_id]
    assert [c["command"] for c in sent] == commands
    assert results["hosts"]["mini"]["round_trips"] == 1


def test_the_journals_check_alone_asks_its_unit_then_its_run(tmp_path):
    """What a need needs comes with it: the journal's unit (its InvocationID) and the groups that may read it in
    round trip 1; the journal, and the env files the unit names (a log line may echo them), in the second look."""
    mini = FakeMini(tmp_path).show("system", mini_system_show())
    inventory = real_inventory()
    (check,) = [c for c in host_checks(inventory, SiteAddresses(inventory), "mini") if c.id == "litellm-orch::json-logs-journal"]
    facts = HostFacts(kind_of("linux"), HostPlan(check.needs), Runner("mini", mini.backend()))
    first, second = facts.planned()
    assert first == [["id", "-Gn"], SHOW.split() + ["litellm-orch.service"]]
    assert second == [["journalctl", "--no-pager", "-q", "-o", "cat", "-n", "300",
                       "_SYSTEMD_INVOCATION_ID=<InvocationID from round trip 1>"], "# and `head -c` of every env file systemd names for litellm-orch.service, as round "
                                "trip 1 shows them"]
    facts.gather()
    assert facts.runner.batches == 2 and facts.journal(check.needs[-1].key).value == ""
    with pytest.raises(NotPlanned, match="listeners was not asked: no selected check declares it"):
        facts.listeners()  # never asked: the check would be an error naming its incomplete needs


def test_a_host_nothing_is_needed_of_is_never_asked():
    backend = ShellBackend()
    facts = HostFacts(kind_of("linux"), HostPlan(), Runner("mini", backend))
    facts.gather()
    assert backend.scripts == [] and facts.planned() == [] and HostPlan().round_trips == 0


@pytest.mark.parametrize("host_id", ["mini", "studio", "dietpi"])
def test_each_check_asks_nothing_beyond_its_declared_needs(tmp_path, host_id):
    """Every check of the inventory, alone (as a `-k` run selects it), on facts planned from its own needs only: no
    check asks for a fact it did not declare (that would be NotPlanned, an error of the check)."""
    from conformance.checks.derive import evaluate
    from conformance.checks.finding import Status
    from conformance.facts.http import HttpProbe
    from ._support import FakeMac, fixture
    import httpx2

    inventory = real_inventory()
    fake = FakeMac(tmp_path) if host_id == "studio" else FakeMini(tmp_path).show("system", mini_system_show()).show(
        "user", fixture("systemctl-show-user.txt")).ss(fixture("ss-ltnH.txt"))
    http = HttpProbe(transport=httpx2.MockTransport(lambda request: httpx2.Response(200, json={"status": "ok"})))
    undeclared = {}
    for check in host_checks(inventory, SiteAddresses(inventory), host_id):
        facts = HostFacts(kind_of(inventory.host(host_id).os), HostPlan(check.needs), Runner(host_id, fake.backend()),
                          http=http)
        facts.gather()
        finding = evaluate(check, facts)
        if finding.status is Status.ERROR:
            undeclared[check.id] = finding.found
    assert undeclared == {}
