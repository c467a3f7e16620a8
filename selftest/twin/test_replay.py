"""Replay in the twin: a run of every marker, and one with a planted drift, each judged again on the outer machine
with no network at all (a network namespace of its own, loopback only: neither the twin nor any other host can be
reached), gives the same status for every check and the same exit status. The recordings hold none of the twin's
secrets (test_trust.py searches them decompressed, with the other artifacts).

With LAB_WRITE_REPLAY_FIXTURE=1 the clean run's recording is also written to selftest/fixtures/replay/ (the
fixture `make unit` replays: selftest/unit/test_replay_fixture.py).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab.faults import by_id, plant, revert
from selftest.replay_fixture import FIXTURE, write_fixture
from selftest.twin.conftest import ROOT, TWIN_SUITE_ARGS, SuiteRun

EVERY_MARKER = "local or studio or dietpi or contract"
DRIFTS = ("litellm-restart-sec",)  # on mini; the contract's drift is planted on studio, apart
CONTRACT_DRIFT = "contract-backend-malformed"


def _every_marker_run(twin, *args: str) -> SuiteRun:
    latest = ROOT / "reports" / "latest"
    before = latest.resolve() if latest.exists() else None
    started = time.monotonic()
    status = twin.run_suite(["-m", EVERY_MARKER, *TWIN_SUITE_ARGS, "--request-timeout=5", *args])
    wall = time.monotonic() - started
    after = latest.resolve()
    assert after != before, f"the suite run (exit {status}) left no new run directory"
    run = SuiteRun(status, after)
    recording = run.results.get("recording") or {}
    if recording:  # measured by the run itself, printed (never asserted): the target is under 5% of the run
        print(f"recording of {after.name}: {recording['bytes'] / 1024:.0f} KiB compressed, written in "
              f"{recording['seconds'] * 1000:.0f} ms = {100 * recording['seconds'] / wall:.1f}% of the run's "
              f"{wall:.2f} s (lab suite, ssh login included)")
    return run


def replay_offline(run_dir: Path, reports: Path) -> SuiteRun:
    """`pytest --replay RUN_DIR` on the outer machine, in a network namespace with nothing but loopback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    started = time.monotonic()
    done = subprocess.run(["unshare", "--net", sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                           f"--replay={run_dir}", f"--report-dir={reports}", "tests"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    print(f"replay of {run_dir.name}: {time.monotonic() - started:.2f} s, exit {done.returncode}")
    made = [p for p in reports.iterdir() if p.is_dir() and not p.is_symlink()]
    assert len(made) == 1, done.stdout[-3000:] + done.stderr[-2000:]
    return SuiteRun(done.returncode, made[0])


def _statuses(run: SuiteRun) -> dict[str, str]:
    return {c["id"]: c["status"] for c in run.checks}


def _same_verdicts(night: SuiteRun, replay: SuiteRun) -> list[str]:
    wrong = []
    if replay.exit_status != night.exit_status:
        wrong.append(f"exit status {replay.exit_status}, the night's was {night.exit_status}")
    a, b = _statuses(night), _statuses(replay)
    wrong += [f"{i}: {a.get(i)} on the night, {b.get(i)} replayed" for i in sorted(set(a) | set(b)) if a.get(i) != b.get(i)]
    return wrong


@pytest.fixture(scope="module")
def clean_run(twin) -> SuiteRun:
    run = _every_marker_run(twin)
    assert run.exit_status == 0, f"the clean twin should be green on every marker ({run.run_dir.name})"
    return run


def test_a_clean_run_of_every_marker_replays_offline_to_the_same_verdicts(clean_run, tmp_path):
    replay = replay_offline(clean_run.run_dir, tmp_path)
    assert not _same_verdicts(clean_run, replay), "\n".join(_same_verdicts(clean_run, replay))
    assert replay.results["replay_of"]["run"] == clean_run.run_dir.name
    if os.environ.get("LAB_WRITE_REPLAY_FIXTURE") == "1":
        write_fixture(clean_run.run_dir)
        print(f"replay fixture written: {FIXTURE}")


def test_a_run_with_planted_drifts_replays_offline_to_the_same_verdicts(twin, tmp_path):
    faults = by_id(list(DRIFTS))
    contract = by_id([CONTRACT_DRIFT])
    plant(twin, faults)
    try:
        plant(twin, contract)
        try:
            night = _every_marker_run(twin)
        finally:
            revert(twin, contract)
    finally:
        revert(twin, faults)
    expected = set().union(*(f.expect for f in faults + contract))
    assert night.exit_status == 1 and night.not_passed == expected, night.explain(night.not_passed ^ expected)
    replay = replay_offline(night.run_dir, tmp_path)
    assert not _same_verdicts(night, replay), "\n".join(_same_verdicts(night, replay))
