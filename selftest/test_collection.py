"""Every check of the catalog is collected as exactly one named test of `pytest -m local`."""
import subprocess
import sys

from conformance.checks.catalog import local_checks
from conformance.docs import ROOT
from conformance.inventory import load_inventory
from conformance.site import SiteView


def test_every_check_is_a_collected_local_test():
    run = subprocess.run([sys.executable, "-m", "pytest", "-m", "local", "--collect-only", "-q", "-p", "no:cacheprovider"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    collected = [line.split("[", 1)[1].rstrip("]") for line in run.stdout.splitlines() if line.startswith("tests/local/")]
    inventory = load_inventory(ROOT / "inventory.yaml")
    expected = [c.id for c in local_checks(inventory, SiteView(inventory), "mini")]
    assert sorted(collected) == sorted(expected)
    assert len(collected) == len(set(collected))
