"""Replay: a run's recording judged again with today's code and no host.

The pieces (the batch fence and its inverse, the replay backend, the recorder's redaction and bound) over
real batch scripts, then real runs of the small inventory on this machine, recorded and replayed.
"""
from __future__ import annotations

import gzip
import json
import plistlib
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.facts.base import CannotVerify
from conformance.inventory import load_inventory
from conformance.redaction import REDACTED, Redactor
from conformance.replay import RECORDING, Recorder, Replay, ReplayBackend, load
from conformance.replay.recording import mask_plist
from conformance.report.index import render_index, list_runs
from conformance.report.rundir import run_dirs
from conformance.runner import BatchFailed, Runner
from conformance.runner.runner import NOT_RECORDED, batch_script, fence_batch, split_batch

from ._support import FIXTURES, ROOT, ShellBackend, environ_without_pytest_vars, gathered

SMALL = FIXTURES / "inventory-small.yaml"


def test_fence_batch_is_split_batch_inverse():
    answers = [(0, "one\ntwo\n", "", False), (3, "", "bad thing\n", False), (-1, "partial", "", True),
               (0, "no newline at the end", "warning", False), (0, "", "", False)]
    stdout, stderr = fence_batch(answers, "@@m")
    split = split_batch(stdout, stderr, len(answers), "@@m")
    # a timed-out command's stderr loses its trailing line breaks in the live protocol too
    assert split == [(0, "one\ntwo\n", "", False), (3, "", "bad thing\n", False), (-1, "partial", "", True),
                     (0, "no newline at the end", "warning", False), (0, "", "", False)]


def test_the_live_batch_and_its_fence_agree(tmp_path):
    """A real /bin/sh runs a real batch; its split answers, fenced again and split, are the same answers."""
    argvs = [("printf", "a\\nb\\n"), ("sh", "-c", "echo err >&2; exit 4"), ("true",)]
    script = batch_script(argvs, "@@live")
    assert script.argvs == tuple(argvs) and script.marker == "@@live"
    raw = ShellBackend().run(script)
    live = split_batch(raw.stdout, raw.stderr, 3, "@@live")
    again = split_batch(*fence_batch(live, "@@x"), 3, "@@x")
    assert again == live == [(0, "a\nb\n", "", False), (4, "", "err\n", False), (0, "", "", False)]


def _runner(recorded: dict) -> Runner:
    return Runner("mini", ReplayBackend("mini", recorded))


def test_replay_answers_the_recorded_argv_and_reports_what_it_does_not_hold():
    recorded = {"user": "owner", "round_trips": [
        {"argvs": [["id", "-un"], ["ss", "-ltnH"]], "answers": [[0, "owner\n", "", False], [0, "LISTEN ...\n", "", False]]}]}
    runner = _runner(recorded)
    assert runner.user == "owner"
    outs = runner.run([["ss", "-ltnH"], ["uname", "-s"], ["id", "-un"]])
    assert [(o.exit_status, o.stdout) for o in outs] == [(0, "LISTEN ...\n"), (NOT_RECORDED, ""), (0, "owner\n")]
    assert outs[1].not_recorded and "not asked on the night" in outs[1].stderr
    assert len(runner.records) == 3 and runner.batches == 1


def test_a_round_trip_that_failed_on_the_night_fails_again_with_its_reason():
    recorded = {"user": "owner", "round_trips": [{"argvs": [["id", "-un"]], "failure": "studio unreachable: no route"}]}
    runner = _runner(recorded)
    with pytest.raises(BatchFailed, match="studio unreachable: no route"):
        runner.run([["id", "-un"]])
    with pytest.raises(BatchFailed, match="no route"):  # remembered, as on the night
        runner.run([["uname", "-s"]])


def test_a_command_asked_again_gets_the_last_recorded_answer():
    recorded = {"user": "u", "round_trips": [{"argvs": [["id", "-un"], ["id", "-un"]],
                                              "answers": [[0, "first\n", "", False], [0, "second\n", "", False]]}]}
    runner = _runner(recorded)
    assert [o.stdout for o in runner.run([["id", "-un"]] * 3)] == ["first\n", "second\n", "second\n"]


def test_facts_say_cannot_verify_for_what_the_recording_does_not_hold():
    inventory = load_inventory(SMALL)
    facts = gathered(inventory, "mini", _runner({"user": "owner", "round_trips": []}))
    with pytest.raises(CannotVerify, match="not in the recording: `ss -ltnH`"):
        facts.listeners()


def test_the_recorder_redacts_and_masks_plists():
    redact = Redactor()
    redact.learn("sk-canary-learned-0042")
    plist = plistlib.dumps({"Label": "com.x", "EnvironmentVariables": {"API_TOKEN": "tok-short", "PATH": "/bin"},
                            "ProgramArguments": ["/opt/x", "--key=sk-canary-learned-0042"]})
    masked = plistlib.loads(mask_plist(plist, redact))
    assert masked["EnvironmentVariables"] == {"API_TOKEN": REDACTED, "PATH": "/bin"}
    assert masked["ProgramArguments"] == ["/opt/x", f"--key={REDACTED}"]
    binary = plistlib.dumps({"Label": "com.y"}, fmt=plistlib.FMT_BINARY)
    assert mask_plist(binary, redact).startswith(b"bplist")  # kept in its own format
    assert b"sk-canary" not in mask_plist(b"not a plist sk-canary-learned-0042", redact)


def test_the_recorder_keeps_answers_up_to_its_bound():
    small = Recorder(Redactor(), limit=8)
    runner = Runner("h", ShellBackend())
    runner.run([["uname", "-s"]])  # "Linux\n": 6 of the 8
    runner.run([["id", "-un"]])  # at least 4 more: past the bound
    kept = [small.round_trip(t) for t in runner.round_trips]
    assert kept[0]["answers"] == [[0, "Linux\n", "", False]]
    assert kept[1]["answers"] is None and small.not_kept == 1
    replayed = _runner({"user": "u", "round_trips": kept}).run([["id", "-un"]])[0]
    assert replayed.not_recorded and "size bound" in replayed.stderr


# --- real runs of the small inventory on this machine, recorded and replayed ------------------------------------

def _pytest(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args], cwd=cwd,
                          env=environ_without_pytest_vars(), capture_output=True, text=True, timeout=180)


def _statuses(run_dir: Path) -> tuple[int, dict[str, str]]:
    results = json.loads((run_dir / "results.json").read_text())
    return results["exit_status"], {c["id"]: c["status"] for c in results["checks"]}


@pytest.fixture(scope="module")
def recorded_run(tmp_path_factory) -> Path:
    reports = tmp_path_factory.mktemp("reports")
    done = _pytest("-m", "local", f"--inventory={SMALL}", f"--report-dir={reports}", "tests")
    assert done.returncode == 1, done.stdout[-2000:]  # this machine is not the Mini: its checks fail
    (run,) = run_dirs(reports)
    return run


def test_every_run_keeps_a_recording(recorded_run):
    recording = load(recorded_run)
    assert recording.run == recorded_run.name and recording.options["markers"] == "local"
    assert recording.inputs["inventory"] == SMALL.read_text()
    (trip, *_) = recording.hosts["mini"]["round_trips"]
    asked = trip["argvs"].index(["ss", "-ltnH"])  # what the small inventory's listener check needs
    assert trip["answers"][asked][0] == 0
    with gzip.open(recorded_run / RECORDING, "rt") as f:
        assert json.load(f)["format"] == 1


def test_a_replay_gives_every_check_the_same_status_with_no_host(recorded_run):
    reports = recorded_run.parent
    done = _pytest(f"--replay={recorded_run}", f"--report-dir={reports}", "tests")
    replay = next(p for p in run_dirs(reports) if p != recorded_run)
    assert done.returncode == 1
    assert _statuses(replay) == _statuses(recorded_run)
    results = json.loads((replay / "results.json").read_text())
    assert results["replay_of"]["run"] == recorded_run.name
    assert (reports / "latest").resolve().name == recorded_run.name  # a replay is never the night's run
    page = (replay / "report.html").read_text()
    assert 'id="replay"' in page and f"A REPLAY of run {recorded_run.name}" in page
    index = render_index(list_runs(reports, cache=False))
    assert f"replay of {recorded_run.name}" in index
    assert f'id="last-complete">Last complete run' in index and f"{recorded_run.name}/report.html" in index.split(
        'id="last-complete"')[1].split("</p>")[0]


def test_a_replay_with_a_new_question_says_cannot_verify(recorded_run, tmp_path):
    """Today's code asks something the night did not: those checks cannot be verified, never pass."""
    plugin = tmp_path / "ask_more.py"
    plugin.write_text("from conformance.facts.listeners import Ss\n"
                      "Ss.command = ['ss', '-ltn']\n")  # a listener command the recording lacks
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-p", "ask_more",
                           f"--replay={recorded_run}", f"--report-dir={tmp_path / 'r'}", "tests"], cwd=ROOT,
                          env={**environ_without_pytest_vars(), "PYTHONPATH": str(tmp_path)},
                          capture_output=True, text=True, timeout=180)
    (replay,) = run_dirs(tmp_path / "r")
    _, statuses = _statuses(replay)
    assert statuses["litellm-orch::listen:4000"] == "cannot verify", done.stdout[-1500:]
    results = json.loads((replay / "results.json").read_text())
    found = next(c["found"] for c in results["checks"] if c["id"] == "litellm-orch::listen:4000")
    assert "not in the recording" in found


def test_replay_of_a_directory_without_a_recording_is_a_usage_error(tmp_path):
    done = _pytest(f"--replay={tmp_path}", f"--report-dir={tmp_path / 'r'}", "tests")
    assert done.returncode == 4 and "no recording.json.gz" in done.stdout + done.stderr


def test_a_value_the_recording_holds_redacted_is_not_judged_a_drift(recorded_run, tmp_path):
    """The night's systemctl answer, as the recording holds it, with the value the unit-file check compares redacted:
    the replay cannot tell that from a drift, and says so."""
    recording = load(recorded_run)
    mini = recording.hosts["mini"]["round_trips"]
    for trip in mini:
        for i, argv in enumerate(trip["argvs"]):
            if argv[:2] == ["systemctl", "show"] and "litellm-orch.service" in argv:
                trip["answers"][i][1] = ("Id=litellm-orch.service\nLoadState=loaded\nActiveState=active\n"
                                         f"FragmentPath={REDACTED}\nRestart=always\nRestartUSec=2s\n\n")
    edited = tmp_path / "night"
    edited.mkdir()
    from conformance.replay import write
    write(edited, recording)
    _pytest(f"--replay={edited}", f"--report-dir={tmp_path / 'r'}", "tests")
    (replay,) = run_dirs(tmp_path / "r")
    checks = {c["id"]: c for c in json.loads((replay / "results.json").read_text())["checks"]}
    assert checks["litellm-orch::unit-file"]["status"] == "cannot verify"
    assert "holds the value this check compares redacted" in checks["litellm-orch::unit-file"]["found"]
    assert checks["litellm-orch::restart"]["status"] == "passed"  # judged on what the recording holds in clear


def test_an_owners_test_whose_command_the_recording_lacks_is_not_judged(recorded_run, tmp_path):
    recording = load(recorded_run)
    trips = recording.hosts["mini"]["round_trips"]
    asked = [t for t in trips if any(a[:3] == ["stat", "-L", "-c"] for a in t["argvs"])]
    assert asked, "the owner's examples look at their paths with one `stat -L -c`"
    recording.hosts["mini"]["round_trips"] = [t for t in trips if t not in asked]
    edited = tmp_path / "night"
    edited.mkdir()
    from conformance.replay import write
    write(edited, recording)
    _pytest(f"--replay={edited}", f"--report-dir={tmp_path / 'r'}", "tests")
    (replay,) = run_dirs(tmp_path / "r")
    tests = json.loads((replay / "results.json").read_text())["tests"]
    skipped = [t for t in tests if t["outcome"] == "skipped"]
    assert skipped and all("not in the recording" in t["message"] for t in skipped), tests


def test_a_replay_has_the_keys_its_night_had_and_no_others(monkeypatch):
    """The recording says which keys the night was given (never their values); a replay stands a placeholder in for
    each, so the checks that need one are judged on the recorded answers, and drops any the replaying shell has."""
    from conformance.inventory import load_inventory
    from conformance.replay import Recording
    from conformance.session import SuiteSession
    from conformance.site import SiteAddresses

    inventory = load_inventory(ROOT / "inventory.yaml")
    replay = Replay(Path("night"), Recording(run="night", started="2026-12-01T03:00:00+00:00",
                                            options={"keys_given": ["LLM_LAB_LITELLM_KEY"]}))
    monkeypatch.setenv("LLM_LAB_LITELLM_KEY", "sk-this-shell-has-a-real-one")
    session = SuiteSession(inventory, SiteAddresses(inventory), replay=replay)
    environ = session.contract_environ()
    assert environ["LLM_LAB_LITELLM_KEY"] == "<recorded run's key>"
    session.replay = Replay(Path("night"), Recording(run="night", started="2026-12-01T03:00:00+00:00"))
    assert "LLM_LAB_LITELLM_KEY" not in session.contract_environ()  # the night had none: neither has its replay
    replay.close()
    session.replay.close()
