"""The twin's fourth host is one entry (lab/topology.py `orin`, laid out from it by lab/hosts/one_service.py), and the
suite checks it with no code change: run in mini as the owner with an inventory that adds it
(examples/inventory-orin.yaml) and that inventory's twin site (examples/site-twin-orin.yaml), `-m orin` is green,
in one round trip to it over SSH; with its service stopped (lab/faults.py FOURTH_HOST_CATALOG), exactly that
service's checks fail."""
from conformance.checks.derive import host_checks
from conformance.inventory import load_inventory, load_site
from conformance.site import SiteAddresses
from lab.faults import FOURTH_HOST_CATALOG, plant, revert
from selftest.twin.conftest import ROOT

ORIN = ["-m", "orin", "--inventory=examples/inventory-orin.yaml", "--site=examples/site-twin-orin.yaml"]


def _orin_checks() -> set[str]:
    inventory = load_inventory(ROOT / "examples" / "inventory-orin.yaml")
    site = load_site(ROOT / "examples" / "site-twin-orin.yaml", inventory)
    return {c.id for c in host_checks(inventory, SiteAddresses(inventory, site), "orin")}


def test_the_fourth_host_is_green_with_its_marker(run_suite):
    run = run_suite(*ORIN)
    run.assert_green(_orin_checks(), "-m orin")
    assert set(run.results["hosts"]) == {"orin"} and run.results["hosts"]["orin"]["round_trips"] == 1
    assert {c["user"] for c in run.commands} == {"christopherbailey"}  # over SSH, as the owner's ssh config says


def test_its_service_stopped_fails_exactly_its_checks(twin, run_suite):
    (fault,) = FOURTH_HOST_CATALOG
    plant(twin, [fault])
    try:
        run = run_suite(*ORIN)
    finally:
        revert(twin, [fault])
    wrong = run.problems(_orin_checks(), failing=set(fault.expect), exit_status=1)
    assert not wrong, "\n".join(wrong)
    run_suite(*ORIN).assert_green(_orin_checks(), "-m orin after the revert")
