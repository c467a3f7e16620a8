"""A run imports what its selected checks need: the openai client (~0.5 s) and httpx2 only when the contract or an
HTTP check runs, never for `-m local` (which sends no request)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

from ._support import ROOT, environ_without_pytest_vars
from .test_host_fixture import _project

HEAVY = ("openai", "httpx2")
RECORD = '''

def pytest_unconfigure(config):  # added by the self-test: which modules the run imported, at its very end
    import json, sys
    with open("modules.json", "w") as f:
        json.dump(sorted(sys.modules), f)
'''


def _modules_of_a_run(tmp_path, *args: str) -> tuple[int, set[str], str]:
    project = _project(tmp_path)
    shutil.rmtree(project / "tests" / "local")
    shutil.copytree(ROOT / "tests" / "local", project / "tests" / "local")  # the real checks of the Mini
    (project / "conftest.py").write_text((project / "conftest.py").read_text() + RECORD)
    env = {**environ_without_pytest_vars(), "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args], cwd=project, env=env,
                       capture_output=True, text=True, timeout=120)
    return p.returncode, set(json.loads((project / "modules.json").read_text())), p.stdout + p.stderr


def test_a_local_run_imports_neither_the_openai_client_nor_httpx2(tmp_path):
    status, modules, output = _modules_of_a_run(tmp_path, "-m", "local", f"--report-dir={tmp_path / 'reports'}")
    assert status in (0, 1), output  # this machine is no Mini: checks may fail, the run must complete
    assert "passed" in output or "failed" in output
    assert not [m for m in HEAVY if m in modules], [m for m in HEAVY if m in modules]
    assert "conformance.facts.host" in modules  # the facts were gathered: the run really ran its checks


def test_the_contracts_client_is_imported_when_the_contract_is_asked():
    probe = ("import sys; from conformance.session import SuiteSession; import conformance.plugin; "
             "import conformance.host_fixture; print(sorted(m for m in " + repr(HEAVY) + " if m in sys.modules))")
    p = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert p.stdout.strip() == "[]", p.stdout + p.stderr
    asked = ("import sys; from conformance.facts.contract import ContractFacts; "
             "print(sorted(m for m in " + repr(HEAVY) + " if m in sys.modules))")
    p = subprocess.run([sys.executable, "-c", asked], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert p.stdout.strip() == str(sorted(HEAVY)), p.stdout + p.stderr


def test_a_local_run_of_the_whole_suite_imports_neither(tmp_path):
    """Every folder of tests/ collected (the contract's tests too, then deselected by `-m local`): still neither."""
    (tmp_path / "record_modules.py").write_text(RECORD.replace('open("modules.json"', f'open("{tmp_path}/modules.json"'))
    env = {**environ_without_pytest_vars(), "PYTHONPATH": str(tmp_path)}
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-p", "record_modules",
                        "-m", "local", f"--report-dir={tmp_path / 'reports'}", "tests"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode in (0, 1), p.stdout[-2000:] + p.stderr[-2000:]
    modules = set(json.loads((tmp_path / "modules.json").read_text()))
    assert not [m for m in HEAVY if m in modules], [m for m in HEAVY if m in modules]
