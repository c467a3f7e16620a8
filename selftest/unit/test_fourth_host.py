"""A fourth host is data: examples/inventory-orin.yaml adds `orin` (a Linux host with one systemd service and one
listener), and `pytest -m orin` collects its checks (tests/test_hosts.py: it has no folder) and checks it over SSH,
with no code change.

The Orin is a real OpenSSH sshd on 127.0.0.1 (as in test_ssh_transport.py) whose sessions find `systemctl` and `ss`
answering as the Orin would: the fake host's shims of those two (_support.py FakeMini), first on the PATH sshd sets
for its sessions (sshd_config SetEnv). The suite reaches it the way it reaches any host: `ssh -F <config> -- orin /bin/sh -s`, with
BatchMode and a verified host key. Green as documented; with the service stopped, exactly its service's checks fail.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.checks.derive import host_checks
from conformance.inventory import load_inventory
from conformance.site import SiteAddresses

from ._support import ROOT, FakeMini, environ_without_pytest_vars
from .test_ssh_transport import ME, SSHD, Sshd, live, loopback_sshd

INVENTORY = ROOT / "examples" / "inventory-orin.yaml"
UNIT = "llama-server.service"

# `systemctl show` of the unit in systemd's layout (selftest/fixtures/systemctl-show-mini.txt), and `ss -ltnH`'s
# (fixtures/ss-ltnH.txt): what the Orin answers when it is as documented
SHOW = ("Restart=always\nRestartUSec=100ms\nNRestarts=0\nStandardOutput=journal\nUser=\nExecMainStatus=0\n"
        f"Id={UNIT}\nLoadState=loaded\nActiveState=active\nSubState=running\n"
        f"FragmentPath=/etc/systemd/system/{UNIT}\nDropInPaths=\nUnitFileState=enabled\n"
        "InvocationID=5f0c3a9e8b7d4e2f9a1b6c3d2e4f5a6b\n")
STOPPED = SHOW.replace("ActiveState=active\nSubState=running", "ActiveState=inactive\nSubState=dead").replace(
    "InvocationID=5f0c3a9e8b7d4e2f9a1b6c3d2e4f5a6b", "InvocationID=")
LISTENING = "LISTEN 0      4096         0.0.0.0:22    0.0.0.0:*\nLISTEN 0      5            0.0.0.0:8080  0.0.0.0:*\n"
SILENT = "LISTEN 0      4096         0.0.0.0:22    0.0.0.0:*\n"


@pytest.fixture(scope="module")
def orin(tmp_path_factory):
    """A loopback sshd whose sessions run the fake Orin's shims first on their PATH; `config` reaches it as `orin`."""
    if not os.path.exists(SSHD):
        pytest.skip("needs /usr/sbin/sshd: `make deps` installs openssh-server")
    d = tmp_path_factory.mktemp("orin")
    fake = FakeMini(d / "host", user=ME, groups=ME)
    answering = d / "bin"  # only what the Orin is asked answers from the fake (a login's own scripts use the rest)
    answering.mkdir()
    for program in ("systemctl", "ss"):
        (answering / program).symlink_to(fake.bin / program)
    (d / "site.yaml").write_text("site: loopback\nhosts:\n  orin: {address: 127.0.0.1, ssh_alias: orin}\n")
    with loopback_sshd(d, "orin", f"SetEnv PATH={answering}:/usr/bin:/bin FAKEDIR={fake.dir}\n") as server:
        yield server, fake


def _run(server: Sshd, reports: Path, *args: str) -> tuple[int, str, Path | None]:
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-m", "orin",
                        f"--inventory={INVENTORY}", f"--site={server.dir / 'site.yaml'}",
                        f"--ssh-config={server.config}", f"--report-dir={reports}", *args],
                       cwd=ROOT, capture_output=True, text=True, timeout=120, env=environ_without_pytest_vars())
    runs = [r for r in reports.iterdir() if r.is_dir() and not r.is_symlink()] if reports.exists() else []
    return p.returncode, p.stdout + p.stderr, runs[-1] if runs else None


def _orin_checks() -> set[str]:
    inventory = load_inventory(INVENTORY)
    return {c.id for c in host_checks(inventory, SiteAddresses(inventory), "orin")}


def test_the_fourth_hosts_checks_are_collected_under_its_marker():
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--collect-only", "-m", "orin",
                        f"--inventory={INVENTORY}"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env=environ_without_pytest_vars())
    collected = {line.split("[", 1)[1].rstrip("]") for line in p.stdout.splitlines() if "::test_documented_fact[" in line}
    assert p.returncode == 0, p.stdout + p.stderr
    assert collected == _orin_checks() == {"llama-server::unit-file", "llama-server::restart", "llama-server::enabled",
                                           "llama-server::active", "llama-server::listen:8080"}
    assert all(line.startswith("tests/test_hosts.py::") for line in p.stdout.splitlines() if "[" in line)


@live
def test_the_fourth_host_is_checked_over_ssh_and_its_drift_is_caught(orin, tmp_path):
    server, fake = orin
    fake.show("system", SHOW).ss(LISTENING)
    before = server.accepted()
    status, output, run = _run(server, tmp_path / "green")
    assert status == 0 and run is not None, output[-3000:]
    results = json.loads((run / "results.json").read_text())
    assert {c["id"]: c["status"] for c in results["checks"]} == {i: "passed" for i in _orin_checks()}
    commands = json.loads((run / "commands.json").read_text())
    assert {(c["host"], c["user"]) for c in commands} == {("orin", ME)}  # over SSH, as the ssh config's user
    assert [c["command"].split()[:2] for c in commands] == [["systemctl", "show"], ["ss", "-ltnH"]]
    assert results["hosts"]["orin"]["round_trips"] == 1 and server.accepted() - before == 1

    fake.show("system", STOPPED).ss(SILENT)  # the service stopped
    status, output, run = _run(server, tmp_path / "stopped")
    assert status == 1, output[-3000:]
    results = json.loads((run / "results.json").read_text())
    failed = {c["id"] for c in results["checks"] if c["status"] != "passed"}
    assert failed == {"llama-server::active", "llama-server::listen:8080"}
    assert {c["status"] for c in results["checks"] if c["id"] in failed} == {"failed"}


def test_a_folder_of_its_own_holds_the_owners_tests_and_its_checks_stay_collected(tmp_path):
    """tests/orin/ made for the owner's testinfra tests of the fourth host: they are marked orin too, and its
    documented checks are still collected (by tests/test_hosts.py, since no test of that folder holds them)."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "tests", project / "tests")
    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy(ROOT / name, project)
    (project / "tests" / "orin").mkdir()
    (project / "tests" / "orin" / "test_mine.py").write_text(
        "def test_the_models_dir(host):\n    assert host.file('/srv/models').is_directory\n")
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--collect-only", "-m", "orin",
                        f"--inventory={INVENTORY}"], cwd=project, capture_output=True, text=True, timeout=120,
                       env={**environ_without_pytest_vars(), "PYTHONPATH": str(ROOT)})
    collected = [line for line in p.stdout.splitlines() if line.startswith("tests/")]
    assert p.returncode == 0, p.stdout + p.stderr
    assert sorted(collected) == sorted([f"tests/test_hosts.py::test_documented_fact[{i}]" for i in _orin_checks()]
                                       + ["tests/orin/test_mine.py::test_the_models_dir"]), collected
