"""report.html and index.html in a real browser: headless Chromium through its command line
(`--dump-dom`, `--screenshot`), console messages read from its log (`--enable-logging=stderr`).

Our pages write nothing to the console, so any console line is a problem: a console.error, an
uncaught exception, or a Content-Security-Policy violation (the pages forbid every network load,
so an external script, style, font or image would show up here). test_the_console_check_can_fail
shows that the check catches each of those. Chromium's own background traffic is cut off too
(no background networking, every host name resolves to nothing).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conformance.report import write_index, write_report
from conformance.report.page import BASE_CSS, page

from .test_report import GREEN, T0, check, dom, summary_line, write_run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian package `chromium`: "
                                                          "apt-get install -y chromium); the browser checks need it")

FLAGS = ["--headless=new", "--disable-gpu", "--no-sandbox", "--no-first-run", "--no-default-browser-check",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
         "--disable-extensions", "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0"]
CONSOLE = re.compile(r":CONSOLE[:(]|Uncaught")


@dataclass
class Browsed:
    dom: str
    console: list[str]  # console lines of the page (errors, logs, CSP violations): expected empty


def browse(path: Path, tmp_path: Path, fragment: str = "", screenshot: Path | None = None) -> Browsed:
    url = path.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    profile = ["--user-data-dir=" + str(tmp_path / "chromium-profile")]
    done = subprocess.run([CHROMIUM, *FLAGS, *profile, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if CONSOLE.search(line)]
    if screenshot is not None:
        shot = subprocess.run([CHROMIUM, *FLAGS, *profile, f"--screenshot={screenshot}", "--window-size=1280,2000", url],
                              capture_output=True, text=True, timeout=120)
        assert shot.returncode == 0 and screenshot.stat().st_size > 0, shot.stderr[-2000:]
    return Browsed(done.stdout, console)


def test_the_console_check_can_fail(tmp_path):
    """The same check as below, on pages that misbehave: each is caught. A clean page is not."""
    pages = {
        "console-error": "<p>x</p><script>console.error('deliberate console error')</script>",
        "thrown": "<p>x</p><script>throw new Error('deliberate uncaught error')</script>",
        "external-image": page("t", '<img src="http://192.0.2.1/logo.png" alt="">', css=BASE_CSS),  # our CSP: blocked
        "clean": page("t", "<p>nothing to say</p>", css=BASE_CSS, scripts=["document.body.dataset.ok='1';"]),
    }
    found = {}
    for name, html in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_text(html)
        found[name] = browse(path, tmp_path)
    console = {name: seen.console for name, seen in found.items()}
    assert any("deliberate console error" in line for line in console["console-error"]), console
    assert any("Uncaught Error: deliberate uncaught error" in line for line in console["thrown"]), console
    assert any("Content Security Policy" in line and "192.0.2.1" in line for line in console["external-image"]), console
    assert console["clean"] == []
    assert 'data-ok="1"' in found["clean"].dom  # and its script (allowed by its hash) ran


def test_the_report_renders_without_console_errors(tmp_path, request):
    waiver = {"reason": "trying RestartSec=5 this week", "expires": "2999-12-04"}
    failing = check("litellm-orch::restart-sec", "failed", expected="RestartSec=2s", found="RestartSec=5s",
                    evidence=["$ systemctl show -p RestartUSec litellm-orch.service    [owner@mini, exit 0, batch 1 took 0.02s]\n"
                              "RestartUSec=5s <not markup>"])
    now = GREEN + [failing,
                   check("ollama::listen:11434", kind="listen", expected="0.0.0.0:11434",
                         note="security: port 11434 is bound to all interfaces (reachable from the LAN)"),
                   check("open-webui::restart-sec", "failed", found="RestartSec=9s", waiver=waiver),
                   check("ollama::unmodified:ollama", "cannot verify", kind="unmodified", found="needs a recorded baseline"),
                   check("mlx::listen:8101", "failed", host="studio", kind="mlx-listen", found="nothing listens")]
    reports = tmp_path / "reports"
    write_run(reports, T0, GREEN + [check("ov-server::restart", kind="restart")])
    from conformance.inventory import load_inventory
    from conformance.report.topology import topology_of

    from ._support import INVENTORY
    from .test_report_contract import JERRY_CHAT, LIL_JERRY, contract
    extra = {"topology": topology_of(load_inventory(INVENTORY)), **contract(LIL_JERRY, JERRY_CHAT)}
    report = write_report(write_run(reports, T0 + timedelta(days=1), now, extra=extra))
    shot = tmp_path / "report.png"
    seen = browse(report, tmp_path, screenshot=shot)
    assert seen.console == []
    page_ = dom(seen.dom)
    assert page_.by_id("verdict").text() == ("2 checks failing on mini and studio, 2 new since the previous run; 1 waived; "
                                             "1 could not be verified; 1 security finding (1 new)")
    matrices = page_.find_all("table", class_="matrix")
    assert [t.attrs["data-host"] for t in matrices] == ["mini", "studio"]
    assert {td.attrs["data-state"] for td in matrices[0].find_all("td", class_="cell")} >= {"passed", "failed", "waived",
                                                                                             "cannot verify", "not run"}
    assert [tr.attrs["data-route"] for tr in page_.by_id("latency").find_all("tr") if "data-route" in tr.attrs] == \
        ["lil-jerry", "jerry-chat"]
    assert {g.attrs["data-node"]: g.attrs["data-state"] for g in page_.by_id("topology").find_all("g", class_="node")
            }["litellm-orch"] == "failed"
    block = next(d for d in page_.find_all("div", class_="check") if d.find_all("code")[0].text() == "litellm-orch::restart-sec")
    assert "RestartUSec=5s <not markup>" in block.find_all("details")[0].text()
    assert "open" not in block.find_all("details")[0].attrs
    # a link to the check (a matrix cell, a change) opens its evidence: the page's script ran
    opened = dom(browse(report, tmp_path, fragment=block.attrs["id"]).dom)
    assert "open" in opened.by_id(block.attrs["id"]).find_all("details")[0].attrs
    summary_line(request.config, f"report.html screenshot: {shot}")


def test_the_index_computes_the_age_of_the_last_complete_run_when_opened(tmp_path, request):
    now = datetime.now(timezone.utc)
    stale, fresh = tmp_path / "stale", tmp_path / "fresh"
    for i in range(5):
        write_run(stale, now - timedelta(days=3 + i, seconds=40), GREEN if i else GREEN + [check("a::b", "failed", found="x")])
    (stale / (now - timedelta(days=2)).strftime("%Y%m%dT%H%M%SZ")).mkdir()  # a later run that left no results.json
    write_run(fresh, now - timedelta(hours=2, seconds=40), GREEN)
    shots = {}
    for name, reports in (("stale", stale), ("fresh", fresh)):
        shots[name] = tmp_path / f"index-{name}.png"
        seen = browse(write_index(reports), tmp_path, screenshot=shots[name])
        assert seen.console == []
        line = dom(seen.dom).by_id("last-complete")
        if name == "stale":
            assert "cannot be shown: no results.json" in dom(seen.dom).by_id("newest-unreadable").text()
            assert line.text().startswith("Last complete run finished 3 days ago")
            assert "stale" in line.attrs["class"].split()
            assert "more than 36 hours ago: has the nightly job stopped?" in line.text()
        else:
            assert line.text().startswith("Last complete run finished 2 hours ago")
            assert "stale" not in line.attrs["class"].split()
    summary_line(request.config, f"index.html screenshots: {shots['stale']} (3 days old), {shots['fresh']} (2 hours old)")


# What the browser paints: each latest-run line's computed background, written where --dump-dom shows it.
PAINTED = """document.querySelectorAll('p.age-line').forEach(function(el){
el.setAttribute('data-painted', getComputedStyle(el).backgroundColor);});"""
RED, GREEN_BG, YELLOW = "rgb(251, 224, 221)", "rgb(220, 243, 227)", "rgb(255, 241, 204)"  # --badbg, --okbg, --warnbg


def test_the_index_paints_a_failing_run_red_even_when_stale(tmp_path, monkeypatch):
    from conformance.report import index
    monkeypatch.setattr(index, "SCRIPT", index.SCRIPT + PAINTED)  # runs after the age script (stale is set)
    now = datetime.now(timezone.utc)
    failing = [check(f"a::c{i}", "failed", found="no", host=("mini", "studio")[i % 2]) for i in range(23)]
    reports = tmp_path / "reports"
    write_run(reports, now - timedelta(days=3), GREEN + failing, markers="local or studio")  # stale and failing
    write_run(reports, now - timedelta(days=3, hours=1), GREEN, markers="dietpi")  # stale and green
    write_run(reports, now - timedelta(hours=2), GREEN, markers="studio")  # fresh and green
    write_run(reports, now - timedelta(hours=1), GREEN + failing[:1], markers="local")  # fresh and failing
    seen = browse(write_index(reports), tmp_path)
    assert seen.console == []
    painted = {line.text().split(":")[0]: line.attrs["data-painted"]
               for line in dom(seen.dom).by_id("groups").find_all("p")}
    assert painted == {"site lab, markers local or studio": RED, "site lab, markers dietpi": YELLOW,
                       "site lab, markers studio": GREEN_BG, "site lab, markers local": RED}
