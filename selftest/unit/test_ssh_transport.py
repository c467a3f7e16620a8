"""The SSH transport: OpenSSH with the owner's ssh config, strict known_hosts, one ControlMaster per host per run.

Parse-level tests resolve targets from fixture ssh configs and classify real OpenSSH stderr. Live tests start a
real OpenSSH sshd on 127.0.0.1 (a random free port, its own host key, a throwaway client key): no other address
is ever contacted.
"""
from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.runner import RoundTripFailed, Runner
from conformance.runner.ssh import (NoSshTarget, SshBackend, SshTarget, explain_ssh_failure, resolve_ssh_target,
                                    ssh_backend_for)
from ._support import fixture

ME = pwd.getpwuid(os.geteuid()).pw_name
HOME = pwd.getpwuid(os.geteuid()).pw_dir
OWNER_KEY = "~/.ssh/id_ed25519"  # as ssh -G prints it (ssh expands it when it loads the key)
CONFIG_DIR = Path(tempfile.mkdtemp(prefix="conformance-ssh-config-"))
CONFIG = str(CONFIG_DIR / "config")  # the run's -F file of the parse-level tests


@pytest.fixture(autouse=True, scope="module")
def _config_dir():
    yield
    shutil.rmtree(CONFIG_DIR, ignore_errors=True)


def _resolve(text: str, host_id: str = "studio", address: str = "192.168.1.72", alias: str | None = "studio"):
    """Where ssh (`ssh -G -F CONFIG`) sends the host, with `text` as the config."""
    Path(CONFIG).write_text(text)
    return resolve_ssh_target(host_id, address, alias, CONFIG)


# --- resolve_ssh_target: which alias, and where the config sends it ---

def test_the_studio_by_its_alias_in_the_owners_config():
    assert _resolve(fixture("ssh_config")) == SshTarget(
        host_id="studio", alias="studio", hostname="192.168.1.72", user="christopherbailey", port=22,
        identity_files=(OWNER_KEY,), proxyjump=None, known_hosts=(f"{HOME}/.ssh/known_hosts", f"{HOME}/.ssh/known_hosts2"),
        config_file=CONFIG, how=f"alias studio -> 192.168.1.72:22 (from {CONFIG})")


def test_the_dietpi_has_no_alias_and_is_found_by_its_address():
    target = _resolve(fixture("ssh_config"), "dietpi", "192.168.1.70", None)
    assert (target.alias, target.hostname, target.user, target.port) == ("dietpi", "192.168.1.70", "root", 22)
    assert target.how == f"alias dietpi -> 192.168.1.70:22 (the Host entry of {CONFIG} whose HostName is 192.168.1.70)"


def test_the_address_looked_up_is_the_site_mapped_one():
    text = fixture("ssh_config") + "\nHost dietpi-twin\n    HostName 10.213.0.4\n    User christopherbailey\n"
    target = _resolve(text, "dietpi", "10.213.0.4", None)
    assert (target.alias, target.user) == ("dietpi-twin", "christopherbailey")


def test_an_address_no_host_entry_reaches_is_a_clear_error():
    with pytest.raises(NoSshTarget) as e:
        _resolve(fixture("ssh_config"), "dietpi", "192.168.1.80", None)
    assert str(e.value) == (f"dietpi: no ssh_alias in the inventory and no Host entry in {CONFIG} "
                            "whose HostName is 192.168.1.80")


def test_wildcard_entries_do_not_count_as_reaching_an_address():
    with pytest.raises(NoSshTarget):
        _resolve("Host *.lan\n    HostName 192.168.1.70\nHost *\n    HostName 192.168.1.70\n", "dietpi", "192.168.1.70", None)


def test_of_two_aliases_for_one_address_the_first_in_sorted_order_is_used():
    target = _resolve("Host homeassistant ha\n    HostName 192.168.1.70\n", "dietpi", "192.168.1.70", None)
    assert target.alias == "ha"


def test_an_alias_without_a_host_entry_is_used_as_given():
    target = _resolve("")
    assert (target.alias, target.hostname, target.user, target.port) == ("studio", "studio", ME, 22)
    assert target.how == f"alias studio -> studio:22 (no Host entry for it in {CONFIG}: ssh takes the name as given)"


def test_wildcard_defaults_apply_to_an_alias_without_its_own_entry():
    target = _resolve("Host *\n    User admin\n    Port 2222\n")
    assert (target.hostname, target.user, target.port) == ("studio", "admin", 2222)


def test_port_identity_files_known_hosts_and_proxyjump_come_from_the_config():
    text = ("Host studio\n    HostName 192.168.1.72\n    Port 2200\n    User cb\n    IdentityFile /keys/a\n"
            "    IdentityFile /keys/b\n    ProxyJump bastion\n    UserKnownHostsFile /kh/one /kh/two\n")
    target = _resolve(text)
    assert (target.port, target.identity_files, target.proxyjump, target.known_hosts) == (
        2200, ("/keys/a", "/keys/b"), "bastion", ("/kh/one", "/kh/two"))
    assert target.how == f"alias studio -> 192.168.1.72:2200 via bastion (from {CONFIG})"


def test_proxyjump_none_is_no_jump():
    assert _resolve("Host studio\n    ProxyJump none\n").proxyjump is None


def test_an_alias_the_config_sends_elsewhere_says_so():
    target = _resolve("Host studio\n    HostName 192.168.1.99\n")
    assert target.how == f"alias studio -> 192.168.1.99:22 (from {CONFIG}; the inventory says 192.168.1.72)"


def test_keywords_are_case_insensitive():
    target = _resolve("host studio\n  hostname 192.168.1.72\n  user cb\n  port 22\n")
    assert (target.hostname, target.user) == ("192.168.1.72", "cb")


# --- the ssh command line ---

def test_the_ssh_command_line(tmp_path):
    backend = SshBackend(_resolve(fixture("ssh_config")), config_file="/cfg/ssh_config", known_hosts="/cfg/known_hosts",
                         connect_timeout=7, server_alive_interval=4, server_alive_count_max=2, control_persist=30)
    try:
        assert backend.argv == [
            "ssh", "-F", "/cfg/ssh_config", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=/cfg/known_hosts", "-o", "ConnectTimeout=7", "-o", "ServerAliveInterval=4",
            "-o", "ServerAliveCountMax=2", "-o", "ControlMaster=auto", "-o", f"ControlPath={backend.control_dir}/%C",
            "-o", "ControlPersist=30", "-o", "LogLevel=ERROR", "-T", "--", "studio", "/bin/sh", "-s"]
        assert backend.user == "christopherbailey"
        assert stat.S_IMODE(os.stat(backend.control_dir).st_mode) == 0o700
        assert backend.env["SSH_ASKPASS_REQUIRE"] == "never"
    finally:
        backend.close()
    assert not os.path.exists(backend.control_dir)


def test_without_a_config_file_or_known_hosts_ssh_uses_the_invoking_users_own():
    backend = SshBackend(_resolve(fixture("ssh_config")))
    backend.close()
    assert "-F" not in backend.argv and not any(a.startswith("UserKnownHostsFile") for a in backend.argv)
    assert "ConnectTimeout=5" in backend.argv


# --- ssh's stderr -> one root cause ---

# Real OpenSSH stderr, captured from our own runs of OpenSSH_9.2p1 Debian-2+deb12u10 against a loopback sshd
# (and, for "No route to host", "Network is unreachable" and "Could not resolve hostname", in a throwaway network
# namespace, `unshare -n`, whose loopback was down or routed `unreachable`, with an empty resolv.conf: nothing left
# the machine). Port numbers are as captured.
CAPTURED = {
    "unknown host key": "No ED25519 host key is known for [127.0.0.1]:52395 and you have requested strict checking.\r\n"
                        "Host key verification failed.\r\n",
    "changed host key": (
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n"
        "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n"
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n"
        "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\r\n"
        "Someone could be eavesdropping on you right now (man-in-the-middle attack)!\r\n"
        "It is also possible that a host key has just been changed.\r\n"
        "The fingerprint for the ED25519 key sent by the remote host is\n"
        "SHA256:E1Hlr9+cPA/Mvn5/FYxBJr9ONjaF7Yv2Oti/KXL+3jg.\r\n"
        "Please contact your system administrator.\r\n"
        "Add correct host key in /tmp/sshx/changed_kh to get rid of this message.\r\n"
        "Offending ED25519 key in /tmp/sshx/changed_kh:2\r\n"
        "  remove with:\r\n"
        '  ssh-keygen -f "/tmp/sshx/changed_kh" -R "[127.0.0.1]:52395"\r\n'
        "Host key for [127.0.0.1]:52395 has changed and you have requested strict checking.\r\n"
        "Host key verification failed.\r\n"),
    "host key, no detail": "Host key verification failed.\r\n",  # what a ProxyJump hop says without ControlPersist
    "permission denied": "root@127.0.0.1: Permission denied (publickey).\r\n",
    "refused": "ssh: connect to host 127.0.0.1 port 54421: Connection refused\r\n",
    "closed before the handshake": "kex_exchange_identification: Connection closed by remote host\r\n",
    "connect timed out": "ssh: connect to host 127.0.0.1 port 51761: Connection timed out\r\n",  # accept queue full
    "banner timed out": "Connection timed out during banner exchange\r\n"
                        "Connection to 127.0.0.1 port 60429 timed out\r\n",
    "handshake stalled": "Connection to 127.0.0.1 port 57355 timed out\r\n",  # banner sent, then silence
    "no route": "ssh: connect to host 127.0.0.1 port 22: No route to host\r\n",
    "network unreachable": "ssh: connect to host 127.0.0.1 port 22: Network is unreachable\r\n",
    "unresolvable": "ssh: Could not resolve hostname studio.invalid: Temporary failure in name resolution\r\n",
    "server stopped answering": "Timeout, server 127.0.0.1 not responding.\r\n",  # sshd's session SIGSTOPped
    "closed by the server": "Connection to 127.0.0.1 closed by remote host.\r\n",  # sshd's session killed
    "something else": "Can't open user config file /tmp/sshx/nonexistent: No such file or directory\r\n",
}
HOW = f"(alias studio -> 192.168.1.72:22 (from {CONFIG}))"
EXPLAINED = {
    "unknown host key": "studio: host key verification failed against ~/.ssh/known_hosts (the host's key is unknown: "
                        "No ED25519 host key is known for [127.0.0.1]:52395; no command was sent)",
    "changed host key": "studio: host key verification failed against /tmp/sshx/changed_kh (the host's key CHANGED: "
                        "Offending ED25519 key in /tmp/sshx/changed_kh:2; no command was sent)",
    "host key, no detail": "studio: host key verification failed against ~/.ssh/known_hosts "
                           "(the key changed or is unknown; no command was sent)",
    "permission denied": f"studio: permission denied for user christopherbailey (server accepts: publickey; tried "
                         f"{OWNER_KEY} and any agent keys; BatchMode: a passphrase-protected key must be in a "
                         f"reachable agent)",
    "refused": "studio unreachable: connection refused",
    "closed before the handshake": "studio unreachable: the server closed the connection before the SSH handshake",
    "connect timed out": "studio unreachable: connect timed out after 5 s",
    "banner timed out": "studio unreachable: no SSH banner within 5 s (TCP connected; the server never answered)",
    "handshake stalled": "studio: the SSH handshake stalled after the banner (no answer for 15 s)",
    "no route": "studio unreachable: no route to host",
    "network unreachable": "studio unreachable: network is unreachable",
    "unresolvable": "studio unreachable: could not resolve hostname studio.invalid",
    "server stopped answering": "studio: connection lost: the server stopped answering (no answer for 15 s)",
    "closed by the server": "studio: connection lost: closed by the remote host",
    "something else": "studio: ssh failed (exit 255): Can't open user config file /tmp/sshx/nonexistent: "
                      "No such file or directory",
}


@pytest.mark.parametrize("case", sorted(CAPTURED))
def test_ssh_failures_become_one_root_cause(case):
    assert explain_ssh_failure(CAPTURED[case], _resolve(fixture("ssh_config"))) == f"{EXPLAINED[case]} {HOW}"


def test_a_jump_hop_that_failed_is_named_its_error_is_hidden_by_controlpersist():
    # captured through SshBackend (ControlPersist on) with the jump host's port refused, and again with the
    # jump host's key unknown: both times ssh printed only this line
    target = _resolve("Host studio\n    HostName 192.168.1.72\n    ProxyJump bastion\n")
    assert explain_ssh_failure("kex_exchange_identification: Connection closed by remote host\r\n", target) == (
        "studio unreachable: the connection via bastion closed before the SSH handshake (the jump host refused us or "
        "could not reach 192.168.1.72:22; its own error is hidden under ControlPersist) "
        f"(alias studio -> 192.168.1.72:22 via bastion (from {CONFIG}))")


def test_the_message_quotes_no_other_stderr_line():
    message = explain_ssh_failure(CAPTURED["changed host key"], _resolve(fixture("ssh_config")))
    assert "NASTY" not in message and "SHA256" not in message and "ssh-keygen" not in message


# --- live: a real OpenSSH sshd on 127.0.0.1 ---

SSHD = "/usr/sbin/sshd"
live = pytest.mark.skipif(not (os.path.exists(SSHD) and shutil.which("ssh") and shutil.which("ssh-keygen")),
                          reason="needs OpenSSH (/usr/sbin/sshd, ssh, ssh-keygen): `make deps` installs openssh-server")


@dataclass
class Sshd:
    """A loopback sshd that accepts our throwaway client key; `config` reaches it as alias `studio`."""

    dir: Path
    port: int
    host_key_line: str  # "ssh-ed25519 AAAA..."
    client_key: Path
    log: Path
    config: Path
    known_hosts: Path

    def accepted(self) -> int:
        """Connections so far: sshd -e logs one "Accepted publickey" per authenticated connection."""
        return self.log.read_text().count("Accepted publickey")

    def write_config(self, path: Path, hosts: str, identity: Path | None = None) -> Path:
        path.write_text(hosts + _common_client_options(identity or self.client_key, self.known_hosts))
        return path


def _common_client_options(identity: Path, known_hosts: Path) -> str:
    return (f"Host *\n    User {ME}\n    IdentityFile {identity}\n    IdentitiesOnly yes\n    IdentityAgent none\n"
            f"    UserKnownHostsFile {known_hosts}\n    GlobalKnownHostsFile /dev/null\n")


def _keygen(path: Path, passphrase: str = "") -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "selftest", "-f", str(path)],
                   check=True, stdin=subprocess.DEVNULL)
    return " ".join(path.with_suffix(".pub").read_text().split()[:2])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    if not os.path.exists(SSHD):
        pytest.skip("needs /usr/sbin/sshd: `make deps` installs openssh-server")
    with loopback_sshd(tmp_path_factory.mktemp("sshd"), "studio") as server:
        yield server


@contextlib.contextmanager
def loopback_sshd(d: Path, alias: str, server_config: str = ""):
    """A real sshd on 127.0.0.1 (a free port, its own host key) accepting a throwaway client key, reached as `alias`
    through `Sshd.config`; `server_config` adds sshd_config lines. Stopped, with its sessions, at the end."""
    host_key_line = _keygen(d / "host_key")
    client_key_line = _keygen(d / "client_key")
    (d / "authorized_keys").write_text(client_key_line + "\n")
    port = _free_port()
    (d / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key_line}\n")
    (d / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d / 'host_key'}\nAuthorizedKeysFile {d / 'authorized_keys'}\n"
        "StrictModes no\nUsePAM no\nPidFile none\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        + server_config)
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation dir (the service makes it)
    log = d / "sshd.log"
    with log.open("wb") as log_file:
        proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(d / "sshd_config")], stdin=subprocess.DEVNULL,
                                stdout=log_file, stderr=log_file)
    server = Sshd(d, port, host_key_line, d / "client_key", log, d / "ssh_config", d / "known_hosts")
    server.write_config(server.config, f"Host {alias}\n    HostName 127.0.0.1\n    Port {port}\n")
    try:
        _wait_listening(proc, log)
        yield server
    finally:
        for pid in [proc.pid, *_descendants(proc.pid)]:  # the listener and its sessions: all started by us
            _kill(pid)
        proc.wait(timeout=5)


def _wait_listening(proc: subprocess.Popen, log: Path) -> None:
    until = time.monotonic() + 10
    while "Server listening on 127.0.0.1" not in log.read_text():
        if proc.poll() is not None or time.monotonic() > until:
            pytest.fail(f"sshd did not start: {log.read_text()}")
        time.sleep(0.02)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


def _running(pid: int) -> bool:
    """Alive and not a zombie (the daemonized master is reaped by init, a moment after it exits)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _processes_mentioning(text: str) -> list[int]:
    """Pids whose command line holds `text` (a mux client's ControlPath; the master's title is its socket path)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


@pytest.fixture
def backends():
    """Builds SshBackends and closes every one at the end of the test."""
    made: list[SshBackend] = []

    def make(config: Path, alias: str | None = "studio", address: str = "127.0.0.1", **options) -> SshBackend:
        backend = ssh_backend_for("studio", address, alias, config_file=str(config), **options)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


def _how(sshd: Sshd, port: int | None = None) -> str:
    return f"(alias studio -> 127.0.0.1:{port or sshd.port} (from {sshd.config}))"


def _failure(backend: SshBackend, script: str = "true", deadline: float = 20) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(RoundTripFailed) as e:
        backend.run(script, deadline)
    return str(e.value), time.monotonic() - started


@live
def test_a_batch_round_trip_through_the_runner_on_one_reused_connection(sshd, backends):
    backend = backends(sshd.config)
    runner = Runner("studio", backend, command_timeout=5, round_trip_timeout=20)
    before = sshd.accepted()
    first = runner.run([["id", "-un"], ["uname", "-s"]])
    second = runner.run([["id", "-un"]])
    assert [(o.exit_status, o.stdout) for o in first] == [(0, f"{ME}\n"), (0, "Linux\n")]
    assert [(o.exit_status, o.stdout) for o in second] == [(0, f"{ME}\n")]
    assert runner.user == ME
    assert sshd.accepted() - before == 1  # two round trips, one connection: the ControlMaster's
    assert backend.master_pid() is not None


@live
def test_an_unknown_host_key_is_refused_and_nothing_runs(sshd, backends, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    ran = tmp_path / "ran"
    before = sshd.accepted()
    message, _ = _failure(backends(sshd.config, known_hosts=str(empty)), f"touch {ran}")
    assert message == (f"studio: host key verification failed against {empty} (the host's key is unknown: "
                       f"No ED25519 host key is known for [127.0.0.1]:{sshd.port}; no command was sent) {_how(sshd)}")
    assert not ran.exists() and sshd.accepted() == before


@live
def test_a_changed_host_key_is_refused_naming_the_file_and_line(sshd, backends, tmp_path):
    other_key = _keygen(tmp_path / "other_host_key")
    changed = tmp_path / "known_hosts"
    changed.write_text(f"# the studio, recorded last year\n[127.0.0.1]:{sshd.port} {other_key}\n")
    ran = tmp_path / "ran"
    message, _ = _failure(backends(sshd.config, known_hosts=str(changed)), f"touch {ran}")
    assert message == (f"studio: host key verification failed against {changed} (the host's key CHANGED: "
                       f"Offending ED25519 key in {changed}:2; no command was sent) {_how(sshd)}")
    assert not ran.exists()


@live
def test_a_refused_port_fails_fast(sshd, backends, tmp_path):
    port = _free_port()  # bound and released: nothing listens there now
    config = sshd.write_config(tmp_path / "config", f"Host studio\n    HostName 127.0.0.1\n    Port {port}\n")
    message, seconds = _failure(backends(config))
    assert message == f"studio unreachable: connection refused (alias studio -> 127.0.0.1:{port} (from {config}))"
    assert seconds < 1


@live
def test_a_server_that_accepts_tcp_and_never_answers_fails_within_the_connect_timeout(sshd, backends, tmp_path):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the TCP handshake; nobody ever reads or writes
        port = silent.getsockname()[1]
        config = sshd.write_config(tmp_path / "config", f"Host studio\n    HostName 127.0.0.1\n    Port {port}\n")
        message, seconds = _failure(backends(config, connect_timeout=2))
    assert message == (f"studio unreachable: no SSH banner within 2 s (TCP connected; the server never answered) "
                       f"(alias studio -> 127.0.0.1:{port} (from {config}))")
    assert 2 <= seconds < 3


@live
def test_a_tcp_connect_that_never_completes_fails_at_the_connect_timeout(sshd, backends, tmp_path):
    with socket.socket() as full:
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        port = full.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]  # fill the accept queue: Linux then drops new SYNs
        try:
            for filler in fillers:
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
            config = sshd.write_config(tmp_path / "config", f"Host studio\n    HostName 127.0.0.1\n    Port {port}\n")
            message, seconds = _failure(backends(config, connect_timeout=2))
        finally:
            for filler in fillers:
                filler.close()
    assert message == f"studio unreachable: connect timed out after 2 s (alias studio -> 127.0.0.1:{port} (from {config}))"
    assert 2 <= seconds < 3


@live
def test_a_passphrase_protected_key_fails_at_once_instead_of_prompting(sshd, backends, tmp_path):
    key = tmp_path / "locked_key"
    _keygen(key, passphrase="not typed by anyone")
    config = sshd.write_config(tmp_path / "config", f"Host studio\n    HostName 127.0.0.1\n    Port {sshd.port}\n",
                               identity=key)
    message, seconds = _failure(backends(config))
    assert message == (f"studio: permission denied for user {ME} (server accepts: publickey; tried {key} and any agent "
                       f"keys; BatchMode: a passphrase-protected key must be in a reachable agent) "
                       f"(alias studio -> 127.0.0.1:{sshd.port} (from {config}))")
    assert seconds < 2


@live
def test_a_script_past_the_deadline_fails_at_it_and_the_master_is_closed(sshd, backends):
    backend = backends(sshd.config)
    backend.run("true", 20)
    master = backend.master_pid()
    assert master is not None
    message, seconds = _failure(backend, "sleep 5", deadline=1)
    assert message == f"studio: round trip timed out after 1 s {_how(sshd)}"
    assert 1 <= seconds < 2
    assert backend.master_pid() is None and not _running(master)
    assert _processes_mentioning(backend.control_dir) == []
    before = sshd.accepted()
    assert backend.run("echo again", 20).stdout == b"again\n"  # the next round trip connects afresh
    assert sshd.accepted() - before == 1


@live
def test_close_ends_the_master_and_leaves_no_ssh_process_or_socket(sshd, backends):
    backend = backends(sshd.config)
    backend.run("true", 20)
    backend.run("true", 20)
    master = backend.master_pid()
    assert master in _processes_mentioning(backend.control_dir)
    backend.close()
    assert _processes_mentioning(backend.control_dir) == []
    assert not _running(master) and not os.path.exists(backend.control_dir)
    message, _ = _failure(backend)
    assert message == f"studio: the ssh backend was closed {_how(sshd)}"


@live
def test_proxyjump_from_the_config_is_honoured(sshd, backends, tmp_path):
    config = sshd.write_config(tmp_path / "config", f"Host jump\n    HostName 127.0.0.1\n    Port {sshd.port}\n"
                                                    f"Host studio\n    HostName 127.0.0.1\n    Port {sshd.port}\n"
                                                    "    ProxyJump jump\n")
    backend = backends(config)
    before = sshd.accepted()
    assert backend.run("echo through", 20).stdout == b"through\n"
    assert sshd.accepted() - before == 2  # the jump host, then the target through it
    assert backend.target.how == f"alias studio -> 127.0.0.1:{sshd.port} via jump (from {config})"


@live
def test_a_jump_host_that_refuses_is_named(sshd, backends, tmp_path):
    closed = _free_port()
    config = sshd.write_config(tmp_path / "config", f"Host jump\n    HostName 127.0.0.1\n    Port {closed}\n"
                                                    f"Host studio\n    HostName 127.0.0.1\n    Port {sshd.port}\n"
                                                    "    ProxyJump jump\n")
    message, seconds = _failure(backends(config))
    assert message == (f"studio unreachable: the connection via jump closed before the SSH handshake (the jump host "
                       f"refused us or could not reach 127.0.0.1:{sshd.port}; its own error is hidden under "
                       f"ControlPersist) (alias studio -> 127.0.0.1:{sshd.port} via jump (from {config}))")
    assert seconds < 1


@live
def test_a_host_without_alias_is_reached_through_the_entry_for_its_address(sshd, backends, tmp_path):
    config = sshd.write_config(tmp_path / "config", f"Host dietpi\n    HostName 127.0.0.1\n    Port {sshd.port}\n")
    backend = backends(config, alias=None)
    assert backend.target.alias == "dietpi"
    assert backend.run("id -un", 20).stdout == f"{ME}\n".encode()


@live
def test_a_host_whose_hostname_and_port_are_only_in_a_match_block_is_found_and_reached(sshd, backends, tmp_path):
    """Once `KeyError: 'host'` (paramiko's parser) for every remote check: ssh's own resolution applies the Match."""
    ran = tmp_path / "match-exec-ran"
    config = sshd.write_config(tmp_path / "config", f'Match host * exec "touch {ran}"\n\n'
                                                    "Host dietpi\n    ServerAliveCountMax 3\n\n"
                                                    f"Match originalhost dietpi\n    HostName 127.0.0.1\n"
                                                    f"    Port {sshd.port}\n    User {ME}\n\n")
    backend = backends(config, alias=None)  # found by the address the Match gives it
    assert (backend.target.alias, backend.target.hostname, backend.target.port) == ("dietpi", "127.0.0.1", sshd.port)
    assert backend.run("id -un", 20).stdout == f"{ME}\n".encode()
    assert ran.exists()  # the Match exec ran as ssh runs it (in ssh -G, and in the connection itself)
