"""testinfra's idiom in the twin: the owner's examples are green and fail on their drift; a test that tries to
change a host or read a FIFO is refused or bounded, and the host is unchanged; its commands are evidence."""
from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET

from lab.faults import CATALOG, plant, revert
from selftest.twin.conftest import ROOT

DROPPED = ROOT / "tests" / "local" / "test_dropped_by_a_careless_owner.py"
FIFO = "/home/christopherbailey/twin-fifo"
CARELESS = f'''"""Dropped into tests/local/ as any testinfra user would write it (a self-test plants and removes this file)."""


def test_restarts_ollama(host):
    host.run("systemctl restart ollama.service")


def test_reads_a_fifo(host):
    assert host.file("{FIFO}").content_string == ""


def test_looks_around(host):
    assert host.file("/etc/open-webui").is_directory
'''


def _ollama(twin) -> tuple[str, str]:
    out = twin.exec_in("mini", ["systemctl", "show", "-p", "MainPID,NRestarts", "--value", "ollama.service"], check=True)
    pid, restarts = out.stdout.split()
    return pid, restarts


def _testcases(run_dir) -> dict[str, ET.Element]:
    return {f"{t.get('classname')}.{t.get('name')}": t for t in ET.parse(run_dir / "junit.xml").iter("testcase")}


def test_a_careless_test_is_refused_or_bounded_and_the_host_is_unchanged(twin, run_suite):
    twin.exec_in("mini", ["sh", "-c", f"rm -f {FIFO}; mkfifo -m 644 {FIFO}"], check=True)
    before = _ollama(twin)
    DROPPED.write_text(CARELESS)
    try:
        run = run_suite("-k", "dropped_by_a_careless_owner")
    finally:
        DROPPED.unlink()
        twin.exec_in("mini", ["rm", "-f", FIFO])
    assert _ollama(twin) == before  # Ollama's MainPID and NRestarts: not restarted
    cases = _testcases(run.run_dir)
    restart = next(t for n, t in cases.items() if n.endswith("test_restarts_ollama"))
    fifo = next(t for n, t in cases.items() if n.endswith("test_reads_a_fifo"))
    assert "not on the read-only allowlist" in ET.tostring(restart, encoding="unicode") or \
        "refused" in ET.tostring(restart, encoding="unicode")
    assert "not a regular file" in ET.tostring(fifo, encoding="unicode")
    assert run.exit_status == 1
    sent = [c for c in run.commands if (c.get("test") or "").endswith("test_looks_around")]
    look = "stat -L -c '%F|%U|%u|%G|%g|%a|%Y|%s|%i' -- /etc/open-webui"  # is_directory: the test's one look at it
    assert [c["command"] for c in sent][-1] == look  # a test's own commands are evidence
    assert not any("restart" in c["command"] for c in run.commands)  # never sent
    own = {t["test"].rsplit("::", 1)[-1]: t["outcome"] for t in run.results["tests"]}
    assert own == {"test_restarts_ollama": "failed", "test_reads_a_fifo": "failed", "test_looks_around": "passed"}
    page = html.unescape((run.run_dir / "report.html").read_text())
    assert "Your own tests" in page and look in page  # shown under the test in the report


def test_the_owners_examples_fail_on_their_drift(twin, run_suite):
    fault = next(f for f in CATALOG if f.id == "open-webui-data-dir-missing")
    plant(twin, [fault])
    try:
        run = run_suite("-k", "owner_examples")
    finally:
        revert(twin, [fault])
    failed = {n.rsplit(".", 1)[-1] for n, t in _testcases(run.run_dir).items() if t.find("failure") is not None}
    assert failed == {"test_open_webui_data_dir_belongs_to_the_owner"}, failed
    assert json.loads((run.run_dir / "results.json").read_text())["exit_status"] == 1
