"""The one runner: one round trip per batch, outputs split back exactly, every command bounded, evidence."""
import os
import time

import pytest

from conformance.facts.paths import hash_command, read_command
from conformance.runner import BatchFailed, LocalBackend, ProcessBackend, RoundTripFailed, Runner
from conformance.runner.runner import NOT_REGULAR, BatchProtocolError, batch_script, split_batch
from ._support import ShellBackend
from conformance.redaction import Redactor

AS_IS = Redactor(enabled=False)  # the record as it is held (what a redactor would see)

MARKER = "@@conformance-0123456789ab"


def _round_trip(argvs, timeout=10, reads=None):
    raw = ShellBackend().run(batch_script([tuple(a) for a in argvs], MARKER, timeout, reads))
    return [(status, out, err) for status, out, err, _ in split_batch(raw.stdout, raw.stderr, len(argvs), MARKER)]


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
    cut = raw.stdout[:raw.stdout.index(f"{MARKER} 1\n".encode())]
    with pytest.raises(BatchProtocolError, match="command 1"):
        split_batch(cut, raw.stderr, 2, MARKER)


def test_any_bytes_are_decoded_with_replacement_never_failing_the_batch():
    ((status, out, err),) = _round_trip([["printf", "ok \\377\\376 \\000 end"]])
    assert status == 0 and out.startswith("ok ") and out.endswith(" end") and "\ufffd" in out


# --- bounds: a watchdog per command ON the host, regular files only, a deadline per round trip ---

def test_a_hanging_command_is_killed_on_the_host_and_the_next_one_still_runs():
    started = time.monotonic()
    raw = ShellBackend().run(batch_script([("sleep", "30"), ("printf", "after")], MARKER, timeout=1))
    (s1, _, e1, timed_out1), (s2, o2, _, timed_out2) = split_batch(raw.stdout, raw.stderr, 2, MARKER)
    assert time.monotonic() - started < 5
    assert timed_out1 and s1 == 137 and MARKER not in e1
    assert (s2, o2, timed_out2) == (0, "after", False)


def test_a_fifo_is_never_opened(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    ((status, out, err),) = _round_trip([["cat", str(fifo)]], reads=[[str(fifo)]])
    assert time.monotonic() - started < 3
    assert status == 126 and out == "" and err.strip() == f"{fifo}: {NOT_REGULAR}"


@pytest.mark.parametrize("target", ["/dev/zero", "directory"])
def test_a_symlink_to_a_device_or_a_directory_is_not_read(tmp_path, target):
    link = tmp_path / "link"
    (tmp_path / "directory").mkdir()
    link.symlink_to(target if target.startswith("/") else tmp_path / target)
    ((status, out, err),) = _round_trip([read_command(str(link), 100)], reads=[[str(link)]])
    assert (status, out) == (126, "") and NOT_REGULAR in err


def test_a_missing_file_reaches_the_reader_which_says_so(tmp_path):
    ((status, out, err),) = _round_trip([read_command(str(tmp_path / "nope"), 100)], reads=[[str(tmp_path / "nope")]])
    assert status == 1 and "No such file or directory" in err


def test_a_read_is_bounded_in_bytes(tmp_path):
    big = tmp_path / "big"
    big.write_bytes(b"x" * 5000)
    ((status, out, _),) = _round_trip([read_command(str(big), 100)], reads=[[str(big)]])
    assert status == 0 and len(out) == 101  # one byte past the limit shows the file is larger


def _processes_of_session(session: int) -> list[str]:
    """Processes still in a session (field 6 of /proc/PID/stat); the batch's shell led its own."""
    found = []
    for proc in os.listdir("/proc"):
        try:
            stat = open(f"/proc/{proc}/stat").read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if proc.isdigit() and int(fields[3]) == session and fields[0] != "Z":
            found.append(f"{proc} {stat.split(' ', 2)[1]}")
    return found


def test_nothing_of_a_batch_survives_it():
    """Neither a killed command nor a watchdog outlives the batch by more than one 1 s step."""
    backend = ShellBackend()
    raw = backend.run(batch_script([("sleep", "29.5"), ("true",), ("true",)], MARKER, timeout=3))
    assert [t for *_, t in split_batch(raw.stdout, raw.stderr, 3, MARKER)] == [True, False, False]
    time.sleep(1.2)
    assert _processes_of_session(backend.last_session) == []


def test_the_controller_deadline_kills_the_whole_round_trip():
    started = time.monotonic()
    with pytest.raises(RoundTripFailed, match="timed out after 1 s"):
        LocalBackend().run("sleep 20\n", deadline=1)
    assert time.monotonic() - started < 3


def test_output_past_its_bound_fails_the_round_trip():
    with pytest.raises(RoundTripFailed, match="output exceeded"):
        ProcessBackend(["/bin/sh", "-s"], "tester", max_output=1024 * 1024).run("head -c 5000000 /dev/zero\n", deadline=10)


# --- the Runner: records, one batch per run, a failed round trip remembered as records ---

def test_runner_outputs_and_evidence_records(tmp_path):
    (tmp_path / "no-newline").write_text("last line without newline")
    backend = ShellBackend(user="christopherbailey", delay=0.05)
    runner = Runner("mini", backend)
    a, b, c = runner.run([read_command(str(tmp_path / "no-newline"), 1000), read_command(str(tmp_path / "missing"), 1000),
                          ["id", "-un"]])
    assert len(backend.scripts) == 1 and runner.batches == 1
    assert (a.exit_status, a.stdout, a.stderr) == (0, "last line without newline", "")
    assert b.exit_status == 1 and b.stdout == "" and "No such file or directory" in b.stderr
    assert c.stdout.strip() != ""
    record = b.record
    assert (record.host, record.user, record.exit_status, record.batch) == ("mini", "christopherbailey", 1, 1)
    assert record.command == f"head -c 1001 -- {tmp_path / 'missing'}"
    assert record.batch_seconds >= 0.05
    assert runner.records == [a.record, b.record, c.record]
    assert "exit 1" in record.render(AS_IS) and "[stderr]" in record.render(AS_IS)


def test_each_run_is_its_own_batch_and_the_stated_number_is_enforced():
    runner = Runner("mini", ShellBackend(), max_round_trips=2)
    runner.run_one(["id", "-un"])
    second = runner.run_one(["id", "-Gn"])
    assert runner.batches == 2 and second.record.batch == 2
    with pytest.raises(RuntimeError, match="beyond the stated 2"):
        runner.run_one(["id", "-un"])


def test_the_runner_guards_the_files_a_command_reads(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    out = Runner("mini", ShellBackend()).run_one(hash_command(str(fifo)))
    assert out.exit_status == 126 and NOT_REGULAR in out.stderr


def test_a_command_killed_at_its_deadline_is_marked_so(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)

    class Unguarded(ShellBackend):  # what would happen to a FIFO without the guard: the watchdog still ends it
        def run(self, script, deadline=30.0):
            return super().run(script.replace("__regular() {", "__guard_off() {").replace(
                "LC_ALL=C; export LC_ALL\n", "LC_ALL=C; export LC_ALL\n__regular() { return 0; }\n"), deadline)

    out = Runner("mini", Unguarded(), command_timeout=1).run_one(hash_command(str(fifo)))
    assert out.timed_out and out.record.timed_out and "killed on the host after 1 s" in out.stderr
    assert "killed after its deadline" in out.record.render(AS_IS)


def test_a_failed_round_trip_is_raised_with_a_record_per_command():
    class Dead:
        user = "tester"

        def run(self, script, deadline):
            raise RoundTripFailed("round trip timed out after 3 s")

    runner = Runner("mini", Dead())
    with pytest.raises(BatchFailed, match="timed out") as e:
        runner.run([["id", "-un"], ["ss", "-ltnH"]])
    assert [r.command for r in e.value.records] == ["id -un", "ss -ltnH"]
    assert all(r.exit_status == -1 and "round trip failed" in r.stderr for r in e.value.records)
    assert runner.records == list(e.value.records)


def test_quoted_arguments_are_not_interpreted_by_the_host_shell(tmp_path):
    pwned = tmp_path / "pwned"
    out = Runner("mini", ShellBackend()).run_one(read_command(f"/nonexistent; touch {pwned}", 10))
    assert out.exit_status == 1 and not pwned.exists()


def test_a_binary_output_arrives_byte_for_byte_and_is_not_kept_as_evidence(tmp_path):
    from conformance.runner import BinaryCommand
    blob = bytes(range(256)) * 3 + b"\x00OPENAI_API_KEY=sk-hidden-in-binary-0001\x00"
    (tmp_path / "plist").write_bytes(blob)
    out = Runner("mini", ShellBackend()).run_one(BinaryCommand(read_command(str(tmp_path / "plist"), 4096)))
    assert out.data == blob and out.exit_status == 0
    assert out.record.stdout == f"({len(blob)} bytes, sent base64; not kept as evidence)"
    assert "sk-hidden" not in out.record.render(AS_IS)


def test_a_binary_commands_own_failure_is_its_status_not_base64s(tmp_path):
    """No pipefail in macOS's /bin/sh: the command's status and message cross the pipe on their own."""
    from conformance.runner import BinaryCommand
    out = Runner("mini", ShellBackend()).run_one(BinaryCommand(read_command(str(tmp_path / "missing.plist"), 4096)))
    assert out.exit_status == 1, "head's status, not base64's 0"
    assert "No such file or directory" in out.stderr and MARKER.split("-")[0] not in out.stderr
    assert out.data == b"" and out.record.exit_status == 1


def test_a_binary_command_keeps_its_status_stderr_and_bytes_through_the_real_batch_script():
    from conformance.runner import BinaryCommand
    argvs = [BinaryCommand(("sh", "-c", "printf abc; echo nope >&2; exit 3")), ("sh", "-c", "echo next >&2; exit 4"),
             BinaryCommand(("printf", "ok"))]
    raw = ShellBackend().run(batch_script(argvs, MARKER))
    assert split_batch(raw.stdout, raw.stderr, 3, MARKER) == [
        (3, "YWJj\n", "nope\n", False), (4, "", "next\n", False), (0, "b2s=\n", "", False)]


def test_a_host_whose_round_trip_failed_is_not_asked_again_this_run():
    class Dead:
        user = "tester"
        calls = 0

        def run(self, script, deadline):
            Dead.calls += 1
            raise RoundTripFailed("studio unreachable: connect timed out after 5 s")

    runner = Runner("studio", Dead())
    for _ in range(3):
        with pytest.raises(BatchFailed, match="connect timed out"):
            runner.run([["uname", "-s"]])
    assert Dead.calls == 1
    assert runner.records[-1].stderr == "not sent: studio unreachable: connect timed out after 5 s"
