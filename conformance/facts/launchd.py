"""launchd jobs (macOS): `launchctl print system/<label>` and the job's plist, read on the controller.

Where the formats come from (the fixtures in selftest/fixtures/darwin/ are these captures):

- `launchctl print`: real captures of the system domain (macOS 15 and 26) and of the gui domain
  (macOS 26 and 27), named in selftest/fixtures/darwin/README.md: a `<domain>/<label> = {` line, then
  `key = value` lines indented by ONE tab, and blocks (`arguments = {`, `environment = {`, coalitions,
  event triggers) whose lines are indented deeper. launchd prints exactly one last-exit line:
  `last exit code = ...`, `last terminating signal = ...` or `last exit reason = OS_REASON_...` (a job
  that could not run: exec or code-signing failure, no exit code). launchctl(1) says of this output
  "This output is NOT API in any sense at all", so the parser reads only the few top-level lines the
  suite needs and fails loudly (LaunchctlError) on anything it cannot read as a job or as "not loaded".
- Not loaded: exit status 113 with `Bad request.` and `Could not find service "<label>" in domain for
  system` on stderr (a capture of macOS 26.6.2; the status: DeterminateSystems/nix-installer #960).
- The plist: launchd.plist(5); read with plistlib, which takes XML and binary plists alike, after
  `base64 -i` carried the bytes over SSH (no Python needed on the Mac).
"""
from __future__ import annotations

import base64
import binascii
import plistlib
import posixpath
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from ..redaction import is_secret_name

NOT_FOUND_STATUS = 113  # launchctl's exit status for a service the domain does not hold
_SECRET_BLOCKS = ("environment", "inherited environment")  # their values are the job's environment


class LaunchctlError(ValueError):
    """launchctl answered something that is neither a job nor "not loaded"; the message says what."""


class PlistError(ValueError):
    """The bytes are not a launchd property list this parser can read; the message says why."""


class Base64OutputError(ValueError):
    """What `base64 -i` printed does not decode."""


def print_command(label: str, domain: str = "system") -> list[str]:
    """`launchctl print system/<label>`: anyone may read the system domain (launchctl(1)), no root needed.

    `domain` may also be `gui/<uid>` (a user's agents; absent over SSH without a GUI login).
    """
    return ["launchctl", "print", f"{domain}/{label}"]


# --- launchctl print ------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoadedJob:
    """A loaded launchd job as `launchctl print` showed it (top-level lines only)."""

    service: str  # the first line's target, e.g. "system/com.bebop.mlx-launch"
    state: str | None  # "running", "not running", "spawn scheduled", ...
    pid: int | None  # only while running
    runs: int | None
    last_exit_code: int | None  # None for "(never exited)" or when launchd printed none
    last_exit_text: str | None  # as printed: "(never exited)", "78: EX_CONFIG", "0"
    program: str | None
    arguments: tuple[str, ...]
    path: str | None  # the plist it was loaded from
    type: str | None  # "LaunchDaemon", "LaunchAgent"
    properties: tuple[str, ...]  # "keepalive | runatload | ..." split
    environment_keys: tuple[str, ...]  # names only; values never leave this object but by secret_values()
    inherited_environment_keys: tuple[str, ...] = ()
    stdout_path: str | None = None
    stderr_path: str | None = None
    username: str | None = None  # printed when the plist sets UserName
    job_state: str | None = None  # "running", "exited", "spawn failed", "uninitialized" (managed jobs only)
    last_terminating_signal: str | None = None  # e.g. "Killed: 9" (printed instead of a last exit code)
    last_exit_reason: str | None = None  # e.g. "OS_REASON_CODESIGNING" (printed instead of a last exit code)
    # (name, value) of both environment blocks: kept out of repr and comparisons, so no message shows them
    environment_values: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)

    @property
    def running(self) -> bool:
        return self.state == "running" and self.pid is not None

    @property
    def last_exit(self) -> str:
        """The one last-exit line launchd printed, in words (it prints exactly one of the three kinds)."""
        if self.last_exit_reason:
            return f"last exit reason {self.last_exit_reason}"
        if self.last_terminating_signal:
            return f"last terminating signal {self.last_terminating_signal}"
        if self.last_exit_text:
            return f"last exit code {self.last_exit_text}"
        return "no last exit line"

    @property
    def exited_cleanly(self) -> bool:
        """Its last run ended with status 0, or it never ran: no signal, no exit reason (exec, code signing,
        jetsam...), no other marker such as `(abandoned)`."""
        if self.last_exit_reason or self.last_terminating_signal:
            return False
        return self.last_exit_text == "(never exited)" or (self.last_exit_code == 0 and self.last_exit_text == "0")

    def describe(self) -> str:
        """What a finding shows of it: `state spawn scheduled, runs 153, last exit reason OS_REASON_CODESIGNING`."""
        return f"state {self.state or '(none)'}, runs {self.runs}, {self.last_exit}"

    def secret_values(self, is_secret: Callable[[str], bool] = is_secret_name) -> list[str]:
        """Values of secret-named variables of the environment blocks, for the redactor to learn.

        Only secret-NAMED ones: the redactor replaces a learned value of 8+ characters everywhere,
        and XPC_SERVICE_NAME's value is the job's label, PATH's a list of directories the report
        must still show. The evidence masks every environment value anyway (mask_environment).
        """
        return [value for name, value in self.environment_values if value and is_secret(name)]


@dataclass(frozen=True)
class _Line:
    text: str  # without its line break
    start: int  # offset of text in the whole output
    depth: int  # leading tabs


@dataclass(frozen=True)
class _Block:
    name: str
    lines: tuple[_Line, ...]  # the lines between `\t<name> = {` and its `\t}`


def _lines(text: str) -> list[_Line]:
    lines, offset = [], 0
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        lines.append(_Line(line, offset, len(line) - len(line.lstrip("\t"))))
        offset += len(raw) + 1
    return lines


def _top_level(text: str) -> tuple[dict[str, str], list[_Block]]:
    """Scalars and blocks of the job's top level: lines with exactly one leading tab.

    Nested blocks repeat top-level keys (every coalition says `state = active` and
    `active count = 1`; an `endpoints` block may say `last exit code = 0`), so a line
    counts only at depth 1, and a block runs until the `\t}` that closes it.
    """
    scalars: dict[str, str] = {}
    blocks: list[_Block] = []
    open_block: tuple[str, list[_Line]] | None = None
    for line in _lines(text):
        if open_block is not None:
            if line.depth == 1 and line.text.strip() == "}":
                blocks.append(_Block(open_block[0], tuple(open_block[1])))
                open_block = None
            else:
                open_block[1].append(line)
            continue
        if line.depth != 1:
            continue
        key, sep, value = line.text[1:].partition(" = ")
        if not sep:
            continue
        if value == "{":
            open_block = (key, [])
        else:
            scalars.setdefault(key, value)
    if open_block is not None:  # output cut short inside a block: its lines still count (and get masked)
        blocks.append(_Block(open_block[0], tuple(open_block[1])))
    return scalars, blocks


_ENV_ENTRY = re.compile(r"(?P<name>[^\t].*?) =>(?: (?P<value>.*))?")


def _environment_entries(block: _Block) -> list[tuple[str | None, str, tuple[int, int]]]:
    """(name, value, span of the value) per line of an environment block.

    A line that is not `NAME => value` (the rest of a value holding a line break) has no name,
    and all of it after its indentation is value.
    """
    entries = []
    for line in block.lines:
        body, end = line.text[line.depth:], line.start + len(line.text)
        m = _ENV_ENTRY.fullmatch(body) if line.depth == 2 else None
        if m and m["value"] is not None:
            entries.append((m["name"], m["value"], (line.start + line.depth + m.start("value"), end)))
        elif m:  # `NAME =>`: an empty value
            entries.append((m["name"], "", (end, end)))
        elif body:
            entries.append((None, body, (line.start + line.depth, end)))
    return entries


def _environment(block: _Block | None) -> list[tuple[str, str]]:
    """(name, value) of an environment block; a value's continuation lines joined back to it."""
    variables: list[tuple[str, str]] = []
    for name, value, _ in _environment_entries(block) if block else []:
        if name is None and variables:
            variables[-1] = (variables[-1][0], f"{variables[-1][1]}\n{value}")
        elif name is not None:
            variables.append((name, value))
    return variables


def mask_environment(stdout: str) -> list[tuple[int, int]]:
    """Character spans of every value in the `environment` and `inherited environment` blocks.

    launchctl prints the job's environment values in clear; give these spans to
    conformance.redaction.mask_spans before the output is stored as evidence.
    """
    _, blocks = _top_level(stdout)
    secret_blocks = [block for block in blocks if block.name in _SECRET_BLOCKS]
    return [span for block in secret_blocks for _, _, span in _environment_entries(block)]


def _int(value: str | None) -> int | None:
    m = re.match(r"-?\d+", value or "")
    return int(m.group()) if m else None


_HEADER = re.compile(r"(?P<service>\S+) = \{")


def parse_print(stdout: str, stderr: str, exit_status: int) -> LoadedJob | None:
    """The job, or None when launchd does not have it loaded (exit 113, "Could not find service").

    Anything else that is not a job (another failure, a domain that does not exist, output
    without the `<domain>/<label> = {` first line) raises LaunchctlError: never "not loaded".
    """
    if "Could not find domain" in stderr:  # gui/<uid> over SSH without a GUI login: not an answer about the job
        raise LaunchctlError(f"launchctl print: the domain does not exist ({_first_line(stderr)})")
    if exit_status == NOT_FOUND_STATUS or "Could not find service" in stderr:
        return None
    if exit_status != 0:
        reason = _first_line(stderr) or "no message"
        raise LaunchctlError(f"launchctl print failed with exit status {exit_status}: {reason}")
    first = next((line for line in stdout.splitlines() if line.strip()), "")
    header = _HEADER.fullmatch(first.strip())
    if not header:
        raise LaunchctlError(f"launchctl print printed no job: expected `<domain>/<label> = {{`, found {first[:80]!r}")
    scalars, blocks = _top_level(stdout)
    by_name = {block.name: block for block in blocks}
    arguments = tuple(line.text[2:] for line in by_name["arguments"].lines) if "arguments" in by_name else ()
    environment = _environment(by_name.get("environment"))
    inherited = _environment(by_name.get("inherited environment"))
    last_exit = scalars.get("last exit code")
    properties = scalars.get("properties")
    return LoadedJob(
        service=header["service"],
        state=scalars.get("state"),
        pid=_int(scalars.get("pid")),
        runs=_int(scalars.get("runs")),
        last_exit_code=_int(last_exit),
        last_exit_text=last_exit,
        program=scalars.get("program"),
        arguments=arguments,
        path=scalars.get("path"),
        type=scalars.get("type"),
        properties=tuple(p.strip() for p in properties.split("|")) if properties else (),
        environment_keys=tuple(name for name, _ in environment),
        inherited_environment_keys=tuple(name for name, _ in inherited),
        stdout_path=scalars.get("stdout path"),
        stderr_path=scalars.get("stderr path"),
        username=scalars.get("username"),
        job_state=scalars.get("job state"),
        last_terminating_signal=scalars.get("last terminating signal"),
        last_exit_reason=scalars.get("last exit reason"),
        environment_values=tuple(environment + inherited),
    )


def _first_line(text: str) -> str:
    """The line that says what went wrong: launchctl puts "Bad request." before it."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and line.strip() != "Bad request."]
    return lines[0] if lines else ""


# --- launchctl print-disabled ---------------------------------------------------------------------

PRINT_DISABLED_COMMAND = ["launchctl", "print-disabled", "system"]
_DISABLED_VALUES = {"disabled": True, "enabled": False, "true": True, "false": False}
_DISABLED_ENTRY = re.compile(r'"(?P<label>[^"]+)" => (?P<value>\S+)')


def parse_print_disabled(stdout: str, stderr: str = "", exit_status: int = 0) -> dict[str, bool]:
    """label -> disabled, from `launchctl print-disabled system` (launchd's database of overrides, which
    `launchctl disable|enable` writes).

    Two real forms (selftest/fixtures/darwin/print-disabled/): since macOS 13, a `disabled services = {` block
    indented by one tab whose lines are `"<label>" => disabled|enabled`; before it, nothing indented and
    `=> true|false` (usnistgov/macos_security #167: Ventura changed `=> true` to `=> disabled`). Only that block
    is read: a user domain prints a `login item associations` block after it whose values are quoted strings,
    never a state. A label absent from the database has no override: enabled (launchd's default). Anything that is
    not this output (a failure, no block, a value of neither form) raises LaunchctlError, never "none disabled".
    """
    if exit_status != 0:
        raise LaunchctlError(f"launchctl print-disabled failed with exit status {exit_status}: "
                             f"{_first_line(stderr) or 'no message'}")
    entries: dict[str, bool] = {}
    inside = seen = False
    for line in stdout.splitlines():
        text = line.strip()
        if not inside:
            if text == "disabled services = {":
                inside = seen = True
            continue
        if text == "}":
            inside = False
            continue
        m = _DISABLED_ENTRY.fullmatch(text)
        if not m or m["value"] not in _DISABLED_VALUES:
            raise LaunchctlError(f"launchctl print-disabled: a line that is not `\"<label>\" => disabled|enabled` "
                                 f"(or true|false): {text[:80]!r}")
        entries[m["label"]] = _DISABLED_VALUES[m["value"]]
    if not seen:
        raise LaunchctlError("launchctl print-disabled printed no `disabled services = {` block: "
                             f"{(stdout.strip().splitlines() or [''])[0][:80]!r}")
    if inside:
        raise LaunchctlError("launchctl print-disabled: the `disabled services` block is cut short (no closing `}`)")
    return entries


# --- the plist ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlistFacts:
    """The keys of a launchd plist the suite checks (launchd.plist(5)); None where the plist has none."""

    label: str | None
    program: str | None
    program_arguments: tuple[str, ...]
    run_at_load: bool | None
    keep_alive: bool | dict | None  # true/false, or the dictionary of conditions as written
    standard_out_path: str | None
    standard_error_path: str | None
    user_name: str | None
    working_directory: str | None
    environment_keys: tuple[str, ...] = ()  # EnvironmentVariables names; values only by secret_values()
    environment_values: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)

    def secret_values(self, is_secret: Callable[[str], bool] = is_secret_name) -> list[str]:
        """Values of secret-named EnvironmentVariables, for the redactor to learn (see LoadedJob)."""
        return [value for name, value in self.environment_values if value and is_secret(name)]


_STRING_KEYS = {"Label": "label", "Program": "program", "StandardOutPath": "standard_out_path",
                "StandardErrorPath": "standard_error_path", "UserName": "user_name",
                "WorkingDirectory": "working_directory"}


def parse_plist(data: bytes) -> PlistFacts:
    """A launchd plist, XML or binary (plistlib tells them apart by the `bplist00` magic).

    Raises PlistError for bytes that are not a plist, a top level that is not a dictionary,
    or a key launchd would refuse for its type (a string where an array belongs, ...).
    """
    try:
        plist = plistlib.loads(data)
    except Exception as e:  # plistlib raises assorted errors on bad bytes: InvalidFileException, ExpatError, ...
        kind = "binary" if data.startswith(b"bplist") else "XML"
        raise PlistError(f"not a readable property list (read as {kind}): {type(e).__name__}: {e}") from None
    if not isinstance(plist, dict):
        raise PlistError(f"the property list holds {_kind(plist)}, not the dictionary launchd expects")
    strings = {name: _typed(plist, key, str, "a string") for key, name in _STRING_KEYS.items()}
    arguments = _typed(plist, "ProgramArguments", list, "an array of strings") or []
    if not all(isinstance(a, str) for a in arguments):
        raise PlistError("ProgramArguments: expected an array of strings, found an element that is not a string")
    keep_alive = plist.get("KeepAlive")
    if keep_alive is not None and not isinstance(keep_alive, (bool, dict)):
        raise PlistError(f"KeepAlive: expected a boolean or a dictionary, found {_kind(keep_alive)}")
    environment = _typed(plist, "EnvironmentVariables", dict, "a dictionary of strings") or {}
    if not all(isinstance(v, str) for v in environment.values()):  # the message never shows a value: they are secrets
        raise PlistError("EnvironmentVariables: expected a dictionary of strings, found a value that is not a string")
    return PlistFacts(
        program_arguments=tuple(arguments),
        run_at_load=_typed(plist, "RunAtLoad", bool, "a boolean"),
        keep_alive=dict(keep_alive) if isinstance(keep_alive, dict) else keep_alive,
        environment_keys=tuple(environment),
        environment_values=tuple(environment.items()),
        **strings,
    )


def _typed(plist: dict, key: str, kind: type, described: str):
    value = plist.get(key)
    if value is not None and not isinstance(value, kind):
        raise PlistError(f"{key}: expected {described}, found {_kind(value)}")
    return value


def _kind(value: object) -> str:
    kinds = {bool: "a boolean", int: "an integer", float: "a real", str: "a string", bytes: "data",
             list: "an array", dict: "a dictionary"}
    return kinds.get(type(value), f"a {type(value).__name__}")


def decode_base64_output(text: str) -> bytes:
    """The bytes `base64 -i <file>` printed, whatever its line breaks (macOS releases wrap differently)."""
    compact = "".join(text.split())
    try:
        data = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as e:  # ValueError: a non-ASCII character
        raise Base64OutputError(f"not base64 output ({e}): {text[:40]!r}") from None
    if base64.b64encode(data).decode() != compact:  # b64decode lets stray padding through; base64 never prints it
        raise Base64OutputError(f"not base64 output (not what base64 prints for any bytes): {text[:40]!r}")
    return data


# --- what launchd will do -------------------------------------------------------------------------

def restart_behaviour(plist: PlistFacts) -> str:
    """What launchd does with the job at load and when it exits, in words (launchd.plist(5)).

    "The use of [KeepAlive] implicitly implies RunAtLoad", and SuccessfulExit says so again;
    several KeepAlive conditions are ORed.
    """
    keep_alive = plist.keep_alive
    implied = keep_alive is True or (isinstance(keep_alive, dict) and bool(keep_alive))
    if plist.run_at_load:
        start = "started at load"
    elif implied:
        start = "started at load (KeepAlive implies RunAtLoad)"
    else:
        start = "not started at load (only on demand)"
    return f"{start}; {_restart(keep_alive)}"


# the order conditions are told in, whatever order the plist has them in (binary plists sort their keys)
_KEEPALIVE_ORDER = ("SuccessfulExit", "Crashed", "NetworkState", "PathState", "OtherJobEnabled")


def _restart(keep_alive: bool | dict | None) -> str:
    if keep_alive is None:
        return "not restarted (no KeepAlive)"
    if keep_alive is True:
        return "restarted whenever it exits (KeepAlive=true)"
    if keep_alive is False:
        return "not restarted (KeepAlive=false)"
    if not keep_alive:
        return "not restarted (KeepAlive is an empty dictionary)"
    exits, conditions = [], []
    told_order = {key: i for i, key in enumerate(_KEEPALIVE_ORDER)}
    for key in sorted(keep_alive, key=lambda k: (told_order.get(k, len(told_order)), k)):
        value = keep_alive[key]
        if key == "SuccessfulExit" and isinstance(value, bool):
            exits.append("restarted when it exits with status 0 (KeepAlive.SuccessfulExit=true)" if value
                         else "restarted when it exits non-zero (KeepAlive.SuccessfulExit=false)")
        elif key == "Crashed" and isinstance(value, bool):
            exits.append("restarted when it crashes, i.e. is killed by a signal like SIGSEGV (KeepAlive.Crashed=true)"
                         if value else "restarted when it exits without crashing (KeepAlive.Crashed=false)")
        elif key == "NetworkState" and isinstance(value, bool):
            # launchd.plist(5) of recent macOS: "This key is no longer implemented"
            conditions.append(f"while the network is {'up' if value else 'down'} "
                              f"(NetworkState={str(value).lower()}, which launchd no longer implements)")
        elif key == "PathState" and isinstance(value, dict):
            conditions += [f"while {path} {'exists' if wanted else 'does not exist'} (PathState)"
                           for path, wanted in value.items()]
        elif key == "OtherJobEnabled" and isinstance(value, dict):
            conditions += [f"while job {label} is {'enabled' if wanted else 'not enabled'} (OtherJobEnabled)"
                           for label, wanted in value.items()]
        else:
            conditions.append(f"KeepAlive.{key} (a form this suite does not interpret)")
    if conditions:
        exits.append(f"restarted on conditions: {' or '.join(conditions)}")
    return " or ".join(exits)


# --- what the job runs ----------------------------------------------------------------------------

@dataclass(frozen=True)
class JobProgram:
    """The file a job really runs, read from its plist: the program, or the script an interpreter runs."""

    path: str | None  # absolute and normalised (`..` resolved); None when the plist names no program
    described: str  # for a finding: "program /x", "script /y (run by /bin/bash)", ...


SHELLS = {"sh", "bash", "zsh", "dash", "ksh"}
_SHELL_OPTIONS = re.compile(r"-[abefhklmnpuvxBCEHP]*c?|--login|--noprofile|--norc|--posix")  # none takes an argument
_PYTHON = re.compile(r"python(3(\.\d+)?)?")
_PYTHON_OPTIONS = re.compile(r"-[bBdEiIOqsSuvx]+")  # none takes an argument
_SHELL_SYNTAX = re.compile(r"[;&|<>()`$\n*?\[\]{}~#]")  # a -c string with any of these is more than one simple command


def job_program(plist: PlistFacts) -> JobProgram:
    """What the job runs (launchd.plist(5): `Program`, else `ProgramArguments[0]`, gets `ProgramArguments`
    as its argv), seen through the interpreter forms this suite reads:

    - a shell (`sh`, `bash`, `zsh`, `dash`, `ksh`, wherever it lives) with options that take no argument,
      then a script: `/bin/bash /opt/mlx-launch/bin/x.sh` runs that script;
    - a shell's `-c` with ONE simple command (no `;`, `&&`, pipes, redirections, `$`, quoting tricks
      aside from plain quotes), `exec` allowed first: `/bin/zsh -c 'exec /opt/mlx-launch/bin/x.sh --port 8100'`
      runs `/opt/mlx-launch/bin/x.sh`;
    - `env` with `NAME=value` words first, then an interpreter by name: `/usr/bin/env python3 /opt/x.py`;
    - Python (`python`, `python3`, `python3.N`) with options that take no argument, then a script, or
      `-m module`: a module is found first in the working directory, so it is judged as
      `<WorkingDirectory>/<module as a path>` (without a WorkingDirectory, by the interpreter, whose own
      environment then holds it). Where Python really finds the module is not visible from the plist.

    A relative script is resolved against `WorkingDirectory` (launchd starts the job there, else in `/`).
    Any other form (an interpreter's option this list does not know, `python -c`, a `-c` string with
    shell syntax, `env -S`, a name `env` looks up that is not an interpreter) is judged as written: the
    program itself, and the description says that its form was not read through.
    """
    arguments = list(plist.program_arguments)
    executable = plist.program or (arguments[0] if arguments else None)
    if executable is None:
        return JobProgram(None, "no Program and no ProgramArguments")
    return _seen_through(executable, arguments[1:], plist.working_directory, depth=0)


def _seen_through(executable: str, args: list[str], cwd: str | None, depth: int) -> JobProgram:
    name = executable.rsplit("/", 1)[-1]
    as_written = JobProgram(_absolute(executable, cwd), f"program {executable}")
    if depth > 2 or not args:
        return as_written
    not_read = JobProgram(as_written.path, f"program {executable} (a form of {name} this suite does not read through: "
                                           f"judged as written)")
    if name == "env":
        rest = list(args)
        while rest and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", rest[0]):
            rest.pop(0)
        if not rest or not _interpreter(rest[0]):  # an option, a path, or a name only PATH knows
            return not_read
        inner = _seen_through(rest[0], rest[1:], cwd, depth + 1)
        return not_read if inner.described.startswith("program ") else _via(inner, executable)
    if name in SHELLS:
        i = 0
        while i < len(args) and args[i].startswith("-"):
            if not _SHELL_OPTIONS.fullmatch(args[i]):
                return not_read
            if args[i] != "--" and args[i].endswith("c") and not args[i].startswith("--"):
                return _shell_command(executable, args[i + 1:], cwd, depth) or not_read
            i += 1
        if i < len(args):
            return JobProgram(_absolute(args[i], cwd), f"script {args[i]} (run by {executable})")
        return not_read
    if _PYTHON.fullmatch(name):
        i = 0
        while i < len(args) and _PYTHON_OPTIONS.fullmatch(args[i]):
            i += 1
        if i < len(args) and args[i] == "-m" and i + 1 < len(args):
            module = args[i + 1]
            if cwd:
                return JobProgram(_absolute(module.replace(".", "/"), cwd),
                                  f"module {module} (run by {executable} -m, found first in WorkingDirectory {cwd})")
            return JobProgram(as_written.path, f"module {module} (run by {executable} -m, no WorkingDirectory: "
                                               f"from the interpreter's own environment)")
        if i < len(args) and not args[i].startswith("-"):
            return JobProgram(_absolute(args[i], cwd), f"script {args[i]} (run by {executable})")
        return not_read
    return as_written


def _shell_command(shell: str, rest: list[str], cwd: str | None, depth: int) -> JobProgram | None:
    """`sh -c 'one simple command'`: the program of that command, or None when it is more than that."""
    if not rest or _SHELL_SYNTAX.search(rest[0]):
        return None
    try:
        words = shlex.split(rest[0])
    except ValueError:
        return None
    if words[:1] == ["exec"]:
        words = words[1:]
    if not words or "=" in words[0]:
        return None
    if "/" not in words[0]:  # found through PATH: only an interpreter by name is read through
        if not _interpreter(words[0]):
            return None
        inner = _seen_through(words[0], words[1:], cwd, depth + 1)
        return None if inner.described.startswith("program ") else _via(inner, f"{shell} -c")
    return _via(_seen_through(words[0], words[1:], cwd, depth + 1), f"{shell} -c")


def _interpreter(name: str) -> bool:
    """A bare name this suite reads through (a path is not a name)."""
    return "/" not in name and (name in SHELLS or bool(_PYTHON.fullmatch(name)))


def _via(found: JobProgram, how: str) -> JobProgram:
    return JobProgram(found.path, f"{found.described}, through {how}")


def _absolute(path: str, cwd: str | None) -> str:
    return posixpath.normpath(posixpath.join(cwd or "/", path))
