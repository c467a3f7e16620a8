"""testinfra's idiom, guarded: `host.file(p).exists` goes through the suite's one Runner like every other command.

testinfra's modules build shell strings (`get_command(cmd, *args)` quotes the args). GuardedBackend turns each
into an argv (POSIX word splitting and quoting only), checks it against the read-only allowlist and runs it
through the host's Runner: the per-command watchdog on the host, the regular-file guard for reads, the round
trip's deadline, the same transport (for an SSH host: the same ControlMaster connection and known_hosts), and
a CommandRecord in the run's evidence, tagged with the test that sent it. Redaction happens where every record
leaves the process (the plugin's boundary), not here: a test sees what the host answered. But what a test reads is
learned here, as the facts learn what they read: the value of every secret-named key, flag or credential in an
answer is taught to the run's Redactor (and masked in its record) before the test goes on, so an assertion message
quoting it is redacted too.

Secret files are never read (conformance/runner/secret_files.py: the inventory's `secret: true` paths, password
databases, SSH private keys, /proc/*/environ): a read of one by its name is refused before anything is sent
(RefusedCommand), and one that resolves to one on the host (a symlink, a hard link) is refused there by the batch's
guard, before the command runs (SecretFile); either fails the test.

Refused before anything reaches the host, failing the test (RefusedCommand, a pytest Failed: no `except
Exception` swallows it): a command off the allowlist's exact argv shapes, naming the command and the rule it
missed; a command that needs a shell (pipes, redirections, `;`, `&&`, `$(`, backticks, globs, `~`), except the
few testinfra pipelines mapped below to allowed shapes.

What testinfra asks for, and what runs instead (`_MAPPED`):
- `cat [--] P` (File.content, content_string, system_info's /etc/os-release): `stat` for the size and
  `head -c 262144 -- P` in one round trip; a file past the bound fails (FileTooLarge), one that is not a
  regular file is not read (NotRegularFile), so a FIFO never hangs a test;
- `sha256sum P | cut -d ' ' -f 1` (GNU) and `sha256 < P` (macOS): `sha256sum -- P` / `shasum -a 256 P`;
- `systemctl list-unit-files | grep -q "^NAME"` (Service.exists): `systemctl list-unit-files --no-pager
  --no-legend`, the prefix matched here;
- `id -u USER` (User.uid): `id USER`, the uid read from its answer;
- DarwinFile.linked_to's shell script: `realpath P`;
- a program by the absolute path `command -v NAME` answered on this host (Socket runs `/usr/bin/ss ...`):
  NAME, which the host's PATH resolves to that same path.

testinfra's `get_encoding` would run `python3 -c ...` on the host: the encoding is pinned to UTF-8 (the runner
decodes every output as UTF-8, invalid bytes becoming U+FFFD, so `File.content` is that text re-encoded).

Round trips, fewer than testinfra's one per property:
- testinfra's platform probes (SystemInfo: `uname -s`, `cat /etc/os-release`, `uname -m`; on macOS `sw_vers`) are
  answered from the facts' own first round trip, which asks them when an owner's test uses `host` (`platform`);
- on Linux, a test's first question about a path's type or one of its `stat` fields (GNUFile: `test -e|-f|-d|-p|-S|-L
  P`, `stat -Lc %U|%u|%G|%g|%a|%Y|%s|%i P`) sends ONE look, `stat -c` of the link and `stat -L -c` of every field of
  the file it leads to, and that test's later questions about the path are answered from it, as those commands would
  answer (`_look`). A test that must see a path change re-reads it through host.run.
"""
from __future__ import annotations

import contextlib
import re
import shlex
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import pytest
import testinfra.host
from testinfra.backend.base import BaseBackend, CommandResult
from testinfra.modules.file import DarwinFile

from .evidence import CommandRecord
from .facts.base import MAX_READ_BYTES
from .facts.kinds import HostKind, kind_of
from .facts.secrets import learn_secrets
from .redaction import Redactor
from .runner import BatchFailed, Output, ReadOnlyViolation, Runner, check_read_only
from .runner.runner import NOT_REGULAR
from .runner.secret_files import SECRET_FILE

OUTSIDE_A_TEST = "(outside a test)"
ALLOWLIST = "conformance/runner/allowlist.py"


# --- how a command of a test's `host` fails ---------------------------------------------------------------

class HostCommandFailed(pytest.fail.Exception):
    """A command of a test's `host` was refused, or gave no usable answer: the test fails, saying why."""

    def __init__(self, message: str) -> None:
        super().__init__(message, pytrace=False)


class RefusedCommand(HostCommandFailed):
    """Refused before it reached the host: off the read-only allowlist, or it needs a shell."""

    def __init__(self, host: str, command: str, why: str) -> None:
        super().__init__(f"{host}: host.run refused `{command}` (nothing was sent to {host}): {why}")
        self.host, self.command, self.why = host, command, why


class SecretFile(HostCommandFailed):
    """The runner's guard kept a command from reading a file that is, as it resolves on the host, a secret."""


class NotRegularFile(HostCommandFailed):
    """The runner's regular-file guard kept a command from reading a FIFO, device, socket or directory."""


class FileTooLarge(HostCommandFailed):
    """A file a test asked to read whole is larger than the bounded reader reads."""


class CommandTimedOut(HostCommandFailed):
    """The command's watchdog killed it on the host at its deadline."""


class HostUnreachable(HostCommandFailed):
    """The round trip did not complete (transport, deadline); the host is not asked again in this run."""


class NeedsShell(Exception):
    """A command string that only a shell could run as written."""


# --- which test is running (set by conformance.host_fixture around each test) --------------------------------

_running: list[str] = []


@contextlib.contextmanager
def attributed_to(nodeid: str) -> Iterator[None]:
    """Commands sent inside this block are recorded as the test `nodeid`'s."""
    _running.append(nodeid)
    try:
        yield
    finally:
        _running.pop()


def running_test() -> str:
    return _running[-1] if _running else OUTSIDE_A_TEST


# --- shell words ------------------------------------------------------------------------------------------

_NEEDS_SHELL = {
    "|": "a pipe (|)", "&": "& or && (background or a command list)", ";": "; (a command list)",
    "<": "a redirection (<)", ">": "a redirection (>)", "(": "a subshell or $( ) (()", ")": "a subshell ())",
    "$": "an expansion or substitution ($)", "`": "command substitution (backticks)", "*": "a glob (*)",
    "?": "a glob (?)", "[": "a glob ([)", "]": "a glob (])", "{": "brace expansion ({)", "}": "brace expansion (})",
    "\n": "a second line (a command list)", "\r": "a carriage return",
}
_AT_WORD_START = {"~": "tilde expansion (~)", "#": "a comment (#)"}


def split_command(command: str) -> list[str]:
    """The argv a POSIX shell builds from `command`, when it needs nothing of the shell but quoting and word
    splitting (what shlex.quote produces); NeedsShell naming the first construct that needs more."""
    words: list[str] = []
    word: list[str] = []
    in_word = False
    i, n = 0, len(command)
    while i < n:
        c = command[i]
        if c in " \t":
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
            i += 1
        elif c == "'":
            end = command.find("'", i + 1)
            if end < 0:
                raise NeedsShell("an unterminated quote (')")
            word.append(command[i + 1:end])
            in_word, i = True, end + 1
        elif c == '"':
            j = i + 1
            while j < n and command[j] != '"':
                d = command[j]
                if d in "$`":
                    raise NeedsShell(f'{_NEEDS_SHELL[d]} inside "..."')
                if d == "\\" and j + 1 < n and command[j + 1] in '$`"\\':
                    j += 1
                    d = command[j]
                word.append(d)
                j += 1
            if j >= n:
                raise NeedsShell('an unterminated quote (")')
            in_word, i = True, j + 1
        elif c == "\\":
            if i + 1 >= n or command[i + 1] == "\n":
                raise NeedsShell("a backslash at the end of a line")
            word.append(command[i + 1])
            in_word, i = True, i + 2
        elif c in _NEEDS_SHELL:
            raise NeedsShell(_NEEDS_SHELL[c])
        elif not in_word and c in _AT_WORD_START:
            raise NeedsShell(_AT_WORD_START[c])
        else:
            word.append(c)
            in_word, i = True, i + 1
    if in_word:
        words.append("".join(word))
    return words


def _one_word(text: str) -> str | None:
    try:
        words = split_command(text)
    except NeedsShell:
        return None
    return words[0] if len(words) == 1 else None


# --- what runs for a testinfra command ---------------------------------------------------------------------

CommandResult = tuple[int, str, str]  # exit status, stdout, stderr: what testinfra gets back


@dataclass(frozen=True)
class Plan:
    """The allowed argvs sent for one testinfra command (one round trip), and how their outputs answer it."""

    argvs: tuple[tuple[str, ...], ...]
    answer: Callable[[list[Output]], CommandResult]
    via: str = ""  # for messages: what testinfra asked, when something else runs


def _first_refusal(argvs: Sequence[Sequence[str]], runner: Runner) -> str | None:
    """Why the first refused argv is refused: off the allowlist, or it reads a file named as a secret."""
    for argv in argvs:
        try:
            reads = check_read_only(argv).reads
        except ReadOnlyViolation as e:
            return str(e)
        for path in reads:
            what = runner.secret_files.named(path)
            if what:
                return f"{path} is a secret file ({what}): the suite never reads one, for its facts or for a test"
    return None


def _as_is(outputs: list[Output]) -> CommandResult:
    return outputs[0].exit_status, outputs[0].stdout, outputs[0].stderr


def _first_field(outputs: list[Output]) -> CommandResult:
    out = outputs[0]
    fields = out.stdout.split()
    return out.exit_status, (fields[0] + "\n") if out.exit_status == 0 and fields else "", out.stderr


def _uid(outputs: list[Output]) -> CommandResult:
    out = outputs[0]
    found = re.match(r"uid=(\d+)", out.stdout)
    if out.exit_status != 0 or not found:
        return out.exit_status or 1, "", out.stderr
    return 0, found[1] + "\n", out.stderr


class GuardedBackend(BaseBackend):
    """A testinfra backend whose every command goes through the suite's Runner for one host.

    `by_test` keeps each test's records (nodeid -> records); each record also carries `.test`.
    """

    NAME = "conformance"

    def __init__(self, runner: Runner, os: str = "linux", *, max_read_bytes: int = MAX_READ_BYTES,
                 redactor: Redactor | None = None, platform: dict[tuple[str, ...], Output] | None = None) -> None:
        super().__init__(runner.host_id)
        self.runner = runner
        self.redactor = redactor or Redactor()  # the run's: what a test reads teaches it the secrets it holds
        self.os = os  # the inventory's `os` of the host: linux | darwin
        self.kind: HostKind = kind_of(os)  # what testinfra's idiom needs on it: its file tools, its gaps
        self.max_read_bytes = max_read_bytes
        self._encoding = "utf-8"  # never probed on the host
        self.by_test: dict[str, list[CommandRecord]] = {}
        self.round_trips = 0  # this backend's own, outside the facts' stated budget
        self._found: dict[str, str] = {}  # absolute path -> the program name `command -v` resolved to it
        self._failed: str | None = None
        self._answered = _platform_answers(platform or {})  # testinfra's command -> the facts' answer to it
        self._looks: dict[tuple[str, str], tuple[Output, Output]] = {}  # (test, path) -> its look (lstat, stat -L)

    def get_encoding(self) -> str:
        return "utf-8"

    def run(self, command: str | Sequence[str], *args: str, **kwargs) -> CommandResult:
        """testinfra's `run(command, *args)`: quote, split, check, send; or fail the test, naming what and why.

        A list or tuple is taken as an argv (no quoting involved)."""
        __tracebackhide__ = True
        if isinstance(command, str):
            shown = self.get_command(command, *args)  # host.sudo() wraps it here, and `sudo` is refused below
            known = self._answered.get(shown)
            if known is not None:  # a platform probe the facts' round trip already answered
                return self.result(known.exit_status, self.encode(shown), known.stdout.encode("utf-8"),
                                   known.stderr.encode("utf-8"))
            looked = self._from_look(shown)
            if looked is not None:
                status, stdout, stderr = looked
                return self.result(status, self.encode(shown), stdout.encode("utf-8"), stderr.encode("utf-8"))
            plan = self._plan(shown)
        else:
            shown = shlex.join(command)
            plan = self._plan_argv(list(command), shown)
        refused = _first_refusal(plan.argvs, self.runner)
        if refused:
            self._refuse(shown, f"{refused}{plan.via}{_hint(shown)}")
        outputs = self._send(plan.argvs)
        self._learn_secrets(outputs)  # before anything of them can reach a message
        for out in outputs:
            self._judge(out)
        self._learn(outputs)
        status, stdout, stderr = plan.answer(outputs)
        return self.result(status, self.encode(shown), stdout.encode("utf-8"), stderr.encode("utf-8"))

    # --- planning ------------------------------------------------------------------------------------------
    def _plan(self, command: str) -> Plan:
        for pattern, build in _MAPPED:
            m = pattern.fullmatch(command)
            if m:
                plan = build(self, m, command)
                if plan is not None:
                    return plan
        try:
            return self._plan_argv(split_command(command), command)
        except NeedsShell as e:
            why = str(e)
        self._refuse(command, f"it needs a shell: {why}. The guarded host runs one command per call, split into "
                              f"words, in the read-only allowlist's exact argv shapes ({ALLOWLIST}){_hint(command)}")

    def _plan_argv(self, argv: list[str], command: str) -> Plan:
        if not argv:
            self._refuse(command, "an empty command")
        if argv[0] in self._found:  # `/usr/bin/ss` that `command -v ss` answered: run as `ss`, found the same way
            argv = [self._found[argv[0]], *argv[1:]]
        if len(argv) == 3 and argv[:2] == ["id", "-u"]:
            return Plan((("id", argv[2]),), _uid, f" (asked as `{command}`)")  # user.py:51
        return Plan((tuple(argv),), _as_is)

    def _read_plan(self, path: str, command: str) -> Plan:
        """A whole file, through the bounded reader and the regular-file guard; its size checked in the same trip."""
        size = self.kind.files.size(path)
        read = ("head", "-c", str(self.max_read_bytes), "--", path)

        def answer(outputs: list[Output]) -> CommandResult:
            stat, out = outputs
            found = self.kind.files.parse_size(stat.stdout)
            if stat.exit_status == 0 and found.isdigit() and int(found) > self.max_read_bytes:
                raise FileTooLarge(f"{self.hostname}: {path} is {int(found)} bytes: more than the {self.max_read_bytes} "
                                   f"a test may read whole (`{command}` reads through `{shlex.join(read)}`)")
            return out.exit_status, out.stdout, out.stderr

        return Plan((size, read), answer, f" (asked as `{command}`)")

    # --- a path's type and stat fields: one look per test (GNU stat) -----------------------------------------
    def _from_look(self, command: str) -> CommandResult | None:
        """testinfra's answer to a single-path type test or stat field, from this test's look at the path (sent
        now if it has none); None for any other command, or on a kind of host whose stat is not GNU's."""
        __tracebackhide__ = True
        if not self.kind.testinfra_looks:
            return None
        try:
            argv = split_command(command)
        except NeedsShell:
            return None
        question = _file_question(argv)
        if question is None:
            return None
        refused = _first_refusal([argv], self.runner)  # judged as asked, so a refusal names the command asked
        if refused:
            self._refuse(command, f"{refused}{_hint(command)}")
        test, path = running_test(), question[1]
        look = self._looks.get((test, path))
        if look is None:
            outputs = self._send(_look_argvs(path))
            self._learn_secrets(outputs)
            for out in outputs:
                self._judge(out)
            look = (outputs[0], outputs[1])
            if test != OUTSIDE_A_TEST:  # kept for the rest of this test only
                self._looks[(test, path)] = look
        return _answer_from_look(argv, *look)

    # --- sending and judging -------------------------------------------------------------------------------
    def _send(self, argvs: Sequence[Sequence[str]]) -> list[Output]:
        __tracebackhide__ = True
        if self._failed:
            raise HostUnreachable(f"{self.hostname}: not sent: an earlier round trip to it failed in this run "
                                  f"({self._failed})")
        # A test's own commands come after the facts (make_host asks the session for them first) and
        # outside the facts' stated round trips: sent unbudgeted, counted in self.round_trips.
        try:
            outputs = self.runner.run(argvs, budgeted=False)
        except BatchFailed as e:
            self._tag(e.records)
            self._failed = e.reason
            raise HostUnreachable(e.reason if e.reason.startswith(self.hostname) else f"{self.hostname}: {e.reason}") from None
        self.round_trips += 1
        self._tag([o.record for o in outputs])
        return outputs

    def _tag(self, records: Sequence[CommandRecord]) -> None:
        test = running_test()
        for record in records:
            record.test = test  # shown under the test in the report
            self.by_test.setdefault(test, []).append(record)

    def _judge(self, out: Output) -> None:
        __tracebackhide__ = True
        if out.not_recorded:  # a replay whose recording does not hold this command: the test is not judged
            pytest.skip(f"cannot verify: not in the recording: `{out.command}` on {self.hostname}")
        if out.timed_out:
            raise CommandTimedOut(f"{self.hostname}: `{out.command}` was killed on the host after "
                                  f"{self.runner.command_timeout:g} s (--command-timeout)")
        if out.exit_status == 126 and SECRET_FILE in out.stderr:
            path, why = out.stderr.split(f": {SECRET_FILE}", 1)
            raise SecretFile(f"{self.hostname}: {path.strip().splitlines()[-1]} is a secret file on {self.hostname} "
                             f"({why.strip()}): not read; the suite never reads one, for its facts or for a test "
                             f"(`{out.command}`)")
        if out.exit_status == 126 and NOT_REGULAR in out.stderr:
            path = out.stderr.split(f": {NOT_REGULAR}")[0].strip().splitlines()[-1]
            raise NotRegularFile(f"{self.hostname}: {path} is not a regular file (a FIFO, device, socket or directory): "
                                 f"not read; the runner reads a file only when it is a regular file (`{out.command}`)")

    def _learn_secrets(self, outputs: list[Output]) -> None:
        """Teach the run's Redactor every secret value the answers show, as the facts do for what they read; mask
        each where it sits in its record (however short it is)."""
        for out in outputs:
            if out.data is not None:  # binary: its record keeps only its size
                continue
            spans = learn_secrets(self.redactor, out.stdout)
            learn_secrets(self.redactor, out.stderr)
            if spans and self.redactor.enabled:
                out.record.mask(spans)

    def _learn(self, outputs: list[Output]) -> None:
        for out in outputs:
            if out.argv[:2] == ("command", "-v") and "/" not in out.argv[2] and out.exit_status == 0:
                path = out.stdout.strip()
                if path.startswith("/") and "\n" not in path:
                    self._found[path] = out.argv[2]

    def _refuse(self, command: str, why: str):
        __tracebackhide__ = True
        raise RefusedCommand(self.hostname, command, why)

    def commands(self, nodeid: str) -> list[CommandRecord]:
        """The records of the commands a test sent to this host."""
        return list(self.by_test.get(nodeid, ()))


# --- answers testinfra gets without a command of its own ------------------------------------------------------

def _platform_answers(platform: dict[tuple[str, ...], Output]) -> dict[str, Output]:
    """testinfra's SystemInfo commands (systeminfo.py) -> the facts' answers to them (not a command killed at its
    deadline: that one is asked again, and fails the test as any would)."""
    found: dict[str, Output] = {}
    for argv, out in platform.items():
        if out.timed_out:
            continue
        if argv in (("uname", "-s"), ("uname", "-m"), ("sw_vers",)):
            found[shlex.join(argv)] = out
        elif argv[:1] == ("head",) and argv[-1] == "/etc/os-release":
            found["cat /etc/os-release"] = out
    return found


# GNU stat's %F for each `test` type flag (test(1): -f regular, -d directory, -p FIFO, -S socket)
_TEST_TYPES = {"-f": ("regular file", "regular empty file"), "-d": ("directory",), "-p": ("fifo",), "-S": ("socket",)}
LOOK_FIELDS = ("%F", "%U", "%u", "%G", "%g", "%a", "%Y", "%s", "%i")  # one `stat -L -c` of all GNUFile asks


def _file_question(argv: Sequence[str]) -> tuple[str, str] | None:
    """(what, path) for GNUFile's one-path questions (file.py: `test -X P`, `stat -Lc %X P`), else None."""
    if len(argv) == 3 and argv[0] == "test" and argv[1] in ("-e", "-L", *_TEST_TYPES):
        return argv[1], argv[2]
    if len(argv) == 4 and argv[:2] == ["stat", "-Lc"] and argv[2] in LOOK_FIELDS[1:]:
        return argv[2], argv[3]
    return None


def _look_argvs(path: str) -> tuple[tuple[str, ...], ...]:
    return (("stat", "-c", "%F|%a|%U|%G|%s|%n", "--", path), ("stat", "-L", "-c", "|".join(LOOK_FIELDS), "--", path))


def _answer_from_look(argv: Sequence[str], link: Output, target: Output) -> CommandResult:
    """What `test -X P` / `stat -Lc %X P` would have answered, from `stat -c` of P and `stat -L -c` of what it leads to
    (the same system calls: test -L is lstat's type, every other test and stat -L is stat's)."""
    if argv[0] == "test":
        if argv[1] == "-L":
            return (0 if link.exit_status == 0 and link.stdout.split("|", 1)[0] == "symbolic link" else 1), "", ""
        kind = target.stdout.split("|", 1)[0]
        return (0 if target.exit_status == 0 and (argv[1] == "-e" or kind in _TEST_TYPES[argv[1]]) else 1), "", ""
    fields = target.stdout.rstrip("\n").split("|")
    if target.exit_status != 0 or len(fields) != len(LOOK_FIELDS):
        return target.exit_status or 1, "", target.stderr
    return 0, fields[LOOK_FIELDS.index(argv[2])] + "\n", ""


# --- testinfra's pipelines and scripts, mapped to allowed shapes ---------------------------------------------

def _map_cat(backend: GuardedBackend, m: re.Match, command: str) -> Plan | None:
    path = _one_word(m["path"])
    return backend._read_plan(path, command) if path else None


def _map_sha256(backend: GuardedBackend, m: re.Match, command: str) -> Plan | None:
    path = _one_word(m["gnu"] or m["bsd"])
    if not path:
        return None
    argv = ("sha256sum", "--", path) if m["gnu"] else ("shasum", "-a", "256", path)
    return Plan((argv,), _first_field, f" (asked as `{command}`)")


def _map_unit_exists(backend: GuardedBackend, m: re.Match, command: str) -> Plan | None:
    name = m["name"]
    pattern = re.compile("".join("." if c == "." else re.escape(c) for c in name))  # grep's ^NAME: `.` is any char

    def answer(outputs: list[Output]) -> CommandResult:
        out = outputs[0]
        if out.exit_status != 0:
            raise HostCommandFailed(f"{backend.hostname}: `{out.command}` failed (exit {out.exit_status}): "
                                    f"{out.stderr.strip() or 'no message'} (asked as `{command}`)")
        return (0 if any(pattern.match(line) for line in out.stdout.splitlines()) else 1), "", ""

    return Plan((("systemctl", "list-unit-files", "--no-pager", "--no-legend"),), answer, f" (asked as `{command}`)")


class _Script:
    """Captures the shell script DarwinFile.linked_to builds for a path."""

    def __init__(self, path: str) -> None:
        self.path = path

    @staticmethod
    def check_output(script: str) -> str:
        return script


def _map_darwin_linked_to(backend: GuardedBackend, m: re.Match, command: str) -> Plan | None:
    path = m["path"]
    if DarwinFile.linked_to.fget(_Script(path)) != command:  # exactly testinfra's script, nothing else
        return None
    return Plan((("realpath", path),), _as_is, " (asked as DarwinFile.linked_to's shell script)")


_MAPPED: list[tuple[re.Pattern[str], Callable[[GuardedBackend, re.Match, str], Plan | None]]] = [
    (re.compile(r"cat (?:-- )?(?P<path>.+)"), _map_cat),  # file.py:148; systeminfo.py:54,72,82; user.py:158
    (re.compile(r"sha256sum (?P<gnu>.+) \| cut -d ' ' -f 1|sha256 < (?P<bsd>.+)"), _map_sha256),  # file.py:265, 306
    (re.compile(r'systemctl list-unit-files \| grep -q "\^(?P<name>[A-Za-z0-9@._:-]+)"'), _map_unit_exists),  # service.py:179
    (re.compile(r"\s*TARGET_FILE='(?P<path>[^']*)'.*", re.DOTALL), _map_darwin_linked_to),  # file.py:312-326
]


# --- why a refused testinfra command is refused by design -----------------------------------------------------

_HINTS = [
    (re.compile(r"systemd-analyze verify\b"),
     "host.service(...).is_valid runs `systemd-analyze verify`, which writes (a test manager's directories in /tmp, "
     "/run/systemd/systemd-units-load, man's page cache): check the unit through host.service(name).systemd_properties "
     "or the inventory's unit checks"),
    (re.compile(r"md5sum\b|md5 <"), "use host.file(path).sha256sum"),
    (re.compile(r"find -L /etc/rc\?\.d/"), "is_enabled fell back to SysV init scripts: name the unit with its suffix "
                                           "(e.g. `ollama.service`), which systemctl answers"),
    (re.compile(r"sudo\b"), "the suite never runs a command as another user (host.sudo())"),
    (re.compile(r"(?:^|/)ps -"), "host.process is not supported: check the unit (host.service) or use host.run"),
    (re.compile(r"(?:^|/)service \S+ status"), "systemctl did not answer (is-active exit 1), so testinfra fell back "
                                               "to SysV `service`, which runs an init script"),
]


def _hint(command: str) -> str:
    return "".join(f". {hint}" for pattern, hint in _HINTS if pattern.search(command))


# --- the host ---------------------------------------------------------------------------------------------

class GuardedHost(testinfra.host.Host):
    """testinfra's Host over a GuardedBackend; the modules testinfra has no implementation of for the host's kind
    (on macOS: no launchd support) skip."""

    backend: GuardedBackend

    def __getattr__(self, name: str):
        __tracebackhide__ = True
        kind = self.backend.kind
        if name in kind.testinfra_lacks:
            pytest.skip(f"{self.backend.hostname} is {kind.title}: host.{name}: testinfra has no {kind.services.name} "
                        f"support; use the suite's {kind.services.name} checks or host.run")
        try:
            return super().__getattr__(name)
        except NotImplementedError:
            pytest.skip(f"{self.backend.hostname} ({self.backend.os}): host.{name}: testinfra has no implementation "
                        "of it for this kind of host; use host.run")


def guarded_host(runner: Runner, os: str = "linux", **options) -> GuardedHost:
    """A testinfra Host whose commands all go through `runner`."""
    backend = GuardedBackend(runner, os, **options)
    host = GuardedHost(backend)
    backend.set_host(host)
    return host


def make_host(session, host_id: str) -> GuardedHost:
    """The testinfra Host of an inventory host, on the SAME Runner as the suite's facts for it (same transport,
    SSH connection, host keys and deadlines; its records in the run's evidence). The facts are sent first: they
    come before any check, in the round trips the README states."""
    runner = session.runners.get(host_id)
    if runner is None:
        try:
            session.facts(host_id)  # makes the host's one Runner and sends the facts' round trips
        except Exception:  # the facts' own failure is their checks' to report (as an error); the Runner stands
            if host_id not in session.runners:
                raise
        runner = session.runners[host_id]
    facts = session.gathered(host_id)
    platform = facts.platform() if facts is not None else {}
    return guarded_host(runner, session.inventory.host(host_id).os, redactor=session.redactor, platform=platform)
