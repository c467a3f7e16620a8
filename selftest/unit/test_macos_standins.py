"""The twin's macOS stand-ins print what a real Mac prints, without the twin.

launchd: in every state, the lines a real Mac prints, compared key by key with the real `launchctl print`
captures in selftest/fixtures/darwin/launchctl/ (README.md there).

The job is driven through the launchd stand-in's own transitions (lab/standins/macos/launchd.py: a run
attempted, started, exited, killed, refused, scheduled for respawn) and printed by the launchctl stand-in
(lab/standins/macos/launchctl.py), as in the twin. For each state:
- it never prints a key that no real system-domain capture has (a key taken from another domain's capture
  is listed in README.md, with why);
- every key of a real capture of the same state is printed, or README.md says why it is left out;
- keys it shares with a whole system-domain capture of that state come in the same order.
No twin needed: the rendering is pure.

netstat: the header and a LISTEN row, byte for byte as the real macOS 15 capture netstat-atn-macos15.txt,
from canned `ss` lines.

print-disabled: `launchctl print-disabled system` has the line layout of the real modern capture in
selftest/fixtures/darwin/print-disabled/, the owner's two parsers read it (and both real forms) as their code
does, and the launchd stand-in does not load a job its disabled database marks disabled.
"""
from __future__ import annotations

import importlib.util
import os
import plistlib
import re
import signal
import subprocess
import time

import pytest

from conformance.facts.launchd import parse_print
from lab.hosts import studio
from lab.paths import STANDINS
from selftest.launchctl_captures import DARWIN, captures, from_other_domain, left_out, top_level_keys


def _standin(name: str):
    spec = importlib.util.spec_from_file_location(f"twin_standin_{name}", STANDINS / "macos" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


launchd = _standin("launchd")
launchctl = _standin("launchctl")
netstat = _standin("netstat")

# the lab's plist, plus every optional key the stand-in prints when a plist sets it
PLIST = {**plistlib.loads(studio.plist()), "WorkingDirectory": "/opt/mlx-launch", "UserName": "_mlx",
         "GroupName": "_mlx"}
EXITED_1 = 1 << 8  # a wait status: exit(1)


def _job():
    return launchd.Job(studio.PLIST, "digest", dict(PLIST))


def _ran(job, pid=4242):
    job.spawning()
    job.started(pid)
    return job


def _state(name: str):
    job = _job()
    if name == "never-run":
        pass
    elif name == "running":
        _ran(job)
    elif name == "exited":
        _ran(job).record_exit(0)
    elif name == "spawn-scheduled":  # exited 1, KeepAlive respawns it after ThrottleInterval
        _ran(job).record_exit(EXITED_1)
        job.schedule_respawn(time.time() + 10)
    elif name == "missing-program":  # launchd's own 78: EX_CONFIG, retried
        job.spawning()
        job.spawn_failed(None)
        job.schedule_respawn(time.time() + 10)
    elif name in ("exec-failure", "code-signing"):
        job.spawning()
        job.spawn_failed("OS_REASON_EXEC" if name == "exec-failure" else "OS_REASON_CODESIGNING")
        job.schedule_respawn(time.time() + 10)
    elif name == "running-after-signal":
        _ran(job).record_exit(signal.SIGTERM)  # a wait status: killed by SIGTERM
        _ran(job, 4243)
    return job


# stand-in state -> the state of the real captures it is compared with (README.md's column)
STATES = {"never-run": "never-run", "running": "running", "exited": "exited", "spawn-scheduled": "spawn-scheduled",
          "missing-program": "spawn-scheduled", "exec-failure": "exit-reason", "code-signing": "exit-reason",
          "running-after-signal": "running-after-signal"}


def printed(name: str) -> str:
    return launchctl.render(_state(name).as_state())


SYSTEM_KEYS = {key for c in captures() if c.domain == "system" for key in c.keys}


def test_every_capture_named_in_the_readme_exists_and_every_file_is_named():
    from selftest.launchctl_captures import CAPTURES
    named = {c.name for c in captures()}
    assert named == {p.name for p in CAPTURES.glob("*.txt")}
    assert {c.state for c in captures()} == set(STATES.values())
    assert all(c.domain in ("system", "gui") for c in captures())


@pytest.mark.parametrize("state", STATES)
def test_no_key_that_no_real_system_capture_has(state):
    other = from_other_domain()
    extra = [key for key in top_level_keys(printed(state)) if key not in SYSTEM_KEYS]
    assert [key for key in extra if key not in other] == [], f"keys no real system-domain dump has: {extra}"
    for key in extra:  # the exception names a real capture that has the key
        assert key in top_level_keys(next(c for c in captures() if c.name == other[key]).text)


@pytest.mark.parametrize("state", STATES)
def test_every_key_of_a_real_capture_of_the_same_state_is_printed_or_left_out_for_a_reason(state):
    mine = set(top_level_keys(printed(state)))
    excused = left_out()
    same = [c for c in captures() if c.state == STATES[state]]
    assert same, f"no real capture of {STATES[state]}"
    for capture in same:
        unexplained = [key for key in capture.keys if key not in mine and key not in excused]
        assert unexplained == [], f"{capture.name} has keys the stand-in neither prints nor excuses: {unexplained}"


@pytest.mark.parametrize("state", STATES)
def test_shared_keys_come_in_the_order_of_a_whole_system_capture_of_the_state(state):
    mine = top_level_keys(printed(state))
    for capture in [c for c in captures() if c.state == STATES[state] and c.whole and c.domain == "system"]:
        theirs = capture.keys
        assert [k for k in mine if k in theirs] == [k for k in theirs if k in mine], capture.name


def test_left_out_keys_are_never_printed_and_each_excuse_is_needed():
    excused = left_out()
    every = {key for state in STATES for key in top_level_keys(printed(state))}
    assert sorted(excused.keys() & every) == []
    in_captures = {key for c in captures() for key in c.keys}
    assert sorted(excused.keys() - in_captures) == [], "an excuse for a key no capture has"
    assert {"job state", "sanitizer flags"} <= excused.keys()


@pytest.mark.parametrize("state, last_exit", [
    ("never-run", "last exit code = (never exited)"), ("running", "last exit code = (never exited)"),
    ("exited", "last exit code = 0"), ("spawn-scheduled", "last exit code = 1"),
    ("missing-program", "last exit code = 78: EX_CONFIG"), ("exec-failure", "last exit reason = OS_REASON_EXEC"),
    ("code-signing", "last exit reason = OS_REASON_CODESIGNING"),
    ("running-after-signal", "last terminating signal = Terminated: 15"),
])
def test_exactly_one_last_exit_line(state, last_exit):
    lines = [line for line in printed(state).splitlines()
             if line.startswith(("\tlast exit code", "\tlast exit reason", "\tlast terminating signal"))]
    assert lines == [f"\t{last_exit}"]


@pytest.mark.parametrize("state", STATES)
def test_coalitions_once_it_ran_a_pid_only_while_running_and_what_the_parser_reads(state):
    text = printed(state)
    job = parse_print(text, "", 0)
    ran = state != "never-run"
    assert ("\tresource coalition = {" in text) == ran and ("\tjetsam coalition = {" in text) == ran
    assert "\t\tactive count = 1\n" in text or not ran  # a coalition stays active when its job is not running
    running = state in ("running", "running-after-signal")
    assert (job.pid is not None) == running == ("\timmediate reason = speculative" in text)
    assert job.state == {"never-run": "not running", "exited": "not running"}.get(
        state, "running" if running else "spawn scheduled")
    assert job.job_state is None and "sanitizer flags" not in text
    assert (job.username, job.program, job.path) == ("_mlx", studio.LAUNCH_SCRIPT, studio.PLIST)


def test_a_missing_program_and_a_refused_one_and_an_unsigned_one_as_launchd_spawns_them(tmp_path, monkeypatch):
    """The stand-in's spawn: ENOENT -> 78: EX_CONFIG; any other exec error -> OS_REASON_EXEC; a program listed
    in the twin-only unsigned file -> OS_REASON_CODESIGNING. Each is retried under KeepAlive."""
    not_executable = tmp_path / "launch.sh"
    not_executable.write_text("#!/bin/sh\nexit 0\n")
    not_executable.chmod(0o644)
    unsigned = tmp_path / "unsigned"
    monkeypatch.setattr(launchd, "UNSIGNED", str(unsigned))
    d = launchd.Launchd()
    found = {}
    for case, program in (("missing", str(tmp_path / "nope.sh")), ("not executable", str(not_executable)),
                          ("unsigned", "/bin/true")):
        if case == "unsigned":
            unsigned.write_text("/bin/true\n")
        job = launchd.Job(str(tmp_path / f"{case}.plist"), "digest",
                          {"Label": f"twin.{case.replace(' ', '-')}", "ProgramArguments": [program], "KeepAlive": True,
                           "StandardOutPath": os.devnull})
        d.jobs[job.label] = job
        d.spawn(job)
        found[case] = (job.state, job.runs, job.last_exit_text, job.last_exit_reason, job.pid)
    assert found == {"missing": ("spawn scheduled", 1, "78: EX_CONFIG", None, None),
                     "not executable": ("spawn scheduled", 1, None, "OS_REASON_EXEC", None),
                     "unsigned": ("spawn scheduled", 1, None, "OS_REASON_CODESIGNING", None)}


# --- netstat -------------------------------------------------------------------------------------------

SS_LINES = ("LISTEN 0      4096         0.0.0.0:22        0.0.0.0:*\n"
            "LISTEN 0      4096       127.0.0.1:9000      0.0.0.0:*\n"
            "LISTEN 0      4096            [::]:22           [::]:*\n"
            "ESTAB  0      0       10.3.204.51:50436 185.60.219.174:443\n")


def test_netstat_prints_the_header_and_rows_of_the_real_macos_15_capture(monkeypatch, capsys):
    monkeypatch.setattr(netstat.subprocess, "run",
                        lambda *a, **k: subprocess.CompletedProcess(a, 0, SS_LINES, ""))
    assert netstat.main(["-an", "-p", "tcp"]) == 0
    printed = capsys.readouterr().out.splitlines()
    real = (DARWIN / "netstat-atn-macos15.txt").read_text().splitlines()
    assert printed[:2] == real[:2], "the two header lines, trailing spaces included"
    for row in printed[2:]:
        assert row in real, f"not a row of the real capture: {row!r}"


# --- launchctl print-disabled system, and launchd honouring the disabled database --------------------------------

PRINT_DISABLED = DARWIN / "print-disabled"
MODERN_LINE = {  # the line kinds of the modern capture (macOS 13+), each a full-line pattern
    "blank": re.compile(r""), "header": re.compile(r"\tdisabled services = \{"),
    "entry": re.compile(r'\t\t"[^"]+" => (enabled|disabled)'), "close": re.compile(r"\t\}")}


def line_kinds(text: str) -> list[str]:
    kinds = []
    for line in text.split("\n")[:-1]:  # the text ends with a line break
        kind = next((k for k, pattern in MODERN_LINE.items() if pattern.fullmatch(line)), None)
        assert kind, f"a line of no known kind: {line!r}"
        kinds.append(kind)
    return kinds


def mlxctl_reads(text: str) -> dict[str, bool]:
    """The owner's mlxctl `_parse_launchctl_print_disabled` as its code reads (mlxctl:837-852): every line with `=>`,
    the label stripped of `,` and `"`, the value lowercased; true|1|yes|disabled -> True, false|0|no|enabled -> False."""
    found = {}
    for line in text.splitlines():
        if "=>" not in line:
            continue
        left, right = line.split("=>", 1)
        value = right.strip().strip(",").lower()
        if value in ("true", "1", "yes", "disabled"):
            found[left.strip().strip(",").strip('"')] = True
        elif value in ("false", "0", "no", "enabled"):
            found[left.strip().strip(",").strip('"')] = False
    return found


def enforcer_reads(text: str) -> dict[str, bool]:
    """The owner's enforce_studio_launchd_policy.py:18 regex `"([^"]+)"\\s*=>\\s*(enabled|disabled)`."""
    return {m.group(1): m.group(2) == "disabled"
            for m in re.finditer(r'"([^"]+)"\s*=>\s*(enabled|disabled)', text)}


def test_the_modern_capture_has_the_layout_the_stand_in_prints(tmp_path, monkeypatch, capsys):
    real = (PRINT_DISABLED / "modern-enabled-disabled-gui-ciao.txt").read_text()
    assert line_kinds(real) == ["blank", "header"] + ["entry"] * 15 + ["close"]
    database = tmp_path / "disabled.plist"
    database.write_bytes(plistlib.dumps({"com.bebop.mlx-lane.8101": True, "com.bebop.mlx-lane.8100": False,
                                         "com.bebop.mlx-shadow.8123": True}, sort_keys=False))
    monkeypatch.setattr(launchctl, "DISABLED_DB", str(database))
    assert launchctl.main(["print-disabled", "system"]) == 0
    printed = capsys.readouterr().out
    assert line_kinds(printed) == ["blank", "header", "entry", "entry", "entry", "close"]
    assert printed.splitlines()[2:5] == ['\t\t"com.bebop.mlx-lane.8101" => disabled',
                                         '\t\t"com.bebop.mlx-lane.8100" => enabled',
                                         '\t\t"com.bebop.mlx-shadow.8123" => disabled'], "the database's order"
    for reads in (mlxctl_reads, enforcer_reads):  # both of the owner's parsers read what the stand-in prints
        assert reads(printed) == {"com.bebop.mlx-lane.8101": True, "com.bebop.mlx-lane.8100": False,
                                  "com.bebop.mlx-shadow.8123": True}


def test_the_owner_s_parsers_on_both_real_forms():
    older = (PRINT_DISABLED / "older-true-false-user-ninehills.txt").read_text()
    modern = (PRINT_DISABLED / "modern-enabled-disabled-gui-ciao.txt").read_text()
    assert mlxctl_reads(older)["com.apple.Siri.agent"] is True and mlxctl_reads(older)["com.docker.helper"] is False
    assert len(mlxctl_reads(modern)) == 15 and mlxctl_reads(modern) == enforcer_reads(modern)
    assert enforcer_reads(older) == {}, "the enforcer reads only the modern form: the twin prints that one"
    assert older.startswith("disabled services = {\n\t") and modern.startswith("\n\tdisabled services = {\n\t\t")


def test_no_database_is_an_empty_listing_and_other_domains_are_not_implemented(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(launchctl, "DISABLED_DB", str(tmp_path / "absent.plist"))
    assert launchctl.main(["print-disabled", "system"]) == 0
    assert capsys.readouterr().out == "\n\tdisabled services = {\n\t}\n"
    assert launchctl.main(["print-disabled", "gui/501"]) == 64


def _plist(directory, label: str) -> str:
    path = directory / f"{label}.plist"
    path.write_bytes(plistlib.dumps({"Label": label, "ProgramArguments": ["/bin/true"]}))  # no RunAtLoad: not run
    path.chmod(0o644)
    return str(path)


def test_launchd_does_not_load_a_disabled_job_and_keeps_a_loaded_one_that_is_disabled_later(tmp_path, monkeypatch,
                                                                                              capsys):
    if os.geteuid() != 0:
        pytest.skip("launchd loads only root-owned plists; this test writes plists as the running user")
    daemons, state = tmp_path / "LaunchDaemons", tmp_path / "state"
    daemons.mkdir()
    database = tmp_path / "disabled.plist"
    monkeypatch.setattr(launchd, "DAEMONS", str(daemons))
    monkeypatch.setattr(launchd, "STATE_DIR", str(state))
    monkeypatch.setattr(launchd, "STATE_FILE", str(state / "state.json"))
    monkeypatch.setattr(launchd, "DISABLED_DB", str(database))
    monkeypatch.setattr(launchctl, "STATE_FILE", str(state / "state.json"))
    database.write_bytes(plistlib.dumps({"com.bebop.mlx-lane.8101": True, "com.bebop.mlx-lane.8100": False}))
    lane_8100 = _plist(daemons, "com.bebop.mlx-lane.8100")
    _plist(daemons, "com.bebop.mlx-lane.8101")
    d = launchd.Launchd()
    d.reload()
    assert sorted(d.jobs) == ["com.bebop.mlx-lane.8100"], "the disabled lane is not loaded"
    assert launchctl.main(["print", "system/com.bebop.mlx-lane.8101"]) == launchctl.NOT_FOUND
    assert 'Could not find service "com.bebop.mlx-lane.8101" in domain for system' in capsys.readouterr().err
    database.write_bytes(plistlib.dumps({"com.bebop.mlx-lane.8101": True, "com.bebop.mlx-lane.8100": True}))
    d.reload()
    assert "com.bebop.mlx-lane.8100" in d.jobs, "disabling does not unload a loaded job"
    with open(lane_8100, "ab") as f:
        f.write(b"\n")  # its plist changed: reloading it now meets the override
    d.reload()
    assert d.jobs == {}
