"""Robust runs, with real conformance runs of the small inventory on this machine (its checks fail here, as
a drifted lab's would: exit 1): two runs at once make two complete directories; a run that is interrupted,
crashes or is killed never becomes `latest`, is never the previous run of another, and the index lists it
as what it is; a results.json is written whole or not at all.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conformance.report import LATEST, new_run_dir, write_json
from conformance.report.diff import find_previous
from conformance.report.index import list_runs, write_index
from conformance.report.model import load_run
from conformance.report.rundir import point_latest, run_dirs

from ._support import FIXTURES, ROOT, environ_without_pytest_vars
from .test_report import dom

SMALL = FIXTURES / "inventory-small.yaml"

# A pytest plugin that makes the run go wrong after two checks, the way named by FAULT.
FAULTY = '''
import os, signal
FAULT = os.environ["FAULT"]
_seen = []

def pytest_runtest_call(item):
    _seen.append(item)
    if len(_seen) == 3:
        if FAULT == "interrupt":
            raise KeyboardInterrupt  # Ctrl-C: pytest stops, exit status 2
        if FAULT == "kill":
            os.kill(os.getpid(), signal.SIGKILL)  # the OOM killer, a power cut: nothing more is written

def pytest_collection_finish(session):
    if FAULT == "crash":
        raise RuntimeError("a plugin crashed")  # pytest's INTERNALERROR, exit status 3
'''


def start(reports: Path, tmp_path: Path, fault: str | None = None) -> subprocess.Popen:
    env = environ_without_pytest_vars()
    args = [sys.executable, "-m", "pytest", "-m", "local", "-p", "no:cacheprovider", "-q", f"--inventory={SMALL}",
            f"--report-dir={reports}"]
    if fault == "stop-early":
        args.append("-x")  # pytest stops at the first failure: exit status 1, like a drift
    elif fault:
        (tmp_path / "faulty_plugin.py").write_text(FAULTY)
        env.update(FAULT=fault, PYTHONPATH=os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")])))
        args += ["-p", "faulty_plugin"]
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(p: subprocess.Popen) -> tuple[int, str]:
    out, _ = p.communicate(timeout=180)
    return p.returncode, out


def run(reports: Path, tmp_path: Path, fault: str | None = None) -> tuple[int, str, Path]:
    before = set(run_dirs(reports))
    status, out = finish(start(reports, tmp_path, fault))
    made = set(run_dirs(reports)) - before
    assert len(made) == 1, (status, out)
    return status, out, made.pop()


def latest(reports: Path) -> str:
    return (reports / LATEST).resolve().name


def test_two_runs_at_once_make_two_complete_directories(tmp_path):
    reports = tmp_path / "reports"
    runs = [start(reports, tmp_path), start(reports, tmp_path)]
    results = [finish(p) for p in runs]
    assert [status for status, _ in results] == [1, 1], results
    dirs = run_dirs(reports)
    assert len(dirs) == 2
    loaded = [load_run(d) for d in dirs]
    assert all(r.complete for r in loaded), [r.problem for r in loaded]
    assert loaded[0].checks and {c.id for c in loaded[0].checks} == {c.id for c in loaded[1].checks}
    assert all((d / "report.html").exists() and (d / "commands.json").exists() for d in dirs)
    assert latest(reports) == dirs[-1].name  # the later one, whichever finished last
    assert [r.complete for r in list_runs(reports)] == [True, True]


def test_run_directories_made_at_the_same_moment_are_distinct(tmp_path):
    made, errors = [], []

    def make():
        try:
            made.append(new_run_dir(tmp_path))
        except OSError as e:  # exists() then mkdir() raised FileExistsError here when two raced
            errors.append(e)

    threads = [threading.Thread(target=make) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(made)) == 16 and all(p.is_dir() for p in made)


def test_latest_never_moves_back_to_an_older_run(tmp_path):
    old, new = tmp_path / "20261128T030000Z", tmp_path / "20261128T030000Z-2"
    old.mkdir()
    new.mkdir()
    point_latest(new)
    point_latest(old)  # the run that started first finished last
    assert latest(tmp_path) == new.name
    newest = tmp_path / "20261129T030000Z"
    newest.mkdir()
    point_latest(newest)
    assert latest(tmp_path) == newest.name


@pytest.mark.parametrize("fault, status, words", [
    ("interrupt", 2, "the run was interrupted (exit status 2) after 2 checks"),
    ("crash", 3, "the run stopped on an internal error (exit status 3) after 0 checks"),
    ("kill", -9, "no results.json (the run was interrupted, or is still running)"),
])
def test_an_interrupted_crashed_or_killed_run_never_replaces_latest_nor_counts_as_complete(tmp_path, fault, status, words):
    reports = tmp_path / "reports"
    first_status, _, first = run(reports, tmp_path)
    assert first_status == 1 and latest(reports) == first.name
    got, out, broken = run(reports, tmp_path, fault)
    assert got == status, out
    assert latest(reports) == first.name  # not moved
    loaded = load_run(broken)
    assert not loaded.complete and loaded.problem == words
    # the index lists it as what it is, and the last complete run is still the first one
    page = dom(write_index(reports).read_text())
    row = page.by_id(f"run-{broken.name}").text()
    assert ("unfinished" if fault != "kill" else "unreadable") in row and words in row
    assert first.name in page.by_id("last-complete").text()
    # the next run compares itself with the first, not with the broken one
    _, _, third = run(reports, tmp_path)
    assert find_previous(load_run(third)).path == first and latest(reports) == third.name


def test_results_json_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    target = tmp_path / "results.json"
    write_json(target, {"checks": [1, 2, 3]})
    real = Path.write_text

    def half_then_die(self, text, *args, **kw):
        real(self, text[: len(text) // 2], *args, **kw)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", half_then_die)
    with pytest.raises(OSError):
        write_json(target, {"checks": list(range(1000))})
    monkeypatch.undo()
    assert json.loads(target.read_text()) == {"checks": [1, 2, 3]}  # the old content, whole
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temporary file left


def test_a_run_stopped_early_never_replaces_latest_nor_counts_as_complete(tmp_path):
    """-x / --maxfail end with exit status 1 like a drift; the checks after the stop were never run."""
    reports = tmp_path / "reports"
    _, _, first = run(reports, tmp_path)
    got, out, stopped = run(reports, tmp_path, "stop-early")
    assert got == 1, out
    assert latest(reports) == first.name
    loaded = load_run(stopped)
    assert loaded.unfinished and loaded.problem == "the run stopped early (stopping after 1 failures) after 1 check"
    page = dom(write_index(reports).read_text())
    assert "unfinished" in page.by_id(f"run-{stopped.name}").text()
    assert first.name in page.by_id("last-complete").text()
