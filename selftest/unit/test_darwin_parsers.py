"""The Mac Studio's fact parsers: launchctl print, the job's plist, netstat, BSD stat, shasum, base64, sw_vers.

The fixtures in selftest/fixtures/darwin/ are real captures (launchctl print of macOS 27.0, netstat of
macOS), relabelled as the lab's job where README.md there says so; the plists are built here with
plistlib, in both of its formats. Nothing here needs a Mac: where a stock tool exists on this machine
too (shasum, base64), the parser also reads what the real tool printed.
"""
import base64
import hashlib
import plistlib
import shutil
import subprocess

import pytest

from conformance.facts import bsd, launchd
from conformance.facts.launchd import (Base64OutputError, LaunchctlError, LoadedJob, PlistError, PlistFacts,
                                       decode_base64_output, job_program, mask_environment, parse_plist, parse_print,
                                       print_command, restart_behaviour)
from conformance.facts.netstat import NETSTAT_COMMAND, WILDCARDS, parse_netstat
from conformance.facts.paths import PathFact
from conformance.facts.sockets import Listening, parse_ss
from conformance.redaction import REDACTED, Redactor, mask_spans
from conformance.runner.allowlist import ReadOnlyViolation, Shape, check_read_only
from selftest.launchctl_captures import captures

from ._support import fixture

LABEL = "com.bebop.mlx-launch"
PLIST = "/Library/LaunchDaemons/com.bebop.mlx-launch.plist"
SCRIPT = "/opt/mlx-launch/bin/start-mlx.sh"
CANARY = "studio-canary-7f3a9c2e"  # the MLX_API_KEY value planted in launchctl-print-running.txt


def darwin(name: str) -> str:
    return fixture(f"darwin/{name}")


def job(name: str) -> LoadedJob:
    found = parse_print(darwin(name), "", 0)
    assert found is not None
    return found


# --- commands ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv, shape", [
    (print_command(LABEL), Shape("launchctl print system")),
    (print_command(LABEL, domain="gui/501"), Shape("launchctl print gui")),
    (NETSTAT_COMMAND, Shape("netstat -an -p tcp")),
    (bsd.stat_command([PLIST, "/opt/mlx-launch", "/tmp/mlx-8100.log"]), Shape("stat (BSD)")),
    (bsd.shasum_command([PLIST, SCRIPT]), Shape("shasum -a 256", (PLIST, SCRIPT))),
    (bsd.base64_command(PLIST), Shape("base64 -i", (PLIST,))),
    (["uname", "-s"], Shape("uname")),
    (["sw_vers"], Shape("sw_vers")),
])
def test_every_command_is_on_the_allowlist_and_names_the_files_it_reads(argv, shape):
    assert check_read_only(argv) == shape


def test_commands_are_spelled_as_the_tools_want_them():
    assert print_command(LABEL) == ["launchctl", "print", "system/com.bebop.mlx-launch"]
    assert NETSTAT_COMMAND == ["netstat", "-an", "-p", "tcp"]
    assert bsd.stat_command(["/a", "/b"]) == ["stat", "-L", "-f", "%HT|%Lp|%Su|%Sg|%z|%N", "/a", "/b"]
    assert bsd.shasum_command(["/a"]) == ["shasum", "-a", "256", "/a"]
    assert bsd.base64_command("/a") == ["base64", "-i", "/a"]


@pytest.mark.parametrize("argv", [bsd.stat_command(["-x"]), bsd.stat_command(["tmp/mlx-8100.log"]),
                                  bsd.shasum_command(["/opt/../etc/master.passwd"]), bsd.base64_command("-o")])
def test_bsd_commands_without_a_double_dash_are_safe_because_only_absolute_paths_pass(argv):
    with pytest.raises(ReadOnlyViolation):
        check_read_only(argv)


# --- launchctl print --------------------------------------------------------------------------------

def test_a_running_keepalive_job():
    assert job("launchctl-print-running.txt") == LoadedJob(
        service="system/com.bebop.mlx-launch", state="running", pid=1076, runs=1,
        last_exit_code=None, last_exit_text="(never exited)", program=SCRIPT, arguments=(SCRIPT,),
        path=PLIST, type="LaunchDaemon",
        properties=("keepalive", "runatload", "inferred program", "managed LWCR", "has LWCR"),
        environment_keys=("OSLogRateLimit", "MLX_API_KEY", "XPC_SERVICE_NAME"), inherited_environment_keys=(),
        stdout_path="/tmp/mlx-launch.out.log", stderr_path="/tmp/mlx-launch.err.log", username=None,
        job_state="running", last_terminating_signal=None)
    assert job("launchctl-print-running.txt").running


def test_a_job_not_running_after_it_ran():
    found = job("launchctl-print-not-running.txt")
    assert (found.state, found.pid, found.runs, found.last_exit_code, found.last_exit_text) == \
        ("not running", None, 18, 0, "0")
    assert found.job_state == "exited"
    assert not found.running


def test_a_job_loaded_but_never_run():
    found = job("launchctl-print-never-run.txt")
    assert (found.state, found.pid, found.runs, found.last_exit_code, found.last_exit_text) == \
        ("not running", None, 0, None, "(never exited)")
    assert found.job_state == "uninitialized"


def test_an_exit_code_with_its_sysexits_name_keeps_both():
    found = job("launchctl-print-ex-config.txt")
    assert (found.last_exit_code, found.last_exit_text) == (78, "78: EX_CONFIG")
    assert (found.runs, found.job_state) == (4, "spawn failed")


def test_a_user_agent_is_read_the_same_way():
    found = job("launchctl-print-gui-agent.txt")  # the real capture, unchanged
    assert (found.service, found.type, found.state, found.pid) == \
        ("gui/501/com.sglavoie.brainnotes-vault-guard", "LaunchAgent", "running", 1082)
    assert found.inherited_environment_keys == ("SSH_AUTH_SOCK",)
    assert found.environment_keys == ("OSLogRateLimit", "GIT_TERMINAL_PROMPT", "PATH", "BNOTES_VAULT", "XPC_SERVICE_NAME")
    assert "keepalive" not in found.properties  # KeepAlive={SuccessfulExit=false} is not "keepalive" here


def test_not_found_in_the_system_domain_is_not_loaded():
    assert parse_print("", darwin("launchctl/system-not-found-macos26.stderr"), 113) is None


@pytest.mark.parametrize("stderr, status", [("", 113),
                                            ('Could not find service "com.bebop.mlx-launch" in domain for system\n', 3)])
def test_either_sign_of_not_found_is_enough(stderr, status):
    assert parse_print("", stderr, status) is None


@pytest.mark.parametrize("stdout, stderr, status, says", [
    ("", "Bad request.\nCould not find domain for user gui: 501\n", 113,
     "the domain does not exist (Could not find domain for user gui: 501)"),
    ("", "Operation not permitted\n", 1, "failed with exit status 1: Operation not permitted"),
    ("", "", 5, "failed with exit status 5: no message"),
    ("", "", 0, "printed no job"),
    ("Usage: launchctl print <domain-target>\n", "", 0, "printed no job"),
])
def test_anything_else_is_an_error_never_not_loaded(stdout, stderr, status, says):
    with pytest.raises(LaunchctlError) as raised:
        parse_print(stdout, stderr, status)
    assert says in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_nested_blocks_repeat_state_and_active_count_but_only_top_level_lines_count():
    text = darwin("launchctl-print-not-running.txt")
    assert "\t\tstate = active\n" in text  # the trap is in the real output: every coalition says so
    assert job("launchctl-print-not-running.txt").state == "not running"


def test_nested_blocks_before_the_top_level_lines_change_nothing():
    # constructed: launchd prints top-level state first today; the order is not a contract
    text = darwin("launchctl-print-not-running.txt")
    coalitions = text[text.index("\tresource coalition = {"):text.index("\tspawn type")]
    moved = text.replace(coalitions, "").replace(" = {\n", " = {\n" + coalitions, 1)
    assert moved.index("\t\tstate = active") < moved.index("\tstate = not running")
    assert parse_print(moved, "", 0) == job("launchctl-print-not-running.txt")


def test_a_nested_last_exit_code_is_not_the_jobs():
    # a third-party capture quoted as "real `launchctl print` output, 2026-10-06" (see README.md)
    killed = ("gui/501/com.chorus.hooks = {\n\tstate = running\n\truns = 48\n\tpid = 38837\n"
              "\tlast terminating signal = Killed: 9\n\tendpoints = {\n\t\tlast exit code = 0\n\t}\n}")
    found = parse_print(killed, "", 0)
    assert (found.last_exit_code, found.last_exit_text, found.last_terminating_signal) == (None, None, "Killed: 9")
    assert (found.pid, found.runs, found.arguments, found.environment_keys) == (38837, 48, (), ())


# --- launchctl print: the real captures, unchanged (fixtures/darwin/launchctl/, README.md there) ----

@pytest.mark.parametrize("capture", captures(), ids=lambda c: c.name)
def test_every_real_capture_is_read_with_its_one_last_exit_line(capture):
    found = parse_print(capture.text, "", 0)
    assert found.service.startswith(f"{capture.domain}/") and found.state
    lines = [found.last_exit_reason, found.last_terminating_signal, found.last_exit_text]
    assert sum(line is not None for line in lines) == 1, "launchd prints exactly one last-exit line"
    assert found.running == capture.state.startswith("running")


@pytest.mark.parametrize("name, state, last_exit, cleanly", [
    ("system-running-nix-daemon-macos26.txt", "running", "last exit code (never exited)", True),
    ("system-never-run-halite-macos15.txt", "not running", "last exit code (never exited)", True),
    ("system-exited-wazuh-agent-cut.txt", "not running", "last exit code 0", True),
    ("gui-exited-sync-legacy-macos27.txt", "not running", "last exit code 1", False),
    ("system-spawn-scheduled-agentsh-trimmed.txt", "spawn scheduled", "last exit code 1", False),
    ("gui-spawn-scheduled-ex-config-billet-macos26.txt", "spawn scheduled", "last exit code 78: EX_CONFIG", False),
    ("gui-spawn-scheduled-codesigning-triggerd-trimmed.txt", "spawn scheduled",
     "last exit reason OS_REASON_CODESIGNING", False),
    ("system-exit-reason-jetsam-trimmed.txt", "not running", "last exit reason JETSAM_REASON_MEMORY_IDLE_EXIT", False),
    ("gui-running-after-signal-openclaw.txt", "running", "last terminating signal Terminated: 15", False),
])
def test_state_and_last_exit_of_the_real_captures(name, state, last_exit, cleanly):
    found = parse_print(darwin(f"launchctl/{name}"), "", 0)
    assert (found.state, found.last_exit, found.exited_cleanly) == (state, last_exit, cleanly)


def test_an_exit_reason_is_no_exit_code():
    found = parse_print(darwin("launchctl/gui-spawn-scheduled-codesigning-triggerd-trimmed.txt"), "", 0)
    assert (found.last_exit_code, found.last_exit_text, found.pid) == (None, None, None)
    assert found.describe() == "state spawn scheduled, runs 153, last exit reason OS_REASON_CODESIGNING"


def test_a_job_state_line_is_read_where_launchd_prints_one():
    # a managed (SMAppService) job: the only kind whose dump has `job state`
    assert parse_print(darwin("launchctl/gui-spawn-scheduled-codesigning-probe-trimmed.txt"), "", 0).job_state == \
        "spawn failed"
    assert parse_print(darwin("launchctl/system-running-wazuh-agent.txt"), "", 0).job_state is None


# --- what the job runs: an interpreter is seen through -------------------------------------------------

def _runs(arguments, program=None, cwd=None):
    facts = PlistFacts(label=LABEL, program=program, program_arguments=tuple(arguments), run_at_load=None,
                       keep_alive=None, standard_out_path=None, standard_error_path=None, user_name=None,
                       working_directory=cwd)
    found = job_program(facts)
    return found.path, found.described


@pytest.mark.parametrize("arguments, program, cwd, path", [
    ([SCRIPT], None, None, SCRIPT),
    (["/bin/bash", SCRIPT, "--port", "8100"], None, None, SCRIPT),
    (["/bin/bash", "-l", "-e", SCRIPT], None, None, SCRIPT),
    (["/bin/zsh", "--login", SCRIPT], None, None, SCRIPT),
    (["/bin/sh", "-c", f"exec {SCRIPT} --port 8100"], None, None, SCRIPT),
    (["/bin/zsh", "-lc", f"'{SCRIPT}'"], None, None, SCRIPT),
    (["/bin/sh", "-c", "python3 /opt/mlx-launch/serve.py"], None, None, "/opt/mlx-launch/serve.py"),
    (["/usr/bin/env", "MLX_LOG=1", "python3", "-u", "/opt/mlx-launch/serve.py"], None, None, "/opt/mlx-launch/serve.py"),
    (["/usr/bin/env", "bash", SCRIPT], None, None, SCRIPT),
    (["/usr/bin/python3", "-m", "mlx_openai_server.cli", "launch"], None, "/opt/mlx-launch",
     "/opt/mlx-launch/mlx_openai_server/cli"),
    (["/opt/mlx-launch/.venv/bin/python", "-m", "mlx_openai_server"], None, None, "/opt/mlx-launch/.venv/bin/python"),
    (["/bin/bash", "bin/start-mlx.sh"], None, "/opt/mlx-launch", SCRIPT),
    (["/bin/bash", "../../etc/x.sh"], None, "/opt/mlx-launch", "/etc/x.sh"),
    (["bash", SCRIPT], "/bin/bash", None, SCRIPT),  # Program runs, ProgramArguments is its argv
    (["ignored"], SCRIPT, None, SCRIPT),
])
def test_the_interpreter_forms_that_are_read_through(arguments, program, cwd, path):
    assert _runs(arguments, program, cwd)[0] == path


@pytest.mark.parametrize("arguments", [
    ["/bin/bash", "-o", "pipefail", SCRIPT],  # an option with an argument
    ["/bin/sh", "-c", f"cd /opt/mlx-launch && {SCRIPT}"],  # more than one simple command
    ["/bin/sh", "-c", f"{SCRIPT} > /tmp/log"],
    ["/bin/sh", "-c", "MLX=1 " + SCRIPT],
    ["/bin/sh", "-c", "mlx-openai-server launch"],  # a name only PATH knows
    ["/usr/bin/env", "mlx-openai-server", "launch"],
    ["/usr/bin/env", "-S", f"bash {SCRIPT}"],
    ["/usr/bin/python3", "-c", "import runpy"],
    ["/bin/bash"],
])
def test_any_other_form_is_judged_as_written_and_says_so(arguments):
    path, described = _runs(arguments)
    assert path == arguments[0]
    assert "this suite does not read through: judged as written" in described or described == f"program {arguments[0]}"


# --- launchctl print: the environment carries secrets ----------------------------------------------

def test_every_environment_value_is_masked_and_nothing_else():
    text = darwin("launchctl-print-running.txt")
    spans = mask_environment(text)
    assert [text[start:end] for start, end in spans] == ["64", CANARY, LABEL]
    masked = mask_spans(text, spans)
    assert CANARY not in masked
    assert f"\t\tMLX_API_KEY => {REDACTED}\n" in masked
    assert f"\t\tXPC_SERVICE_NAME => {REDACTED}\n" in masked
    assert "\t\tPATH => /usr/bin:/bin:/usr/sbin:/sbin\n" in masked  # launchd's default environment: not the job's
    assert masked.startswith(f"system/{LABEL} = {{\n") and f"\tpath = {PLIST}\n" in masked


def test_the_inherited_environment_is_masked_too_and_lookalike_blocks_are_not():
    text = darwin("launchctl-print-gui-agent.txt")
    masked = mask_spans(text, mask_environment(text))
    assert "vjczDioG91" not in masked  # SSH_AUTH_SOCK of the inherited environment
    assert "/Users/sglavoie/BrainNotesVault" not in masked
    assert "\t\tsuccessful exit => 0\n" in masked  # `=>` in the semaphores block is not an environment
    assert "\t\t\"vers\" => 1\n" in masked  # nor in the LWCR block


def test_secret_values_are_the_secret_named_ones_for_the_redactor_to_learn():
    found = job("launchctl-print-running.txt")
    assert found.secret_values() == [CANARY]
    assert found.secret_values(lambda name: True) == ["64", CANARY, LABEL]
    redactor = Redactor(enabled=True)
    for value in found.secret_values():
        redactor.learn(value)
    assert CANARY not in redactor(f"evidence: {darwin('launchctl-print-running.txt')}")
    assert LABEL in redactor(LABEL)  # not taught: it would blank the job's name everywhere in the report


def test_environment_values_never_show_in_a_repr_or_a_comparison():
    found = job("launchctl-print-running.txt")
    assert CANARY not in repr(found)
    assert found == parse_print(darwin("launchctl-print-running.txt").replace(CANARY, "another"), "", 0)


def test_an_empty_value_and_a_value_spread_over_lines():
    # constructed: how launchctl prints a value holding a line break is not captured; mask it whole anyway
    text = ("system/x = {\n\tenvironment = {\n\t\tEMPTY_TOKEN => \n\t\tMULTI_SECRET => first\nsecond-half\n"
            "\t\tBARE_KEY =>\n\t}\n\tstate = running\n}\n")
    found = parse_print(text, "", 0)
    assert found.environment_keys == ("EMPTY_TOKEN", "MULTI_SECRET", "BARE_KEY")
    assert found.secret_values() == ["first\nsecond-half"]
    masked = mask_spans(text, mask_environment(text))
    assert "first" not in masked and "second-half" not in masked
    assert found.state == "running"


def test_output_cut_short_inside_the_environment_is_still_masked():
    text = darwin("launchctl-print-running.txt")
    cut = text[:text.index(CANARY) + len(CANARY)]  # e.g. a round trip's output cap
    assert CANARY not in mask_spans(cut, mask_environment(cut))


# --- the plist --------------------------------------------------------------------------------------

DOCUMENTED_JOB = {  # the lab's documented job; no UserName: it runs as root
    "Label": LABEL,
    "ProgramArguments": [SCRIPT],
    "RunAtLoad": True,
    "KeepAlive": True,
    "StandardOutPath": "/tmp/mlx-launch.out.log",
    "StandardErrorPath": "/tmp/mlx-launch.err.log",
}
DOCUMENTED_FACTS = PlistFacts(label=LABEL, program=None, program_arguments=(SCRIPT,), run_at_load=True, keep_alive=True,
                              standard_out_path="/tmp/mlx-launch.out.log", standard_error_path="/tmp/mlx-launch.err.log",
                              user_name=None, working_directory=None)
FORMATS = {"xml": plistlib.FMT_XML, "binary": plistlib.FMT_BINARY}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("wrap", [None, 76, 64])
def test_a_plist_survives_base64_whatever_the_format_and_the_line_breaks(fmt, wrap):
    data = plistlib.dumps(DOCUMENTED_JOB, fmt=FORMATS[fmt])
    assert data.startswith(b"bplist00") == (fmt == "binary")
    encoded = base64.b64encode(data).decode()
    printed = "\n".join(encoded[i:i + wrap] for i in range(0, len(encoded), wrap)) if wrap else encoded
    assert parse_plist(decode_base64_output(printed + "\n")) == DOCUMENTED_FACTS


@pytest.mark.skipif(shutil.which("base64") is None, reason="no base64 on this machine")
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_plist_survives_what_the_real_base64_printed(tmp_path, fmt):
    # GNU base64 here wraps at 76 (macOS's prints one line); -i is its --ignore-garbage, unused when encoding
    path = tmp_path / "com.bebop.mlx-launch.plist"
    path.write_bytes(plistlib.dumps(DOCUMENTED_JOB, fmt=FORMATS[fmt]))
    printed = subprocess.run(bsd.base64_command(str(path)), capture_output=True, text=True, check=True).stdout
    assert parse_plist(decode_base64_output(printed)) == DOCUMENTED_FACTS


def test_every_key_the_suite_reads():
    facts = parse_plist(plistlib.dumps({**DOCUMENTED_JOB, "Program": SCRIPT, "UserName": "christopherbailey",
                                        "WorkingDirectory": "/opt/mlx-launch", "KeepAlive": {"SuccessfulExit": False}}))
    assert (facts.program, facts.user_name, facts.working_directory) == (SCRIPT, "christopherbailey", "/opt/mlx-launch")
    assert facts.keep_alive == {"SuccessfulExit": False}


def test_plist_environment_values_are_secrets_never_shown():
    facts = parse_plist(plistlib.dumps({**DOCUMENTED_JOB, "EnvironmentVariables": {"HF_TOKEN": "hf_canary0123456789",
                                                                                   "MLX_LOG_LEVEL": "INFO"}}))
    assert facts.environment_keys == ("HF_TOKEN", "MLX_LOG_LEVEL")
    assert facts.secret_values() == ["hf_canary0123456789"]
    assert "hf_canary" not in repr(facts)


@pytest.mark.parametrize("data, says", [
    (b"", "not a readable property list (read as XML)"),
    (b"not a plist at all", "not a readable property list (read as XML)"),
    (b'{ Label = "com.bebop.mlx-launch"; }', "not a readable property list (read as XML)"),  # old-style ASCII
    (b"bplist00" + b"\x00" * 12, "not a readable property list (read as binary)"),
    (plistlib.dumps(DOCUMENTED_JOB, fmt=plistlib.FMT_BINARY)[:-10], "(read as binary)"),  # cut short
    (plistlib.dumps([LABEL]), "the property list holds an array, not the dictionary launchd expects"),
    (plistlib.dumps({"ProgramArguments": SCRIPT}), "ProgramArguments: expected an array of strings, found a string"),
    (plistlib.dumps({"ProgramArguments": [SCRIPT, 8100]}),
     "ProgramArguments: expected an array of strings, found an element"),
    (plistlib.dumps({"Label": 1}), "Label: expected a string, found an integer"),
    (plistlib.dumps({"RunAtLoad": 1}), "RunAtLoad: expected a boolean, found an integer"),
    (plistlib.dumps({"KeepAlive": "yes"}), "KeepAlive: expected a boolean or a dictionary, found a string"),
    (plistlib.dumps({"EnvironmentVariables": [LABEL]}),
     "EnvironmentVariables: expected a dictionary of strings, found an array"),
])
def test_what_is_not_a_launchd_plist_says_why(data, says):
    with pytest.raises(PlistError) as raised:
        parse_plist(data)
    assert says in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_an_error_about_the_environment_never_shows_a_value():
    with pytest.raises(PlistError) as raised:
        parse_plist(plistlib.dumps({"EnvironmentVariables": {"HF_TOKEN": 98765432123}}))
    assert "98765432123" not in str(raised.value)


def test_xml_entities_are_refused():
    laughs = (b'<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
              b'<plist version="1.0"><dict><key>Label</key><string>&b;</string></dict></plist>')
    with pytest.raises(PlistError, match="entity"):
        parse_plist(laughs)


@pytest.mark.parametrize("printed", ["not base64!", "YWJ", "YWJj=", "YWJjé", "YWJj\x00"])
def test_base64_garbage_is_an_error(printed):
    with pytest.raises(Base64OutputError) as raised:
        decode_base64_output(printed)
    assert isinstance(raised.value, ValueError)


def test_empty_base64_output_is_no_bytes_and_no_plist():
    assert decode_base64_output("\n") == b""
    with pytest.raises(PlistError):
        parse_plist(decode_base64_output("\n"))


# --- what launchd will do ---------------------------------------------------------------------------

@pytest.mark.parametrize("run_at_load, keep_alive, says", [
    (True, True, "started at load; restarted whenever it exits (KeepAlive=true)"),
    (True, None, "started at load; not restarted (no KeepAlive)"),
    (None, None, "not started at load (only on demand); not restarted (no KeepAlive)"),
    (False, False, "not started at load (only on demand); not restarted (KeepAlive=false)"),
    (None, True, "started at load (KeepAlive implies RunAtLoad); restarted whenever it exits (KeepAlive=true)"),
    (None, {"SuccessfulExit": False},
     "started at load (KeepAlive implies RunAtLoad); restarted when it exits non-zero (KeepAlive.SuccessfulExit=false)"),
    (True, {"SuccessfulExit": True},
     "started at load; restarted when it exits with status 0 (KeepAlive.SuccessfulExit=true)"),
    (True, {"Crashed": True},
     "started at load; restarted when it crashes, i.e. is killed by a signal like SIGSEGV (KeepAlive.Crashed=true)"),
    (True, {"Crashed": False}, "started at load; restarted when it exits without crashing (KeepAlive.Crashed=false)"),
    (True, {"SuccessfulExit": False, "Crashed": True},
     "started at load; restarted when it exits non-zero (KeepAlive.SuccessfulExit=false) or restarted when it crashes, "
     "i.e. is killed by a signal like SIGSEGV (KeepAlive.Crashed=true)"),
    (True, {"NetworkState": True},
     "started at load; restarted on conditions: while the network is up "
     "(NetworkState=true, which launchd no longer implements)"),
    (True, {"PathState": {"/opt/mlx-launch/enabled": True, "/opt/mlx-launch/paused": False}},
     "started at load; restarted on conditions: while /opt/mlx-launch/enabled exists (PathState) "
     "or while /opt/mlx-launch/paused does not exist (PathState)"),
    (True, {"OtherJobEnabled": {"com.bebop.optillm-proxy": True}},
     "started at load; restarted on conditions: while job com.bebop.optillm-proxy is enabled (OtherJobEnabled)"),
    (True, {"AfterInitialDemand": True},
     "started at load; restarted on conditions: KeepAlive.AfterInitialDemand (a form this suite does not interpret)"),
    (True, {}, "started at load; not restarted (KeepAlive is an empty dictionary)"),
])
def test_restart_behaviour_of_every_documented_keepalive_form(run_at_load, keep_alive, says):
    job_keys = {"Label": LABEL, "ProgramArguments": [SCRIPT], "RunAtLoad": run_at_load, "KeepAlive": keep_alive}
    plist = parse_plist(plistlib.dumps({k: v for k, v in job_keys.items() if v is not None}, fmt=plistlib.FMT_BINARY))
    assert restart_behaviour(plist) == says


def test_conditions_are_told_in_one_order_whatever_the_plists_order():
    keep_alive = {"Crashed": True, "SuccessfulExit": False}  # XML keeps this order, binary sorts the keys
    xml = parse_plist(plistlib.dumps({"KeepAlive": keep_alive}, fmt=plistlib.FMT_XML, sort_keys=False))
    binary = parse_plist(plistlib.dumps({"KeepAlive": keep_alive}, fmt=plistlib.FMT_BINARY))
    assert list(xml.keep_alive) == ["Crashed", "SuccessfulExit"]
    assert restart_behaviour(xml) == restart_behaviour(binary)


def test_the_documented_job_is_kept_alive():
    assert restart_behaviour(DOCUMENTED_FACTS) == "started at load; restarted whenever it exits (KeepAlive=true)"


# --- netstat ----------------------------------------------------------------------------------------

LAB_LISTENERS = [
    Listening("*", 80), Listening("::", 88),
    Listening("0.0.0.0", 8100), Listening("0.0.0.0", 8101), Listening("0.0.0.0", 8102), Listening("0.0.0.0", 8103),
    Listening("0.0.0.0", 8109), Listening("127.0.0.1", 41951), Listening("::1", 18970),
    Listening("0.0.0.0", 22), Listening("::", 22),
]


def test_listeners_of_tcp4_tcp46_and_tcp6():
    assert parse_netstat(darwin("netstat-an-p-tcp.txt")) == LAB_LISTENERS


def test_a_missing_header_is_read_as_the_classic_layout():
    without = "\n".join(darwin("netstat-an-p-tcp.txt").splitlines()[2:])
    assert not without.startswith(("Active", "Proto"))
    assert parse_netstat(without) == LAB_LISTENERS


def test_udp_multipath_and_unix_sections_are_skipped():
    assert parse_netstat(darwin("netstat-an-full-sample.txt")) == [Listening("*", 80), Listening("::", 88)]


def test_a_newer_header_with_byte_counts_and_process_pid():
    # zone (`fe80::1%lo0`) rows are ESTABLISHED here; names with spaces sit after the columns read
    assert parse_netstat(darwin("netstat-anv-process-pid.txt")) == \
        [Listening("127.0.0.1", 4242), Listening("*", 55047), Listening("::1", 3000)]


def test_the_macos_26_header_with_truncated_process_names():
    assert parse_netstat(darwin("netstat-anv-macos26.txt")) == [Listening("0.0.0.0", 8100)]


def test_the_older_header_with_pid_and_epid():
    # the header as quoted in studio-contract-facts.md A2; the row constructed in its widths
    text = ("Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)      rhiwat  shiwat    pid   epid  state  options  gencnt flags flags1 usscnt rtncnt fltrs\n"
            "tcp4       0      0  *.8100                 *.*                    LISTEN       131072  131072   4242      0 00100 00000006 000000000bf559ba 00000000 00000800      1      0 000000\n")
    assert parse_netstat(text) == [Listening("0.0.0.0", 8100)]


def test_columns_are_found_by_the_header_not_by_position():
    # constructed: a layout no release printed, to prove the header decides
    text = ("Proto (state)      Local Address          Foreign Address\n"
            "tcp4  LISTEN       127.0.0.1.8100         *.*\n"
            "tcp4  ESTABLISHED  127.0.0.1.8101         127.0.0.1.50000\n")
    assert parse_netstat(text) == [Listening("127.0.0.1", 8100)]


def test_the_port_is_after_the_last_dot_and_a_zone_is_dropped():
    text = "tcp6       0      0  fe80::1%lo0.5000       *.*                    LISTEN\n"  # constructed
    assert parse_netstat(text) == [Listening("fe80::1", 5000)]


@pytest.mark.parametrize("proto, address", WILDCARDS.items())
def test_the_wildcard_is_written_as_linux_ss_writes_the_same_socket(proto, address):
    (found,) = parse_netstat(f"{proto}       0      0  *.8100                 *.*                    LISTEN\n")
    assert found == Listening(address, 8100) and found.wildcard


def test_an_mlx_server_on_0_0_0_0_compares_equal_on_macos_and_linux():
    # mlx-openai-server --host 0.0.0.0 --port 8100 (the lab's launch scripts): tcp4 here, 0.0.0.0:8100 in ss
    on_linux = parse_ss("LISTEN 0      2048         0.0.0.0:8100      0.0.0.0:*\n")
    assert Listening("0.0.0.0", 8100) in parse_netstat(darwin("netstat-an-p-tcp.txt"))
    assert on_linux == [Listening("0.0.0.0", 8100)]


@pytest.mark.parametrize("text", ["", "\n", "Active Internet connections (including servers)\n",
                                  "tcp4 0 0 *.8100\n", "tcp4 0 0 *.http *.* LISTEN\n", "udp4 0 0 *.8100 *.* LISTEN\n"])
def test_nothing_listening_or_rows_that_are_not_tcp_listeners(text):
    assert parse_netstat(text) == []


# --- BSD stat ---------------------------------------------------------------------------------------

SWEEP = [
    PLIST, "/opt/mlx-launch", SCRIPT, "/tmp/mlx-8100.log", "/tmp/mlx-8101.log", "/tmp/mlx-8102.log", "/tmp/mlx-8103.log",
    "/tmp/mlx-8109.log", "/tmp/mlx-8104.log", "/opt/mlx-launch/secrets/hf-token", "/opt/mlx-launch/bin/start-mlx.sh/x",
    "/opt/mlx-launch/no-answer",
]


@pytest.fixture(scope="module")
def swept():
    return bsd.parse_stat(darwin("stat-sweep.stdout"), darwin("stat-sweep.stderr"), SWEEP)


def test_every_path_asked_for_gets_a_fact(swept):
    assert set(swept) == set(SWEEP)


def test_the_plist_as_launchd_wants_it(swept):
    assert swept[PLIST] == PathFact(PLIST, True, "file", "644", "root", "wheel", 612)


def test_bsd_type_names_are_normalised(swept):
    assert [swept[p].type for p in SWEEP[:8]] == \
        ["file", "directory", "file", "file", "file", "fifo", "char-device", "directory"]


@pytest.mark.parametrize("name, kind", [("Regular File", "file"), ("Directory", "directory"), ("Symbolic Link", "symlink"),
                                        ("Fifo File", "fifo"), ("Character Device", "char-device"),
                                        ("Block Device", "block-device"), ("Socket", "socket"), ("Whiteout File", "whiteout"),
                                        ("???", "???")])
def test_every_type_name_of_bsd_stat(name, kind):
    assert bsd.parse_stat(f"{name}|644|root|wheel|0|/x\n", "", ["/x"])["/x"].type == kind


def test_missing_is_not_denied_and_denied_is_told_apart(swept):
    missing, secret = swept["/tmp/mlx-8104.log"], swept["/opt/mlx-launch/secrets/hf-token"]
    assert (missing.exists, missing.denied) == (False, False)
    assert (secret.exists, secret.denied) == (False, True)
    assert swept["/opt/mlx-launch/bin/start-mlx.sh/x"] == PathFact("/opt/mlx-launch/bin/start-mlx.sh/x", False)


def test_a_path_with_no_answer_at_all_counts_as_missing(swept):
    assert swept["/opt/mlx-launch/no-answer"] == PathFact("/opt/mlx-launch/no-answer", False)


def test_names_holding_the_separators_survive():
    assert bsd.parse_stat("Regular File|644|root|wheel|3|/tmp/a|b\n", "", ["/tmp/a|b"])["/tmp/a|b"].type == "file"
    odd = "/opt/mlx launch: stat: v2"
    assert bsd.parse_stat("", f"stat: {odd}: stat: Permission denied\n", [odd])[odd].denied


# --- shasum -----------------------------------------------------------------------------------------

def test_shasum_lines_and_escaped_names():
    # what shasum 6.02 (Digest::SHA, the same Perl script as macOS's) printed for three files
    printed = ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  /tmp/shatest/a\n"
               "\\2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  /tmp/shatest/b\\\\c\n"
               "\\a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa  /tmp/shatest/n\\nl\n")
    assert bsd.parse_shasum(printed) == {"/tmp/shatest/a": hashlib.sha256(b"abc").hexdigest(),
                                         "/tmp/shatest/b\\c": hashlib.sha256(b"x").hexdigest(),
                                         "/tmp/shatest/n\nl": hashlib.sha256(b"y").hexdigest()}


def test_shasum_binary_mode_and_noise():
    digest = hashlib.sha256(b"").hexdigest()
    printed = f"{digest} *{PLIST}\nshasum: /tmp/x: No such file or directory\n{digest[:40]}  /sha1-length\n\n"
    assert bsd.parse_shasum(printed) == {PLIST: digest}


@pytest.mark.skipif(shutil.which("shasum") is None, reason="no shasum on this machine")
def test_shasum_parser_reads_what_the_real_shasum_printed(tmp_path):
    names = {"plain.plist": b"<plist/>", "back\\slash": b"x", "new\nline": b"y", "sp ace": b""}
    paths = []
    for name, body in names.items():
        (tmp_path / name).write_bytes(body)
        paths.append(str(tmp_path / name))
    done = subprocess.run(bsd.shasum_command([*paths, str(tmp_path / "missing")]), capture_output=True, text=True)
    assert done.returncode == 1 and "missing" in done.stderr
    assert bsd.parse_shasum(done.stdout) == {p: hashlib.sha256(b).hexdigest() for p, b in zip(paths, names.values())}



def test_several_binds_of_one_port_are_each_a_listener_on_macos():
    """The real macOS 15 capture (fixtures/darwin/README.md) has ports bound twice, tcp6 `*.5000` and tcp4 `*.5000`
    (AirPlay's 5000 and 7000, sshd's 22): each bind is its own row, as a port with several binds needs."""
    found = parse_netstat(fixture("darwin/netstat-atn-macos15.txt"))
    for port in (22, 5000, 7000):
        assert sorted(l.address for l in found if l.port == port) == ["0.0.0.0", "::"]
