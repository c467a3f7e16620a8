"""The twin proof: boots the twin once for all twin self-tests and takes it down after."""
from __future__ import annotations

import json
import os
from collections import Counter
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Appended to every suite run of the twin proof (after `-m local`): deadlines short enough that a
# fault that hangs a command costs seconds, long enough for the twin's slowest command (~0.2 s).
TWIN_SUITE_ARGS: list[str] = ["--command-timeout=5", "--round-trip-timeout=30"]


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(item.path).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.twin)
    # The 2026-05 edition replaces the founding twin until the session ends: its tests run last, so the founding
    # edition is booted once (a stable sort: every other order is kept).
    items.sort(key=lambda item: EDITION_2026_05 in getattr(item, "fixturenames", ()))


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


EDITION_2026_05 = "edition_2026_05"


@pytest.fixture(scope="session")
def edition_2026_05(twin):
    """The twin's 2026-05 edition (`lab up --edition 2026-05`), booted once for the tests that need it, which run
    after every test of the founding edition (see pytest_collection_modifyitems). `lab down` afterwards must
    leave nothing and forget the edition."""
    started = time.monotonic()
    timings = twin.up(edition="2026-05")
    print(f"\n2026-05 edition up in {time.monotonic() - started:.1f}s (ready {timings['ready']}s after start)")
    yield twin
    report = twin.down()
    assert not report["leftovers"] and not report["errors"], report
    from lab import edition as editions
    assert editions.current() == "founding" and not editions.load_secrets()


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
    """One run of the suite inside mini, read back from its run directory.

    A run is judged by its exit status AND its completeness (every check id of the inventory
    reported once, none with status `error`), never by `not_passed` alone.
    """

    def __init__(self, exit_status: int, run_dir: Path):
        self.exit_status = exit_status  # pytest's, passed through by ssh (255: ssh itself failed)
        self.run_dir = run_dir
        results = run_dir / "results.json"
        assert results.exists(), f"the suite exited {exit_status} and wrote no results.json in {run_dir}"
        self.results = json.loads(results.read_text())
        self.commands = json.loads((run_dir / "commands.json").read_text())
        self.checks: list[dict] = self.results["checks"]

    def ids(self, status: str | None = None) -> set[str]:
        """Ids of every check reported (or only of those with this status)."""
        return {c["id"] for c in self.checks if status is None or c["status"] == status}

    @property
    def not_passed(self) -> set[str]:
        return {c["id"] for c in self.checks if c["status"] != "passed"}

    @property
    def errors(self) -> set[str]:
        return self.ids("error")

    @property
    def duplicates(self) -> set[str]:
        return {i for i, n in Counter(c["id"] for c in self.checks).items() if n > 1}

    def explain(self, ids) -> str:
        by_id = {c["id"]: c for c in self.checks}
        return "\n".join(f"  {i}: {by_id[i]['status']}: expected {by_id[i]['expected']!r}, found {by_id[i]['found']!r}"
                         if i in by_id else f"  {i}: not in results.json" for i in sorted(ids))

    def problems(self, expected_ids: set[str], failing: set[str] = frozenset(), exit_status: int = 0,
                 not_applicable: set[str] = frozenset(), cannot_verify: set[str] = frozenset()) -> list[str]:
        """What is wrong with this run, given the ids it must report, the ones that must fail, the ones
        that must be not applicable and the ones that must be "cannot verify" (exactly those; every other
        one passed); empty when it is right."""
        wrong = []
        if self.exit_status != exit_status:
            wrong.append(f"exit status {self.exit_status}, expected {exit_status}")
        for what, ids in (("missing from results.json", expected_ids - self.ids()),
                          ("reported but not expected", self.ids() - expected_ids),
                          ("reported more than once", self.duplicates)):
            if ids:
                wrong.append(f"{what}: {sorted(ids)}")
        if self.errors:
            wrong.append(f"status error:\n{self.explain(self.errors)}")
        if unexpected := self.not_passed - failing - not_applicable - cannot_verify:
            wrong.append(f"did not pass, not expected to fail:\n{self.explain(unexpected)}")
        if missed := failing - self.ids("failed"):
            wrong.append(f"expected to fail, but did not:\n{self.explain(missed)}")
        if missed := not_applicable - self.ids("not applicable"):
            wrong.append(f"expected to be not applicable (documented optional, absent now):\n{self.explain(missed)}")
        if missed := cannot_verify - self.ids("cannot verify"):
            wrong.append(f"expected to be cannot verify (the suite's user may not read it):\n{self.explain(missed)}")
        return wrong

    def assert_green(self, expected_ids: set[str], label: str = "run") -> None:
        """Exit 0, every expected check reported exactly once, all passed, none errored."""
        wrong = self.problems(expected_ids)
        if wrong:
            raise AssertionError(f"{label} is not green ({self.run_dir.name}):\n" + "\n".join(wrong))


TWIN_MARKERS = "local or studio or dietpi"  # every host of the twin, in one run from inside mini


def suite_check_ids(hosts=("mini", "studio", "dietpi")) -> set[str]:
    """Every check id the suite must report in a run from mini (the inventory's checks of these hosts, twin site)."""
    from conformance.checks.derive import host_checks
    from conformance.inventory import load_inventory, load_site
    from conformance.site import SiteAddresses

    inventory = load_inventory(ROOT / "inventory.yaml")
    site = load_site(ROOT / "lab" / "site-twin.yaml", inventory)
    ids = [c.id for h in hosts for c in host_checks(inventory, SiteAddresses(inventory, site), h)]
    assert len(ids) == len(set(ids)) > 0, "the inventory's check ids must be unique"
    return set(ids)


@pytest.fixture(scope="session")
def check_ids() -> set[str]:
    return suite_check_ids()


@pytest.fixture(scope="session")
def run_suite(twin):
    def _run(*pytest_args: str, as_root: bool = False) -> SuiteRun:
        latest = ROOT / "reports" / "latest"
        before = latest.resolve() if latest.exists() else None
        status = twin.run_suite(["-m", TWIN_MARKERS, *TWIN_SUITE_ARGS, *pytest_args], as_root=as_root)
        after = latest.resolve() if latest.exists() else None
        assert after is not None and after != before, f"the suite run (exit {status}) left no new run directory"
        return SuiteRun(status, after)

    return _run


# --- the fault catalog's timings, printed at the end of the session -------------------------------------


@dataclass
class FaultTiming:
    fault: str
    plant: float = 0.0
    run: float = 0.0
    revert: float = 0.0
    extra: float = 0.0  # failure path only: verification runs, re-up, second attempt

    @property
    def total(self) -> float:
        return self.plant + self.run + self.revert + self.extra


@dataclass
class FaultTimings:
    faults: list[FaultTiming] = field(default_factory=list)
    started: float | None = None  # monotonic, before the catalog's first run
    finished: float | None = None  # after the run that proves the last revert

    def lines(self) -> list[str]:
        out = [f"{t.fault:32} plant {t.plant:5.2f}  run {t.run:5.2f}  revert {t.revert:5.2f}"
               + (f"  failure path {t.extra:5.2f}" if t.extra else "") + f"  = {t.total:5.2f} s" for t in self.faults]
        slowest = sorted(self.faults, key=lambda t: t.total, reverse=True)[:5]
        out.append("slowest: " + ", ".join(f"{t.fault} {t.total:.1f} s" for t in slowest))
        summed = sum(t.total for t in self.faults)
        wall = f"{self.finished - self.started:.1f} s wall clock (first run to last revert proven)" \
            if self.started is not None and self.finished is not None else "not finished"
        out.append(f"fault catalog: {len(self.faults)} fault(s), {summed:.1f} s planting, running, reverting; {wall}")
        return out


_TIMINGS = pytest.StashKey[FaultTimings]()


@pytest.fixture(scope="session")
def fault_timings(request) -> FaultTimings:
    return request.config.stash.setdefault(_TIMINGS, FaultTimings())


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    timings = config.stash.get(_TIMINGS, None)
    if timings and timings.faults:
        terminalreporter.write_sep("-", "fault catalog timings (seconds, each fault alone)")
        for line in timings.lines():
            terminalreporter.write_line(line)
