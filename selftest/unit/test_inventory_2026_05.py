"""examples/inventory-2026-05.yaml says the owner's lab as their repo documents it (bebopbabailey/homelab-llm at
1b54b73): every row of the ports table of their docs/PLATFORM_DOSSIER.md maps to inventory ids, a service on that
host listening on that port, or a `not_modelled` entry that names the port and says why.

The table is read from a short committed excerpt (fixtures/owner-2026-05/dossier-ports.md: service, host, port of
each row, as written there), never from the owner's repo at test time.
"""
from __future__ import annotations

import re

import pytest

from conformance.inventory import load_inventory

from ._support import ROOT

INVENTORY = ROOT / "examples" / "inventory-2026-05.yaml"
EXCERPT = ROOT / "selftest" / "fixtures" / "owner-2026-05" / "dossier-ports.md"
# the dossier's host names and the inventory's host ids (docs/foundation/topology.md names the same four hosts)
HOSTS = {"Mini": "mini", "Studio": "studio", "Orin": "orin", "DietPi": "dietpi"}


def dossier_rows(text: str) -> list[tuple[str, str, list[int]]]:
    """(service, host, ports) of each row of a markdown table | service | host | port |; a port cell may hold
    several ports ("2024 / 3030", "139/445")."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) != 3 or cells[0] == "service" or set(cells[0]) <= {"-", " "}:
            continue
        service, host, port = cells
        ports = [int(p) for p in re.split(r"\s*/\s*", port)]
        rows.append((service, host, ports))
    return rows


def names(what: str, host: str, port: int) -> bool:
    """A not-modelled entry names a port of a host as `<host>:<port>` in its `what`."""
    return re.search(rf"(?<![\w.-]){re.escape(host)}:{port}(?!\d)", what) is not None


def ids_for(inventory, host: str, port: int) -> list[str]:
    """The inventory ids a (host, port) of the table maps to: services on the host with a listener on the port,
    and not-modelled entries naming <host>:<port>."""
    ids = [s.id for s in inventory.services_on(host) if any(listener.port == port for listener in s.listen)]
    ids += [f"not_modelled: {n.what}" for n in inventory.not_modelled if names(n.what, host, port)]
    return ids


ROWS = dossier_rows(EXCERPT.read_text())


def test_the_excerpt_holds_the_whole_table():
    # the dossier's table at 1b54b73 has 22 rows, 24 ports (two rows carry two ports each)
    assert len(ROWS) == 22
    assert sum(len(ports) for _, _, ports in ROWS) == 24
    assert {host for _, host, _ in ROWS} == set(HOSTS)


def test_a_port_cell_with_two_ports_is_read_as_two():
    rows = dossier_rows("| service | host | port |\n| --- | --- | --- |\n| a | Mini | 2024 / 3030 |\n| b | Mini | 139/445 |\n")
    assert rows == [("a", "Mini", [2024, 3030]), ("b", "Mini", [139, 445])]


@pytest.mark.parametrize("service,host,ports", ROWS, ids=[f"{h}:{'/'.join(map(str, p))}" for _, h, p in ROWS])
def test_each_dossier_row_maps_to_inventory_ids(service, host, ports):
    inventory = load_inventory(INVENTORY)
    for port in ports:
        ids = ids_for(inventory, HOSTS[host], port)
        assert ids, f"{service} ({host}:{port}): no service listens there and no not_modelled entry names it"
        assert len(ids) == 1, f"{service} ({host}:{port}) maps to several ids: {ids}"


def test_not_modelled_entries_say_why():
    inventory = load_inventory(INVENTORY)
    assert inventory.not_modelled, "the example lists what it does not model (the Studio's pf firewall at least)"
    assert any("pf firewall" in e.what for e in inventory.not_modelled)  # issue 17: out of scope, and said so
    for entry in inventory.not_modelled:
        assert entry.where, f"{entry.what}: a not-modelled entry names the owner's document that names it"


def test_a_not_modelled_port_is_named_as_host_colon_port():
    assert names("mini:2024 and mini:3030 cockpit", "mini", 3030)
    assert not names("mini:20240 x", "mini", 2024) and not names("xmini:2024", "mini", 2024)
    assert not names("studio:9999 AFM", "mini", 9999)


def test_a_row_that_maps_nowhere_is_caught():
    inventory = load_inventory(INVENTORY)
    assert ids_for(inventory, "studio", 1) == []  # nothing of the Studio is on port 1
    assert ids_for(inventory, "dietpi", 4000) == []  # LiteLLM's port, on the wrong host


def test_no_secret_value_is_written_down():
    """Env entries of keys, tokens and passwords name the key only, marked secret (the file is committed, and the
    owner's env.example placeholders are not values to check)."""
    inventory = load_inventory(INVENTORY)
    secretish = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|DATABASE_URL")
    entries = [(s.id, e) for s in inventory.services for f in s.env_files for e in f.entries]
    assert entries
    for service, entry in entries:
        if secretish.search(entry.key):
            assert entry.secret and entry.value is None, f"{service}: {entry.key} is written down or not secret"
