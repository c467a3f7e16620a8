"""The read-only allowlist: the only commands the suite may run on any host.

Each program has a rule that inspects its whole argv. Anything not explicitly read-only
is refused before it reaches a host (systemctl restart, ss -K which kills sockets,
journalctl --vacuum-size, plutil -convert which writes, ...).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence


class ReadOnlyViolation(Exception):
    """A command outside the read-only allowlist was asked for; it was not run."""


def _options(argv: Sequence[str], allowed: set[str], takes_value: set[str] = frozenset()) -> list[str]:
    """Check every option against `allowed`; return the positional arguments."""
    positional, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            positional.extend(argv[i + 1:])
            break
        if arg.startswith("-") and arg != "-":
            name = arg.split("=", 1)[0]
            if name not in allowed:
                raise ReadOnlyViolation(f"option {name} is not on the read-only allowlist")
            if name in takes_value and "=" not in arg:
                i += 1
        else:
            positional.append(arg)
        i += 1
    return positional


def _systemctl(args: Sequence[str]) -> None:
    pos = _options(args, {"--user", "-M", "--machine", "-p", "--property", "--no-pager", "--all", "--failed",
                          "--plain", "--no-legend", "--value", "--state", "--type", "-t", "--full"},
                   takes_value={"-M", "--machine", "-p", "--property", "--state", "--type", "-t"})
    verbs = {"show", "cat", "is-enabled", "is-active", "is-failed", "list-units", "list-unit-files",
             "is-system-running", "status", "get-default"}
    if pos and pos[0] not in verbs:
        raise ReadOnlyViolation(f"systemctl {pos[0]} changes state (read-only verbs: {', '.join(sorted(verbs))})")


def _journalctl(args: Sequence[str]) -> None:
    _options(args, {"-u", "--unit", "--user-unit", "--user", "-o", "--output", "-n", "--lines", "--no-pager",
                    "-q", "--quiet", "--since", "--until", "-b", "--boot", "--no-hostname", "-M", "--machine",
                    "--invocation", "-r", "--reverse", "--utc"},
             takes_value={"-u", "--unit", "--user-unit", "-o", "--output", "-n", "--lines", "--since", "--until",
                          "-M", "--machine", "--invocation"})


def _plain(allowed: set[str], takes_value: set[str] = frozenset()) -> Callable[[Sequence[str]], None]:
    def rule(args: Sequence[str]) -> None:
        _options(args, allowed, takes_value)
    return rule


def _ss(args: Sequence[str]) -> None:
    for arg in args:
        if arg.startswith("-") and not arg.startswith("--") and set(arg[1:]) - set("ltunHwx46"):
            raise ReadOnlyViolation(f"ss {arg}: only listing options -l -t -u -n -H (not -K, which kills sockets)")
        if arg.startswith("--"):
            raise ReadOnlyViolation(f"ss {arg}: long options are not on the allowlist")


def _verb(program: str, verbs: set[str]) -> Callable[[Sequence[str]], None]:
    def rule(args: Sequence[str]) -> None:
        if not args or args[0] not in verbs:
            raise ReadOnlyViolation(f"{program} {args[0] if args else ''}: allowed are {', '.join(sorted(verbs))}")
    return rule


RULES: dict[str, Callable[[Sequence[str]], None]] = {
    "systemctl": _systemctl,
    "journalctl": _journalctl,
    "ss": _ss,
    "stat": _plain({"-c", "--format", "-L"}, {"-c", "--format"}),
    "cat": _plain(set()),
    "readlink": _plain({"-n"}),
    "sha256sum": _plain(set()),
    "shasum": _plain({"-a"}, {"-a"}),
    "id": _plain({"-u", "-n", "-G", "-un", "-Gn"}),
    "uname": _plain({"-s", "-r", "-m", "-a"}),
    "loginctl": _verb("loginctl", {"show-user", "list-users", "user-status"}),
    "launchctl": _verb("launchctl", {"print", "list", "print-disabled"}),
    "plutil": _plain({"-p", "-lint"}),
    "lsof": _plain({"-nP", "-n", "-P", "-iTCP", "-sTCP:LISTEN", "-Fpcn"}),
    "netstat": _plain({"-an", "-a", "-n", "-p", "-ltn"}, {"-p"}),
    "sw_vers": _plain(set()),
}


def check_read_only(argv: Sequence[str]) -> None:
    """Raise ReadOnlyViolation unless argv is a read-only command on the allowlist."""
    if not argv:
        raise ReadOnlyViolation("empty command")
    for arg in argv:
        if "\n" in arg or "\0" in arg:
            raise ReadOnlyViolation(f"argument with a newline or NUL is refused: {arg!r}")
    program = argv[0]
    rule = RULES.get(program)
    if rule is None:
        raise ReadOnlyViolation(f"{program!r} is not on the read-only allowlist ({', '.join(sorted(RULES))})")
    rule(list(argv[1:]))
