"""Every check of the catalog is collected as exactly one named test, under its host's marker."""
import subprocess
import sys

import pytest

from conformance.checks.derive import host_checks
from conformance.docs import ROOT
from conformance.inventory import load_inventory
from conformance.site import SiteAddresses


@pytest.mark.parametrize("marker, host", [("local", "mini"), ("studio", "studio"), ("dietpi", "dietpi")])
def test_every_check_is_a_collected_test_of_its_marker(marker, host):
    run = subprocess.run([sys.executable, "-m", "pytest", "-m", marker, "--collect-only", "-q", "-p", "no:cacheprovider"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    collected = [line.split("[", 1)[1].rstrip("]") for line in run.stdout.splitlines()
                 if line.startswith(f"tests/{marker}/") and "[" in line]  # the owner's own tests carry no check
    inventory = load_inventory(ROOT / "inventory.yaml")
    expected = [c.id for c in host_checks(inventory, SiteAddresses(inventory), host)]
    assert expected and sorted(collected) == sorted(expected)
    assert len(collected) == len(set(collected))
