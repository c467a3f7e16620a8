"""The twin proof: boots the twin once for all twin self-tests and takes it down after."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(item.path).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.twin)


@pytest.fixture(scope="session")
def twin():
    if os.geteuid() != 0 or not shutil.which("systemd-nspawn"):
        pytest.skip("the twin needs root and systemd-nspawn (make deps)")
    from lab import api

    started = time.monotonic()
    api.up()
    print(f"\ntwin up in {time.monotonic() - started:.1f}s")
    yield api
    report = api.down()
    assert not report["leftovers"] and not report["errors"], report
    left = leftovers_seen_from_outside()
    assert not left, f"`lab down` left: {left}"


def leftovers_seen_from_outside() -> list[str]:
    """What of the twin an admin would still find, looked up independently of lab/'s own bookkeeping."""
    import subprocess

    from lab import paths

    def lines(*argv):
        return subprocess.run(argv, capture_output=True, text=True).stdout.splitlines()

    state = str(paths.lab_dir())
    found = [f"mount {m.split()[1]}" for m in Path("/proc/mounts").read_text().splitlines() if f"{state}/" in m.split()[1]]
    found += [f"netns {n.split()[0]}" for n in lines("ip", "netns", "list") if n.startswith("llmlab")]
    found += [f"link {l.split(':')[1].strip()}" for l in lines("ip", "-o", "link") if "llmlab" in l or " llv-" in l]
    found += [f"cgroup {p}" for p in Path("/sys/fs/cgroup").glob("**/llmlab*") if p.is_dir()]
    found += [f"process {p.parent.name}" for p in Path("/proc").glob("[0-9]*/comm")
              if _read(p) == "systemd-nspawn\n" and state in _read(p.parent / "cmdline").replace("\0", " ")]
    return found


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


class SuiteRun:
    """One run of the suite inside mini, read back from its run directory."""

    def __init__(self, exit_status: int, run_dir: Path):
        self.exit_status = exit_status
        self.run_dir = run_dir
        self.results = json.loads((run_dir / "results.json").read_text())
        self.commands = json.loads((run_dir / "commands.json").read_text())

    def ids(self, status: str) -> set[str]:
        return {c["id"] for c in self.results["checks"] if c["status"] == status}

    @property
    def not_passed(self) -> set[str]:
        return {c["id"] for c in self.results["checks"] if c["status"] != "passed"}

    def explain(self, ids) -> str:
        by_id = {c["id"]: c for c in self.results["checks"]}
        return "\n".join(f"  {i}: {by_id[i]['status']}: expected {by_id[i]['expected']!r}, found {by_id[i]['found']!r}"
                         for i in sorted(ids) if i in by_id)


@pytest.fixture(scope="session")
def run_suite(twin):
    def _run(*pytest_args: str, as_root: bool = False) -> SuiteRun:
        latest = ROOT / "reports" / "latest"
        before = latest.resolve() if latest.exists() else None
        status = twin.run_suite(["-m", "local", *pytest_args], as_root=as_root)
        after = latest.resolve()
        assert after != before, "the suite run left no new run directory"
        return SuiteRun(status, after)

    return _run
