"""launchd job families: one label per lane, each with its own expected state (active, disabled, retired), the
disabled database as `launchctl print-disabled system` prints it, programs started through an interpreter or
`/usr/bin/env`, logs per job, KeepAlive as documented, and a port served while launchd's job is not running.

The print-disabled parser is read over the two real captures in selftest/fixtures/darwin/print-disabled/
(fixtures/darwin/README.md names them: `modern-enabled-disabled-gui-ciao.txt`, a `gui/501` capture of 2026 from
the ciao project's test, `=> enabled|disabled`; `older-true-false-user-ninehills.txt`, ninehills/blog issue #85
(2021), `=> true|false` with a `login item associations` block) and over what the twin's launchctl stand-in prints.
The llmster job is the owner's plist (bebopbabailey/homelab-llm@1b54b73
platform/ops/templates/com.bebop.llmster-gpt.8126.plist: `/usr/bin/env python3 .../llmster_ensure_server.py`,
KeepAlive false, its own .log/.err); the lane labels and the retired one are their studio_scheduling_policy.json's.
"""
import plistlib
import textwrap

import pytest

from conformance.checks.derive import evaluate, host_checks
from conformance.checks.finding import Status
from conformance.facts.launchd import LaunchctlError, parse_print_disabled
from conformance.inventory import InventoryError, load_inventory
from conformance.site import SiteAddresses
from lab.standins.macos import launchctl as launchctl_standin
from ._support import FakeMac, fixture

MODERN = fixture("darwin/print-disabled/modern-enabled-disabled-gui-ciao.txt")
OLDER = fixture("darwin/print-disabled/older-true-false-user-ninehills.txt")


# --- the parser --------------------------------------------------------------------------------------------------

def test_the_modern_capture_reads_enabled_and_disabled():
    entries = parse_print_disabled(MODERN)
    assert len(entries) == 15
    assert entries["com.ciao.menubar"] is True and entries["com.ciao.server"] is False
    assert entries["ai.openclaw.gateway"] is True and entries["com.ollama.ollama"] is False


def test_the_older_capture_reads_true_and_false_and_skips_the_login_item_block():
    entries = parse_print_disabled(OLDER)
    assert len(entries) == 15
    assert entries["com.apple.Siri.agent"] is True and entries["com.docker.helper"] is False
    assert "version.com.docker.helper" not in entries  # a login item association, not an override


def test_what_the_twins_launchctl_prints_reads_back():
    printed = launchctl_standin.render_disabled({"com.bebop.mlx-lane.8102": True, "com.bebop.mlx-lane.8100": False})
    assert parse_print_disabled(printed) == {"com.bebop.mlx-lane.8102": True, "com.bebop.mlx-lane.8100": False}
    assert parse_print_disabled(launchctl_standin.render_disabled({})) == {}


@pytest.mark.parametrize("stdout, status, says", [
    ("", 0, "no `disabled services = {` block"),
    ("Unrecognized subcommand: print-disabled\n", 0, "no `disabled services = {` block"),
    ('\tdisabled services = {\n\t\t"com.x" => maybe\n\t}\n', 0, "not `\"<label>\" => disabled|enabled`"),
    ('\tdisabled services = {\n\t\t"com.x" => disabled\n', 0, "cut short"),
    ("", 1, "exit status 1"),
])
def test_anything_else_is_an_error_never_none_disabled(stdout, status, says):
    with pytest.raises(LaunchctlError, match=says.replace("(", r"\(").replace("{", r"\{").replace("|", r"\|")):
        parse_print_disabled(stdout, "Bad request.\n" if status else "", status)


# --- the checks --------------------------------------------------------------------------------------------------

INVENTORY = """\
version: 1
hosts:
  - {id: studio, os: darwin, address: 192.168.1.72, source: companion}
services:
  - {id: mlx-lanes, host: studio, source: companion, purpose: vllm-metal lanes}
  - {id: llmster, host: studio, source: companion, purpose: LM Studio's server}
launchd:
  - service: mlx-lanes
    host: studio
    source: companion
    label: com.bebop.mlx-lane.{port}
    plist: /Library/LaunchDaemons/com.bebop.mlx-lane.{port}.plist
    lanes: [8100, {port: 8101, state: active}, {port: 8102, state: disabled}]
    program: /opt/mlx-launch/bin/lane.py
    stdout: /Users/thestudio/vllm-{port}.log
    stderr: /Users/thestudio/vllm-{port}.err.log
    listening: up
  - service: mlx-lanes
    host: studio
    source: companion
    label: com.bebop.mlx-launch
    plist: /Library/LaunchDaemons/com.bebop.mlx-launch.plist
    state: retired
  - service: llmster
    host: studio
    source: companion
    label: com.bebop.llmster-gpt.8126
    plist: /Library/LaunchDaemons/com.bebop.llmster-gpt.8126.plist
    port: 8126
    listening: up
    program: /Users/thestudio/bin/llmster_ensure_server.py
    keep_alive: false
    stdout: /Users/thestudio/Library/Logs/llmster-gpt.log
    stderr: /Users/thestudio/Library/Logs/llmster-gpt.err
"""

LLMSTER = "com.bebop.llmster-gpt.8126"


def _lane_plist(port: int) -> dict:
    return {"Label": f"com.bebop.mlx-lane.{port}", "KeepAlive": True, "RunAtLoad": True,
            "ProgramArguments": ["/usr/bin/python3", "/opt/mlx-launch/bin/lane.py", "--port", str(port)],
            "StandardOutPath": f"/Users/thestudio/vllm-{port}.log",
            "StandardErrorPath": f"/Users/thestudio/vllm-{port}.err.log"}


LLMSTER_PLIST = {"Label": LLMSTER, "UserName": "thestudio", "WorkingDirectory": "/Users/thestudio",
                 "ProgramArguments": ["/usr/bin/env", "python3", "/Users/thestudio/bin/llmster_ensure_server.py",
                                      "--port", "8126"],
                 "KeepAlive": False, "RunAtLoad": True,
                 "StandardOutPath": "/Users/thestudio/Library/Logs/llmster-gpt.log",
                 "StandardErrorPath": "/Users/thestudio/Library/Logs/llmster-gpt.err"}


def _printed(label: str, capture: str = "darwin/launchctl-print-running.txt") -> str:
    return fixture(capture).replace("com.bebop.mlx-launch", label)


def _studio(tmp_path, *, plists=None, printed=None, disabled=None, listening=(8100, 8101, 8126), disabled_text=None):
    plists = plists if plists is not None else {
        **{f"com.bebop.mlx-lane.{p}": _lane_plist(p) for p in (8100, 8101, 8102)}, LLMSTER: LLMSTER_PLIST}
    printed = printed if printed is not None else {
        f"com.bebop.mlx-lane.{p}": _printed(f"com.bebop.mlx-lane.{p}") for p in (8100, 8101)} | {
        LLMSTER: _printed(LLMSTER)}
    mac = FakeMac(tmp_path)
    for label, plist in plists.items():
        mac.binary(f"/Library/LaunchDaemons/{label}.plist", plistlib.dumps(plist))
    for label, text in printed.items():
        mac.launchctl(label, text)
    mac.print_disabled(disabled_text if disabled_text is not None else launchctl_standin.render_disabled(
        disabled if disabled is not None else {"com.bebop.mlx-lane.8102": True, "com.bebop.mlx-lane.8100": False}))
    rows = "".join(f"tcp4       0      0  *.{p:<20} *.*                    LISTEN     \n" for p in listening)
    mac.netstat("Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)    \n" + rows)
    (tmp_path / "inventory.yaml").write_text(INVENTORY)
    inventory = load_inventory(tmp_path / "inventory.yaml")
    facts = mac.mac_facts(inventory)
    checks = host_checks(inventory, SiteAddresses(inventory), "studio")
    return {c.id: evaluate(c, facts) for c in checks}, facts


def _not_passed(findings):
    return {i: f.message for i, f in findings.items() if f.status is not Status.PASSED}


def test_each_lane_gets_the_checks_of_its_state(tmp_path):
    findings, facts = _studio(tmp_path)
    ids = set(findings)
    lane = "mlx-lanes::launchd:com.bebop.mlx-lane"
    for port in (8100, 8101):
        for aspect in ("loaded", "running", "plist", "program", "keepalive", "plist-owner", "enabled", "log-paths",
                       "serves-port"):
            assert f"{lane}.{port}:{aspect}" in ids
    assert {i for i in ids if i.startswith(f"{lane}.8102:")} == {f"{lane}.8102:disabled", f"{lane}.8102:not-running"}
    assert {i for i in ids if "com.bebop.mlx-launch" in i} == {"mlx-lanes::launchd:com.bebop.mlx-launch:not-loaded"}
    assert _not_passed(findings) == {}
    assert facts.runner.batches == 1  # print-disabled rides in the one round trip
    assert [r.command for r in facts.runner.records].count("launchctl print-disabled system") == 1


def test_a_lane_disabled_fails_its_enabled_check_and_says_what_launchctl_printed(tmp_path):
    findings, _ = _studio(tmp_path, disabled={"com.bebop.mlx-lane.8101": True, "com.bebop.mlx-lane.8102": True})
    failed = _not_passed(findings)
    assert set(failed) == {"mlx-lanes::launchd:com.bebop.mlx-lane.8101:enabled"}
    assert "expected 'enabled', found 'disabled'" in failed["mlx-lanes::launchd:com.bebop.mlx-lane.8101:enabled"]
    assert "=> disabled" in failed["mlx-lanes::launchd:com.bebop.mlx-lane.8101:enabled"]


def test_a_disabled_lane_enabled_again_and_running_fails_both_its_checks(tmp_path):
    printed = {f"com.bebop.mlx-lane.{p}": _printed(f"com.bebop.mlx-lane.{p}") for p in (8100, 8101, 8102)}
    printed[LLMSTER] = _printed(LLMSTER)
    findings, _ = _studio(tmp_path, printed=printed, disabled={"com.bebop.mlx-lane.8102": False})
    assert set(_not_passed(findings)) == {"mlx-lanes::launchd:com.bebop.mlx-lane.8102:disabled",
                                          "mlx-lanes::launchd:com.bebop.mlx-lane.8102:not-running"}


def test_a_retired_label_loaded_again_fails_not_loaded(tmp_path):
    printed = {f"com.bebop.mlx-lane.{p}": _printed(f"com.bebop.mlx-lane.{p}") for p in (8100, 8101)}
    printed |= {LLMSTER: _printed(LLMSTER), "com.bebop.mlx-launch": _printed("com.bebop.mlx-launch")}
    findings, _ = _studio(tmp_path, printed=printed)
    failed = _not_passed(findings)
    assert set(failed) == {"mlx-lanes::launchd:com.bebop.mlx-launch:not-loaded"}
    assert "found 'loaded: state running" in failed["mlx-lanes::launchd:com.bebop.mlx-launch:not-loaded"]


def test_a_port_served_while_launchds_job_is_not_running_is_a_drift_of_its_own(tmp_path):
    """The owner saw llmster's job `not running` while something listened on 8126."""
    printed = {f"com.bebop.mlx-lane.{p}": _printed(f"com.bebop.mlx-lane.{p}") for p in (8100, 8101)}
    printed[LLMSTER] = _printed(LLMSTER, "darwin/launchctl-print-not-running.txt")
    findings, _ = _studio(tmp_path, printed=printed)
    failed = _not_passed(findings)
    assert "llmster::launchd:com.bebop.llmster-gpt.8126:serves-port" in failed
    assert "served by a process launchd does not run" in failed["llmster::launchd:com.bebop.llmster-gpt.8126:serves-port"]
    assert findings["llmster::launchd:com.bebop.llmster-gpt.8126:loaded"].status is Status.PASSED


def test_a_lane_that_runs_but_does_not_listen_fails_when_its_listening_is_documented_up(tmp_path):
    findings, _ = _studio(tmp_path, listening=(8100, 8126))
    failed = _not_passed(findings)
    assert set(failed) == {"mlx-lanes::launchd:com.bebop.mlx-lane.8101:serves-port"}
    assert "nothing listens on port 8101" in failed["mlx-lanes::launchd:com.bebop.mlx-lane.8101:serves-port"]


def test_the_program_is_read_through_usr_bin_env_and_the_interpreter(tmp_path):
    findings, _ = _studio(tmp_path)
    assert findings["llmster::launchd:com.bebop.llmster-gpt.8126:program"].status is Status.PASSED
    assert "through /usr/bin/env" in findings["llmster::launchd:com.bebop.llmster-gpt.8126:program"].source
    moved = dict(LLMSTER_PLIST, ProgramArguments=["/usr/bin/env", "python3", "/tmp/other.py"])
    plists = {**{f"com.bebop.mlx-lane.{p}": _lane_plist(p) for p in (8100, 8101, 8102)}, LLMSTER: moved}
    findings, _ = _studio(tmp_path / "moved", plists=plists)
    assert set(_not_passed(findings)) == {"llmster::launchd:com.bebop.llmster-gpt.8126:program"}
    assert "script /tmp/other.py" in findings["llmster::launchd:com.bebop.llmster-gpt.8126:program"].found


def test_keepalive_false_is_documented_and_keepalive_true_is_then_a_drift(tmp_path):
    findings, _ = _studio(tmp_path)
    assert findings["llmster::launchd:com.bebop.llmster-gpt.8126:keepalive"].expected == "not restarted by launchd"
    plists = {**{f"com.bebop.mlx-lane.{p}": _lane_plist(p) for p in (8100, 8101, 8102)},
              LLMSTER: dict(LLMSTER_PLIST, KeepAlive=True)}
    findings, _ = _studio(tmp_path / "kept", plists=plists)
    assert set(_not_passed(findings)) == {"llmster::launchd:com.bebop.llmster-gpt.8126:keepalive"}


def test_logs_per_job_compare_the_plists_paths(tmp_path):
    lane = dict(_lane_plist(8101), StandardErrorPath="/tmp/vllm-8101.err.log")
    plists = {**{f"com.bebop.mlx-lane.{p}": _lane_plist(p) for p in (8100, 8102)}, "com.bebop.mlx-lane.8101": lane,
              LLMSTER: LLMSTER_PLIST}
    findings, _ = _studio(tmp_path, plists=plists)
    failed = _not_passed(findings)
    assert set(failed) == {"mlx-lanes::launchd:com.bebop.mlx-lane.8101:log-paths"}
    assert "StandardErrorPath /tmp/vllm-8101.err.log" in failed["mlx-lanes::launchd:com.bebop.mlx-lane.8101:log-paths"]


def test_an_unreadable_disabled_database_fails_its_checks_with_the_reason_never_passes(tmp_path):
    findings, _ = _studio(tmp_path, disabled_text="Unrecognized subcommand: print-disabled\n")
    failed = _not_passed(findings)
    assert set(failed) == {"mlx-lanes::launchd:com.bebop.mlx-lane.8100:enabled",
                           "mlx-lanes::launchd:com.bebop.mlx-lane.8101:enabled",
                           "mlx-lanes::launchd:com.bebop.mlx-lane.8102:disabled"}
    assert all("could not look" in m and "no `disabled services = {` block" in m for m in failed.values())


@pytest.mark.parametrize("change, says", [
    ("    state: retired\n", "gives each lane its own `state`"),
    ("    port: 8100\n", "`port` is for a single job"),
])
def test_a_lane_family_says_states_and_ports_per_lane(tmp_path, change, says):
    text = INVENTORY.replace("    listening: up\n", "    listening: up\n" + change, 1)
    (tmp_path / "inventory.yaml").write_text(text)
    with pytest.raises(InventoryError, match=says.replace("`", ".")):
        load_inventory(tmp_path / "inventory.yaml")


def test_the_founding_inventorys_launchd_checks_are_unchanged():
    from ._support import real_inventory
    inventory = real_inventory()
    ids = sorted(c.id for c in host_checks(inventory, SiteAddresses(inventory), "studio") if "launchd:" in c.id)
    assert ids == sorted(f"mlx-servers::launchd:com.bebop.mlx-launch:{a}"
                         for a in ("loaded", "running", "plist", "program", "keepalive", "plist-owner"))
    from conformance.facts.plan import HostPlan
    plan = HostPlan.of(host_checks(inventory, SiteAddresses(inventory), "studio"))
    assert not plan.disabled and not plan.tailscale_serve  # the founding Studio is asked nothing new


def test_yaml_of_lanes_as_plain_ports_still_loads(tmp_path):
    text = textwrap.dedent(INVENTORY).replace("[8100, {port: 8101, state: active}, {port: 8102, state: disabled}]",
                                              "[8100, 8101]")
    (tmp_path / "inventory.yaml").write_text(text)
    job = load_inventory(tmp_path / "inventory.yaml").launchd[0]
    assert [(j.label, j.state, j.port) for j in job.each()] == [("com.bebop.mlx-lane.8100", "active", 8100),
                                                                ("com.bebop.mlx-lane.8101", "active", 8101)]
