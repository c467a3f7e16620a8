"""One results model: the plugin's writer emits report/model.py's Run (results_json), and load_run reads that file
back into an equal Run; a results.json the writer wrote before the plugin was split by job reads and writes back
unchanged; every field of the contract's latency record has a place in the model."""
from __future__ import annotations

import json
import shutil
from dataclasses import fields, replace
from datetime import date, datetime, timezone
from pathlib import Path

from conformance.checks.contract import latency_summary
from conformance.plugin.results import contract_of
from conformance.plugin.terminal import latency_lines
from conformance.report.model import (
    FAILED, PASSED, WAIVED, CheckResult, Contract, HostStats, NotModelled, OwnTest, RecordingCost, ReplayOf, RouteLatency, Run,
    Timing, Waiver, check_state, load_run, results_json)
from conformance.report.rundir import write_json

BEFORE_THE_SPLIT = Path(__file__).resolve().parent.parent / "fixtures" / "results" / "before-the-plugin-split.json"


def _every_field_set(path: Path) -> Run:
    waiver = Waiver("known drift, ticket 12", "2999-01-01")
    started = datetime(2026, 12, 7, 3, 30, 1, tzinfo=timezone.utc)
    return Run(
        path=path, site="twin", site_id="twin-1", exit_status=1,
        replay=ReplayOf("20261206T033000Z", "2026-12-06T03:30:00+00:00", 0), recording=RecordingCost(17727, 0.0112),
        stopped_early="", require_verified=True, markers="local or contract", inventory="inventory.yaml",
        started=started, finished=started.replace(second=9),
        hosts={"mini": HostStats(4, 131, 2), "studio": HostStats(2, 9, None)},
        checks=(CheckResult(id="litellm-orch::restart-sec", host="mini", kind="unit", title="RestartSec=2",
                            source="founding", impact=0.7, status=FAILED, expected="RestartSec=2s",
                            found="RestartSec=5s", missing=("a",), extra=("b", "c"), evidence_source="systemctl show",
                            note="", test="tests/local/test_units.py::test_unit[litellm-orch::restart-sec]",
                            waiver=waiver, evidence=("$ systemctl show ...",),
                            state=check_state(FAILED, waiver, started.date())),
                CheckResult(id="ov-server::listen:9000", host="mini", kind="listen", status=PASSED,
                            expected={"address": "0.0.0.0", "port": 9000}, found=["0.0.0.0:9000"],
                            note="security: port 9000 is bound to all interfaces", state=PASSED)),
        tests=(OwnTest("tests/local/test_owner_examples.py::test_uv", "failed", "AssertionError: mode 0o644"),),
        contract=Contract(proxy="http://10.213.0.2:4000/v1", wall_seconds=0.9, routes=(
            RouteLatency(route="lil-jerry", backend="ov-server", host="mini", api="ov-llm-server", expected="up",
                         direct=Timing(200, 0.01, 0.02, 0.03, 41.5), proxy=Timing(200, 0.02, 0.03, 0.04, None),
                         overhead_seconds=0.01, route_seconds=0.5, outcome=FAILED, layer="backend down"),)),
        topology={"hosts": [{"id": "mini"}], "edges": []},
        not_modelled=(NotModelled("the Studio's pf firewall", "out of scope: the suite reads services, not packet filters",
                                  "derived", "docs/PLATFORM_DOSSIER.md"),))


def test_what_the_writer_emits_loads_back_into_the_same_run(tmp_path):
    run = _every_field_set(tmp_path)
    assert all(getattr(run, f.name) not in (None, "", (), {}) for f in fields(run)
               if f.name not in ("problem", "stopped_early", "commands", "commands_problem", "notification"))
    write_json(tmp_path / "results.json", results_json(run))
    loaded = load_run(tmp_path, commands=False)
    assert loaded == run
    assert loaded.checks[0].state == WAIVED and loaded.replay_of == "20261206T033000Z"


def test_fields_of_the_directory_and_the_state_shown_are_not_written():
    written = results_json(replace(_every_field_set(Path("/nowhere")), problem="x", notification={"sent": True}))
    assert not {"path", "problem", "commands", "commands_problem", "notification", "replay"} & set(written)
    assert "state" not in written["checks"][0]
    assert written["replay_of"] == {"run": "20261206T033000Z", "started": "2026-12-06T03:30:00+00:00", "exit_status": 0}
    assert written["started"] == "2026-12-07T03:30:01+00:00"


def test_a_run_without_contract_replay_or_recording_writes_none_of_them(tmp_path):
    written = results_json(replace(_every_field_set(tmp_path), contract=None, replay=None, recording=None))
    assert not {"contract", "replay_of", "recording"} & set(written)
    write_json(tmp_path / "results.json", written)
    assert load_run(tmp_path).replay_of is None


def test_a_results_json_of_the_writer_before_the_split_reads_and_writes_back_unchanged(tmp_path):
    """An existing run directory (the old writer built its rows by hand): the model holds every key it wrote."""
    shutil.copyfile(BEFORE_THE_SPLIT, tmp_path / "results.json")
    original = json.loads(BEFORE_THE_SPLIT.read_text())
    run = load_run(tmp_path, commands=False)
    assert run.complete and run.replay_of == original["replay_of"]["run"]
    assert json.loads(json.dumps(results_json(run))) == original


def test_every_field_of_the_contracts_latency_record_has_its_place_in_the_model():
    """The writer keeps of latency_summary what the model names: a field added there and not here would be lost."""
    from .test_contract import _lab, _run
    facts, _ = _run(_lab())
    summary = latency_summary(facts)
    contract = contract_of(summary)
    assert set(summary) == {f.name for f in fields(Contract)}
    for raw, route in zip(summary["routes"], contract.routes, strict=True):
        assert set(raw) == {f.name for f in fields(RouteLatency)} - {"outcome", "layer"}
        for way in ("direct", "proxy"):
            assert set(raw[way]) == {f.name for f in fields(Timing)}
            assert getattr(route, way) == Timing(**raw[way])
        assert route.outcome == "not run"  # no check of it was judged
    assert len(latency_lines(contract)) == 1 + len(summary["routes"])


def test_a_waived_failure_is_shown_waived_until_its_expiry_day_included():
    waiver = Waiver("known", "2026-12-07")
    assert check_state(FAILED, waiver, date(2026, 12, 7)) == WAIVED
    assert check_state(FAILED, waiver, date(2026, 12, 8)) == FAILED
    assert check_state("no such status", None, None) == "error"
