"""Hosts and services of today's lab (issue 17): Tailscale Serve mappings from `tailscale serve status --json`, a
port with several bind addresses, a unit with several documented drop-ins, a service run by Docker checked as its
unit plus its listener, and the inventory's `not_modelled` list (shown in the report, never a check).

Fixtures: selftest/fixtures/tailscale/ (README.md there names each source): two real captures' shapes (a node's
HTTPS port with a path handler and AllowFunnel, gbraad-cockpit/cockpit-tailscale issue #20; a Service's TCP forward,
tailscale/tailscale issue #18289) and the owner's mappings (bebopbabailey/homelab-llm@1b54b73
docs/v2/inventory/MINI_BASELINE.md:28-37) as the twin's tailscale stand-in marshals them. The drop-in names are the
owner's (docs/PLATFORM_DOSSIER.md:154, docs/journal/2026-04-27-owui-websearch-first-pass-tuning.md:14,
services/open-webui/systemd/80-knowledge-backend-sync.conf), the Docker unit their platform/ops/systemd/openhands.service,
Samba's binds the ports table's `127.0.0.1` + `192.168.1.71` (docs/PLATFORM_DOSSIER.md:45).
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from conformance.checks.derive import evaluate, host_checks
from conformance.checks.finding import Status
from conformance.facts.tailscale import ServeStatusError, Served, parse_serve_status
from conformance.inventory import InventoryError, load_inventory, load_site
from conformance.report.render import write_report
from conformance.site import SiteAddresses
from ._support import FakeMini, fixture
from .test_report import check, dom, write_run

OWNER = fixture("tailscale/owner-mini-services-and-8123.json")


# --- the parser ----------------------------------------------------------------------------------------------------

def test_the_owners_node_forward_and_services_are_read():
    served = parse_serve_status(OWNER)
    assert Served("node", 8123, "/", "http://192.168.1.40:8123", "proxy", "themini.tailfd1400.ts.net:8123") in served
    assert Served("node", 4443, None, "127.0.0.1:4000", "tcp-forward") in served
    services = {s.serve: s.target for s in served if s.serve.startswith("svc:")}
    assert services == {"svc:chat": "http://127.0.0.1:3000", "svc:code": "http://127.0.0.1:8080",
                        "svc:codeagent": "http://127.0.0.1:4096", "svc:gateway": "http://127.0.0.1:4000",
                        "svc:grafana": "http://127.0.0.1:3001", "svc:hands": "http://127.0.0.1:4031",
                        "svc:search": "http://127.0.0.1:8888"}
    assert all(s.port == 443 for s in served if s.serve.startswith("svc:"))
    # TCP["8123"] says only HTTPS: it is the web handler's port, not a forward of its own
    assert [s for s in served if s.port == 8123 and s.kind == "tcp-forward"] == []


def test_a_path_handler_and_a_service_forward_are_read_from_the_real_captures():
    cockpit = parse_serve_status(fixture("tailscale/cockpit-issue-20-https-path-funnel.json"))
    assert cockpit == [Served("node", 443, "/", "/home/gbraad/Public", "files",
                              "mobile-t460p.phoenix-wyvern.ts.net:443")]
    service = parse_serve_status(fixture("tailscale/tailscale-issue-18289-service-tcp.json"))
    assert service == [Served("svc:ascii-chat", 27224, None, "localhost:27224", "tcp-forward")]


def test_no_serve_config_is_an_empty_object_and_no_mapping():
    assert parse_serve_status("{}\n") == []


@pytest.mark.parametrize("text, says", [
    ("No serve config\n", "not JSON"),
    ("[]", "not a ServeConfig object"),
    ('{"TCP": []}', "TCP: expected an object"),
    ('{"Web": {"themini:http": {"Handlers": {}}}}', "not a port"),
    ('{"Web": {"no-port": {"Handlers": {}}}}', "not <dnsname>:<port>"),
    ('{"Services": {"svc:x": 1}}', "not an object"),
])
def test_anything_else_is_an_error_never_no_mappings(text, says):
    with pytest.raises(ServeStatusError, match=says):
        parse_serve_status(text)


# --- an inventory of the Mini's hosts and services ---------------------------------------------------------------

INVENTORY = """\
version: 1
hosts:
  - {id: mini, os: linux, address: 192.168.1.71, source: companion}
  - {id: dietpi, os: linux, address: 192.168.1.70, source: companion}
services:
  - id: samba
    host: mini
    source: companion
    purpose: LAN-only SMB shares
    listen:
      - {addresses: [127.0.0.1, "{mini}"], port: 445, source: companion}
      - {addresses: [127.0.0.1, "{mini}"], port: 139, source: companion}
  - id: open-webui
    host: mini
    source: companion
    purpose: chat UI
    units:
      - name: open-webui.service
        source: companion
        drop_ins:
          - /etc/systemd/system/open-webui.service.d/20-websearch-baseline.conf
          - /etc/systemd/system/open-webui.service.d/25-querygen-prompt-policy.conf
          - /etc/systemd/system/open-webui.service.d/80-knowledge-backend-sync.conf
  - id: openhands
    host: mini
    source: companion
    purpose: operator UI, a Docker container under systemd
    units:
      - name: openhands.service
        source: companion
        exec_start: >-
          /usr/bin/docker run --rm --name ${OPENHANDS_CONTAINER_NAME} --pull never
          -p 127.0.0.1:${OPENHANDS_HOST_PORT}:3000 ${OPENHANDS_APP_IMAGE}
        restart: always
        restart_sec: 5
    listen:
      - {address: 127.0.0.1, port: 4031, source: companion}
  - {id: home-assistant, host: dietpi, source: companion, purpose: home automation}
tailscale_serve:
  - {host: mini, service: home-assistant, port: 8123, proxy: "http://192.168.1.40:8123", source: companion}
  - {host: mini, service: open-webui, serve: "svc:chat", port: 443, proxy: "http://127.0.0.1:3000", source: companion}
  - {host: mini, port: 4443, tcp_forward: "127.0.0.1:4000", source: derived, why: a TCP forward of the stand-in's state}
not_modelled:
  - what: the Studio's pf firewall (Mini-only scope of 55440)
    reason: out of scope; pf rules are read with root only and are not part of any service's contract
    source: companion
    where: docs/PLATFORM_DOSSIER.md:52
"""

DROP_INS = ("/etc/systemd/system/open-webui.service.d/20-websearch-baseline.conf "
            "/etc/systemd/system/open-webui.service.d/25-querygen-prompt-policy.conf "
            "/etc/systemd/system/open-webui.service.d/80-knowledge-backend-sync.conf")
DOCKER_EXEC = ("{ path=/usr/bin/docker ; argv[]=/usr/bin/docker run --rm --name ${OPENHANDS_CONTAINER_NAME} --pull never "
               "-p 127.0.0.1:${OPENHANDS_HOST_PORT}:3000 ${OPENHANDS_APP_IMAGE} ; ignore_errors=no ; start_time=[n/a] ; "
               "stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }")


def _show(drop_ins: str = DROP_INS, exec_start: str = DOCKER_EXEC) -> str:
    """`systemctl show` of the two units, in the order the plan asks them (open-webui, openhands)."""
    common = "LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\n"
    return (f"Id=open-webui.service\n{common}FragmentPath=/etc/systemd/system/open-webui.service\n"
            f"DropInPaths={drop_ins}\nRestart=always\nRestartUSec=3s\n\n"
            f"Id=openhands.service\n{common}FragmentPath=/etc/systemd/system/openhands.service\nDropInPaths=\n"
            f"ExecStart={exec_start}\nRestart=always\nRestartUSec=5s\n")


def _ss(*rows: str) -> str:
    return "".join(f"LISTEN 0      4096   {local:>20}  0.0.0.0:*\n" for local in rows)


SAMBA_AND_DOCKER = ("127.0.0.1:445", "192.168.1.71:445", "127.0.0.1:139", "192.168.1.71:139", "127.0.0.1:4031")


def _mini(tmp_path, *, ss=SAMBA_AND_DOCKER, show=None, serve=OWNER, site=None):
    mini = FakeMini(tmp_path).show("system", show if show is not None else _show()).ss(_ss(*ss))
    if serve is not None:
        mini.tailscale_serve(serve)
    (tmp_path / "inventory.yaml").write_text(INVENTORY)
    inventory = load_inventory(tmp_path / "inventory.yaml")
    addresses = SiteAddresses(inventory, site)
    checks = host_checks(inventory, addresses, "mini")
    from conformance.facts.host import HostFacts
    from conformance.facts.kinds import kind_of
    from conformance.facts.plan import HostPlan
    from conformance.runner import Runner
    facts = HostFacts(kind_of("linux"), HostPlan.of(checks), Runner("mini", mini.backend()))
    facts.gather()
    return {c.id: evaluate(c, facts) for c in checks}, facts


def _not_passed(findings):
    return {i: f.message for i, f in findings.items() if f.status is not Status.PASSED}


def test_the_documented_mini_passes_in_one_round_trip(tmp_path):
    findings, facts = _mini(tmp_path)
    assert _not_passed(findings) == {}
    assert {"tailscale-serve::mini:node:8123/", "tailscale-serve::mini:svc:chat:443/",
            "tailscale-serve::mini:node:4443/tcp", "samba::listen:445", "samba::listen:139",
            "open-webui::drop-ins", "openhands::exec-start", "openhands::listen:4031"} <= set(findings)
    assert facts.runner.batches == 1
    assert any(r.command == "tailscale serve status --json" for r in facts.runner.records)


def test_a_changed_tailscale_forward_fails_its_mapping_only(tmp_path):
    changed = OWNER.replace("http://192.168.1.40:8123", "http://192.168.1.70:8123")
    findings, _ = _mini(tmp_path, serve=changed)
    failed = _not_passed(findings)
    assert set(failed) == {"tailscale-serve::mini:node:8123/"}
    assert "expected 'http://192.168.1.40:8123', found 'http://192.168.1.70:8123'" in failed["tailscale-serve::mini:node:8123/"]


def test_a_mapping_gone_says_what_that_serve_still_maps(tmp_path):
    findings, _ = _mini(tmp_path, serve=fixture("tailscale/tailscale-issue-18289-service-tcp.json"))
    failed = _not_passed(findings)
    assert {"tailscale-serve::mini:node:8123/", "tailscale-serve::mini:svc:chat:443/",
            "tailscale-serve::mini:node:4443/tcp"} == set(failed)
    assert "no web handler on node :8123/" in failed["tailscale-serve::mini:node:8123/"]


def test_tailscaled_not_running_fails_every_mapping_with_its_reason(tmp_path):
    findings, _ = _mini(tmp_path, serve=None)
    failed = _not_passed(findings)
    assert {i for i in failed if i.startswith("tailscale-serve::")} == {
        "tailscale-serve::mini:node:8123/", "tailscale-serve::mini:svc:chat:443/", "tailscale-serve::mini:node:4443/tcp"}
    assert all("could not look" in m and "tailscaled" in m for i, m in failed.items() if i.startswith("tailscale-serve"))


def test_several_binds_of_one_port_each_listen_and_no_other(tmp_path):
    findings, _ = _mini(tmp_path, ss=("127.0.0.1:445", "0.0.0.0:445", "127.0.0.1:139", "192.168.1.71:139",
                                      "127.0.0.1:4031"))
    failed = _not_passed(findings)
    assert set(failed) == {"samba::listen:445"}
    assert findings["samba::listen:445"].missing == ("192.168.1.71",)
    assert findings["samba::listen:445"].extra == ("0.0.0.0",)


def test_a_host_address_in_a_bind_is_the_sites(tmp_path):
    site_file = tmp_path / "site.yaml"
    site_file.write_text("site: twin\nhosts:\n  mini: {address: 10.213.0.2}\n")
    (tmp_path / "inv.yaml").write_text(INVENTORY)
    site = load_site(site_file, load_inventory(tmp_path / "inv.yaml"))
    findings, _ = _mini(tmp_path, ss=("127.0.0.1:445", "10.213.0.2:445", "127.0.0.1:139", "10.213.0.2:139",
                                      "127.0.0.1:4031"), site=site)
    assert _not_passed(findings) == {}
    assert findings["samba::listen:445"].expected == ["127.0.0.1", "10.213.0.2"]


def test_the_three_drop_ins_compare_with_systemds_drop_in_paths(tmp_path):
    two = DROP_INS.rsplit(" ", 1)[0] + " /etc/systemd/system/open-webui.service.d/99-local.conf"
    findings, _ = _mini(tmp_path, show=_show(drop_ins=two))
    failed = _not_passed(findings)
    assert set(failed) == {"open-webui::drop-ins"}
    assert findings["open-webui::drop-ins"].missing == (
        "/etc/systemd/system/open-webui.service.d/80-knowledge-backend-sync.conf",)
    assert findings["open-webui::drop-ins"].extra == ("/etc/systemd/system/open-webui.service.d/99-local.conf",)


def test_a_docker_service_is_its_unit_plus_its_listener_without_the_docker_socket(tmp_path):
    other_image = DOCKER_EXEC.replace("${OPENHANDS_APP_IMAGE}", "openhands:latest")
    findings, facts = _mini(tmp_path, show=_show(exec_start=other_image), ss=SAMBA_AND_DOCKER[:-1])
    assert set(_not_passed(findings)) == {"openhands::exec-start", "openhands::listen:4031"}
    assert not any("docker" in r.command.split()[0] for r in facts.runner.records)  # never asks docker itself


def test_not_modelled_entries_make_no_check(tmp_path):
    findings, _ = _mini(tmp_path)
    assert not any("pf" in i or "firewall" in i for i in findings)
    inventory = load_inventory(tmp_path / "inventory.yaml")
    assert [m.what for m in inventory.not_modelled] == ["the Studio's pf firewall (Mini-only scope of 55440)"]


def test_the_report_lists_what_is_not_modelled_with_its_reason(tmp_path):
    run = write_run(tmp_path / "reports", datetime(2026, 5, 6, 3, tzinfo=timezone.utc), [check("a::b")],
                    extra={"not_modelled": [{"what": "the Studio's pf firewall", "reason": "out of scope",
                                             "source": "companion", "where": "docs/PLATFORM_DOSSIER.md:52"}]})
    page = dom(write_report(run).read_text(encoding="utf-8"))
    text = page.by_id("not-modelled").text()
    assert "the Studio's pf firewall" in text and "out of scope" in text and "docs/PLATFORM_DOSSIER.md:52" in text
    bare = write_run(tmp_path / "reports2", datetime(2026, 5, 6, 3, tzinfo=timezone.utc), [check("a::b")])
    assert 'id="not-modelled"' not in write_report(bare).read_text(encoding="utf-8")


@pytest.mark.parametrize("change, says", [
    ("      - {addresses: [127.0.0.1, \"{mini}\"], port: 445, source: companion}",
     "      - {address: 127.0.0.1, addresses: [127.0.0.1, \"{mini}\"], port: 445, source: companion}"),
    ("      - {addresses: [127.0.0.1, \"{mini}\"], port: 445, source: companion}",
     "      - {addresses: [127.0.0.1, 127.0.0.1], port: 445, source: companion}"),
    ("      - {addresses: [127.0.0.1, \"{mini}\"], port: 445, source: companion}",
     "      - {addresses: [127.0.0.1, \"{nas}\"], port: 445, source: companion}"),
    ("port: 8123, proxy:", "port: 8123, tcp_forward: \"127.0.0.1:1\", proxy:"),
    ("service: home-assistant, port: 8123", "service: hass, port: 8123"),
    ("  - what: the Studio's pf firewall", "  - what: pf\n    reason: none"),
])
def test_a_wrong_entry_is_refused_at_its_line(tmp_path, change, says):
    (tmp_path / "inventory.yaml").write_text(INVENTORY.replace(change, says, 1))
    with pytest.raises(InventoryError, match=r"inventory\.yaml:\d+"):
        load_inventory(tmp_path / "inventory.yaml")


def test_a_password_in_a_proxy_url_never_reaches_the_evidence(tmp_path):
    from conformance.redaction import Redactor
    secret = OWNER.replace("http://127.0.0.1:3000", "http://admin:chat-canary-5d1e9b7a@127.0.0.1:3000")
    mini = FakeMini(tmp_path).show("system", _show()).ss(_ss(*SAMBA_AND_DOCKER)).tailscale_serve(secret)
    (tmp_path / "inventory.yaml").write_text(INVENTORY)
    inventory = load_inventory(tmp_path / "inventory.yaml")
    from conformance.facts.host import HostFacts
    from conformance.facts.kinds import kind_of
    from conformance.facts.plan import HostPlan
    from conformance.runner import Runner
    checks = host_checks(inventory, SiteAddresses(inventory), "mini")
    redactor = Redactor(enabled=True)
    facts = HostFacts(kind_of("linux"), HostPlan.of(checks), Runner("mini", mini.backend()), redactor)
    facts.gather()
    record = next(r for r in facts.runner.records if r.command == "tailscale serve status --json")
    assert "chat-canary-5d1e9b7a" not in record.stdout and "127.0.0.1:3000" in record.stdout
    finding = evaluate(next(c for c in checks if c.id == "tailscale-serve::mini:svc:chat:443/"), facts)
    assert finding.status is Status.FAILED and "chat-canary-5d1e9b7a" not in redactor(finding.message)
