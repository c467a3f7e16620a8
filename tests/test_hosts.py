"""Every host of the inventory, its documented checks: those no folder of tests/ holds (a host of a known kind
needs no folder: `pytest -m <its id or marker>` runs these, marked with its markers)."""
import pytest


@pytest.mark.checks()
def test_documented_fact(check, verify):
    verify(check)
