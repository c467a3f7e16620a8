"""A run that could check nothing is a usage error (exit 4), never a green run of skips."""
import math
import subprocess
import sys

from ._support import FIXTURES, ROOT, environ_without_pytest_vars


def _run(*args):
    p = subprocess.run([sys.executable, "-m", "pytest", "-m", "local", "-p", "no:cacheprovider", "--no-report", *args],
                       cwd=ROOT, capture_output=True, text=True, timeout=120, env=environ_without_pytest_vars())
    return p.returncode, p.stdout + p.stderr


def test_an_unknown_local_host_is_a_usage_error():
    status, output = _run("--local-host=typo")
    assert status == 4, output
    assert "--local-host=typo: no such host" in output and "mini" in output
    assert "Traceback" not in output


def test_an_inventory_with_nothing_to_check_on_the_host_is_a_usage_error(tmp_path):
    empty = tmp_path / "inventory.yaml"
    empty.write_text("version: 1\nhosts:\n  - {id: mini, os: linux, address: 192.0.2.1, source: founding}\nservices: []\n")
    status, output = _run(f"--inventory={empty}")
    assert status == 4, output
    assert "documents nothing to check on mini" in output and "Traceback" not in output


def test_a_waiver_for_an_unknown_check_is_a_usage_error(tmp_path):
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - {check: 'no-such::check', reason: testing, expires: 2030-01-01}\n")
    status, output = _run(f"--waivers={waivers}", "--collect-only")
    assert status == 4 and f"{waivers}:2:" in output, output


def test_the_small_inventory_collects_its_checks():
    status, output = _run(f"--inventory={FIXTURES / 'inventory-small.yaml'}", "--collect-only", "-q")
    assert status == 0, output
    assert "litellm-orch::restart-sec" in output and "got empty parameter set" not in output


# prints the pytest-timeout each collected test runs under (its marker's, else the configured one)
SHOW_TIMEOUTS = '''
def pytest_collection_finish(session):
    for item in session.items:
        marker = item.get_closest_marker("timeout")
        print("TIMEOUT", item.nodeid, marker.args[0] if marker else session.config.getini("timeout"))
'''


def test_contract_tests_get_a_timeout_derived_from_the_routes_budgets(tmp_path):
    """pyproject's timeout (300 s) is shorter than one route's documented budget (jerry-architect: 6 requests of
    120 s): the test that gathers every route's answers must not be killed before the gather's own bound."""
    import os

    from conformance.facts.contract import ContractFacts
    from conformance.facts.http import HttpProbe
    from conformance.site import SiteAddresses

    from ._support import real_inventory
    (tmp_path / "show_timeouts.py").write_text(SHOW_TIMEOUTS)
    env = environ_without_pytest_vars()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    p = subprocess.run([sys.executable, "-m", "pytest", "-m", "contract", "-p", "no:cacheprovider", "--no-report",
                        "--collect-only", "-q", "-p", "show_timeouts"], cwd=ROOT, capture_output=True, text=True,
                       timeout=120, env=env)
    timeouts = {line.split()[1]: float(line.split()[2]) for line in p.stdout.splitlines() if line.startswith("TIMEOUT ")}
    assert len(timeouts) == 29, p.stdout + p.stderr
    inventory = real_inventory()
    architect = next(r for r in inventory.litellm.routes if r.name == "jerry-architect")
    assert min(timeouts.values()) > 6 * architect.deadline > 300, timeouts
    gather = ContractFacts(inventory, SiteAddresses(inventory), "mini", HttpProbe()).bound()
    assert gather >= 6 * architect.deadline
    # the gather, then Open WebUI's env file (mini's round trips of 60 s each) and its one request of 30 s
    from conformance.facts.plan import MAX_ROUND_TRIPS
    assert set(timeouts.values()) == {math.ceil(gather) + MAX_ROUND_TRIPS * 60 + 30 + 30}, timeouts
