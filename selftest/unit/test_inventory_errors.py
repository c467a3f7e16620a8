"""Broken inventories and site files fail as `FILE:LINE: what is wrong`, never with a traceback.

Each file in fixtures/inventory_errors/ is fixtures/inventory-small.yaml (or site-small.yaml
for site-*.yaml) with exactly one defect, and says on its first line what must be reported:
`# expect: LINE: message fragment`.
"""
import re
import subprocess
import sys

import pytest

from conformance.inventory import InventoryError, load_inventory, load_site
from ._support import FIXTURES, ROOT, environ_without_pytest_vars

CORPUS = sorted((FIXTURES / "inventory_errors").glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (\d+): (.+)$")


def _expectation(path):
    m = EXPECT.match(path.read_text(encoding="utf-8").split("\n", 1)[0])
    assert m, f"{path.name}: first line must be '# expect: LINE: fragment'"
    return int(m.group(1)), m.group(2)


def _loader(path):
    if path.name.startswith("site-"):
        return lambda p: load_site(p, load_inventory(FIXTURES / "inventory-small.yaml"))
    return load_inventory


def test_the_corpus_is_complete():
    inventories = [p for p in CORPUS if not p.name.startswith("site-")]
    sites = [p for p in CORPUS if p.name.startswith("site-")]
    assert len(inventories) >= 14 and len(sites) >= 2


def test_the_files_they_derive_from_are_valid():
    load_inventory(FIXTURES / "inventory-small.yaml")
    load_site(FIXTURES / "site-small.yaml")


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_broken_file_is_reported_at_its_line(path):
    line, fragment = _expectation(path)
    with pytest.raises(InventoryError) as excinfo:
        _loader(path)(path)
    error = excinfo.value
    assert str(error).startswith(f"{path}:{line}: "), str(error)
    assert fragment in str(error)
    assert (error.path, error.line) == (str(path), line)
    assert "Traceback" not in str(error) and "\n" not in str(error)


def test_unreadable_file_names_the_path_without_a_line(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(InventoryError) as excinfo:
        load_inventory(missing)
    assert str(excinfo.value) == f"{missing}: cannot read: No such file or directory"


def _collect(*args):
    return subprocess.run([sys.executable, "-m", "pytest", "-m", "local", "--collect-only", "-q", "-p", "no:cacheprovider",
                           *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=environ_without_pytest_vars())


def test_pytest_stops_with_a_usage_error_naming_file_and_line():
    path = FIXTURES / "inventory_errors" / "port-out-of-range.yaml"
    line, fragment = _expectation(path)
    p = _collect("--inventory", str(path))
    output = p.stdout + p.stderr
    assert p.returncode == 4, output
    assert f"{path}:{line}:" in output and fragment in output
    assert "Traceback" not in output


def test_pytest_stops_on_a_broken_site_file_too():
    path = FIXTURES / "inventory_errors" / "site-missing-address.yaml"
    line, _ = _expectation(path)
    p = _collect("--site", str(path))
    output = p.stdout + p.stderr
    assert p.returncode == 4 and f"{path}:{line}:" in output and "Traceback" not in output
