"""The run index (reports/index.html) and prune(): every run listed, corrupt ones as such, the age
of the last complete run embedded for the browser to compute, and retention that removes only old
run directories.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from conformance.report import LATEST, point_latest, prune, write_index, write_json
from conformance.report.index import CACHE, CACHE_VERSION, STALE_HOURS, TREND_RUNS, _stat, list_runs, render_index

from ._support import ROOT
from .test_report import GREEN, T0, check, dom, full_run_checks, summary_line, write_run


def rows(page) -> list[str]:
    return [tr.text() for tr in page.by_id("runs").find_all("tr")[1:]]


def test_runs_are_listed_newest_first_with_verdict_counts_site_and_markers(tmp_path):
    write_run(tmp_path, T0, GREEN)
    write_run(tmp_path, T0 + timedelta(days=1), GREEN + [check("a::restart", "failed", found="no")])
    write_run(tmp_path, T0 + timedelta(days=1, hours=1), GREEN, markers="studio", site_id="twin")
    page = dom(write_index(tmp_path).read_text())
    listed = rows(page)
    assert len(listed) == 3
    assert listed[0].startswith("20261129T040000Z (no report.html) 2026-11-29 04:00:00 UTC 2026-11-29 04:00:40 UTC (40 s) "
                                "twin (documented addresses) studio ok All 3 checks pass on mini 3 passed 0")
    assert "local bad 1 check failing on mini, 1 new since the previous run 3 passed, 1 failed 1" in listed[1]
    assert "All 3 checks pass on mini 3 passed 0" in listed[2]
    links = [a.attrs["href"] for a in page.by_id("runs").find_all("a")]
    assert links == []  # no report.html was written for these runs: names, not dead links
    (tmp_path / "20261128T030000Z" / "report.html").write_text("x")
    page = dom(write_index(tmp_path).read_text())
    assert [a.attrs["href"] for a in page.by_id("runs").find_all("a")] == ["20261128T030000Z/report.html"]


def test_a_corrupt_or_partial_run_is_listed_as_such_and_never_crashes_the_index(tmp_path):
    write_run(tmp_path, T0, GREEN)
    cut = write_run(tmp_path, T0 + timedelta(hours=1), GREEN)
    (cut / "results.json").write_text('{"site": "lab", "checks": [{"id": "a::b", ')
    (tmp_path / "20261128T050000Z").mkdir()  # interrupted before results.json
    binary = write_run(tmp_path, T0 + timedelta(hours=3), GREEN)
    (binary / "results.json").write_bytes(b"\x00\xff garbage")
    unreadable = write_run(tmp_path, T0 + timedelta(hours=4), GREEN)
    os.chmod(unreadable / "results.json", 0)  # (root reads it anyway; an ordinary user would not)
    (tmp_path / "notes").mkdir()
    (tmp_path / "README.txt").write_text("not a run")
    page = dom(write_index(tmp_path).read_text())
    listed = rows(page)
    assert len(listed) == 5  # not "notes", not README.txt
    assert "unreadable no results.json (the run was interrupted, or is still running)" in listed[2]
    assert "unreadable results.json is not valid JSON (Expecting" in listed[3]
    assert "unreadable results.json is not UTF-8 (byte 1)" in listed[1]
    assert [a.attrs["class"] for a in page.by_id("trend").find_all("a")] == ["ok", "corrupt", "corrupt", "corrupt", "ok"]


def test_the_last_complete_run_is_embedded_as_an_iso_time_for_the_browser(tmp_path):
    write_run(tmp_path, T0, GREEN, seconds=65)
    (tmp_path / "20261129T030000Z").mkdir()  # tonight's run died
    page = dom(write_index(tmp_path).read_text())
    line = page.by_id("last-complete")
    times = line.find_all("time", class_="age")
    assert [t.attrs["datetime"] for t in times] == ["2026-11-28T03:01:05Z"]
    assert line.text().startswith("Last complete run finished 2026-11-28 03:01:05 UTC \u2014 20261128T030000Z (no report.html): "
                                  "ok All 3 checks pass")
    assert "more than 36 hours ago: has the nightly job stopped?" in line.text()  # shown only when stale (CSS)
    assert page.find_all("body")[0].attrs["data-stale-hours"] == str(STALE_HOURS)
    assert "The newest run, 20261129T030000Z (no report.html), cannot be shown: no results.json" in page.by_id("newest-unreadable").text()


def test_no_runs_and_no_complete_run_are_said(tmp_path):
    assert "No runs yet in this directory." in dom(render_index([])).text()
    (tmp_path / "20261128T030000Z").mkdir()
    assert "No complete run: none of the 1 run directories has a readable results.json." in \
        dom(write_index(tmp_path).read_text()).by_id("last-complete").text()


def test_the_trend_strip_holds_the_last_30_runs(tmp_path):
    for i in range(35):
        write_run(tmp_path, T0 + timedelta(days=i), GREEN if i % 5 else GREEN + [check("a::b", "failed", found="no")])
    page = dom(write_index(tmp_path).read_text())
    cells = page.by_id("trend").find_all("a")
    assert len(cells) == TREND_RUNS == 30
    assert cells[0].attrs["title"].startswith("20261203T030000Z")  # the 6th run: the first 5 are out of the strip
    assert [c.attrs["class"] for c in cells[:6]] == ["bad", "ok", "ok", "ok", "ok", "bad"]


def test_several_sites_or_markers_each_get_their_latest_line_and_their_own_comparison(tmp_path):
    write_run(tmp_path, T0, GREEN + [check("a::b", "failed", found="no")], markers="local")
    write_run(tmp_path, T0 + timedelta(hours=1), GREEN, markers="studio")
    write_run(tmp_path, T0 + timedelta(days=1), GREEN + [check("a::b", "failed", found="no")], markers="local")
    page = dom(write_index(tmp_path).read_text())
    assert "1 check failing on mini, none new since the previous run" in rows(page)[0]  # compared with local, not studio
    groups = page.by_id("groups").text()
    assert "site lab, markers local: finished" in groups and "site lab, markers studio: finished" in groups


def levels(line) -> set[str]:
    return set(line.attrs["class"].split()) & {"ok", "warn", "bad", "corrupt"}


def test_the_latest_line_of_each_site_and_markers_is_coloured_by_its_verdict(tmp_path):
    """A colour is a verdict: a run that failed is red (class bad), never the green of a passing run."""
    failing = [check(f"a::c{i}", "failed", found="no", host=("mini", "studio")[i % 2]) for i in range(23)]
    write_run(tmp_path, T0, GREEN + failing[:3], markers="local or studio")
    write_run(tmp_path, T0 + timedelta(hours=1), GREEN, markers="dietpi")
    write_run(tmp_path, T0 + timedelta(hours=2), GREEN + [check("x::y", "cannot verify", found="needs root")], markers="contract")
    write_run(tmp_path, T0 + timedelta(days=1), GREEN + failing, markers="local or studio")
    page = dom(write_index(tmp_path).read_text())
    lines = {line.text().split(":")[0]: line for line in page.by_id("groups").find_all("p")}
    bad = lines["site lab, markers local or studio"]
    assert "23 checks failing on mini and studio, 20 new since the previous run" in bad.text()
    assert levels(bad) == {"bad"} and bad.find_all("span", class_="badge")[0].attrs["class"] == "badge st-failed"
    assert levels(lines["site lab, markers dietpi"]) == {"ok"}
    assert levels(lines["site lab, markers contract"]) == {"warn"}
    assert levels(page.by_id("last-complete")) == {"bad"}  # the newest complete run is the failing one


def test_an_owners_failing_test_is_in_the_verdict_with_or_without_the_cache(tmp_path):
    write_run(tmp_path, T0, GREEN, exit_status=1,
              extra={"tests": [{"test": "tests/owner/test_mine.py::test_x", "outcome": "failed", "message": ""}]})
    for _ in range(2):  # the first reads results.json, the second the cache
        page = dom(write_index(tmp_path).read_text())
        assert "All 3 checks pass on mini; 1 own test failing" in rows(page)[0]
        assert levels(page.by_id("last-complete")) == {"bad"}


def test_prune_removes_only_old_run_directories_and_never_latest(tmp_path):
    now = datetime(2026, 12, 31, 12, 0, tzinfo=timezone.utc)
    old = [write_run(tmp_path, now - timedelta(days=d), GREEN) for d in (90, 45, 31)]
    kept = [write_run(tmp_path, now - timedelta(days=d), GREEN) for d in (29, 1)]
    pinned = write_run(tmp_path, now - timedelta(days=60), GREEN, suffix="-2")
    point_latest(pinned)  # latest points to an old run (the nightly job stopped long ago): keep it
    broken = tmp_path / (now - timedelta(days=40)).strftime("%Y%m%dT%H%M%SZ")
    broken.mkdir()  # an old partial run directory is still a run directory
    strangers = [tmp_path / "notes", tmp_path / "20200101", tmp_path / "20200101T000000Z.bak"]
    for s in strangers:
        s.mkdir()
    (tmp_path / "20200101T000000Z-9").write_text("a file named like a run")
    outside = tmp_path.parent / f"{tmp_path.name}-outside" / "20200102T000000Z"
    outside.mkdir(parents=True)
    (tmp_path / "20200102T000000Z").symlink_to(outside)  # a symlink named like a run: not a run directory here
    removed = prune(tmp_path, keep_days=30, now=now)
    assert removed == [old[0], old[1], broken, old[2]]  # oldest first
    assert not any(p.exists() for p in removed)
    assert all(p.exists() for p in kept + strangers + [pinned, outside, tmp_path / "20200101T000000Z-9"])
    assert (tmp_path / LATEST).resolve() == pinned.resolve()
    assert prune(tmp_path, keep_days=30, now=now) == []
    with pytest.raises(ValueError):
        prune(tmp_path, keep_days=-1, now=now)


def test_the_cli_writes_the_index_and_prunes_only_when_asked(tmp_path):
    old = write_run(tmp_path, datetime(2020, 1, 1, tzinfo=timezone.utc), GREEN)
    recent = write_run(tmp_path, datetime.now(timezone.utc) - timedelta(hours=2), GREEN)
    run = lambda *args: subprocess.run([sys.executable, "-m", "conformance.report", *args], cwd=ROOT,
                                       capture_output=True, text=True, timeout=60)
    cli = run("--index", str(tmp_path))
    assert cli.returncode == 0 and cli.stdout.strip() == f"{tmp_path / 'index.html'} (2 runs, 0 unreadable)"
    assert old.exists()
    cli = run("--index", str(tmp_path), "--prune-days", "30")
    assert cli.returncode == 0 and cli.stdout.splitlines()[0] == f"removed {old}"
    assert not old.exists() and recent.exists()
    assert run(str(tmp_path), "--index", str(tmp_path)).returncode == 2  # one or the other
    assert run("--prune-days", "3", str(recent)).returncode == 2


def test_index_time_over_a_year_of_nightly_runs(tmp_path, request):
    checks = full_run_checks()
    for day in range(365):
        failing = [dict(c, status="failed", found="drift") if day % 11 == 0 and i < 3 else c for i, c in enumerate(checks)]
        write_run(tmp_path, T0 - timedelta(days=day), failing)
    times = []
    for _ in range(2):  # the first reads every results.json; the next ones only what changed (the cache)
        started = time.perf_counter()
        out = write_index(tmp_path)
        times.append(time.perf_counter() - started)
    size = (tmp_path / "20261128T030000Z" / "results.json").stat().st_size
    summary_line(request.config, f"index.html over 365 runs of 120 checks (results.json {size / 1024:.0f} KiB each): "
                                 f"{times[0] * 1000:.0f} ms reading every run, {times[1] * 1000:.0f} ms with the cache; "
                                 f"{out.stat().st_size / 1024:.0f} KiB (target: < 1 s)")
    assert len(list_runs(tmp_path)) == 365


def test_the_cache_follows_the_run_directories_and_is_never_trusted_blindly(tmp_path):
    first = write_run(tmp_path, T0, GREEN)
    write_index(tmp_path)
    assert (tmp_path / CACHE).exists()
    assert "All 3 checks pass on mini" in rows(dom(write_index(tmp_path).read_text()))[0]  # from the cache
    # results.json rewritten (say, by hand): re-read
    write_json(first / "results.json", {**json.loads((first / "results.json").read_text()),
                                        "checks": GREEN + [check("a::b", "failed", found="no")]})
    assert "1 check failing on mini" in rows(dom(write_index(tmp_path).read_text()))[0]
    # a run that becomes corrupt: shown as such, not as its cached past
    (first / "results.json").write_text("{")
    assert "unreadable" in rows(dom(write_index(tmp_path).read_text()))[0]
    # a cache that is garbage, or claims what the runs do not say: ignored / superseded
    write_run(tmp_path, T0 + timedelta(days=1), GREEN)
    stat = list(_stat(tmp_path / "20261128T030000Z" / "results.json"))
    for garbage in ("not json", "[]", json.dumps({"version": CACHE_VERSION, "runs": {"20261129T030000Z": {"stat": [1, 2]}}}),
                    json.dumps({"version": CACHE_VERSION, "runs": {"20261128T030000Z": {"stat": stat, "checks": 7}}})):
        (tmp_path / CACHE).write_text(garbage)
        listed = rows(dom(write_index(tmp_path).read_text()))
        assert len(listed) == 2 and "All 3 checks pass on mini" in listed[0]
    # and the page is the same with or without it
    with_cache = write_index(tmp_path).read_text()
    (tmp_path / CACHE).unlink()
    assert write_index(tmp_path).read_text() == with_cache
    assert with_cache == render_index(list_runs(tmp_path, cache=False))


def test_the_benchmark_measures_a_run_and_rewrites_nothing_of_it(tmp_path):
    """conformance/report/bench.py (what `make demo` prints): numbers, never asserted; here only that it works."""
    from conformance.report.bench import measure
    write_run(tmp_path, T0, GREEN)
    run = write_run(tmp_path, T0 + timedelta(days=1), GREEN + [check("a::b", "failed", found="x")])
    before = {p.name: p.stat().st_mtime_ns for p in run.iterdir()}
    measured = measure(run, nights=4, tries=2)
    assert {p.name: p.stat().st_mtime_ns for p in run.iterdir()} == before and not (tmp_path / "index.html").exists()
    assert (measured.checks, measured.index_runs) == (4, 4)
    assert measured.report_bytes > 1000 and measured.index_bytes > 1000
    lines = measured.lines()
    assert lines[0].startswith("report.html:") and "target < 1 s and < 2 MB" in lines[0]
    assert lines[1].startswith("index.html:") and "over 4 runs" in lines[1]


def test_an_unfinished_run_is_listed_as_such_even_through_the_cache(tmp_path):
    write_run(tmp_path, T0, GREEN)
    interrupted = write_run(tmp_path, T0 + timedelta(days=1), GREEN[:1], exit_status=2)
    page = dom(write_index(tmp_path).read_text())
    assert "unfinished the run was interrupted (exit status 2) after 1 check" in rows(page)[0]
    assert "20261128T030000Z" in page.by_id("last-complete").text()
    assert "did not finish: the run was interrupted" in page.by_id("newest-unreadable").text()
    # a cache written before unfinished runs existed, claiming it complete, is not believed
    entry = {"stat": _stat(interrupted / "results.json"), "site": "lab", "site_id": "lab", "exit_status": 2,
             "require_verified": False, "markers": "local", "inventory": "inventory.yaml", "started": None,
             "finished": None, "hosts": {}, "checks": []}
    (tmp_path / CACHE).write_text(json.dumps({"version": CACHE_VERSION, "runs": {interrupted.name: entry}}))
    assert [r.complete for r in list_runs(tmp_path)] == [True, False]
