"""make bench's two helpers: the idiomatic testinfra side covers every check of the suite, and the stopwatch times
whole processes (lab/idiom.py, lab/timing.py; the bench itself needs the twin)."""
from __future__ import annotations

import json
import sys

import pytest

from conformance.checks.derive import host_checks
from conformance.inventory import load_inventory, load_site
from conformance.site import SiteAddresses
from lab import idiom, timing

from ._support import ROOT


@pytest.mark.parametrize("host", ["mini", "studio"])
def test_the_idiomatic_side_has_one_test_per_check_of_the_suite(host):
    inventory = load_inventory(ROOT / "inventory.yaml")
    site = SiteAddresses(inventory, load_site(ROOT / "lab" / "site-twin.yaml", inventory))
    facts = idiom.facts_of(host)
    assert list(facts) == [c.id for c in host_checks(inventory, site, host)]
    namespace: dict = {}
    exec(compile(idiom.module(host), f"test_{host}_idiom.py", "exec"), namespace)
    assert {kind for kind, _ in facts.values()} <= set(namespace["CHECK"])


def test_the_stopwatch_times_each_case_after_a_warm_up_run(tmp_path, capsys):
    counter = tmp_path / "runs"
    case = {"label": "count", "cwd": str(tmp_path),
            "argv": [sys.executable, "-c", f"open({str(counter)!r}, 'a').write('x'); print('1 passed in 0.01s')"]}
    assert timing.main([json.dumps({"repeat": 3, "cases": [case]})]) == 0
    found = json.loads(capsys.readouterr().out)["count"]
    assert counter.read_text() == "xxxx" and len(found["seconds"]) == 3  # 1 warm-up run, not counted, then 3
    assert found["exit"] == 0 and found["summary"] == "1 passed in 0.01s" and all(s > 0 for s in found["seconds"])
