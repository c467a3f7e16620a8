"""The Studio's checks on a fake Mac that answers in macOS's real formats (fixtures/darwin/): one round
trip, the launchd job and its plist, the MLX ports (optional ones may be down), their logs, /health."""
import plistlib

import httpx2 as httpx
import pytest

from conformance.checks.catalog import evaluate, host_checks
from conformance.checks.finding import Status
from conformance.facts.http import HttpProbe
from conformance.redaction import Redactor
from conformance.site import SiteView
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
            launchctl=fixture("darwin/launchctl-print-running.txt"), health=_health):
    mac = FakeMac(tmp_path).launchctl(LABEL, launchctl)
    if plist is not None:
        mac.binary(PLIST, plistlib.dumps(plist, fmt=fmt))
        (mac.root / PLIST.lstrip("/")).chmod(mode)
    (mac.root / "opt/mlx-launch").mkdir(parents=True)
    for port in logs:
        mac.file(f"/tmp/mlx-{port}.log", "INFO started\n")
    if listening is not None:
        rows = "".join(f"tcp4       0      0  *.{p}                 *.*                    LISTEN\n" for p in listening)
        mac.netstat("Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)\n" + rows)
    inventory = real_inventory()
    redactor = Redactor(enabled=True)
    facts = mac.mac_facts(inventory, redactor=redactor, http=HttpProbe(transport=httpx.MockTransport(health)))
    findings = {c.id: evaluate(c, facts) for c in host_checks(inventory, SiteView(inventory), "studio")}
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
    ids = [c.id for c in host_checks(inventory, SiteView(inventory), "studio")]
    for port in (8100, 8101, 8102):
        assert f"mlx-servers::launchd:com.bebop.mlx-lane.{port}:loaded" in ids
        assert f"mlx-servers::launchd:com.bebop.mlx-lane.{port}:plist" in ids
    assert not any("com.bebop.mlx-launch" in i for i in ids)
    assert "every port of 8100-8139 that listens has its log file /Users/thestudio/vllm-{port}.err.log" in [
        c.title for c in host_checks(inventory, SiteView(inventory), "studio")]
