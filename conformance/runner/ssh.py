"""The transport to the remote hosts (the Studio, the DietPi): OpenSSH's `ssh`, one connection per host per run.

Why OpenSSH and not paramiko: paramiko, as testinfra drives it, accepts any host key (a WarningPolicy, known_hosts
never loaded) and ignores ConnectTimeout and ProxyJump. The `ssh` client honours the owner's ~/.ssh/config as ssh
itself reads it (HostName, User, Port, IdentityFile, ProxyJump, Include, Match) and known_hosts, and its ControlMaster
gives one connection per host per run. Where a host is reached is ssh's answer too (`ssh -G`, sshconfig.py): the
config's aliases are listed by our own small parser (Include followed, Match skipped), and each is resolved by ssh.

Which key and known_hosts an unattended run uses: the invoking user's. Their ~/.ssh/config (or the file given as
`config_file`, passed to ssh as -F), their ~/.ssh/known_hosts (or the file the config or `known_hosts` names), and
the IdentityFile the config names (else ssh's default keys). BatchMode=yes: ssh never prompts, for a passphrase, a
password or a yes/no about a host key. So the key must be unencrypted or held by an ssh-agent that the job can
reach (SSH_AUTH_SOCK in its environment), and the host's key must already be in known_hosts. Otherwise the round
trip fails and says why; it never waits on a prompt.

Deadlines: ConnectTimeout bounds the TCP connect and, separately, the wait for the server's SSH banner. After the
banner, the key exchange and authentication are bounded by ServerAliveInterval x ServerAliveCountMax (measured with
OpenSSH 9.2), and the whole round trip by ProcessBackend's deadline.
"""
from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

from .backends import MAX_OUTPUT_BYTES, ProcessBackend, RawResult, RoundTripFailed
from .sshconfig import (DEFAULT_CONFIG, RESOLVE_TIMEOUT, Files, Resolved, ResolveFailed, failure, list_aliases,
                        parse_resolved, resolve_all, resolve_command)

DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"
CONNECT_TIMEOUT = 5  # seconds; OpenSSH takes whole seconds
SERVER_ALIVE_INTERVAL = 5  # seconds between keepalives; 3 unanswered = the link is dead (15 s)
SERVER_ALIVE_COUNT_MAX = 3
CONTROL_PERSIST = 60  # seconds an idle master waits for the next round trip; close() ends it sooner
SSH_FAILED = 255  # ssh's own exit status on failure (the batch script itself ends with status 0)


class NoSshTarget(LookupError):
    """The inventory host has no ssh alias, and no Host entry of the ssh config reaches its address."""


@dataclass(frozen=True)
class SshTarget:
    """Where ssh goes for an inventory host, as the ssh config resolves the alias."""

    host_id: str
    alias: str
    hostname: str
    user: str
    port: int
    identity_files: tuple[str, ...]  # as ssh -G lists them (ssh's default keys when the config names none)
    proxyjump: str | None
    known_hosts: tuple[str, ...]  # UserKnownHostsFile as the config says (ssh's default when it says nothing)
    config_file: str
    how: str  # for messages: "alias studio -> 192.168.1.72:22 (from ~/.ssh/config)"


def resolve_alias(alias: str, config_file: str | None = None, *, deadline: float = RESOLVE_TIMEOUT,
                  ssh_program: str = "ssh") -> Resolved:
    """The alias as ssh resolves it with the run's config (`ssh -G`, under a deadline; its process group is
    killed past it, a `Match exec` command included)."""
    env = {**os.environ, "SSH_ASKPASS_REQUIRE": "never"}
    process = ProcessBackend(resolve_command(alias, config_file, ssh_program), "", 1024 * 1024, env)
    try:
        raw = process.run("", deadline)
    except RoundTripFailed as e:
        raise ResolveFailed(f"ssh -G {alias}: {e}") from None
    if raw.exit_status != 0:
        raise failure(alias, raw.exit_status, raw.stderr.decode("utf-8", "replace"))
    return parse_resolved(alias, raw.stdout.decode("utf-8", "replace"))


def resolve_ssh_target(host_id: str, address: str, ssh_alias: str | None, config_file: str | None = None, *,
                       files: Files = Files(), resolve=None) -> SshTarget:
    """The inventory's ssh_alias when it has one, else the config's alias that ssh sends to the address.

    `config_file`: the run's -F file (None: ssh's own, ~/.ssh/config then /etc/ssh/ssh_config). `resolve(alias)`
    gives ssh's answer for an alias (default: `ssh -G` with that config)."""
    resolve = resolve or (lambda alias: resolve_alias(alias, config_file))
    shown = config_file or DEFAULT_CONFIG
    aliases = list_aliases(config_file, files)
    try:
        if ssh_alias:
            found = resolve(ssh_alias)
            if ssh_alias in aliases or found.hostname != ssh_alias:
                source = f"from {shown}" + (f"; the inventory says {address}" if found.hostname != address else "")
            else:
                source = f"no Host entry for it in {shown}: ssh takes the name as given"
            return _target(host_id, found, shown, source)
    except ResolveFailed as e:
        raise NoSshTarget(f"{host_id}: {e}") from None
    resolved = resolve_all(aliases, resolve)
    failed = [str(r) for r in resolved.values() if isinstance(r, ResolveFailed)]
    reaching = sorted(alias for alias, r in resolved.items() if isinstance(r, Resolved) and r.hostname == address)
    if not reaching:
        raise NoSshTarget(f"{host_id}: no ssh_alias in the inventory and no Host entry in {shown} whose HostName is "
                          f"{address}" + (f" ({'; '.join(failed)})" if failed else ""))
    return _target(host_id, resolved[reaching[0]], shown, f"the Host entry of {shown} whose HostName is {address}")


def _target(host_id: str, resolved: Resolved, config_file: str, source: str) -> SshTarget:
    via = f" via {resolved.proxyjump}" if resolved.proxyjump else ""
    return SshTarget(
        host_id=host_id, alias=resolved.alias, hostname=resolved.hostname,
        user=resolved.user or pwd.getpwuid(os.geteuid()).pw_name,  # ssh's default: the local user
        port=resolved.port, identity_files=resolved.identity_files, proxyjump=resolved.proxyjump,
        known_hosts=resolved.known_hosts or (DEFAULT_KNOWN_HOSTS,),
        config_file=config_file, how=f"alias {resolved.alias} -> {resolved.hostname}:{resolved.port}{via} ({source})")


def ssh_backend_for(host_id: str, address: str, ssh_alias: str | None, *, config_file: str | None = None,
                    **options) -> SshBackend:
    """Resolve the host with the run's ssh config (the invoking user's own unless one is given), build its backend."""
    program = options.get("ssh_program", "ssh")
    target = resolve_ssh_target(host_id, address, ssh_alias, config_file,
                                resolve=lambda alias: resolve_alias(alias, config_file, ssh_program=program))
    return SshBackend(target, config_file=config_file, **options)


class SshBackend(ProcessBackend):
    """`ssh ... -T <alias> /bin/sh -s`: the script on stdin, one ControlMaster connection reused by every round trip.

    `user` is the remote user the config resolves. Call close() at the end of the run (a finalizer does it too).
    """

    def __init__(self, target: SshTarget, *, config_file: str | None = None, known_hosts: str | None = None,
                 connect_timeout: int = CONNECT_TIMEOUT, server_alive_interval: int = SERVER_ALIVE_INTERVAL,
                 server_alive_count_max: int = SERVER_ALIVE_COUNT_MAX, control_persist: int = CONTROL_PERSIST,
                 max_output: int = MAX_OUTPUT_BYTES, ssh_program: str = "ssh") -> None:
        self.target = target
        self.connect_timeout = connect_timeout
        self.alive_timeout = server_alive_interval * server_alive_count_max
        self.known_hosts = known_hosts or " ".join(target.known_hosts)
        self.control_dir = _private_control_dir()
        options = {
            "BatchMode": "yes",  # never a prompt: no passphrase, no password, no host key question
            "StrictHostKeyChecking": "yes",  # an unknown or changed host key is refused, never learned
            **({"UserKnownHostsFile": known_hosts} if known_hosts else {}),
            "ConnectTimeout": str(connect_timeout),
            "ServerAliveInterval": str(server_alive_interval),
            "ServerAliveCountMax": str(server_alive_count_max),
            "ControlMaster": "auto",
            "ControlPath": f"{self.control_dir}/%C",
            "ControlPersist": str(control_persist),
            "LogLevel": "ERROR",  # ssh's error lines even if the config says QUIET; no banners or notices
        }
        argv = [ssh_program, *(["-F", config_file] if config_file else [])]
        for key, value in options.items():
            argv += ["-o", f"{key}={value}"]
        argv += ["-T", "--", target.alias, "/bin/sh", "-s"]
        # no askpass either: BatchMode does not reach a ProxyJump hop's own ssh, the environment does
        env = {**os.environ, "SSH_ASKPASS_REQUIRE": "never"}
        super().__init__(argv, target.user, max_output, env)
        self._close = weakref.finalize(self, _close_control_dir, ssh_program, self.control_dir)

    def run(self, script: str, deadline: float) -> RawResult:
        if not self._close.alive:
            raise RoundTripFailed(f"{self.target.host_id}: the ssh backend was closed ({self.target.how})")
        try:
            raw = super().run(script, deadline)
        except RoundTripFailed as e:  # deadline, output bound, ssh not startable
            self._end_masters()  # a session cut at the deadline may still hold the remote shell
            raise RoundTripFailed(f"{self.target.host_id}: {e} ({self.target.how})") from None
        if raw.exit_status == SSH_FAILED:
            self._end_masters()
            raise RoundTripFailed(explain_ssh_failure(raw.stderr.decode("utf-8", "replace"), self.target,
                                                      connect_timeout=self.connect_timeout,
                                                      alive_timeout=self.alive_timeout, known_hosts=self.known_hosts))
        return raw

    def master_pid(self) -> int | None:
        """The pid of this run's ControlMaster, if one is up."""
        sockets = _control_sockets(self.control_dir)
        return _master_pid(self.argv[0], sockets[0]) if sockets else None

    def close(self) -> None:
        """End the ControlMaster (`ssh -O exit`) and remove the control directory. Idempotent."""
        self._close()

    def _end_masters(self) -> None:
        _end_masters_in(self.argv[0], self.control_dir)


# --- the ControlMaster: a private socket directory, ended by `ssh -O exit`, by pid if it does not go ---

def _private_control_dir() -> str:
    """Mode 700 (mkdtemp): only we may talk to the master. Short: a socket path holds ~104 bytes, %C takes 40."""
    base = tempfile.gettempdir()
    return tempfile.mkdtemp(prefix="conformance-ssh-", dir=base if len(base) <= 40 else "/tmp")


def _control_sockets(control_dir: str) -> list[str]:
    try:
        return sorted(str(p) for p in Path(control_dir).iterdir() if p.is_socket())
    except FileNotFoundError:
        return []


def _close_control_dir(ssh_program: str, control_dir: str) -> None:
    _end_masters_in(ssh_program, control_dir)
    shutil.rmtree(control_dir, ignore_errors=True)


def _end_masters_in(ssh_program: str, control_dir: str) -> None:
    for socket_path in _control_sockets(control_dir):
        _stop_master(ssh_program, socket_path)


def _stop_master(ssh_program: str, socket_path: str) -> None:
    pid = _master_pid(ssh_program, socket_path)
    _control(ssh_program, socket_path, "exit")
    if pid and not _gone(pid, within=2.0):
        os.kill(pid, signal.SIGKILL)  # our own master (its pid came from its socket), wedged


def _master_pid(ssh_program: str, socket_path: str) -> int | None:
    found = re.search(r"Master running \(pid=(\d+)\)", _control(ssh_program, socket_path, "check"))
    return int(found[1]) if found else None


def _control(ssh_program: str, socket_path: str, command: str) -> str:
    """`ssh -O command` on a literal control path (-F /dev/null: the owner's config plays no part here)."""
    argv = [ssh_program, "-F", "/dev/null", "-o", f"ControlPath={socket_path}", "-O", command, "master"]
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stderr.decode("utf-8", "replace")


def _gone(pid: int, within: float) -> bool:
    """The master is daemonized (not our child): poll /proc until it is gone or a zombie."""
    until = time.monotonic() + within
    while time.monotonic() < until:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return True
        except (FileNotFoundError, ProcessLookupError):
            return True
        except OSError:  # no /proc (macOS): ask the kernel
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
        time.sleep(0.02)
    return False


# --- ssh's stderr (exit 255) -> one root cause ---

def explain_ssh_failure(stderr: str, target: SshTarget, *, connect_timeout: int = CONNECT_TIMEOUT,
                        alive_timeout: int = SERVER_ALIVE_INTERVAL * SERVER_ALIVE_COUNT_MAX,
                        known_hosts: str = DEFAULT_KNOWN_HOSTS) -> str:
    """One sentence naming the host, the cause and how it was reached; of ssh's stderr, at most the line quoted."""
    host, how = target.host_id, target.how
    cause = _host_key_cause(stderr, known_hosts) or _auth_cause(stderr, target)
    if cause:
        return f"{host}: {cause} ({how})"
    cause = _unreachable_cause(stderr, target, connect_timeout)
    if cause:
        return f"{host} unreachable: {cause} ({how})"
    cause = _lost_cause(stderr, alive_timeout) or f"ssh failed (exit 255): {_last_line(stderr)}"
    return f"{host}: {cause} ({how})"


def _host_key_cause(stderr: str, known_hosts: str) -> str | None:
    changed = re.search(r"Offending (?:\S+ )?key(?: for IP)? in (\S+):(\d+)", stderr)
    if changed or "REMOTE HOST IDENTIFICATION HAS CHANGED" in stderr:
        where, quoted = (changed[1], f": {changed[0]}") if changed else (known_hosts, "")
        return f"host key verification failed against {where} (the host's key CHANGED{quoted}; no command was sent)"
    if "Host key verification failed" in stderr:
        unknown = re.search(r"No \S+ host key is known for \S+", stderr)
        why = f"the host's key is unknown: {unknown[0]}" if unknown else "the key changed or is unknown"
        return f"host key verification failed against {known_hosts} ({why}; no command was sent)"
    return None


def _auth_cause(stderr: str, target: SshTarget) -> str | None:
    denied = re.search(r"Permission denied \(([^)]*)\)", stderr)
    if not denied:
        return None
    keys = ", ".join(target.identity_files) or "ssh's default keys"
    return (f"permission denied for user {target.user} (server accepts: {denied[1]}; tried {keys} and any agent keys; "
            "BatchMode: a passphrase-protected key must be in a reachable agent)")


def _unreachable_cause(stderr: str, target: SshTarget, connect_timeout: int) -> str | None:
    for pattern, cause in _UNREACHABLE:
        found = re.search(pattern, stderr)
        if found:
            return cause.format(*found.groups(), timeout=connect_timeout)
    if re.search(r"kex_exchange_identification: (?:Connection closed|read: Connection reset)", stderr):
        return _closed_before_handshake(target)
    return None


def _lost_cause(stderr: str, alive_timeout: int) -> str | None:
    return next((cause.format(alive=alive_timeout) for pattern, cause in _LOST if re.search(pattern, stderr)), None)


# Order matters: "Connection timed out during banner exchange" is not a TCP connect timeout.
_UNREACHABLE = [
    (r"Could not resolve hostname (\S+?):", "could not resolve hostname {0}"),
    (r"timed out during banner exchange", "no SSH banner within {timeout} s (TCP connected; the server never answered)"),
    (r"port \S+: Connection timed out", "connect timed out after {timeout} s"),
    (r"Connection refused", "connection refused"),
    (r"No route to host", "no route to host"),
    (r"Network is unreachable", "network is unreachable"),
]
_LOST = [
    (r"Connection to \S+ port \S+ timed out", "the SSH handshake stalled after the banner (no answer for {alive} s)"),
    (r"Timeout, server \S+ not responding", "connection lost: the server stopped answering (no answer for {alive} s)"),
    (r"Connection to \S+ closed by remote host", "connection lost: closed by the remote host"),
]


def _closed_before_handshake(target: SshTarget) -> str:
    if target.proxyjump:  # under ControlPersist, OpenSSH sends the jump hop's stderr to /dev/null
        return (f"the connection via {target.proxyjump} closed before the SSH handshake (the jump host refused us or "
                f"could not reach {target.hostname}:{target.port}; its own error is hidden under ControlPersist)")
    return "the server closed the connection before the SSH handshake"


def _last_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no message"
