"""The scale benchmark's data (lab/scale.py, lab/topology.py `copies`): N copies of the small host are N distinct
twin hosts, and the inventory and site it writes for them are valid and name each copy once. No twin needed."""
from __future__ import annotations

import pytest

from conformance.inventory.schema import Inventory, Site
from lab import scale, topology as topo


def test_copies_are_distinct_twin_hosts_of_the_small_kind():
    copies = topo.copies(16)
    assert [c.name for c in copies] == [f"small-{i}" for i in range(1, 17)]
    assert len({c.address for c in copies} | {h.address for h in topo.HOSTS.values()}) == 16 + len(topo.HOSTS)
    assert all(topo.is_twin_address(c.address) for c in copies)
    assert {(c.layout, c.service) for c in copies} == {(topo.HOSTS["orin"].layout, topo.HOSTS["orin"].service)}
    assert len({c.veth for c in copies}) == 16 and max(len(c.veth) for c in copies) <= 15  # IFNAMSIZ


def test_a_copy_is_known_by_its_name_alone():
    # `down` and `exec` run in other processes than `up`: the name is all they have
    assert topo.host("small-7") == topo.copy(7)
    for name in ("small-0", "small-07", "small-x", "small-101", "orin-2"):
        with pytest.raises(KeyError):
            topo.host(name)


@pytest.mark.parametrize("n", [1, 4, 16])
def test_inventory_and_site_of_n_copies_are_valid(n):
    inventory = Inventory.model_validate(scale.inventory(n))
    small = [h for h in inventory.hosts if h.checks_marker == scale.MARKER]
    assert [h.id for h in small] == [c.name for c in topo.copies(n)]
    assert all(len(inventory.services_on(h.id)) == 1 for h in small)
    site = Site.model_validate(scale.site(n), context={"host_ids": [h.id for h in inventory.hosts]})
    assert {name: h.address for name, h in site.hosts.items()} == {c.name: c.address for c in topo.copies(n)}
