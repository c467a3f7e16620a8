"""The morning report (conformance/report/): loading a run, comparing it with the previous one, the
verdict, and report.html, over small synthetic results.json files written here. Assertions read
the page's text (parsed with html.parser), not its markup.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conformance.report import LATEST, new_run_dir, point_latest, write_json
from conformance.report.diff import find_previous
from conformance.report.model import load_run
from conformance.report.render import COLUMNS, KIND_COLUMN, column_of, write_report

from ._support import ROOT

T0 = datetime(2026, 11, 28, 3, 0, tzinfo=timezone.utc)


# --- synthetic runs ------------------------------------------------------------------------------
def check(cid: str, status: str = "passed", *, host: str = "mini", kind: str = "restart-sec", expected=None,
          found=None, note: str = "", waiver: dict | None = None, evidence: list[str] | None = None, **kw) -> dict:
    """One check as the plugin writes it in results.json."""
    expected = f"value of {cid}" if expected is None and status != "cannot verify" else expected
    found = expected if found is None and status == "passed" else found
    return {"id": cid, "host": host, "kind": kind, "title": kw.get("title", f"the documented fact {cid}"),
            "source": kw.get("source", "founding"), "impact": kw.get("impact", 0.7), "status": status,
            "expected": expected, "found": found, "missing": kw.get("missing", []), "extra": kw.get("extra", []),
            "evidence_source": kw.get("evidence_source", f"systemctl show {cid.split('::')[0]}.service"), "note": note,
            "test": f"tests/local/test_units.py::test_x[{cid}]", "waiver": waiver,
            "evidence": evidence if evidence is not None else [f"$ systemctl show {cid}    [owner@{host}, exit 0, batch 1 took 0.020s]\nRestart=always"]}


def write_run(reports: Path, when: datetime, checks: list[dict], *, site_id: str = "lab", markers: str = "local",
              exit_status: int | None = None, require_verified: bool = False, commands: list[dict] | None = None,
              seconds: int = 40, suffix: str = "", extra: dict | None = None) -> Path:
    """A run directory as the plugin leaves it; `extra`: more top-level keys of results.json (contract, topology)."""
    run = reports / (when.strftime("%Y%m%dT%H%M%SZ") + suffix)
    run.mkdir(parents=True)
    failing = any(c["status"] in ("failed", "error") and not c.get("waiver") for c in checks)
    hosts = sorted({c["host"] for c in checks})
    write_json(run / "results.json", {
        "site": f"{site_id} (documented addresses)", "site_id": site_id,
        "exit_status": exit_status if exit_status is not None else int(failing), "require_verified": require_verified,
        "markers": markers, "inventory": "inventory.yaml", "started": when.isoformat(timespec="seconds"),
        "finished": (when + timedelta(seconds=seconds)).isoformat(timespec="seconds"),
        "hosts": {h: {"round_trips": 3, "commands": 18} for h in hosts}, "checks": checks, **(extra or {})})
    write_json(run / "commands.json", commands if commands is not None else [
        {"host": "mini", "user": "owner", "command": "systemctl show --no-pager -p Restart -- a.service", "exit_status": 0,
         "stdout": "Restart=always\n", "stderr": "", "batch": 1, "batch_seconds": 0.02, "timed_out": False}])
    return run


GREEN = [check("litellm-orch::restart", kind="restart", expected="always"),
         check("litellm-orch::listen:4000", kind="listen", expected="0.0.0.0:4000"),
         check("open-webui::exec-start", kind="exec-start", expected="/x/open-webui serve --port 3000")]


# --- reading the page as text --------------------------------------------------------------------
class Node:
    def __init__(self, tag: str, attrs: dict, parent: Node | None):
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []

    def text(self) -> str:
        """What a reader sees, roughly: inline text run together, blocks apart, whitespace collapsed."""
        return re.sub(r"\s+", " ", self._raw()).strip()

    def _raw(self) -> str:
        parts = []
        for c in self.children:
            if isinstance(c, str):
                parts.append(c)
            elif c.tag in BLOCK:
                parts.append(f" {c._raw()} ")
            elif c.tag not in ("script", "style"):
                parts.append(c._raw())
        return "".join(parts)

    def iter(self):
        for c in self.children:
            if isinstance(c, Node):
                yield c
                yield from c.iter()

    def find_all(self, tag: str | None = None, **attrs) -> list[Node]:
        want = {k.rstrip("_"): v for k, v in attrs.items()}
        return [n for n in self.iter() if (tag is None or n.tag == tag)
                and all((n.attrs.get(k) or "") == v or (k == "class" and v in (n.attrs.get(k) or "").split())
                        for k, v in want.items())]

    def by_id(self, ident: str) -> Node:
        found = self.find_all(id=ident)
        assert len(found) == 1, f"{len(found)} elements with id {ident!r}"
        return found[0]


BLOCK = {"div", "p", "li", "ul", "tr", "td", "th", "table", "thead", "tbody", "h1", "h2", "h3", "section", "details",
         "summary", "pre", "header", "nav", "body", "html"}
VOID = {"meta", "link", "input", "br", "img", "hr", "col", "source", "wbr"}


class _Dom(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.cur = Node("#document", {}, None)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def dom(html_text: str) -> Node:
    parser = _Dom()
    parser.feed(html_text)
    parser.close()
    return parser.root


def report_of(tmp_path: Path, *runs: list[dict], **kw) -> tuple[Node, str, Path]:
    """Write the runs (a day apart, the last one is "tonight"), render the last one's report."""
    paths = [write_run(tmp_path / "reports", T0 + timedelta(days=i), checks, **kw) for i, checks in enumerate(runs)]
    out = write_report(paths[-1])
    text = out.read_text(encoding="utf-8")
    return dom(text), text, paths[-1]


def section(page: Node, ident: str) -> str:
    return page.by_id(ident).text()


# --- the verdict, and what changed ---------------------------------------------------------------
def test_a_green_run_says_all_pass_and_that_there_is_nothing_to_compare(tmp_path):
    page, _, _ = report_of(tmp_path, GREEN)
    assert section(page, "verdict") == "All 3 checks pass on mini"
    assert "verdict ok" in page.by_id("verdict").attrs["class"]
    assert "No previous run to compare with" in section(page, "changes")
    assert "No security findings" in section(page, "security")
    cells = page.find_all("td", class_="cell")
    assert cells and {c.attrs["data-state"] for c in cells} == {"passed"}


def test_failures_are_counted_per_host_and_new_ones_since_the_previous_run(tmp_path):
    before = GREEN + [check("mlx::listen:8101", "failed", host="studio", kind="mlx-listen", found="nothing listens")]
    now = [check("litellm-orch::restart", kind="restart", expected="always", found="on-failure", status="failed"),
           *GREEN[1:], check("mlx::listen:8101", "failed", host="studio", kind="mlx-listen", found="nothing listens")]
    page, _, _ = report_of(tmp_path, before, now)
    assert section(page, "verdict") == "2 checks failing on mini and studio, 1 new since the previous run"
    changes = section(page, "changes")
    assert "Newly failing (1)" in changes and "mini litellm-orch::restart" in changes
    assert "expected always, found on-failure (was passed)" in changes
    assert "Still failing (1)" in changes and "studio mlx::listen:8101" in changes
    assert "Fixed" not in changes


def test_none_new_and_fixed_are_said(tmp_path):
    failing = [check("a::restart", "failed", found="no"), check("b::restart", "failed", found="no")]
    fixed = [check("a::restart", "failed", found="no"), check("b::restart")]
    page, _, _ = report_of(tmp_path, failing, fixed)
    assert section(page, "verdict") == "1 check failing on mini, none new since the previous run"
    assert "Fixed (1)" in section(page, "changes") and "b::restart" in section(page, "changes")
    page, _, _ = report_of(tmp_path / "2", fixed, GREEN[:1] + [check("a::restart"), check("b::restart")])
    assert section(page, "verdict") == "All 3 checks pass on mini, 1 fixed since the previous run"


def test_three_hosts_are_counted_not_named(tmp_path):
    now = [check(f"s::x{i}", "failed", host=h, found="no") for i, h in enumerate(("mini", "studio", "dietpi"))]
    page, _, _ = report_of(tmp_path, now)
    assert section(page, "verdict") == "3 checks failing on 3 hosts"


def test_a_waived_failure_is_shown_as_waived_not_failing_until_it_expires(tmp_path):
    waiver = {"reason": "trying RestartSec=5 this week", "expires": "2026-12-04"}
    now = GREEN + [check("litellm-orch::restart-sec", "failed", expected="RestartSec=2s", found="RestartSec=5s", waiver=waiver)]
    page, _, run = report_of(tmp_path, GREEN, now)
    assert section(page, "verdict") == "All 3 checks pass on mini; 1 waived"
    assert "warn" in page.by_id("verdict").attrs["class"]
    changes = section(page, "changes")
    assert "Waived (1)" in changes and "until 2026-12-04: trying RestartSec=5 this week; found RestartSec=5s newly waived" in changes
    block = section(page, f"c-{_slug_of(page, 'litellm-orch::restart-sec')}")
    assert "waived until 2026-12-04: trying RestartSec=5 this week" in block and "found RestartSec=5s" in block
    assert [c.attrs["data-state"] for c in page.find_all("td", class_="cell") if "W" in c.text()] == ["waived"]
    # the same waiver on a run after its expiry day: failing again, and the report says why
    expired = write_run(tmp_path / "later", datetime(2026, 12, 5, 3, 0, tzinfo=timezone.utc), now)
    later = dom(write_report(expired).read_text())
    assert section(later, "verdict") == "1 check failing on mini"
    assert "waiver expired on 2026-12-04: trying RestartSec=5 this week" in later.text()


def test_cannot_verify_not_applicable_and_error_each_have_their_words(tmp_path):
    now = GREEN + [
        check("ollama::unmodified:ollama", "cannot verify", kind="unmodified",
              found="needs a recorded baseline: record one with `python -m conformance.baseline`"),
        check("mlx::health:8109", "not applicable", host="mini", kind="mlx-health", found="port 8109 is optional and down"),
        check("open-webui::env:X", "error", kind="env", found="KeyError: 'X' (at files.py:40)")]
    page, _, _ = report_of(tmp_path, now)
    assert section(page, "verdict") == ("1 check failing on mini (1 of them an error of the check itself); "
                                        "1 could not be verified; 1 not applicable")
    cv = section(page, f"c-{_slug_of(page, 'ollama::unmodified:ollama')}")
    assert "cannot verify needs a recorded baseline" in cv
    assert "error KeyError: 'X' (at files.py:40)" in section(page, f"c-{_slug_of(page, 'open-webui::env:X')}")
    states = {c.attrs["data-state"] for c in page.find_all("td", class_="cell")}
    assert {"cannot verify", "not applicable", "error", "passed"} <= states


def test_require_verified_makes_unverified_checks_fail_the_run_in_words(tmp_path):
    now = GREEN + [check("ollama::unmodified:ollama", "cannot verify", kind="unmodified", found="needs a baseline")]
    page, _, _ = report_of(tmp_path, now, require_verified=True, exit_status=1)
    assert section(page, "verdict") == "All 3 checks pass on mini; 1 could not be verified (fails the run: --require-verified)"
    assert "bad" in page.by_id("verdict").attrs["class"]


def test_an_exit_status_nothing_explains_is_said(tmp_path):
    page, _, _ = report_of(tmp_path, GREEN, exit_status=1)  # e.g. one of the owner's own tests failed
    assert section(page, "verdict") == "All 3 checks pass on mini; the run exited with status 1"


def test_an_unfinished_run_says_so_and_still_shows_what_it_recorded(tmp_path):
    write_run(tmp_path / "reports", T0, GREEN)
    run = write_run(tmp_path / "reports", T0 + timedelta(days=1), GREEN[:2], exit_status=2)
    page = dom(write_report(run).read_text())
    assert section(page, "verdict") == "Unfinished run: the run was interrupted (exit status 2) after 2 checks"
    assert "This run did not finish" in section(page, "unreadable")
    assert [d.find_all("code")[0].text() for d in page.find_all("div", class_="check")] == \
        ["litellm-orch::restart", "litellm-orch::listen:4000"]
    assert not load_run(run).complete
    later = write_run(run.parent, T0 + timedelta(days=2), GREEN)
    assert find_previous(load_run(later)).name == "20261128T030000Z"  # the unfinished run is skipped
    for status, words in ((3, "an internal error"), (4, "a usage error"), (5, "collected no test")):
        crashed = write_run(tmp_path / str(status), T0, GREEN, exit_status=status)
        assert words in load_run(crashed).problem


def test_security_findings_have_their_own_section_and_new_ones_are_marked(tmp_path):
    exposed = check("litellm-orch::master-key", kind="litellm-config", expected="not enabled",
                    note="security: the proxy accepts unauthenticated requests (no master key)")
    bound = check("ollama::listen:11434", kind="listen", expected="0.0.0.0:11434",
                  note="security: port 11434 is bound to all interfaces (reachable from the LAN)")
    page, _, _ = report_of(tmp_path, GREEN + [exposed], GREEN + [exposed, bound])
    assert section(page, "verdict") == "All 5 checks pass on mini; 2 security findings (1 new)"
    sec = section(page, "security")
    assert "the proxy accepts unauthenticated requests (no master key)" in sec
    assert "port 11434 is bound to all interfaces (reachable from the LAN) new since the previous run" in sec
    assert "(no master key) new since" not in sec
    page, _, _ = report_of(tmp_path / "gone", GREEN + [exposed], GREEN + [check("litellm-orch::master-key", kind="litellm-config")])
    assert "No longer reported since the previous run: mini litellm-orch::master-key" in section(page, "security")


def test_a_value_that_changed_while_passing_is_shown_before_and_after(tmp_path):
    before = GREEN + [check("litellm-orch::route:jerry-chat:model", kind="route", expected="openai/<upstream id>",
                            found="openai/mlx-community/Qwen3-32B")]
    now = GREEN + [check("litellm-orch::route:jerry-chat:model", kind="route", expected="openai/<upstream id>",
                         found="openai/mlx-community/Qwen3-235B")]
    page, _, _ = report_of(tmp_path, before, now)
    changes = section(page, "changes")
    assert "Changed while passing (1)" in changes
    assert "found openai/mlx-community/Qwen3-32B \u2192 openai/mlx-community/Qwen3-235B" in changes
    assert section(page, "verdict") == "All 4 checks pass on mini"


def test_a_check_on_one_side_only_is_not_run_on_the_other(tmp_path):
    before = GREEN + [check("ov-server::restart", kind="restart")]
    now = GREEN + [check("home-assistant::http:manifest", host="dietpi", kind="http", status="failed", found="404")]
    page, _, _ = report_of(tmp_path, before, now)
    changes = section(page, "changes")
    assert "Not run now (only in the previous run) (1)" in changes and "mini ov-server::restart the documented fact ov-server::restart: was passed" in changes
    assert "Not run before (new in this run) (1)" in changes and "dietpi home-assistant::http:manifest the documented fact home-assistant::http:manifest: now failed" in changes
    assert "Newly failing (1)" in changes and "(not run before)" in changes
    # the check that did not run is a grey "not run" cell that links to its line in the changes
    cell = [c for c in page.find_all("td", class_="cell") if c.attrs["data-state"] == "not run"]
    assert len(cell) == 1 and "ov-server::restart: not run" in cell[0].attrs["title"]
    page.by_id(cell[0].find_all("a")[0].attrs["href"][1:])


def test_nothing_changed_is_said(tmp_path):
    page, _, _ = report_of(tmp_path, GREEN, GREEN)
    assert "Nothing changed: the same checks, with the same states and the same values." in section(page, "changes")


def test_the_previous_run_is_the_last_complete_one_of_the_same_site_and_markers(tmp_path):
    reports = tmp_path / "reports"
    wanted = write_run(reports, T0, GREEN)
    write_run(reports, T0 + timedelta(hours=1), GREEN, markers="local or studio")
    write_run(reports, T0 + timedelta(hours=2), GREEN, site_id="twin")
    corrupt = write_run(reports, T0 + timedelta(hours=3), GREEN)
    (corrupt / "results.json").write_text('{"site": "lab", "checks": [', encoding="utf-8")  # a run cut short
    (reports / "20261128T070000Z").mkdir()  # no results.json at all
    (reports / "notes").mkdir()
    newer = write_run(reports, T0 + timedelta(days=2), GREEN)  # after "tonight": never a previous run
    tonight = write_run(reports, T0 + timedelta(days=1), GREEN)
    previous = find_previous(load_run(tonight))
    assert previous is not None and previous.path == wanted
    assert find_previous(load_run(wanted)) is None
    assert find_previous(load_run(newer)).path == tonight
    # and the page says which run it compared with
    assert "Compared with 20261128T030000Z" in section(dom(write_report(tonight).read_text()), "changes")


def test_a_corrupt_run_is_a_value_and_its_page_says_what_is_wrong(tmp_path):
    run = tmp_path / "20261128T030000Z"
    run.mkdir()
    assert load_run(run).problem == "no results.json (the run was interrupted, or is still running)"
    for content, problem in [('{"checks": [', "results.json is not valid JSON (Expecting value at line 1 column 13)"),
                             ("[1, 2]", "results.json is not a JSON object"),
                             ('{"site": "lab"}', "results.json has no list of checks"),
                             ('{"checks": [{"status": "passed"}]}', "results.json: check #1 has no id"),
                             (b"\xff\xfe", "results.json is not UTF-8 (byte 0)")]:
        (run / "results.json").write_bytes(content if isinstance(content, bytes) else content.encode())
        loaded = load_run(run)
        assert not loaded.complete and loaded.problem == problem
    page = dom(write_report(run).read_text())
    assert section(page, "verdict") == "Unreadable run: results.json is not UTF-8 (byte 0)"
    assert "Files in" in section(page, "unreadable") and "results.json" in section(page, "unreadable")


def test_an_older_run_without_the_newer_fields_still_renders(tmp_path):
    run = tmp_path / "20261128T090250Z"
    run.mkdir()
    old = {k: v for k, v in check("a::restart").items() if k != "evidence"}
    (run / "results.json").write_text(json.dumps({"site": "twin", "exit_status": 0, "require_verified": False,
                                                   "checks": [old]}))
    loaded = load_run(run)
    assert loaded.complete and loaded.site_id is None and loaded.markers == "" and loaded.started is None
    assert loaded.when == datetime(2026, 11, 28, 9, 2, 50, tzinfo=timezone.utc)
    page = dom(write_report(run).read_text())
    assert section(page, "verdict") == "The 1 check passes on mini"
    assert "No command: the fact came from a file or answer already read" in page.text()
    assert "commands.json" in section(page, "commands")


# --- the page ---------------------------------------------------------------------------------------
def test_every_check_is_listed_by_host_and_service_with_its_facts_and_collapsed_evidence(tmp_path):
    failing = check("litellm-orch::restart-sec", "failed", expected="RestartSec=2s", found="RestartSec=5s",
                    evidence_source="systemctl show ... litellm-orch.service (RestartUSec)",
                    evidence=["$ systemctl show -p RestartUSec litellm-orch.service    [owner@mini, exit 0, batch 1 took 0.020s]\n"
                              "RestartUSec=5s"])
    page, _, _ = report_of(tmp_path, GREEN + [failing])
    block = page.by_id(f"c-{_slug_of(page, 'litellm-orch::restart-sec')}")
    text = block.text()
    for fragment in ("failed litellm-orch::restart-sec the documented fact litellm-orch::restart-sec",
                     "expected RestartSec=2s", "found RestartSec=5s",
                     "source systemctl show ... litellm-orch.service (RestartUSec)",
                     "documented: founding \u00b7 impact high \u00b7 kind restart-sec"):
        assert fragment in text
    details = block.find_all("details")
    assert len(details) == 1 and "open" not in details[0].attrs
    assert "RestartUSec=5s" in details[0].text() and "evidence (1 command)" in details[0].text()
    checks = page.by_id("checks")
    hosts = checks.find_all("section", class_="host")
    assert [s.attrs["data-host"] for s in hosts] == ["mini"]
    assert [h3.text() for h3 in hosts[0].find_all("h3")] == ["litellm-orch", "open-webui"]


def test_the_matrix_maps_kinds_to_columns_and_every_cell_links_to_a_check(tmp_path):
    now = [check("ollama::unit-file", kind="unit-file"), check("ollama::exec-start", kind="exec-start"),
           check("ollama::restart", "failed", kind="restart", found="no"), check("ollama::restart-sec", kind="restart-sec"),
           check("ollama::path:override", kind="path"), check("ollama::odd", kind="brand-new-kind"),
           check("mlx::launchd:loaded", host="studio", kind="launchd")]
    page, _, _ = report_of(tmp_path, now)
    tables = page.find_all("table", class_="matrix")
    assert [t.attrs["data-host"] for t in tables] == ["mini", "studio"]
    assert [th.text() for th in tables[0].find_all("th")] == ["service", "unit", "exec", "restart", "paths", "other"]
    row = tables[0].find_all("tr")[1]
    assert [td.attrs.get("data-state", "") for td in row.find_all("td")[1:]] == ["passed", "passed", "failed", "passed", "passed"]
    assert row.find_all("td")[3].text() == "\u2717 1/2"  # one of the two restart checks fails
    ids = {n.attrs["id"] for n in page.iter() if "id" in n.attrs}
    links = [a.attrs["href"] for a in page.find_all("a") if a.attrs.get("href", "").startswith("#")]
    assert links and all(href[1:] in ids for href in links), [h for h in links if h[1:] not in ids]
    # the failing cell links to the failing check, not to the first check of its cell
    assert row.find_all("td")[3].find_all("a")[0].attrs["href"] == f"#c-{_slug_of(page, 'ollama::restart')}"


def test_every_kind_the_catalog_makes_has_a_column(tmp_path):
    """A new kind of check is a decision about its column (or "other"), made in KIND_COLUMN."""
    from conformance.checks.derive import host_checks
    from conformance.inventory import load_inventory
    from conformance.site import SiteAddresses
    kinds = set()
    for inventory_path in [ROOT / "inventory.yaml", *sorted((ROOT / "examples").glob("inventory*.yaml"))]:
        inventory = load_inventory(inventory_path)
        for host in inventory.hosts:
            kinds |= {c.kind for c in host_checks(inventory, SiteAddresses(inventory, None), host.id)}
    assert kinds and kinds <= set(KIND_COLUMN), f"kinds without a column in KIND_COLUMN: {sorted(kinds - set(KIND_COLUMN))}"
    assert set(KIND_COLUMN.values()) <= set(COLUMNS) and column_of("never-heard-of") == "other"


def test_everything_a_host_printed_is_escaped(tmp_path):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quoted" \x1b[31m red \x00 \ud800'
    now = [check("svc::<b>bold</b>", "failed", host='mini"><i>', kind="<kind>", expected="a&b", found=evil,
                 title=evil, note="security: " + evil, evidence=[evil], evidence_source=evil,
                 waiver={"reason": evil, "expires": "2999-01-01"})]
    page, text, _ = report_of(tmp_path, now)
    assert len(page.find_all("script")) == 1 and not page.find_all("img") and not page.find_all("b") and not page.find_all("i")
    assert not [n for n in page.iter() if any(k.startswith("on") for k in n.attrs)]
    assert '<script>alert("x")</script>' in page.text()  # shown as text
    assert "\u241b[31m red \u2400 \ufffd" in page.text()  # control characters made visible, a lone surrogate replaced
    text.encode("utf-8")  # valid UTF-8 throughout


def test_the_page_is_self_contained(tmp_path):
    page, text, _ = report_of(tmp_path, GREEN)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert "@import" not in text and "url(" not in text
    assert not page.find_all("link") and not page.find_all("img") and not page.find_all("iframe")
    csp = [m.attrs["content"] for m in page.find_all("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0] and "'sha256-" in csp[0] and "unsafe-inline" not in csp[0].split("script-src")[1]
    assert all(s.attrs.get("src") is None for s in page.find_all("script"))


def test_the_latency_and_topology_sections_are_absent_without_their_data(tmp_path):
    page, text, _ = report_of(tmp_path, GREEN)
    assert 'id="latency"' not in text and 'id="topology"' not in text
    assert [a.attrs["href"] for a in page.find_all("nav")[0].find_all("a")][:4] == \
        ["#changes", "#matrix", "#security", "#checks"]


def test_rerendering_is_deterministic_and_the_cli_writes_the_report(tmp_path):
    _, first, run = report_of(tmp_path, GREEN, GREEN + [check("x::y", "failed", found="no")])
    (run / "report.html").unlink()
    cli = subprocess.run([sys.executable, "-m", "conformance.report", str(run)], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.strip() == f"{run / 'report.html'}: 1 check failing on mini, 1 new since the previous run"
    assert (run / "report.html").read_text() == first
    point_latest(run)
    cli = subprocess.run([sys.executable, "-m", "conformance.report", str(run.parent / LATEST)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0 and (run / "report.html").read_text() == first  # through `latest`: the same page
    corrupt = run.parent / "20300101T000000Z"
    corrupt.mkdir()
    cli = subprocess.run([sys.executable, "-m", "conformance.report", str(corrupt)], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert cli.returncode == 1 and "Unreadable run: no results.json" in cli.stdout
    assert (corrupt / "report.html").exists()


def test_the_run_directory_functions_keep_their_behaviour(tmp_path):
    first, second = new_run_dir(tmp_path), new_run_dir(tmp_path)
    assert re.fullmatch(r"\d{8}T\d{6}Z", first.name) and first.is_dir()
    assert second.name in (first.name + "-2",) or second.name > first.name
    point_latest(first)
    point_latest(second)
    assert (tmp_path / LATEST).resolve() == second.resolve() and (tmp_path / LATEST).is_symlink()
    write_json(tmp_path / "x.json", {"when": datetime(2026, 1, 1)})
    assert json.loads((tmp_path / "x.json").read_text()) == {"when": "2026-01-01 00:00:00"}


# --- size and speed of a full run -----------------------------------------------------------------
SYSTEMCTL = "\n".join(f"Id={u}.service\nLoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\n"
                      f"FragmentPath=/etc/systemd/system/{u}.service\nDropInPaths=\nExecStart={{ path=/usr/bin/{u} ; "
                      f"argv[]=/usr/bin/{u} --host 0.0.0.0 --port 4000 ; ignore_errors=no }}\nRestart=always\n"
                      f"RestartUSec=2s\nEnvironmentFiles=\nEnvironment=\nStandardOutput=journal\nStandardError=inherit\n"
                      for u in ("litellm-orch", "open-webui", "ollama"))
JOURNAL = "\n".join('{"message": "POST /v1/chat/completions 200", "level": "INFO", "timestamp": "2026-11-28T03:00:%02d"}'
                    % (i % 60) for i in range(60))


def full_run_checks(n: int = 120) -> list[dict]:
    """About what a run of all three hosts holds: ~120 checks, most with one or two command records."""
    kinds = list(KIND_COLUMN)
    hosts = ["mini"] * 90 + ["studio"] * 20 + ["dietpi"] * 10
    out = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        status = "failed" if i % 17 == 0 else "cannot verify" if i % 41 == 0 else "passed"
        ev = [f"$ systemctl show --no-pager -p Id,... -- litellm-orch.service open-webui.service ollama.service    "
              f"[owner@{hosts[i]}, exit 0, batch 1 took 0.031s]\n{SYSTEMCTL}"]
        if kind in ("journal", "logs"):
            ev.append(f"$ journalctl -u litellm-orch.service -n 300 -o cat    [owner@{hosts[i]}, exit 0, batch 4 took 0.2s]\n{JOURNAL}")
        out.append(check(f"service-{i // 8}::{kind}:{i}", status, host=hosts[i], kind=kind, found="something else"
                         if status == "failed" else None, evidence=ev,
                         note="security: port 4000 is bound to all interfaces" if i % 30 == 0 else ""))
    return out


def test_report_size_and_time_for_a_full_run(tmp_path, request):
    reports = tmp_path / "reports"
    write_run(reports, T0, full_run_checks())
    run = write_run(reports, T0 + timedelta(days=1), full_run_checks(),
                    commands=[{"host": "mini", "user": "owner", "command": f"stat -c %F /path/{i}", "exit_status": 0,
                               "stdout": "regular file\n", "stderr": "", "batch": 2, "batch_seconds": 0.05,
                               "timed_out": False} for i in range(150)])
    started = time.perf_counter()
    out = write_report(run)
    seconds = time.perf_counter() - started
    size = out.stat().st_size
    results = (run / "results.json").stat().st_size
    summary_line(request.config, f"report.html for a run of 120 checks with evidence (results.json {results / 1024:.0f} KiB): "
                                 f"{seconds * 1000:.0f} ms, {size / 1024:.0f} KiB (targets: < 1 s, < 2 MB)")
    assert dom(out.read_text()).by_id("verdict").text().startswith("8 checks failing on 3 hosts, none new since the previous run")


# --- helpers --------------------------------------------------------------------------------------
def _slug_of(page: Node, check_id: str) -> str:
    """The anchor of a check, found through its visible id (anchors are an implementation detail)."""
    for node in page.find_all("div", class_="check"):
        code = node.find_all("code")
        if code and code[0].text() == check_id:
            return node.attrs["id"][2:]
    raise AssertionError(f"no check {check_id} on the page")


class _Summary:
    """Lines printed once at the end of the run (measurements, screenshot paths), even with -q."""

    NAME = "report-selftest-summary"

    def __init__(self):
        self.lines: list[str] = []

    def pytest_terminal_summary(self, terminalreporter):
        for line in self.lines:
            terminalreporter.write_line(line)


def summary_line(config, line: str) -> None:
    plugin = config.pluginmanager.get_plugin(_Summary.NAME)
    if plugin is None:
        plugin = _Summary()
        config.pluginmanager.register(plugin, _Summary.NAME)
    plugin.lines.append(line)
    print(line)


@pytest.mark.parametrize("checks, extra, words", [
    ([], {}, "No checks ran"),
    ([check("a::b", "cannot verify", found="needs x")], {}, "Nothing verified on mini; 1 could not be verified"),
    ([check("a::b")], {}, "The 1 check passes on mini"),
    ([check("a::b"), check("c::d", host="studio")], {}, "All 2 checks pass on mini and studio"),
    ([check("a::b", "error", found="boom"), check("a::c", "error", found="boom")], {},
     "2 checks failing on mini (2 of them errors of the check itself)"),
])
def test_verdict_wording(tmp_path, checks, extra, words):
    """verdict() is a plain function of a loaded run (and, optionally, its comparison)."""
    from conformance.report.summary import verdict
    assert verdict(load_run(write_run(tmp_path, T0, checks, **extra))).text == words


def test_the_previous_runs_values_pass_this_runs_redactor(tmp_path):
    """A value the previous run printed (found, evidence) must not come back unredacted through the comparison."""
    import json

    from conformance.redaction import Redactor
    from conformance.report.render import write_report

    def run(name, found, status):
        d = tmp_path / name
        d.mkdir()
        (d / "results.json").write_text(json.dumps({
            "site": "twin", "site_id": "twin", "exit_status": 1, "markers": "local", "started": f"2026-11-2{name[-1]}T03:00:00+00:00",
            "finished": f"2026-11-2{name[-1]}T03:00:10+00:00", "checks": [
                {"id": "litellm-orch::exec-start", "host": "mini", "kind": "exec-start", "title": "ExecStart", "status": status,
                 "expected": "uv run litellm", "found": found, "evidence": [f"$ systemctl show\nExecStart={found}"]}]}))
        (d / "commands.json").write_text("[]")
        return d

    run("20261127T030000Z-7", "uv run litellm --api-key sk9f8e7d6c5b4a", "failed")
    now = run("20261128T030000Z-8", "uv run litellm", "passed")
    page = write_report(now, tmp_path, redact=Redactor(enabled=True)).read_text()
    assert "sk9f8e7d6c5b4a" not in page and "fixed" in page.lower()
