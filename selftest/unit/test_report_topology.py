"""The topology picture: topology_of() over the repository's own inventory (hosts, nodes, edges), and
render_topology_svg() coloured by a run's checks (nodes by their service's worst check, route edges by
their contract checks, grey when not run); the SVG is well-formed, escaped and self-contained.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.checks.derive import host_checks
from conformance.inventory import load_inventory, load_site
from conformance.report.model import CheckResult
from conformance.report.topology import COLOURS, render_topology_svg, topology_of
from conformance.site import SiteAddresses

from ._support import ROOT
from .test_report import GREEN, check, report_of, section

SVG = "{http://www.w3.org/2000/svg}"
INVENTORY = load_inventory(ROOT / "inventory.yaml")
TWIN = SiteAddresses(INVENTORY, load_site(ROOT / "lab" / "site-twin.yaml", INVENTORY))
MLX_PORTS = (8100, 8101, 8102, 8103, 8109)


@pytest.fixture(scope="module")
def topology() -> dict:
    return topology_of(INVENTORY, TWIN)


def all_checks(states: dict[str, str] | None = None, extra: list[CheckResult] = ()) -> list[CheckResult]:
    """Every check the inventory makes on the three hosts, passed unless `states` says otherwise."""
    states = states or {}
    out = [CheckResult(id=c.id, host=host, kind=c.kind, state=states.get(c.id, "passed"))
           for host in ("mini", "studio", "dietpi") for c in host_checks(INVENTORY, TWIN, host)]
    return out + list(extra)


def contract(cid: str, state: str, host: str = "mini") -> CheckResult:
    return CheckResult(id=cid, host=host, kind="contract", state=state)


def svg_of(topology: dict, checks) -> ET.Element:
    return ET.fromstring(render_topology_svg(topology, checks))  # well-formed XML, or this raises


def nodes(svg: ET.Element) -> dict[str, str]:
    return {g.get("data-node"): g.get("data-state") for g in svg.iter(f"{SVG}g") if g.get("class") == "node"}


def edges(svg: ET.Element) -> dict[tuple[str, str], str]:
    return {(g.get("data-from"), g.get("data-to")): g.get("data-state") for g in svg.iter(f"{SVG}g")
            if g.get("class") == "edge"}


# --- the data --------------------------------------------------------------------------------------
def test_the_topology_is_the_inventorys_hosts_services_and_routes(topology):
    json.dumps(topology)  # plain data: what results.json stores
    assert [(h["id"], h["address"]) for h in topology["hosts"]] == [
        ("mini", "10.213.0.2"), ("studio", "10.213.0.3"), ("dietpi", "10.213.0.4")]
    by_host = {h["id"]: [n["id"] for n in h["nodes"]] for h in topology["hosts"]}
    assert by_host == {"mini": ["litellm-orch", "open-webui", "ov-server", "ollama"],
                       "studio": [f"mlx-servers:{p}" for p in MLX_PORTS],  # one node per routed port
                       "dietpi": ["home-assistant"]}
    routes = {e["route"]: (e["from"], e["to"]) for e in topology["edges"] if e["route"]}
    assert routes == {"jerry-chat": ("litellm-orch", "mlx-servers:8100"), "jerry-editor": ("litellm-orch", "mlx-servers:8101"),
                      "jerry-architect": ("litellm-orch", "mlx-servers:8102"), "jerry-weak": ("litellm-orch", "mlx-servers:8103"),
                      "jerry-test": ("litellm-orch", "mlx-servers:8109"), "lil-jerry": ("litellm-orch", "ov-server")}
    config = [e for e in topology["edges"] if not e["route"]]
    assert config == [{"from": "open-webui", "to": "litellm-orch", "label": "OPENAI_API_BASE_URL", "route": None,
                       "checks": ["open-webui::env:OPENAI_API_BASE_URL"]}]
    # the check that colours the Open WebUI -> LiteLLM edge is one the suite really makes
    assert config[0]["checks"][0] in {c.id for c in host_checks(INVENTORY, TWIN, "mini")}


def test_the_documented_addresses_without_a_site():
    assert [h["address"] for h in topology_of(INVENTORY)["hosts"]] == [h.address for h in INVENTORY.hosts]
    assert topology_of(INVENTORY)["site"] == "lab" and topology_of(INVENTORY, TWIN)["site"] == "twin"


def test_a_backend_on_one_port_is_one_node_and_an_inventory_without_litellm_has_no_routes(tmp_path):
    small = load_inventory(ROOT / "selftest" / "fixtures" / "inventory-small.yaml")
    topo = topology_of(small)
    assert {h["id"]: [n["id"] for n in h["nodes"]] for h in topo["hosts"]} == {
        "mini": ["litellm-orch", "ov-server"], "studio": ["mlx-servers"]}  # one routed MLX port: one node
    assert [(e["from"], e["to"], e["route"]) for e in topo["edges"]] == [
        ("litellm-orch", "mlx-servers", "jerry-chat"), ("litellm-orch", "ov-server", "lil-jerry")]
    text = (ROOT / "selftest" / "fixtures" / "inventory-small.yaml").read_text()
    no_litellm = tmp_path / "inventory.yaml"
    no_litellm.write_text(text.split("\nlitellm:")[0] + "\n")
    assert topology_of(load_inventory(no_litellm))["edges"] == []


# --- the colours ------------------------------------------------------------------------------------
def test_nodes_show_their_services_worst_check_and_port_nodes_their_own_port(topology):
    svg = svg_of(topology, all_checks({"litellm-orch::restart-sec": "failed", "mlx-servers::listen:8101": "failed",
                                       "mlx-servers::health:8109": "not applicable",
                                       "home-assistant::enabled": "cannot verify"}))
    states = nodes(svg)
    assert states["litellm-orch"] == "failed" and states["open-webui"] == "passed" and states["ollama"] == "passed"
    assert states["mlx-servers:8101"] == "failed" and states["mlx-servers:8100"] == "passed"
    assert states["mlx-servers:8109"] == "not applicable" and states["home-assistant"] == "cannot verify"
    # a check of the whole job (no port in its id) colours every port node
    states = nodes(svg_of(topology, all_checks({"mlx-servers::launchd:com.bebop.mlx-launch:running": "failed"})))
    assert {states[f"mlx-servers:{p}"] for p in MLX_PORTS} == {"failed"}
    # the colour is in the picture itself, not only in an attribute
    failed = [g for g in svg.iter(f"{SVG}g") if g.get("data-node") == "mlx-servers:8101"][0]
    assert failed.find(f".//{SVG}rect").get("stroke") == COLOURS["failed"][1]


def test_a_routes_contract_checks_colour_the_node_its_edge_leads_to_only(topology):
    checks = all_checks(extra=[contract("mlx-servers::contract:jerry-chat:direct", "failed", host="studio"),
                               contract("mlx-servers::contract:jerry-editor:direct", "passed", host="studio"),
                               contract("ov-server::contract:lil-jerry:backend", "failed", host="mini")])
    states = nodes(svg_of(topology, checks))
    assert states["mlx-servers:8100"] == "failed" and states["ov-server"] == "failed"
    assert {states[f"mlx-servers:{p}"] for p in MLX_PORTS[1:]} == {"passed"}  # not every MLX port
    counts = {g.get("data-node"): "".join(g.itertext()) for g in svg_of(topology, checks).iter(f"{SVG}g")
              if g.get("class") == "node"}
    assert "failed (12 checks)" in counts["mlx-servers:8100"] and "passed (12 checks)" in counts["mlx-servers:8101"]


def test_a_node_whose_host_did_not_run_is_grey(topology):
    mini_only = [c for c in all_checks() if c.host == "mini"]
    states = nodes(svg_of(topology, mini_only))
    assert states["home-assistant"] == "not run" and states["mlx-servers:8100"] == "not run"
    assert states["ov-server"] == "passed"


def test_route_edges_follow_their_contract_checks_and_are_grey_when_not_run(topology):
    checks = all_checks({"open-webui::env:OPENAI_API_BASE_URL": "failed"}, [
        contract("ov-server::contract:lil-jerry:chat", "passed"),
        contract("ov-server::contract:lil-jerry:stream", "failed"),
        contract("mlx-servers::contract:jerry-chat:chat", "passed"),
        contract("mlx-servers::contract:jerry-test:chat", "not applicable"),
        contract("litellm-orch::contract:unknown-model", "failed"),  # no route's: colours no route edge
        contract("mlx-servers::contract:jerry-chat-old:chat", "failed")])  # another route whose name starts alike
    svg = svg_of(topology, checks)
    states = edges(svg)
    assert states[("litellm-orch", "ov-server")] == "failed"  # worst of its two contract checks
    assert states[("litellm-orch", "mlx-servers:8100")] == "passed"
    assert states[("litellm-orch", "mlx-servers:8109")] == "not applicable"
    assert states[("litellm-orch", "mlx-servers:8101")] == "not run"
    assert states[("open-webui", "litellm-orch")] == "failed"  # its env check
    paths = {(g.get("data-from"), g.get("data-to")): g.find(f"{SVG}path") for g in svg.iter(f"{SVG}g")
             if g.get("class") == "edge"}
    assert paths[("litellm-orch", "mlx-servers:8101")].get("stroke-dasharray")  # grey and dashed
    assert paths[("litellm-orch", "mlx-servers:8100")].get("stroke-dasharray") is None
    assert paths[("litellm-orch", "ov-server")].get("stroke") == COLOURS["failed"][1]


# --- the picture ------------------------------------------------------------------------------------
def test_the_svg_is_deterministic_laid_out_in_columns_and_self_contained(topology):
    checks = all_checks()
    text = render_topology_svg(topology, checks)
    assert text == render_topology_svg(topology, checks)
    svg = ET.fromstring(text)
    hosts = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "host"]
    assert [g.get("data-host") for g in hosts] == ["mini", "studio", "dietpi"]
    xs = [float(g.find(f"{SVG}rect").get("x")) for g in hosts]
    assert xs == sorted(xs) and len(set(xs)) == 3  # a column per host, left to right
    rows = {g.get("data-node"): float(g.find(f".//{SVG}rect").get("y")) for g in svg.iter(f"{SVG}g")
            if g.get("class") == "node"}
    assert rows["open-webui"] < rows["litellm-orch"] < rows["ov-server"] < rows["ollama"]  # in the flow's order
    assert not re.search(r"(href|src)=\"(?!#)", text) and "url(" not in text.replace("url(#arrow-", "")
    assert "<script" not in text and "<image" not in text and "<foreignObject" not in text


def test_every_text_is_escaped():
    evil = '<script>alert(1)</script>"&'
    topo = {"hosts": [{"id": evil, "address": evil, "role": evil,
                       "nodes": [{"id": evil, "service": evil, "label": evil, "ports": [1], "purpose": evil},
                                 {"id": "b", "service": "b", "label": "b", "ports": []}]}],
            "edges": [{"from": evil, "to": "b", "label": evil, "route": evil}]}
    text = render_topology_svg(topo, [CheckResult(id=f"{evil}::x", host=evil, state="failed")])
    svg = ET.fromstring(text)
    assert not list(svg.iter(f"{SVG}script")) and "<script>" not in text
    assert evil in "".join(svg.itertext())
    assert nodes(svg)[evil] == "failed"


@pytest.mark.parametrize("garbage", [
    {}, {"hosts": "mini"}, {"hosts": [1, None, {"id": 3}], "edges": "x"},
    {"hosts": [{"id": "mini", "nodes": [{"id": "a", "ports": "80"}, {"label": "no id"}, "x"]}],
     "edges": [{"from": "a"}, {"from": "a", "to": "nowhere", "checks": "x"}, None]},
    {"hosts": [{"id": "mini", "nodes": [{"id": "a"}, {"id": "a"}]}, {"id": "mini"}],
     "edges": [{"from": "a", "to": "a", "label": None}]},
])
def test_malformed_topology_data_draws_what_it_can(garbage):
    svg = svg_of(garbage, [])
    assert svg.tag == f"{SVG}svg"


# --- in the report ---------------------------------------------------------------------------------
def test_the_report_shows_the_topology_and_its_nodes_link_to_their_checks(tmp_path, topology):
    checks = GREEN + [check("ov-server::restart", "failed", kind="restart", found="no")]
    page, text, _ = report_of(tmp_path, checks, extra={"topology": topology})
    assert "Drawn from the inventory" in section(page, "topology")
    assert text.count("<svg") == 1 and "#topology" in [a.attrs["href"] for a in page.find_all("nav")[0].find_all("a")]
    states = {g.attrs["data-node"]: g.attrs["data-state"] for g in page.find_all("g", class_="node")}
    assert states["ov-server"] == "failed" and states["litellm-orch"] == "passed" and states["ollama"] == "not run"
    links = [a.attrs["href"] for g in page.find_all("g", class_="node") for a in g.find_all("a")]
    ids = {n.attrs["id"] for n in page.iter() if "id" in n.attrs}
    assert links and all(link[1:] in ids for link in links)  # only services with checks link, to their section
    assert len(links) == 3  # litellm-orch, open-webui, ov-server: the services this run checked


def test_the_plugin_stores_the_topology_in_results_json(tmp_path):
    """A real conformance run (the small inventory, on this machine: its checks fail, which is fine here)."""
    import subprocess
    import sys

    from ._support import environ_without_pytest_vars
    small = ROOT / "selftest" / "fixtures" / "inventory-small.yaml"
    done = subprocess.run([sys.executable, "-m", "pytest", "-m", "local", "-p", "no:cacheprovider", "-q",
                           f"--inventory={small}", f"--report-dir={tmp_path}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=environ_without_pytest_vars())
    assert done.returncode in (0, 1), done.stdout + done.stderr
    stored = json.loads(next(Path(tmp_path).glob("2*/results.json")).read_text())["topology"]
    assert stored == json.loads(json.dumps(topology_of(load_inventory(small))))
