"""A whole lab's answers without booting the twin: the committed recording of a clean twin run of every marker
(selftest/fixtures/replay/), replayed with today's code.

- Every check the recording judged has the verdict it had, and the run its exit status; a check the code added
  since is "cannot verify: not in the recording", never a pass.
- One parser per fact source broken (it raises), the replay changes EXACTLY the checks whose declared needs are
  read with that parser on their host's OS (facts/needs.py), computed from the checks themselves.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.checks.derive import host_checks
from conformance.checks.contract import contract_checks
from conformance.facts.kinds import kind_of
from conformance.inventory import load_baseline, load_inventory, load_site
from conformance.replay import Replay
from conformance.site import SiteAddresses
from selftest.replay_fixture import FIXTURE, expected

from ._support import ROOT, environ_without_pytest_vars

pytestmark = pytest.mark.skipif(not (FIXTURE / "recording.json.gz").exists(), reason="no committed replay fixture")

# Each fact source's parser(s), as the code that reads the facts refers to them: broken, they raise.
PARSERS = {
    "systemd": ["conformance.facts.systemd:parse_show"],
    "launchd": ["conformance.facts.launchd:parse_print"],
    "netstat": ["conformance.facts.netstat:parse_netstat"],
    "ss": ["conformance.facts.sockets:parse_ss"],
    "stat": ["conformance.facts.paths:parse_stat", "conformance.facts.bsd:parse_stat"],
    "env file": ["conformance.facts.host:parse_env_assignments"],
    "router.yaml": ["conformance.checks.litellm:resolve_router"],
    "plist": ["conformance.facts.host:parse_plist"],
    "HTTP": ["conformance.facts.http:RecordingTransport.handle_request"],
}

BREAK = '''
import importlib, os

def _broken(*args, **kwargs):
    raise RuntimeError("this parser is broken on purpose (selftest)")

for target in os.environ["BROKEN_PARSERS"].split():
    module, _, name = target.partition(":")
    owner = importlib.import_module(module)
    *path, attribute = name.split(".")
    for part in path:
        owner = getattr(owner, part)
    setattr(owner, attribute, _broken)
'''


def _replay(tmp_path: Path, broken: list[str] = ()) -> tuple[int, dict[str, dict]]:
    (tmp_path / "break_parsers.py").write_text(BREAK)
    env = environ_without_pytest_vars() | {"BROKEN_PARSERS": " ".join(broken),
                                           "PYTHONPATH": str(tmp_path)}
    reports = tmp_path / "reports"
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-p", "break_parsers",
                           f"--replay={FIXTURE}", f"--report-dir={reports}", "tests"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    (run,) = [p for p in reports.iterdir() if p.is_dir() and not p.is_symlink()]
    results = json.loads((run / "results.json").read_text())
    assert results["replay_of"]["run"] == expected()["run"], done.stdout[-2000:]
    return done.returncode, {c["id"]: c for c in results["checks"]}


def _checks():
    """Today's checks of the recorded run's inventory and site, with the OS of each one's host."""
    replay = Replay.of(FIXTURE)
    try:
        inventory = load_inventory(replay.input("inventory"))
        site = SiteAddresses(inventory, load_site(replay.input("site"), inventory))
        baseline = load_baseline(replay.input("baseline")) if replay.input("baseline") else None
        checks = [c for h in inventory.hosts for c in host_checks(inventory, site, h.id, baseline)]
        checks += list(contract_checks(inventory))
        return checks, {h.id: kind_of(h.os) for h in inventory.hosts}
    finally:
        replay.close()


def test_the_recorded_twin_replays_to_the_verdicts_it_had(tmp_path):
    status, checks = _replay(tmp_path)
    night = expected()
    assert status == night["exit_status"]
    changed = {i: (s, checks[i]["status"]) for i, s in night["checks"].items() if checks.get(i, {}).get("status") != s}
    assert not changed, changed
    added = {i: c for i, c in checks.items() if i not in night["checks"]}
    assert all(c["status"] == "cannot verify" and "not in the recording" in c["found"] for c in added.values()), added


@pytest.mark.parametrize("source", PARSERS)
def test_a_broken_parser_changes_exactly_the_checks_that_need_it(source, tmp_path):
    checks, kind_of_host = _checks()
    needing = {c.id for c in checks if any(source in kind_of_host[c.host].sources(n) for n in c.needs)}
    assert needing, f"no check declares a need read with {source}"
    _, replayed = _replay(tmp_path, PARSERS[source])
    night = expected()["checks"]
    changed = {i for i, c in replayed.items() if i in night and c["status"] != night[i]}
    assert changed == needing, {"changed, not declared": sorted(changed - needing),
                                "declared, not changed": sorted(needing - changed)}
