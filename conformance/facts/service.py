"""Services, in one shape for every service manager: systemd's units (Linux) and launchd's jobs (macOS).

Like InSpec's `service` resource (each manager answers `info(name)` with the same installed, running, enabled)
and testinfra's modules/service.py (one class per manager, picked once per host): a check compares the one
ServiceState, and the manager's own detail rides along (`detail`: systemd's UnitProperties, launchd's LoadedJob)
for the checks that are the manager's own (RestartSec, drop-ins, EnvironmentFile; a job's last-exit line). Which
manager a host has is its kind's choice (facts/kinds.py). The parsers are the managers' own modules
(facts/systemd.py, facts/launchd.py), called through them, so a test that breaks one breaks every reader of it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from . import launchd, systemd
from .base import CannotVerify, Unavailable
from .journal import READER_GROUPS, journal_command
from ..redaction import is_secret_name
from ..runner import Output


@dataclass(frozen=True)
class UnitKey:
    """A service as its manager names it: the scope (system; user, of `user`) and the name (a systemd unit, a
    launchd job's label)."""

    scope: str
    user: str | None
    name: str

    def __str__(self) -> str:
        return self.name if self.scope == "system" else f"{self.name} (user {self.user})"


@dataclass(frozen=True)
class ServiceState:
    """A service as its manager shows it, in the shape every manager answers."""

    name: str
    manager: str  # systemd | launchd
    loaded: bool  # the manager has it (systemd: LoadState=loaded; launchd: the domain holds the job)
    unloaded: str = ""  # that it is not loaded, and why, in the manager's words
    enabled: str | None = None  # whether it starts at boot, as the manager says it (UnitFileState); None: not shown
    active: str | None = None  # its state word (ActiveState; launchd's `state`)
    running: bool = False  # a process of it runs now
    stopped: bool = False  # not running, and not about to be started again (not waiting to be respawned)
    last_exit: str | None = None  # how its last run ended, in the manager's words
    exited_cleanly: bool = False  # its last run ended with status 0, or it never ran
    program: str | None = None  # what it runs
    restart: str | None = None  # what the manager does when it exits
    logs: str | None = None  # where its stdout and stderr go
    environment_files: tuple[str, ...] = ()  # the env files the manager reads into its environment
    shown: str = ""  # its state in one line, for a finding
    detail: object = field(default=None, compare=False, repr=False)  # the manager's own (UnitProperties, LoadedJob)


# --- systemd -------------------------------------------------------------------------------------------------

def systemd_state(name: str, props: systemd.UnitProperties) -> ServiceState:
    stdout, stderr = systemd.log_streams(props)
    status = props.get("ExecMainStatus")
    active, sub = props.get("ActiveState") or None, props.get("SubState")
    return ServiceState(
        name, "systemd", props.loaded, unloaded=f"unit not loaded (LoadState={props.get('LoadState') or 'unknown'})",
        enabled=props.get("UnitFileState") or None, active=active, running=sub == "running",
        stopped=active in ("inactive", "failed"), last_exit=f"exit status {status}" if status else None,
        exited_cleanly=status == "0", program=" | ".join(c.line for c in props.exec_start) or None,
        restart=props.get("Restart") or None, logs=f"stdout: {stdout}, stderr: {stderr}",
        environment_files=tuple(props.environment_files), shown=f"ActiveState={active}, SubState={sub or '?'}",
        detail=props)


class Systemd:
    """systemd's units: one `systemctl show` per scope asks every unit of it; another user's units need root."""

    name = "systemd"
    source = "systemd"  # the parser its answers are read with
    disabled_command = None  # systemd keeps no separate database of disabled units: UnitFileState says it
    disabled_source = None

    def disabled(self, out: Output) -> dict[str, bool]:
        raise Unavailable("systemd keeps no database of disabled units (a unit's UnitFileState says whether it is)")

    def asks(self, keys: list[UnitKey], user: str) -> tuple[list[tuple[list[str], tuple[UnitKey, ...]]],
                                                              dict[UnitKey, CannotVerify]]:
        """The commands (each with the units it answers for) and the units this user may not read."""
        scopes: dict[tuple[str, str | None], list[UnitKey]] = {}
        for key in keys:
            scopes.setdefault((key.scope, key.user if key.scope == "user" else None), []).append(key)
        asks, refused = [], {}
        for (scope, owner), members in scopes.items():
            names = list(dict.fromkeys(k.name for k in members))
            if scope == "system":
                asks.append((systemd.show_command(names), tuple(members)))
            elif owner == user:
                asks.append((systemd.show_command(names, "user"), tuple(members)))
            elif user == "root":
                asks.append((systemd.show_command(names, "user", machine_user=owner), tuple(members)))
            else:
                why = CannotVerify(f"needs to run as root or as {owner} to read {owner}'s user units")
                refused.update((k, why) for k in members)
        return asks, refused

    def state(self, key: UnitKey, out: Output, asked: tuple[UnitKey, ...], said: Callable[[str, int], str]) -> ServiceState:
        props = systemd.parse_show(out.stdout, _names(asked)).get(key.name)
        if props is None:  # e.g. the user manager cannot be reached: a broken thing, not a privilege
            raise Unavailable(f"systemctl gave no properties for {key} (exit {out.exit_status}): "
                              f"{said(out.stderr, 300) or 'no output'}", out.command, (out.record,))
        return systemd_state(key.name, props)

    def secret_values(self, out: Output, asked: tuple[UnitKey, ...]) -> list[str]:
        """Secret-named Environment= entries and flags of every unit answered (raises when it cannot be parsed)."""
        return [v for props in systemd.parse_show(out.stdout, _names(asked)).values()
                for v in props.secret_values(is_secret_name)]

    def masks(self, out: Output) -> list[tuple[int, int]]:
        return []

    def journal(self, key: UnitKey, state: ServiceState, user: str) -> list[str]:
        """The command that reads the unit's current run from the journal (its InvocationID)."""
        invocation = state.detail.get("InvocationID")
        if not invocation:
            raise Unavailable(f"{key} has no current run to read the journal of "
                              f"(InvocationID empty; ActiveState={state.active or ''})")
        if key.scope == "user" and key.user != user:
            raise CannotVerify(f"needs to run as {key.user} to read its user journal")
        return journal_command(invocation, key.scope)

    def journal_planned(self, key: UnitKey) -> list[str]:
        return journal_command("<InvocationID from round trip 1>", key.scope)

    def sees_whole_journal(self, key: UnitKey, state: ServiceState, user: str, groups: list[str]) -> bool:
        """`journalctl -q` hides what the user may not read without a word (exit 0, no output): only root, the
        journal reader groups, or the unit's own User= see a system unit's lines."""
        if key.scope == "user" or user == "root" or set(groups) & set(READER_GROUPS):
            return True
        return state.detail.get("User") == user


def _names(asked: tuple[UnitKey, ...]) -> list[str]:
    return list(dict.fromkeys(k.name for k in asked))


# --- launchd -------------------------------------------------------------------------------------------------

NOT_LOADED = "not loaded (launchctl: Could not find service)"


def launchd_state(label: str, job: launchd.LoadedJob | None) -> ServiceState:
    if job is None:
        return ServiceState(label, "launchd", False, unloaded=NOT_LOADED, shown="not loaded")
    return ServiceState(
        label, "launchd", True, active=job.state, running=job.running, stopped=job.state == "not running",
        last_exit=job.last_exit, exited_cleanly=job.exited_cleanly,
        program=" ".join(job.arguments) or job.program, restart="KeepAlive" if "keepalive" in job.properties else None,
        logs=f"stdout: {job.stdout_path or 'none'}, stderr: {job.stderr_path or 'none'}", shown=job.describe(),
        detail=job)


class Launchd:
    """launchd's jobs of the system domain (LaunchDaemons): one `launchctl print system/<label>` each, no root."""

    name = "launchd"
    source = "launchd"
    disabled_command = launchd.PRINT_DISABLED_COMMAND  # anyone may read the system domain's database
    disabled_source = "launchd print-disabled"

    def disabled(self, out: Output) -> dict[str, bool]:
        """label -> disabled, as `launchctl print-disabled system` lists the overrides (absent: enabled)."""
        try:
            return launchd.parse_print_disabled(out.stdout, out.stderr, out.exit_status)
        except launchd.LaunchctlError as e:
            raise Unavailable(str(e), out.command, (out.record,)) from None

    def asks(self, keys: list[UnitKey], user: str) -> tuple[list[tuple[list[str], tuple[UnitKey, ...]]],
                                                              dict[UnitKey, CannotVerify]]:
        asks, refused = [], {}
        for key in keys:
            if key.scope == "system":
                asks.append((launchd.print_command(key.name), (key,)))
            else:  # a LaunchAgent lives in a user's GUI session (gui/<uid>), which an SSH login does not have
                refused[key] = CannotVerify(f"needs {key.user}'s GUI session to read its LaunchAgent {key.name}")
        return asks, refused

    def state(self, key: UnitKey, out: Output, asked: tuple[UnitKey, ...], said: Callable[[str, int], str]) -> ServiceState:
        try:
            return launchd_state(key.name, launchd.parse_print(out.stdout, out.stderr, out.exit_status))
        except launchd.LaunchctlError as e:
            raise Unavailable(f"launchctl could not show {key.name}: {e}", out.command, (out.record,)) from None

    def secret_values(self, out: Output, asked: tuple[UnitKey, ...]) -> list[str]:
        if out.exit_status != 0:
            return []
        try:
            job = launchd.parse_print(out.stdout, out.stderr, out.exit_status)
        except launchd.LaunchctlError:
            return []
        return job.secret_values() if job else []

    def masks(self, out: Output) -> list[tuple[int, int]]:
        """Every environment value of the job's print (secret-named or not) is masked in its evidence."""
        return launchd.mask_environment(out.stdout)

    def journal(self, key: UnitKey, state: ServiceState, user: str) -> list[str]:
        raise Unavailable(f"{key.name}: launchd keeps no journal (its output goes to the files its plist names)")

    def journal_planned(self, key: UnitKey) -> str:
        return f"# no journal of {key.name}: launchd keeps none"

    def sees_whole_journal(self, key: UnitKey, state: ServiceState, user: str, groups: list[str]) -> bool:
        return True
