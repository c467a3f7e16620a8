"""The fault catalog proves every check of every twin host: each check id is failed on purpose by some drift."""
from conformance.checks.derive import host_checks
from conformance.docs import ROOT
from conformance.inventory import load_inventory, load_site
from conformance.site import SiteAddresses
from lab.faults import CATALOG, CONTRACT_CATALOG


def _check_ids() -> set[str]:
    inventory = load_inventory(ROOT / "inventory.yaml")
    site = load_site(ROOT / "lab" / "site-twin.yaml", inventory)
    return {c.id for host in ("mini", "studio", "dietpi") for c in host_checks(inventory, SiteAddresses(inventory, site), host)}


def test_every_check_is_failed_by_some_fault():
    covered = set().union(*(f.expect for f in CATALOG))
    assert sorted(_check_ids() - covered) == [], "checks no fault proves: add a drift to lab/faults.py"


def test_faults_expect_only_existing_checks():
    assert sorted(set().union(*(f.expect | f.not_applicable | f.cannot_verify for f in CATALOG)) - _check_ids()) == []


def test_a_fault_expects_each_check_one_way():
    assert [f.id for f in CATALOG if f.expect & f.not_applicable or (f.expect | f.not_applicable) & f.cannot_verify] == []


def test_catalog_ids_are_unique():
    assert len({f.id for f in CATALOG}) == len(CATALOG) >= 20


def _contract_ids() -> set[str]:
    from conformance.checks.contract import contract_checks
    return {c.id for c in contract_checks(load_inventory(ROOT / "inventory.yaml"))}


def test_every_contract_check_is_failed_by_some_contract_fault():
    covered = set().union(*(f.expect for f in CONTRACT_CATALOG))
    assert sorted(_contract_ids() - covered) == [], "contract checks no drift proves: add one to CONTRACT_CATALOG"
    assert sorted(set().union(*(f.expect | f.not_applicable for f in CONTRACT_CATALOG)) - _contract_ids()) == []
    assert [f.id for f in CONTRACT_CATALOG if f.expect & f.not_applicable] == []
    assert len({f.id for f in CATALOG + CONTRACT_CATALOG}) == len(CATALOG) + len(CONTRACT_CATALOG)
    assert len(CONTRACT_CATALOG) >= 10
