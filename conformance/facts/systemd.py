"""systemd units: the `systemctl show` command for many units at once, and its parser."""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

PROPERTIES = (
    "Id", "LoadState", "ActiveState", "SubState", "UnitFileState", "FragmentPath", "DropInPaths",
    "ExecStart", "Restart", "RestartUSec", "EnvironmentFiles", "Environment", "StandardInput", "StandardOutput",
    "StandardError", "InvocationID", "NRestarts", "User", "ExecMainStatus",
)


def show_command(units: list[str], scope: str = "system", machine_user: str | None = None) -> list[str]:
    """`systemctl show` for every unit of one scope in one command.

    For a user scope read by root, `machine_user` reaches that user's manager (`-M user@`).
    """
    argv = ["systemctl"]
    if scope == "user":
        argv.append("--user")
        if machine_user:
            argv += ["-M", f"{machine_user}@"]
    return argv + ["show", "--no-pager", "-p", ",".join(PROPERTIES), "--", *units]


@dataclass(frozen=True)
class ExecCommand:
    path: str
    argv: tuple[str, ...]

    @property
    def line(self) -> str:
        return " ".join(self.argv)


@dataclass
class UnitProperties:
    """The properties of one unit as `systemctl show` printed them."""

    values: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        vals = self.values.get(name)
        return vals[-1] if vals else default

    @property
    def loaded(self) -> bool:
        return self.get("LoadState") == "loaded"

    @property
    def exec_start(self) -> list[ExecCommand]:
        return [c for v in self.values.get("ExecStart", []) for c in parse_exec(v)]

    @property
    def restart_sec(self) -> float | None:
        return parse_timespan(self.get("RestartUSec"))

    @property
    def environment_files(self) -> list[str]:
        return [parse_environment_file(v) for v in self.values.get("EnvironmentFiles", []) if v]

    @property
    def optional_environment_files(self) -> list[str]:
        """The env files written `EnvironmentFile=-PATH`: systemd shows them `(ignore_errors=yes)`."""
        return [parse_environment_file(v) for v in self.values.get("EnvironmentFiles", [])
                if v and v.rstrip().endswith("(ignore_errors=yes)")]

    @property
    def environment(self) -> dict[str, str]:
        env: dict[str, str] = {}
        for v in self.values.get("Environment", []):
            env.update(parse_environment(v))
        return env

    @property
    def drop_ins(self) -> list[str]:
        return self.get("DropInPaths").split()

    def secret_values(self, is_secret) -> list[str]:
        """Values a redactor must learn: secret-named Environment= entries, secret-named flags' values."""
        found = [v for k, v in self.environment.items() if is_secret(k)]
        for command in self.exec_start:
            args = command.argv
            for i, arg in enumerate(args):
                name, eq, value = arg.partition("=")
                if arg.startswith("--") and is_secret(name.lstrip("-")):
                    found += [value] if eq else list(args[i + 1:i + 2])
        return [v for v in found if v]


def show_blocks(text: str) -> list[UnitProperties]:
    """`systemctl show` of several units: one UnitProperties per block (blocks are separated by blank lines)."""
    blocks: list[UnitProperties] = []
    current: UnitProperties | None = None
    for line in text.splitlines():
        if not line.strip():
            current = None
            continue
        if current is None:
            current = UnitProperties()
            blocks.append(current)
        key, sep, value = line.partition("=")
        if sep:
            current.values.setdefault(key, []).append(value)
    return blocks


def parse_show(text: str, units: list[str]) -> dict[str, UnitProperties]:
    """Split `systemctl show u1 u2 ...` output into per-unit properties.

    Blocks come in the order the units were asked for; each block is keyed by the unit asked for
    (Id may name the canonical unit of an alias).
    """
    return dict(zip(units, show_blocks(text)))


JOURNAL_TARGETS = {"journal": "journal", "journal+console": "journal"}
_STDIN_OUTPUTS = {"tty", "tty-force", "tty-fail", "socket"}  # inputs an inherited output goes to as well


def log_streams(props: UnitProperties) -> tuple[str, str]:
    """Where stdout and stderr really go, `inherit` resolved as systemd resolves it.

    StandardOutput=inherit takes StandardInput's target (null by default: output discarded);
    StandardError=inherit takes StandardOutput's. journal+console counts as journal.
    """
    stdin = props.get("StandardInput") or "null"
    stdout = props.get("StandardOutput") or "journal"
    if stdout == "inherit":
        stdout = stdin if stdin in _STDIN_OUTPUTS else f"{stdin} (inherit from StandardInput={stdin})"
    stderr = props.get("StandardError") or "inherit"
    if stderr == "inherit":
        stderr = stdout
    return JOURNAL_TARGETS.get(stdout, stdout), JOURNAL_TARGETS.get(stderr, stderr)


_EXEC = re.compile(r"\{ path=(?P<path>[^;]*?) ; argv\[\]=(?P<argv>.*?) ; ignore_errors=")


def parse_exec(value: str) -> list[ExecCommand]:
    """ExecStart={ path=/usr/bin/x ; argv[]=/usr/bin/x a b ; ignore_errors=no ; ... } (one or more)."""
    return [ExecCommand(m["path"].strip(), tuple(m["argv"].split(" "))) for m in _EXEC.finditer(value)]


_SPAN_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def parse_timespan(value: str) -> float | None:
    """systemd's human timespans ('2s', '100ms', '1min 30s', '0') or raw microseconds, in seconds."""
    value = value.strip()
    if not value or value == "infinity":
        return None
    if value.isdigit():  # RestartUSec as a plain number is microseconds
        return int(value) / 1e6
    total = 0.0
    for number, unit in re.findall(r"([\d.]+)\s*([a-z]+)", value):
        if unit not in _SPAN_UNITS:
            return None
        total += float(number) * _SPAN_UNITS[unit]
    return round(total, 6)


def parse_environment_file(value: str) -> str:
    """EnvironmentFiles=/etc/x/env (ignore_errors=no) -> /etc/x/env"""
    return re.sub(r"\s*\(ignore_errors=\w+\)\s*$", "", value).strip()


def parse_environment(value: str) -> dict[str, str]:
    """Environment=A=1 "B=two words" -> {'A': '1', 'B': 'two words'}"""
    env = {}
    try:
        words = shlex.split(value)
    except ValueError:
        words = value.split()
    for word in words:
        key, sep, val = word.partition("=")
        if sep:
            env[key] = val
    return env
