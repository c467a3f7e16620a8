"""Discovery of the owner's newer lab (the 2026-05 edition) from a live read: launchd jobs as loadable entries (lanes
and their states, llmster's daemon), the proxy's router.yaml found through its start script (routes with their
deployments, fallbacks, master key), listeners tied to their units, and the decisions the page asks for what the
inventory documents that the lab dropped or changed.

Fixtures: the Mac's formats are the real captures of selftest/fixtures/darwin/ (launchctl print, print-disabled,
netstat); the plists are the twin's 2026-05 studio plists (lab/hosts/studio_2026_05.py, written from the owner's
platform/ops/templates and services/*/launchd plists), the router.yaml and start script the twin's 2026-05 mini
(lab/hosts/mini_2026_05.py, the owner's services/litellm-orch/config/router.yaml shape and scripts/run-service.sh).
"""
from __future__ import annotations

import plistlib
from pathlib import Path

import pytest
import yaml

from conformance.discover import decide
from conformance.discover.classify import (Result, _documented_ports, _propose_launchd, job_service_id, job_state, lane_families,
                                           listen_entries, unit_claims_port)
from conformance.discover.drift import litellm_decisions, path_decisions, unit_decisions
from conformance.discover.ignore import Ignores
from conformance.discover.observe import (DarwinReader, Item, LinuxReader, Observation, route_attrs, said_paths,
                                          settings_attrs)
from conformance.facts.litellm import resolve_router
from conformance.facts.paths import parse_stat
from conformance.inventory import load_inventory
from conformance.redaction import Redactor
from conformance.runner import Runner
from conformance.site import SiteAddresses
from lab.hosts import mini_2026_05, studio_2026_05

from ._support import FakeMac, fixture

ROOT = Path(__file__).resolve().parents[2]
LS_SHIM = r'''[ "$1 $2 $3" = "-1 -q --" ] || exit 2
d="$FAKEROOT$4"; [ -d "$d" ] || { echo "ls: $4: No such file or directory" >&2; exit 1; }
exec /bin/ls -1 -q -- "$d"
'''


def _disabled(labels: dict[str, bool]) -> str:
    """`launchctl print-disabled system` in macOS 13+'s form (fixtures/darwin/print-disabled/modern-*.txt)."""
    lines = "".join(f'\t\t"{label}" => {"disabled" if off else "enabled"}\n' for label, off in labels.items())
    return f"\tdisabled services = {{\n{lines}\t}}\n"


def _netstat(ports: list[tuple[str, int]]) -> str:
    """`netstat -an -p tcp` (fixtures/darwin/netstat-an-p-tcp.txt's header and LISTEN lines)."""
    head = fixture("darwin/netstat-an-p-tcp.txt").splitlines()[:2]
    return "\n".join(head + [f"tcp4       0      0  {a}.{p:<16} *.*                    LISTEN" for a, p in ports]) + "\n"


@pytest.fixture
def studio(tmp_path: Path) -> FakeMac:
    """The twin's 2026-05 studio: three lane plists (8101 loaded and running, 8100 and 8102 disabled), llmster's
    job (loaded, exited cleanly, its daemon serving 8126), launchd's database naming a retired label with no plist."""
    mac = FakeMac(tmp_path)
    (mac.bin / "ls").write_text("#!/bin/sh\n" + LS_SHIM)
    (mac.bin / "ls").chmod(0o755)
    for port in (8100, 8101, 8102):
        mac.binary(f"/Library/LaunchDaemons/com.bebop.mlx-lane.{port}.plist",
                   plistlib.dumps(studio_2026_05.lane_plist(port)))
    mac.binary("/Library/LaunchDaemons/com.bebop.llmster-gpt.8126.plist", plistlib.dumps(studio_2026_05.llmster_plist()))
    running = fixture("darwin/launchctl-print-running.txt")
    exited = fixture("darwin/launchctl-print-not-running.txt")  # loaded, not running, last exit code = 0
    mac.launchctl("com.bebop.mlx-lane.8101", running.replace(running.split(" = {")[0], "system/com.bebop.mlx-lane.8101", 1))
    mac.launchctl("com.bebop.llmster-gpt.8126", exited.replace("system/com.bebop.mlx-launch",
                                                                "system/com.bebop.llmster-gpt.8126", 1))
    mac.print_disabled(_disabled({"com.bebop.mlx-lane.8100": True, "com.bebop.mlx-lane.8102": True,
                                  "com.bebop.mlx-launch": True, "com.apple.ftp-proxy": False}))
    lan = "10.213.0.3"
    mac.netstat(_netstat([(lan, 8101), (lan, 8126), ("127.0.0.1", 9200)]))
    return mac


def _read_studio(mac: FakeMac, paths=()) -> Observation:
    reader = DarwinReader("studio", Runner("studio", mac.backend(), max_round_trips=2), [], Redactor(), paths)
    reader.gap = 0
    obs = Observation("studio")
    reader.read(obs)
    return obs


def test_the_second_read_shows_each_daemons_state_plist_and_disabled_state(studio):
    obs = _read_studio(studio, ("/opt/mlx-launch", "/Library/LaunchDaemons"))
    assert obs.round_trips == 2 and obs.unreachable is None and not obs.cannot
    jobs = {i.key[0]: i.attrs for i in obs.items if i.kind == "launchd"}
    lane = jobs["com.bebop.mlx-lane.8101"]
    assert (lane["loaded"], lane["running"], lane["disabled"], lane["keep_alive"]) == (True, True, False, True)
    assert lane["program"] == studio_2026_05.VLLM and lane["stderr"] == "/Users/thestudio/vllm-8101.err.log"
    assert (jobs["com.bebop.mlx-lane.8100"]["loaded"], jobs["com.bebop.mlx-lane.8100"]["disabled"]) == (False, True)
    llmster = jobs["com.bebop.llmster-gpt.8126"]
    assert (llmster["loaded"], llmster["running"], llmster["exited_cleanly"], llmster["keep_alive"]) == (
        True, False, True, False)
    assert llmster["program"] == studio_2026_05.ENSURE and 8126 in llmster["argument_ports"]
    # a label launchd keeps disabled with no plist: a retired job (what the founding inventory calls mlx-launch)
    assert {i.key[0] for i in obs.items if i.kind == "launchd-disabled"} == {"com.bebop.mlx-launch"}
    # stat: BSD's wording for a missing path is an absent path; one that exists is there
    assert obs.paths["/opt/mlx-launch"].exists is False and obs.paths["/Library/LaunchDaemons"].exists is True


def test_the_lanes_are_one_per_port_entry_and_llmsters_daemon_serves_its_port(studio):
    obs = _read_studio(studio)
    founding = load_inventory(ROOT / "inventory.yaml")
    site = SiteAddresses(founding, None)
    result = Result()
    # the founding inventory documents 8100-8109 as com.bebop.mlx-launch's range: a job that is gone claims nothing
    _propose_launchd(founding, site, "studio", obs, _documented_ports(founding, "studio"), set(), Ignores(), result)
    launchd = {p.entry["label"]: p for p in result.proposals if p.section == "launchd"}
    lanes = launchd["com.bebop.mlx-lane.{port}"]
    assert lanes.entry["lanes"] == [{"port": 8100, "state": "disabled"}, {"port": 8101, "state": "active"},
                                    {"port": 8102, "state": "disabled"}]
    assert lanes.entry["plist"] == "/Library/LaunchDaemons/com.bebop.mlx-lane.{port}.plist"
    assert lanes.entry["stdout"] == "/Users/thestudio/vllm-{port}.log" and lanes.entry["program"] == studio_2026_05.VLLM
    assert "lanes" in lanes.review and "keep_alive" not in lanes.entry  # KeepAlive true: the default
    llmster = launchd["com.bebop.llmster-gpt.8126"].entry
    assert (llmster["state"], llmster["port"], llmster["keep_alive"], llmster["port_served_by"]) == (
        "active", 8126, False, "daemon")
    assert set(launchd["com.bebop.llmster-gpt.8126"].review) == {"state", "listening", "port_served_by"}
    services = {p.entry["id"]: p.entry for p in result.proposals if p.section == "services"}
    # the listeners go with their service, the studio's own address written as {studio} (9200: no job names it)
    assert services["llmster-gpt"]["listen"] == [{"address": "10.213.0.3", "port": 8126, "source": "observed"}]
    assert services["mlx-lane"]["listen"][0]["port"] == 8101
    assert {llmster["service"], lanes.entry["service"]} == {"llmster-gpt", "mlx-lane"}


def test_launchd_names_and_states():
    assert job_service_id("com.bebop.llmster-gpt.8126") == "llmster-gpt"
    assert job_service_id("com.bebop.mlx-lane.{port}") == "mlx-lane"
    assert job_service_id("com.bebop.memory-api-main") == "memory-api-main"
    assert lane_families(["com.bebop.mlx-lane.8100", "com.bebop.mlx-lane.8101", "com.bebop.llmster-gpt.8126",
                          "com.bebop.docs-mcp-main"]) == {
        "com.bebop.mlx-lane.{port}": {8100: "com.bebop.mlx-lane.8100", 8101: "com.bebop.mlx-lane.8101"}}
    assert [job_state(a) for a in ({"loaded": True}, {"loaded": False, "disabled": True}, {"loaded": False})] == [
        "active", "disabled", "retired"]


def test_a_listener_goes_to_the_unit_whose_env_file_or_program_names_its_port():
    assert unit_claims_port({"exec_start": "/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main"}, 5432)
    assert unit_claims_port({"exec_start": "/usr/bin/docker run x", "env_ports": [4031]}, 4031)
    assert not unit_claims_port({"exec_start": "/usr/bin/docker run x", "env_ports": [4031]}, 8011)
    inventory = load_inventory(ROOT / "examples" / "inventory-2026-05.yaml")
    site = SiteAddresses(inventory, None)
    items = [Item("listener", "mini", (a, 5432), {}, "ss -ltnH", "t") for a in ("127.0.0.1", "[::1]")]
    items.append(Item("listener", "mini", ("192.168.1.71", 445), {}, "ss -ltnH", "t"))
    assert listen_entries(inventory, site, "mini", items) == [
        {"address": "{mini}", "port": 445, "source": "observed"},
        {"addresses": ["127.0.0.1", "::1"], "port": 5432, "source": "observed"}]


def test_a_route_keeps_its_deployments_env_names_and_literals_and_the_settings_their_fallbacks():
    env = {"LLMSTER_FAST_API_BASE": "http://10.213.0.3:8126/v1", "LLMSTER_FAST_MODEL": "openai/llmster-gpt-oss-20b-mxfp4-gguf",
           "CCPROXY_ADAPTER_API_BASE": "http://127.0.0.1:4011/v1"}
    router = resolve_router(mini_2026_05.router_yaml(), env)
    fast = route_attrs(router.deployments["fast"])
    assert fast["deployments"] == [{"api_base": "http://10.213.0.3:8126/v1", "model": "openai/llmster-gpt-oss-20b-mxfp4-gguf"}]
    assert fast["env"] == {"model": "LLMSTER_FAST_MODEL", "api_base": "LLMSTER_FAST_API_BASE"} and fast["literal"] == ["api_key"]
    assert route_attrs(router.deployments["chatgpt-5"])["literal"] == ["api_key", "model"]
    settings = settings_attrs(router, "/x/config/router.yaml")
    assert settings["fallbacks"] == [("fast", ["deep"])] and settings["json_logs"] is False
    assert settings["router_settings"] == ["allowed_fails", "cooldown_time", "fallbacks", "retry_policy"]
    assert not settings["master_key_in_config"]


def test_the_start_script_confirms_the_router_yaml_beside_the_env_file():
    reader = LinuxReader("mini", None, [], Redactor(enabled=True), router=(
        "/home/christopherbailey/litellm-orch/config/router.yaml", "/home/christopherbailey/litellm-orch/config/env.local"),
        proxy_units=("litellm-orch.service",))
    orch = mini_2026_05.ORCH
    from conformance.facts.systemd import UnitProperties
    props = UnitProperties({"Id": ["litellm-orch.service"],
                            "EnvironmentFiles": [f"{orch}/config/env.local (ignore_errors=no)"],
                            "ExecStart": [f"{{ path={orch}/scripts/run-service.sh ; argv[]={orch}/scripts/run-service.sh ; "
                                          "ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; "
                                          "status=0/0 }"]})
    seen = {("system", None, "litellm-orch.service"): (props, True)}
    assert reader._router_named(seen) == (f"{orch}/config/router.yaml", f"{orch}/scripts/run-service.sh")
    from conformance.evidence import CommandRecord
    from conformance.runner import Output
    script = mini_2026_05.RUN_SERVICE
    out = Output(("head",), 0, script, "", CommandRecord("mini", "u", "head", 0, script, "", 1, 0.1))
    assert reader._script_names(out, f"{orch}/config/router.yaml")
    # only the words `litellm ... --config PATH` reach the evidence (a replay confirms it again); the rest is masked
    assert "source \"config/env.local\"" not in out.record.stdout
    assert reader._script_names(Output(("head",), 0, out.record.stdout, "", out.record), f"{orch}/config/router.yaml")
    assert not reader._script_names(out, f"{orch}/config/other.yaml")


def test_stat_says_which_documented_paths_are_gone_never_a_path_it_said_nothing_of():
    stderr = "stat: cannot statx '/home/christopherbailey/litellm-orch': No such file or directory\n"
    facts = parse_stat("directory|755|root|root|4096|/etc\n", stderr,
                       ["/etc", "/home/christopherbailey/litellm-orch", "/not/answered"])
    kept = said_paths(facts, stderr)
    assert set(kept) == {"/etc", "/home/christopherbailey/litellm-orch"}
    assert kept["/home/christopherbailey/litellm-orch"].exists is False


def test_decisions_remove_what_the_lab_dropped_and_set_what_it_changed():
    founding = load_inventory(ROOT / "inventory.yaml")
    obs = Observation("mini")
    obs.paths = said_paths(parse_stat("", "stat: cannot statx '/home/christopherbailey/litellm-orch': No such file or "
                                          "directory\n", ["/home/christopherbailey/litellm-orch"]),
                           "stat: cannot statx '/home/christopherbailey/litellm-orch': No such file or directory\n")
    orch = mini_2026_05.ORCH
    obs.items.append(Item("unit", "mini", ("system", None, "litellm-orch.service"),
                          {"exec_start": f"{orch}/scripts/run-service.sh", "restart": "always", "restart_sec": 2.0,
                           "fragment": "/etc/systemd/system/litellm-orch.service", "drop_ins": [],
                           "environment_files": [f"{orch}/config/env.local"], "run_as": "christopherbailey",
                           "active": True, "enabled": True}, "systemctl show", "t"))
    obs.items.append(Item("litellm", "mini", ("settings",), {
        "config": f"{orch}/config/router.yaml", "json_logs": False, "router_settings": ["allowed_fails", "fallbacks"],
        "fallbacks": [("fast", ["deep"])], "master_key_in_config": False, "database_in_config": False}, "head", "t"))
    obs.env[f"{orch}/config/env.local"] = {"LITELLM_MASTER_KEY": None, "DATABASE_URL": None}
    decisions = unit_decisions(founding, "mini", obs, [], {("user", "christopherbailey", "ov-server.service")})
    decisions += path_decisions(founding, "mini", obs, [])
    decisions += litellm_decisions(founding, "mini", obs, [], {"jerry-chat": ("x",)})
    said = {(d.action, d.where): d.value for d in decisions}
    assert said[("set", "services[id=litellm-orch].units[name=litellm-orch.service, scope=system].exec_start")] == \
        f"{orch}/scripts/run-service.sh"
    assert ("remove", "services[id=ov-server].units[name=ov-server.service, scope=user, user=christopherbailey]") in said
    assert ("remove", "services[id=litellm-orch].paths[name=owner-repo]") in said
    assert ("remove", "litellm.routes[name=jerry-chat]") in said
    assert said[("set", "litellm.config")] == f"{orch}/config/router.yaml"
    assert said[("set", "litellm.env_file")] == f"{orch}/config/env.local"
    assert said[("set", "litellm.master_key.enabled")] is True  # LITELLM_MASTER_KEY is in the env file (its name)
    assert said[("set", "litellm.json_logs")] is False
    assert said[("set", "litellm.database")] == {"enabled": True, "source": "observed"}
    # router_settings documents keys router.yaml must have: retry_policy gone is a decision, a new key is not
    assert said[("set", "litellm.router_settings")] == ["allowed_fails", "fallbacks"]
    # the owner's side: the decisions made on a copy, the inventory still loads... once what they name is applied
    data = decide.apply(yaml.safe_load((ROOT / "inventory.yaml").read_text()),
                        [{"action": d.action, "at": list(d.at), "value": d.value} for d in decisions])
    ov = next(s for s in data["services"] if s["id"] == "ov-server")
    assert all(u["scope"] == "system" for u in ov["units"]) if ov["units"] else True
    assert not any(p["name"] == "owner-repo" for p in next(s for s in data["services"] if s["id"] == "litellm-orch")["paths"])
    assert data["litellm"]["master_key"]["enabled"] is True
    assert "jerry-chat" not in {r["name"] for r in data["litellm"]["routes"]}


def test_decide_refuses_a_decision_that_names_nothing():
    with pytest.raises(decide.NotThere):
        decide.apply({"services": []}, [{"action": "remove", "at": ["litellm", "routes", {"name": "x"}]}])


def test_decide_from_the_command_line_writes_a_copy_that_loads(tmp_path):
    data = {"decisions": [{"action": "remove", "at": ["litellm", "routes", {"name": "jerry-test"}]},
                          {"action": "set", "at": ["litellm", "master_key", "enabled"], "value": True}]}
    (tmp_path / "discovery.json").write_text(__import__("json").dumps(data))
    out = tmp_path / "decided.yaml"
    assert decide.main([str(tmp_path / "discovery.json"), str(ROOT / "inventory.yaml"), str(out)]) == 0
    decided = load_inventory(out)
    assert "jerry-test" not in {r.name for r in decided.litellm.routes} and decided.litellm.master_key.enabled
    assert decide.main([]) == 4  # usage
