"""A run that could check nothing is a usage error (exit 4), never a green run of skips."""
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
