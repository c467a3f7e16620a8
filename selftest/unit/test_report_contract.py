"""The contract's latency in report.html: the table per route (results.json's "contract"), the routes
that got slower through LiteLLM while passing, and contract checks in the matrix's contract column.
"""
from __future__ import annotations

import copy
import json
from datetime import timedelta

from conformance.report.diff import compare
from conformance.report.model import load_run
from conformance.report.render import write_report

from .test_report import GREEN, T0, check, dom, report_of, section, write_run

PROXY = "http://127.0.0.1:4000/v1"


def route(name: str, *, backend: str = "mlx-servers", host: str = "studio", expected: str = "optional",
          outcome: str = "passed", layer: str = "", direct: tuple = (0.01, 0.03, 0.02, None),
          proxy: tuple = (0.02, 0.045, 0.035, None), overhead: float | None = 0.015, status: int = 200) -> dict:
    """One route of results.json's "contract"; direct and proxy are (TTFT, the same stream's total, a chat's total,
    tokens/s) in seconds."""
    def timing(t):
        return {"status": status, "ttft_seconds": t[0], "stream_seconds": t[1], "chat_seconds": t[2],
                "tokens_per_second": t[3]}
    return {"route": name, "backend": backend, "host": host, "expected": expected, "outcome": outcome, "layer": layer,
            "direct": timing(direct), "proxy": timing(proxy), "overhead_seconds": overhead, "route_seconds": 0.5}


def contract(*routes: dict, wall: float | None = 1.4) -> dict:
    return {"contract": {"proxy": PROXY, "wall_seconds": wall, "routes": list(routes)}}


LIL_JERRY = route("lil-jerry", backend="ov-server", host="mini", expected="up",
                  direct=(0.0042, 0.0151, 0.0126, 212.4), proxy=(0.0191, 0.0412, 0.0354, 98.0), overhead=0.0229)
JERRY_CHAT = route("jerry-chat", outcome="not applicable", layer="backend down", direct=(None, None, None, None),
                   proxy=(None, None, None, None), overhead=None)
CONTRACT_CHECKS = [check("ov-server::contract:lil-jerry:chat", kind="contract", expected="200 from ov-server"),
                   check("mlx-servers::contract:jerry-chat:chat", "not applicable", host="mini", kind="contract",
                         found="backend down (optional)"),
                   check("litellm-orch::contract:unknown-model", kind="contract", expected="404 for an unknown model")]


def rows(page) -> dict[str, list[str]]:
    table = page.by_id("latency").find_all("table")[0]
    return {tr.attrs["data-route"]: [td.text() for td in tr.find_all("td")] for tr in table.find_all("tr")
            if "data-route" in tr.attrs}


def test_the_latency_table_shows_each_route_as_a_person_writes_it(tmp_path):
    page, _, _ = report_of(tmp_path, GREEN + CONTRACT_CHECKS, extra=contract(LIL_JERRY, JERRY_CHAT))
    text = section(page, "latency")
    assert text.startswith(f"Contract latency, per route through {PROXY}, 2 routes in 1.4 s.")
    header = [th.text() for th in page.by_id("latency").find_all("th")]
    assert header == ["route", "backend (host)", "outcome", "TTFT", "stream", "chat", "proxy overhead", "tokens/s",
                      "direct", "through", "direct", "through", "direct", "through", "direct", "through"]
    assert rows(page) == {
        "lil-jerry": ["lil-jerry", "ov-server (mini)", "passed", "4.2 ms", "19 ms", "15 ms", "41 ms", "13 ms", "35 ms",
                      "+23 ms", "212 tok/s", "98 tok/s"],
        "jerry-chat": ["jerry-chat (optional)", "mlx-servers (studio)", "not applicable: backend down"] + ["\u2014"] * 9,
    }
    states = {tr.attrs["data-route"]: tr.attrs["data-state"] for tr in page.by_id("latency").find_all("tr")
              if "data-route" in tr.attrs}
    assert states == {"lil-jerry": "passed", "jerry-chat": "not applicable"}
    # the outcome links to the route's contract check; the header links to the section
    link = page.by_id("route-" + _route_slug(page, "lil-jerry")).find_all("a")[0].attrs["href"]
    assert page.by_id(link[1:]).find_all("code")[0].text() == "ov-server::contract:lil-jerry:chat"
    assert "#latency" in [a.attrs["href"] for a in page.find_all("nav")[0].find_all("a")]


def test_contract_checks_are_in_the_matrix_contract_column(tmp_path):
    page, _, _ = report_of(tmp_path, GREEN + CONTRACT_CHECKS)
    mini = page.find_all("table", class_="matrix")[0]
    columns = [th.text() for th in mini.find_all("th")]
    assert "contract" in columns
    at = columns.index("contract")
    cells = {tr.find_all("td")[0].text(): tr.find_all("td")[at].attrs.get("data-state")
             for tr in mini.find_all("tr")[1:]}
    assert cells["ov-server"] == "passed" and cells["litellm-orch"] == "passed"
    assert cells["mlx-servers"] == "not applicable"


def test_a_partial_or_odd_contract_record_renders_what_it_has(tmp_path):
    odd = {"contract": {"proxy": None, "routes": [
        {"route": "lil-jerry"},  # nothing but its name
        {"route": "jerry-weak", "outcome": "failed", "layer": "proxy 500",
         "direct": {"status": 200, "ttft_seconds": "fast", "chat_seconds": float("nan")},
         "proxy": [1, 2], "overhead_seconds": -0.002},
        {"backend": "no route name"}, "not an object"]}}
    page, _, _ = report_of(tmp_path, GREEN, extra=odd)
    assert section(page, "latency").startswith("Contract latency, per route 2 routes. Direct:")
    assert rows(page) == {
        "lil-jerry": ["lil-jerry", "\u2014", "not recorded"] + ["\u2014"] * 9,
        "jerry-weak": ["jerry-weak", "\u2014", "failed: proxy 500"] + ["\u2014"] * 6 + ["\u22122 ms"] + ["\u2014"] * 2,
    }
    for empty in ({"contract": {}}, {"contract": {"routes": "none"}}):
        page, _, _ = report_of(tmp_path / str(len(str(empty))), GREEN, extra=empty)
        assert "The contract run recorded no route." in section(page, "latency")
    for absent in ({"contract": None}, {"contract": ["a list"]}, {}):
        _, text, _ = report_of(tmp_path / f"absent{len(str(absent))}", GREEN, extra=absent)
        assert 'id="latency"' not in text


def test_route_names_and_layers_are_escaped(tmp_path):
    evil = route('<script>alert(1)</script>', layer='<img src=x onerror=alert(1)>', backend='"><b>')
    page, _, _ = report_of(tmp_path, GREEN, extra=contract(evil))
    assert len(page.find_all("script")) == 1 and not page.find_all("img") and not page.find_all("b")
    assert "<script>alert(1)</script>" in section(page, "latency")


def runs_with(tmp_path, before: list[dict], after: list[dict]):
    reports = tmp_path / "reports"
    first = write_run(reports, T0, GREEN, extra=contract(*before))
    second = write_run(reports, T0 + timedelta(days=1), GREEN, extra=contract(*after))
    return first, second


def slower(tmp_path, before_total: float, after_total: float, **kw) -> list[str]:
    before = route("lil-jerry", proxy=(0.01, 0.02, before_total, None), **kw)
    after = copy.deepcopy(before)
    after["proxy"]["chat_seconds"] = after_total
    first, second = runs_with(tmp_path, [before], [after])
    return [r.after.route for r in compare(load_run(first), load_run(second)).slower_routes]


def test_a_route_whose_total_through_litellm_doubled_by_50_ms_or_more_is_listed(tmp_path):
    assert slower(tmp_path / "a", 0.040, 0.095) == ["lil-jerry"]  # 2.4x, +55 ms
    assert slower(tmp_path / "b", 0.050, 0.100) == ["lil-jerry"]  # exactly 2x and +50 ms
    assert slower(tmp_path / "c", 0.005, 0.030) == []  # 6x, but only +25 ms: noise on a 5 ms call
    assert slower(tmp_path / "d", 0.200, 0.390) == []  # +190 ms, but not doubled
    assert slower(tmp_path / "e", 0.100, 0.040) == []  # faster
    assert slower(tmp_path / "f", 0.040, 0.500, outcome="failed") == []  # failing: that is news of its own


def test_a_route_missing_on_one_side_or_without_a_total_is_not_compared(tmp_path):
    before = route("lil-jerry", proxy=(0.01, 0.02, 0.02, None))
    first, second = runs_with(tmp_path, [before], [route("jerry-chat", proxy=(0.01, 0.02, 0.5, None))])
    assert compare(load_run(first), load_run(second)).slower_routes == []
    unmeasured = route("lil-jerry", proxy=(None, None, None, None))
    first, second = runs_with(tmp_path / "2", [unmeasured], [route("lil-jerry", proxy=(0.01, 0.02, 0.5, None))])
    assert compare(load_run(first), load_run(second)).slower_routes == []
    reports = tmp_path / "3"
    first = write_run(reports, T0, GREEN)  # an older run without contract data
    second = write_run(reports, T0 + timedelta(days=1), GREEN, extra=contract(before))
    assert compare(load_run(first), load_run(second)).slower_routes == []


def test_the_slower_route_is_in_what_changed_and_the_run_is_not_nothing_changed(tmp_path):
    before = route("lil-jerry", backend="ov-server", host="mini", proxy=(0.01, 0.05, 0.040, None),
                   direct=(0.004, 0.02, 0.012, None))
    after = route("lil-jerry", backend="ov-server", host="mini", proxy=(0.01, 0.05, 0.250, None),
                  direct=(0.004, 0.02, 0.013, None))
    _, second = runs_with(tmp_path, [before], [after])
    page = dom(write_report(second).read_text())
    changes = section(page, "changes")
    assert "Slower through LiteLLM while passing (1)" in changes
    assert ("route lil-jerry (ov-server on mini): total through LiteLLM 40 ms \u2192 250 ms "
            "(direct 12 ms \u2192 13 ms)") in changes
    assert "Nothing changed" not in changes
    target = [a for a in page.by_id("changes").find_all("a") if a.text() == "route lil-jerry"][0].attrs["href"]
    assert page.by_id(target[1:]).attrs["data-route"] == "lil-jerry"
    # the same latency twice: nothing changed
    _, again = runs_with(tmp_path / "same", [after], [after])
    assert "Nothing changed" in section(dom(write_report(again).read_text()), "changes")


def test_the_contract_record_survives_a_round_trip_through_results_json(tmp_path):
    run = write_run(tmp_path, T0, GREEN, extra=contract(LIL_JERRY))
    loaded = load_run(run).contract
    assert loaded.proxy == PROXY and loaded.wall_seconds == 1.4
    r = loaded.route("lil-jerry")
    assert (r.backend, r.host, r.expected, r.outcome, r.layer) == ("ov-server", "mini", "up", "passed", "")
    assert (r.direct.status, r.direct.ttft_seconds, r.direct.stream_seconds, r.proxy.chat_seconds,
            r.proxy.tokens_per_second) == (200, 0.0042, 0.0151, 0.0354, 98.0)
    assert r.overhead_seconds == 0.0229 and r.route_seconds == 0.5
    assert json.loads((run / "results.json").read_text())["contract"]["routes"][0]["route"] == "lil-jerry"


def test_an_older_run_s_total_is_read_as_the_chat_total_it_was(tmp_path):
    """Runs before the stream's own total was recorded wrote the non-streamed total as `total_seconds`."""
    older = route("lil-jerry")
    older["proxy"] = {"status": 200, "ttft_seconds": 0.3, "total_seconds": 0.098}
    r = load_run(write_run(tmp_path, T0, GREEN, extra=contract(older))).contract.route("lil-jerry")
    assert (r.proxy.ttft_seconds, r.proxy.stream_seconds, r.proxy.chat_seconds) == (0.3, None, 0.098)


def _route_slug(page, name: str) -> str:
    row = [tr for tr in page.by_id("latency").find_all("tr") if tr.attrs.get("data-route") == name][0]
    return row.attrs["id"][len("route-"):]
