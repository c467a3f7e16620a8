"""The Studio's checks on a fake Mac that answers in macOS's real formats (fixtures/darwin/): one round
trip, the launchd job and its plist, the MLX ports (optional ones may be down), their logs, /health."""
import plistlib

import httpx2 as httpx
import pytest

from conformance.checks.derive import evaluate, host_checks
from conformance.checks.finding import Status
from conformance.facts.http import HttpProbe
from conformance.redaction import Redactor
from conformance.site import SiteAddresses
from ._support import FakeMac, fixture, real_inventory

LABEL = "com.bebop.mlx-launch"
PLIST = f"/Library/LaunchDaemons/{LABEL}.plist"
ROUTED = (8100, 8101, 8102, 8103, 8109)
DOCUMENTED_PLIST = {"Label": LABEL, "ProgramArguments": ["/opt/mlx-launch/bin/start-mlx.sh"], "RunAtLoad": True,
                    "KeepAlive": True, "StandardOutPath": "/tmp/mlx-launch.out.log",
                    "EnvironmentVariables": {"MLX_API_KEY": "studio-canary-7f3a9c2e"}}


def _health(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"status": "ok", "model_id": "mlx-community/x", "model_status": "initialized"})


def _studio(tmp_path, plist=DOCUMENTED_PLIST, fmt=plistlib.FMT_XML, mode=0o644, logs=ROUTED, listening=None,
            launchctl=fixture("darwin/launchctl-print-running.txt"), health=_health, denied=(), netstat_rows=None):
    mac = FakeMac(tmp_path).launchctl(LABEL, launchctl)
    for path in denied:
        mac.deny(path)
    if plist is not None:
        mac.binary(PLIST, plistlib.dumps(plist, fmt=fmt))
        (mac.root / PLIST.lstrip("/")).chmod(mode)
    (mac.root / "opt/mlx-launch").mkdir(parents=True)
    for port in logs:
        mac.file(f"/tmp/mlx-{port}.log", "INFO started\n")
    if listening is not None:
        netstat_rows = [("tcp4", f"*.{p}") for p in listening]
    if netstat_rows is not None:
        rows = "".join(f"{proto:<5} {0:>6} {0:>6}  {local:<22} {'*.*':<22} LISTEN     \n" for proto, local in netstat_rows)
        mac.netstat("Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)    \n" + rows)
    inventory = real_inventory()
    redactor = Redactor(enabled=True)
    facts = mac.mac_facts(inventory, redactor=redactor, http=HttpProbe(transport=httpx.MockTransport(health)))
    findings = {c.id: evaluate(c, facts) for c in host_checks(inventory, SiteAddresses(inventory), "studio")}
    return findings, facts, redactor


def _not_passed(findings):
    return {i: f.message for i, f in findings.items() if f.status is not Status.PASSED}


def test_the_documented_studio_passes_every_check_in_one_round_trip(tmp_path):
    findings, facts, _ = _studio(tmp_path)
    assert _not_passed(findings) == {}
    assert facts.runner.batches == 1
    assert len(findings) == 19


def test_a_binary_plist_is_read_exactly(tmp_path):
    findings, _, _ = _studio(tmp_path, fmt=plistlib.FMT_BINARY)
    assert _not_passed(findings) == {}


def test_environment_values_never_reach_evidence(tmp_path):
    findings, facts, redactor = _studio(tmp_path)
    printed = next(r for r in facts.runner.records if r.command.startswith("launchctl print"))
    assert "studio-canary-7f3a9c2e" not in printed.stdout and "MLX_API_KEY =>" in printed.stdout
    plist_record = next(r for r in facts.runner.records if r.command.startswith("head -c"))
    assert plist_record.stdout.endswith("bytes, sent base64; not kept as evidence)")
    assert redactor("seen studio-canary-7f3a9c2e") == "seen <redacted>"  # learned from the plist and the job


@pytest.mark.parametrize("case, change, failing", [
    ("not loaded", {"launchctl": None}, {"loaded", "running"}),
    ("crash-looping", {"launchctl": fixture("darwin/launchctl-print-ex-config.txt")}, {"running"}),
    ("plist missing", {"plist": None}, {"plist", "program", "keepalive", "plist-owner"}),
    ("label changed", {"plist": {**DOCUMENTED_PLIST, "Label": "com.bebop.other"}}, {"plist"}),
    ("program elsewhere", {"plist": {**DOCUMENTED_PLIST, "ProgramArguments": ["/usr/local/bin/mlx"]}}, {"program"}),
    ("keepalive removed", {"plist": {k: v for k, v in DOCUMENTED_PLIST.items() if k != "KeepAlive"}}, {"keepalive"}),
    ("group-writable", {"mode": 0o664}, {"plist-owner"}),
])
def test_launchd_drifts_fail_exactly_their_checks(tmp_path, case, change, failing):
    findings, _, _ = _studio(tmp_path, **change)
    expected = {f"mlx-servers::launchd:{LABEL}:{aspect}" for aspect in failing}
    assert {i for i, f in findings.items() if f.status is Status.FAILED} == expected, _not_passed(findings)


PLIST_CHECKS = [f"mlx-servers::launchd:{LABEL}:{aspect}" for aspect in ("plist", "program", "keepalive")]


def test_a_missing_plist_fails_as_missing_not_as_not_a_plist(tmp_path):
    findings, _, _ = _studio(tmp_path, plist=None)
    for check in PLIST_CHECKS:
        assert findings[check].status is Status.FAILED and findings[check].found == f"{PLIST}: missing", check


def test_a_plist_the_user_may_not_read_cannot_be_verified(tmp_path):
    """launchd accepts a root-owned 0600 plist; the suite's user then cannot read it: never a pass or a fail."""
    findings, _, _ = _studio(tmp_path, mode=0o600, denied=[PLIST])
    assert {i for i, f in findings.items() if f.status is not Status.PASSED} == set(PLIST_CHECKS)
    for check in PLIST_CHECKS:
        assert findings[check].status is Status.CANNOT_VERIFY, findings[check].message
        assert "needs read access to " + PLIST in findings[check].message
    assert findings[f"mlx-servers::launchd:{LABEL}:plist-owner"].status is Status.PASSED  # 0600, root's: as launchd wants


def test_keepalive_removed_says_what_launchd_will_do(tmp_path):
    plist = {k: v for k, v in DOCUMENTED_PLIST.items() if k != "KeepAlive"}
    finding = _studio(tmp_path, plist=plist)[0][f"mlx-servers::launchd:{LABEL}:keepalive"]
    assert "started at load; not restarted" in finding.found


def test_an_optional_port_that_is_down_is_not_applicable_never_failed(tmp_path):
    findings, _, _ = _studio(tmp_path, listening=[8100, 8101, 8102, 8109])
    down = {i: f for i, f in findings.items() if f.status is not Status.PASSED}
    assert set(down) == {"mlx-servers::listen:8103", "mlx-servers::health:8103"}
    assert {f.status for f in down.values()} == {Status.NOT_APPLICABLE}
    assert "documented as optional" in down["mlx-servers::listen:8103"].message


def test_a_listening_port_without_its_log_fails(tmp_path):
    findings, _, _ = _studio(tmp_path, logs=(8100, 8101, 8102, 8109))
    assert set(_not_passed(findings)) == {"mlx-servers::logs"}
    assert "/tmp/mlx-8103.log (missing)" in findings["mlx-servers::logs"].found


def test_an_unrouted_port_of_the_range_that_listens_needs_its_log_too(tmp_path):
    findings, _, _ = _studio(tmp_path, listening=[*ROUTED, 8105])
    assert set(_not_passed(findings)) == {"mlx-servers::logs"}


def test_a_health_endpoint_that_answers_wrong_fails(tmp_path):
    findings, _, _ = _studio(tmp_path, health=lambda r: httpx.Response(503, json={"status": "unhealthy"}))
    assert {i for i, f in findings.items() if f.status is Status.FAILED} == {f"mlx-servers::health:{p}" for p in ROUTED}


def test_a_health_endpoint_that_does_not_answer_fails_with_the_reason(tmp_path):
    def refuse(request):
        raise httpx.ConnectError("[Errno 111] Connection refused")
    finding = _studio(tmp_path, health=refuse)[0]["mlx-servers::health:8100"]
    assert finding.status is Status.FAILED and "connection refused" in finding.found


def test_the_per_lane_layout_is_data_not_code(tmp_path):
    """examples/inventory-lanes.yaml: one label per port; the same code checks each lane's job."""
    from conformance.inventory import load_inventory
    from ._support import ROOT
    inventory = load_inventory(ROOT / "examples" / "inventory-lanes.yaml")
    ids = [c.id for c in host_checks(inventory, SiteAddresses(inventory), "studio")]
    for port in (8100, 8101, 8102):
        assert f"mlx-servers::launchd:com.bebop.mlx-lane.{port}:loaded" in ids
        assert f"mlx-servers::launchd:com.bebop.mlx-lane.{port}:plist" in ids
    assert not any("com.bebop.mlx-launch" in i for i in ids)
    assert "every port of 8100-8139 that listens has its log file /Users/thestudio/vllm-{port}.err.log" in [
        c.title for c in host_checks(inventory, SiteAddresses(inventory), "studio")]


def test_a_routes_health_is_judged_by_its_backend_kind_and_a_route_without_one_by_a_healths_defaults(tmp_path):
    """The lanes example has no contract, so its routes name no kind: GET /health answering 200 is healthy, whatever
    the body (vLLM's lanes answer with an empty one); the documented inventory's mlx-openai-server wants status ok."""
    from conformance.inventory import load_inventory
    from ._support import ROOT
    lanes = load_inventory(ROOT / "examples" / "inventory-lanes.yaml")
    mac = FakeMac(tmp_path)
    empty = HttpProbe(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    facts = mac.mac_facts(lanes, http=empty)
    checks = {c.id: c for c in host_checks(lanes, SiteAddresses(lanes), "studio") if c.kind == "mlx-health"}
    assert checks["mlx-servers::health:8100"].title == ("GET http://192.168.1.72:8100/health answers 200 (health; route "
                                                        "jerry-chat; may be down (listening state varies))")
    assert {i: evaluate(c, facts).status for i, c in checks.items()} == {i: Status.PASSED for i in checks}
    findings = _studio(tmp_path / "documented", health=lambda r: httpx.Response(200))[0]
    assert {i for i, f in findings.items() if f.status is Status.FAILED} == {f"mlx-servers::health:{p}" for p in ROUTED}
    assert findings["mlx-servers::health:8100"].found == "200, status=None (not a JSON object: '')"


# --- :running reads state and the one last-exit line (real captures: fixtures/darwin/launchctl/) -------

def _real(name: str) -> str:
    return fixture(f"darwin/launchctl/{name}")


RUNNING = f"mlx-servers::launchd:{LABEL}:running"


@pytest.mark.parametrize("capture, edit, found", [
    # waiting to be respawned after a code-signing failure: no exit code line at all
    ("gui-spawn-scheduled-codesigning-triggerd-trimmed.txt", None,
     "state spawn scheduled, runs 153, last exit reason OS_REASON_CODESIGNING"),
    # waiting to be respawned after a clean exit: the state says it, not the exit code
    ("system-spawn-scheduled-agentsh-trimmed.txt", ("last exit code = 1", "last exit code = 0"),
     "state spawn scheduled, runs 199773, last exit code 0"),
    ("system-exit-reason-jetsam-trimmed.txt", None,
     "state not running, runs 1, last exit reason JETSAM_REASON_MEMORY_IDLE_EXIT"),
    ("system-exit-reason-jetsam-trimmed.txt", ("JETSAM_REASON_MEMORY_IDLE_EXIT\n", "OS_REASON_EXEC\n"),
     "state not running, runs 1, last exit reason OS_REASON_EXEC"),
    ("gui-spawn-scheduled-ex-config-billet-macos26.txt", None, "state spawn scheduled, runs 1, last exit code 78: EX_CONFIG"),
    ("system-exited-wazuh-agent-cut.txt", ("last exit code = 0", "last exit code = (abandoned)"),
     "state not running, runs 1, last exit code (abandoned)"),
    ("system-exited-wazuh-agent-cut.txt", ("last exit code = 0", "last terminating signal = Killed: 9"),
     "state not running, runs 1, last terminating signal Killed: 9"),
])
def test_a_job_that_is_not_running_and_did_not_exit_cleanly_fails_saying_what_launchd_printed(
        tmp_path, capture, edit, found):
    text = _real(capture).replace(*edit) if edit else _real(capture)
    finding = _studio(tmp_path, launchctl=text)[0][RUNNING]
    assert (finding.status, finding.found) == (Status.FAILED, found)


@pytest.mark.parametrize("capture", ["system-running-wazuh-agent.txt", "system-running-nix-daemon-macos26.txt",
                                     "system-never-run-halite-macos15.txt", "system-exited-wazuh-agent-cut.txt",
                                     "gui-running-after-signal-openclaw.txt"])
def test_a_running_job_or_one_that_exited_0_or_never_ran_passes(tmp_path, capture):
    assert _studio(tmp_path, launchctl=_real(capture))[0][RUNNING].status is Status.PASSED


def test_a_running_job_whose_last_exit_was_a_code_signing_failure_runs_now(tmp_path):
    # the real lines of a `grep -E 'state|runs|pid|last exit'` (an incident note, see fixtures/darwin/README.md),
    # under a constructed first line: running again after OS_REASON_CODESIGNING, no exit code line
    text = "gui/501/x = {\n\tstate = running\n\truns = 24991\n\tpid = 77880\n\tlast exit reason = OS_REASON_CODESIGNING\n}\n"
    assert _studio(tmp_path, launchctl=text)[0][RUNNING].status is Status.PASSED


# --- :program judges what the job really runs -------------------------------------------------------

PROGRAM = f"mlx-servers::launchd:{LABEL}:program"


@pytest.mark.parametrize("arguments, extra", [
    (["/bin/bash", "/opt/mlx-launch/bin/start-mlx.sh"], {}),
    (["/bin/zsh", "-c", "exec /opt/mlx-launch/bin/start-mlx.sh --port 8100"], {}),
    (["/usr/bin/env", "python3", "/opt/mlx-launch/serve.py"], {}),
    (["/usr/bin/python3", "-m", "mlx_openai_server", "launch"], {"WorkingDirectory": "/opt/mlx-launch"}),
    (["/bin/sh", "bin/start-mlx.sh"], {"WorkingDirectory": "/opt/mlx-launch"}),
    (["bash", "/opt/mlx-launch/bin/start-mlx.sh"], {"Program": "/bin/bash"}),
])
def test_an_interpreter_running_a_script_under_the_runtime_dir_passes(tmp_path, arguments, extra):
    plist = {**DOCUMENTED_PLIST, "ProgramArguments": arguments, **extra}
    finding = _studio(tmp_path, plist=plist)[0][PROGRAM]
    assert finding.status is Status.PASSED, finding.message


@pytest.mark.parametrize("arguments, extra, found", [
    (["/bin/bash", "/tmp/start-mlx.sh"], {}, "script /tmp/start-mlx.sh (run by /bin/bash)"),
    (["/opt/mlx-launch/.venv/bin/python", "/Users/x/serve.py"], {}, "script /Users/x/serve.py (run by "
                                                                     "/opt/mlx-launch/.venv/bin/python)"),
    (["/bin/bash", "../../tmp/x.sh"], {"WorkingDirectory": "/opt/mlx-launch"}, "script ../../tmp/x.sh (run by /bin/bash)"),
    (["/opt/mlx-launch/../usr/local/bin/mlx"], {}, "program /opt/mlx-launch/../usr/local/bin/mlx"),
    (["/bin/sh", "-c", "cd /opt/mlx-launch && ./bin/start-mlx.sh"], {},
     "program /bin/sh (a form of sh this suite does not read through: judged as written)"),
    (["/usr/bin/python3", "-m", "mlx_openai_server"], {},
     "module mlx_openai_server (run by /usr/bin/python3 -m, no WorkingDirectory: from the interpreter's own environment)"),
])
def test_what_the_job_really_runs_outside_the_runtime_dir_fails_and_says_so(tmp_path, arguments, extra, found):
    plist = {**DOCUMENTED_PLIST, "ProgramArguments": arguments, **extra}
    finding = _studio(tmp_path, plist=plist)[0][PROGRAM]
    assert (finding.status, finding.found) == (Status.FAILED, found)


# --- listen:<port> looks at the address ----------------------------------------------------------------

def test_a_routed_port_listening_on_loopback_only_fails_its_listen_check(tmp_path):
    rows = [("tcp4", f"*.{p}") for p in ROUTED if p != 8101] + [("tcp4", "127.0.0.1.8101"), ("tcp6", "::1.8101")]
    findings, _, _ = _studio(tmp_path, netstat_rows=rows)
    finding = findings["mlx-servers::listen:8101"]
    assert finding.status is Status.FAILED
    assert finding.found == "port 8101 listening only on 127.0.0.1, ::1, not where route jerry-editor connects (192.168.1.72)"
    assert {i for i, f in findings.items() if f.status is not Status.PASSED} == {"mlx-servers::listen:8101"}


@pytest.mark.parametrize("rows, status", [
    ([("tcp4", "192.168.1.72.8101")], Status.PASSED),  # the route's own address
    ([("tcp46", "*.8101")], Status.PASSED),  # dual-stack wildcard
    ([("tcp4", "*.8101")], Status.PASSED),  # 0.0.0.0
    ([("tcp6", "*.8101")], Status.FAILED),  # an IPv6-only wildcard does not take the route's IPv4 address
    ([("tcp4", "10.0.0.9.8101")], Status.FAILED),  # another interface
])
def test_a_routed_port_passes_only_where_its_clients_reach_it(tmp_path, rows, status):
    others = [("tcp4", f"*.{p}") for p in ROUTED if p != 8101]
    finding = _studio(tmp_path, netstat_rows=others + rows)[0]["mlx-servers::listen:8101"]
    assert finding.status is status, finding.message
