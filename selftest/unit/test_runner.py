"""The one runner: read-only allowlist, one round trip per batch, outputs split back exactly, evidence."""
import pytest

from conformance.facts.envfile import read_command
from conformance.facts.journal import journal_command
from conformance.facts.paths import readlink_command, stat_command
from conformance.facts.sockets import LISTENERS_COMMAND
from conformance.facts.systemd import show_command
from conformance.runner import RawResult, ReadOnlyViolation, Runner, check_read_only
from conformance.runner.runner import BatchProtocolError, batch_script, split_batch
from ._support import ShellBackend

MARKER = "@@conformance-0123456789ab"


def _round_trip(argvs):
    raw = ShellBackend().run(batch_script([tuple(a) for a in argvs], MARKER))
    return split_batch(raw.stdout, raw.stderr, len(argvs), MARKER)


# --- batch_script + split_batch, through a real /bin/sh ---

@pytest.mark.parametrize("argv, expected", [
    (["printf", "no trailing newline"], (0, "no trailing newline", "")),
    (["printf", "a\nb\n"], (0, "a\nb\n", "")),
    (["printf", "ends with blank lines\n\n\n"], (0, "ends with blank lines\n\n\n", "")),
    (["true"], (0, "", "")),
    (["false"], (1, "", "")),
    (["sh", "-c", "echo out; echo err >&2; exit 3"], (3, "out\n", "err\n")),
    (["sh", "-c", "printf x; printf y >&2; exit 42"], (42, "x", "y")),
    (["sh", "-c", "exit 5"], (5, "", "")),
    (["cat"], (0, "", "")),  # stdin is /dev/null: a reader of stdin cannot hang the batch
    (["printf", "%s|", "it's", "a b", "$HOME", "`id`", "; rm -rf /"], (0, "it's|a b|$HOME|`id`|; rm -rf /|", "")),
])
def test_one_command_round_trip(argv, expected):
    assert _round_trip([argv]) == [expected]


def test_many_commands_keep_their_own_outputs_and_statuses():
    argvs = [["sh", "-c", f"printf 'out{i}'; printf 'err{i}' >&2; exit {i}"] for i in range(12)]
    assert _round_trip(argvs) == [(i, f"out{i}", f"err{i}") for i in range(12)]


def test_command_not_found_gives_127_and_its_message():
    ((status, out, err),) = _round_trip([["no-such-program-xyz"]])
    assert (status, out) == (127, "")
    assert "no-such-program-xyz" in err and "not found" in err


def test_a_shell_that_stopped_early_is_a_protocol_error():
    raw = ShellBackend().run(batch_script([("true",), ("true",)], MARKER))
    cut = raw.stdout[:raw.stdout.index(f"{MARKER} 1\n")]
    with pytest.raises(BatchProtocolError, match="command 1"):
        split_batch(cut, raw.stderr, 2, MARKER)


# --- the allowlist ---

SUITE_COMMANDS = [
    show_command(["litellm-orch.service", "ollama.service"]),
    show_command(["ov-server.service"], "user"),
    show_command(["ov-server.service"], "user", machine_user="christopherbailey"),
    journal_command("0b178876d9ba4a6481b9e0e46bb47c8d"),
    journal_command("0b178876d9ba4a6481b9e0e46bb47c8d", "user"),
    stat_command(["/etc/open-webui/env", "/home/christopherbailey/litellm-orch"]),
    readlink_command("/home/christopherbailey/.config/systemd/user/default.target.wants/ov-server.service"),
    read_command("/etc/open-webui/env"),
    LISTENERS_COMMAND,
    ["id", "-un"], ["id", "-Gn"],
    ["systemctl", "is-active", "ollama.service"],
    ["launchctl", "print", "system/com.bebop.mlx-launch"],
    ["plutil", "-p", "/Library/LaunchDaemons/com.bebop.mlx-launch.plist"],
    ["netstat", "-an", "-p", "tcp"],
]


@pytest.mark.parametrize("argv", SUITE_COMMANDS, ids=lambda a: " ".join(a)[:60])
def test_the_suites_own_commands_are_allowed(argv):
    check_read_only(argv)


MUTATING = [
    ["systemctl", "restart", "x.service"],
    ["systemctl", "--user", "stop", "y.service"],
    ["systemctl", "--user", "-M", "christopherbailey@", "restart", "ov-server.service"],
    ["systemctl", "daemon-reload"],
    ["systemctl", "enable", "--now", "x.service"],
    ["systemctl", "kill", "x.service"],
    ["systemctl", "--", "stop", "x.service"],
    ["systemctl", "show", "--kill-whom=all", "x.service"],
    ["ss", "-K"],
    ["ss", "-ltnK"],
    ["ss", "--kill"],
    ["ss", "-D", "/tmp/dump"],
    ["journalctl", "--vacuum-size=1M"],
    ["journalctl", "--vacuum-time", "1s"],
    ["journalctl", "--rotate"],
    ["journalctl", "--flush"],
    ["rm", "-rf", "/"],
    ["/usr/bin/systemctl", "restart", "x.service"],
    ["sudo", "systemctl", "status"],
    ["sh", "-c", "cat /etc/passwd"],
    ["plutil", "-convert", "xml1", "f.plist"],
    ["launchctl", "kickstart", "-k", "system/com.bebop.mlx-launch"],
    ["launchctl", "bootout", "system/com.bebop.mlx-launch"],
    ["loginctl", "enable-linger", "christopherbailey"],
    ["apt-get", "install", "-y", "x"],
    ["cat", "a\nrm -rf /"],
    [],
]


@pytest.mark.parametrize("argv", MUTATING, ids=lambda a: " ".join(a)[:60] or "empty")
def test_mutating_command_is_refused(argv):
    with pytest.raises(ReadOnlyViolation):
        check_read_only(argv)


class NeverCalled:
    user = "tester"

    def run(self, script: str) -> RawResult:
        raise AssertionError(f"the backend was called with a refused command:\n{script}")


@pytest.mark.parametrize("argv", [m for m in MUTATING if m], ids=lambda a: " ".join(a)[:60])
def test_runner_refuses_before_the_backend_is_called(argv):
    runner = Runner("mini", NeverCalled())
    with pytest.raises(ReadOnlyViolation):
        runner.run_one(argv)
    assert runner.records == [] and runner.batches == 0


def test_one_refused_command_stops_the_whole_batch():
    runner = Runner("mini", NeverCalled())
    with pytest.raises(ReadOnlyViolation, match="restart"):
        runner.run([["id", "-un"], ["systemctl", "restart", "ollama.service"]])


# --- the Runner with a real shell: outputs, records, redaction ---

def test_runner_outputs_and_evidence_records(tmp_path):
    (tmp_path / "no-newline").write_text("last line without newline")
    backend = ShellBackend(user="christopherbailey", delay=0.05)
    runner = Runner("mini", backend)
    a, b, c = runner.run([read_command(str(tmp_path / "no-newline")), read_command(str(tmp_path / "missing")),
                          ["id", "-un"]])
    assert len(backend.scripts) == 1 and runner.batches == 1
    assert (a.exit_status, a.stdout, a.stderr) == (0, "last line without newline", "")
    assert a.exit_status == 0 and b.exit_status == 1 and b.stdout == ""
    assert "No such file or directory" in b.stderr
    assert c.stdout.strip() != ""
    record = b.record
    assert (record.host, record.user, record.exit_status, record.batch) == ("mini", "christopherbailey", 1, 1)
    assert record.command == f"cat -- {tmp_path / 'missing'}"
    assert record.batch_seconds >= 0.05
    assert runner.records == [a.record, b.record, c.record]
    assert "exit 1" in record.render() and "[stderr]" in record.render()


def test_each_run_is_its_own_batch():
    runner = Runner("mini", ShellBackend())
    runner.run_one(["id", "-un"])
    second = runner.run_one(["id", "-Gn"])
    assert runner.batches == 2 and second.record.batch == 2


def test_records_are_redacted_but_parsers_get_the_raw_output(tmp_path):
    env = tmp_path / "env"
    env.write_text("OPENAI_API_KEY=sk-live-abcdef123456\nDATA_DIR=/data\n")
    out = Runner("mini", ShellBackend()).run_one(read_command(str(env)))
    assert "sk-live-abcdef123456" in out.stdout
    assert "sk-live-abcdef123456" not in out.record.stdout
    assert "DATA_DIR=/data" in out.record.stdout


def test_quoted_arguments_are_not_interpreted_by_the_host_shell(tmp_path):
    pwned = tmp_path / "pwned"
    out = Runner("mini", ShellBackend()).run_one(["cat", "--", f"/nonexistent; touch {pwned}"])
    assert out.exit_status == 1 and not pwned.exists()


def test_through_testinfras_local_backend(tmp_path):
    from conformance.runner import TestinfraBackend

    (tmp_path / "f").write_text("x")
    runner = Runner("mini", TestinfraBackend("local://"))
    ok, missing = runner.run([read_command(str(tmp_path / "f")), read_command(str(tmp_path / "nope"))])
    assert (ok.exit_status, ok.stdout, missing.exit_status) == (0, "x", 1)
    assert "No such file or directory" in missing.stderr
    assert runner.batches == 1 and ok.record.user == runner.user != ""
