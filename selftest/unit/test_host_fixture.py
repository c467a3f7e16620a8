"""testinfra's idiom, guarded: `host.file(p).exists` through the suite's one Runner, or refused before any host sees it.

Local tests run a Runner over the suite's own /bin/sh transport on this machine (a backend that remembers every
script it ran, so "nothing reached the host" is checked, not assumed), against files in a tmp dir. The SSH tests
start a real OpenSSH sshd on 127.0.0.1 (as test_ssh_transport.py does). The plugin tests run pytest in a
subprocess on a tmp copy of this project's layout (conftest, pyproject, inventory), on this machine only.
"""
from __future__ import annotations

from selftest.artifacts import text_of

import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from testinfra.modules.file import DarwinFile

from conformance.inventory import load_inventory
from conformance.redaction import Redactor
from conformance.runner import Runner, SecretFiles, ssh_backend_for
from conformance.session import SuiteSession
from conformance.site import SiteAddresses
from conformance.testinfra_host import (OUTSIDE_A_TEST, CommandTimedOut, FileTooLarge, GuardedHost,
                                        HostCommandFailed, NeedsShell, NotRegularFile, RefusedCommand, SecretFile,
                                        attributed_to, guarded_host, make_host, split_command)
from conformance.host_fixture import host_for_folder
from conformance.plugin.collection import folder_host
from ._support import INVENTORY, ROOT, FakeMac, ShellBackend, environ_without_pytest_vars, real_inventory
from .test_ssh_transport import ME, live, sshd  # noqa: F401  (sshd: the loopback sshd fixture)

FAILED = pytest.fail.Exception
LOOK = "%F|%U|%u|%G|%g|%a|%Y|%s|%i"  # a test's one look at a path: every field testinfra's GNUFile asks
SKIPPED = pytest.skip.Exception


@pytest.fixture
def tree(tmp_path):
    """A regular file, a directory, a symlink to the file, a FIFO, and a file past a small read bound."""
    (tmp_path / "file").write_text("hello=world\ncafé\n")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "inside").write_text("")
    (tmp_path / "link").symlink_to(tmp_path / "file")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "big").write_bytes(b"x" * 2000)
    return tmp_path


@pytest.fixture
def sent():
    """A backend that runs the scripts on this machine and remembers each one."""
    return ShellBackend(user=pwd.getpwuid(os.geteuid()).pw_name)


@pytest.fixture
def mini(sent) -> GuardedHost:
    return guarded_host(Runner("mini", sent, command_timeout=5, round_trip_timeout=20), "linux", max_read_bytes=1024)


def _sent_commands(backend: ShellBackend) -> str:
    return "\n".join(backend.scripts)


# --- host.file -------------------------------------------------------------------------------------------

def test_a_regular_file(mini, tree):
    f = mini.file(str(tree / "file"))
    st = os.stat(tree / "file")
    assert (f.exists, f.is_file, f.is_directory, f.is_symlink, f.is_pipe) == (True, True, False, False, False)
    assert (f.user, f.group) == (pwd.getpwuid(st.st_uid).pw_name, _group(st.st_gid))
    assert (f.mode, f.size, f.uid) == (st.st_mode & 0o7777, st.st_size, st.st_uid)
    assert f.linked_to == str(tree / "file")
    assert f.content_string == "hello=world\ncafé\n" and f.content == "hello=world\ncafé\n".encode()
    assert f.contains("^hello=") and not f.contains("^nothing")
    assert f.sha256sum == subprocess.run(["sha256sum", str(tree / "file")], capture_output=True, text=True).stdout.split()[0]


def test_a_directory(mini, tree):
    d = mini.file(str(tree / "dir"))
    assert (d.exists, d.is_file, d.is_directory, d.is_symlink) == (True, False, True, False)
    assert d.listdir() == ["inside"]
    with pytest.raises(NotRegularFile, match=f"mini: {tree / 'dir'} is not a regular file .*: not read"):
        d.content_string


def test_a_symlink(mini, tree):
    link = mini.file(str(tree / "link"))
    assert (link.exists, link.is_symlink, link.is_file) == (True, True, True)  # test -f follows the link
    assert link.linked_to == str(tree / "file")
    assert link.content_string == "hello=world\ncafé\n"


def test_a_fifo_is_never_read_and_fails_clearly_at_once(mini, sent, tree):
    fifo = mini.file(str(tree / "fifo"))
    assert (fifo.exists, fifo.is_pipe, fifo.is_file) == (True, True, False)
    started = time.monotonic()
    with pytest.raises(NotRegularFile) as refused:
        fifo.content_string
    assert time.monotonic() - started < 2  # nothing opened the FIFO (that would wait for a writer until the watchdog)
    assert str(refused.value) == (
        f"mini: {tree / 'fifo'} is not a regular file (a FIFO, device, socket or directory): not read; the runner "
        f"reads a file only when it is a regular file (`head -c 1024 -- {tree / 'fifo'}`)")
    assert isinstance(refused.value, FAILED)  # the test FAILS (not an error, and no `except Exception` hides it)


def test_a_file_past_the_read_bound_fails_instead_of_being_cut(mini, tree):
    with pytest.raises(FileTooLarge, match=r"mini: .*/big is 2000 bytes: more than the 1024 a test may read whole "
                                           r"\(`cat -- .*/big` reads through `head -c 1024 -- .*/big`\)"):
        mini.file(str(tree / "big")).content_string


def test_a_missing_file(mini, tree):
    missing = mini.file(str(tree / "missing"))
    assert not missing.exists and not missing.is_file
    with pytest.raises(RuntimeError, match="Unexpected output"):  # testinfra's own answer to a failed read
        missing.content_string


def test_whole_file_reads_go_through_the_bounded_reader_and_the_guard(mini, sent, tree):
    mini.file(str(tree / "file")).content_string
    script = sent.scripts[-1]
    assert f"__regular {tree / 'file'} && " not in script  # stat reads no file...
    assert (f"if __not_secret {tree / 'file'} && __regular {tree / 'file'}; then\n  head -c 1024 -- {tree / 'file'}"
            in script)  # ...head only if no secret and regular
    assert "cat " not in script


# --- mini.run and mini.check_output -----------------------------------------------------------------------

def test_run_and_check_output_of_allowed_shapes(mini):
    out = mini.run("id -un")
    assert (out.rc, out.stdout, out.stderr, out.succeeded) == (0, f"{ME}\n", "", True)
    assert out.stdout_bytes == f"{ME}\n".encode()
    assert mini.check_output("uname -s") == "Linux"
    assert mini.run("stat -Lc %s %s", "%U", "/").stdout.strip() == "root"  # testinfra's own quoting of args
    assert mini.run(["uname", "-m"]).stdout.strip() == os.uname().machine  # an argv, as is


REFUSED = [
    ("systemctl restart ollama.service",
     "refused: systemctl restart ollama.service : systemctl: only show, is-active, is-enabled, is-failed, cat, "
     "list-units --failed, list-unit-files and is-system-running in their listed shapes (never start, stop, restart,"),
    ("systemctl stop ollama", "never start, stop, restart"),
    ("rm -rf /tmp/x", "refused: rm -rf /tmp/x : rm is not on the read-only allowlist"),
    ("cat /etc/passwd | grep root", "it needs a shell: a pipe (|)"),
    ("id -un; touch /tmp/x", "it needs a shell: ; (a command list)"),
    ("id -un && touch /tmp/x", "it needs a shell: & or && (background or a command list)"),
    ("echo $(touch /tmp/x)", "it needs a shell: an expansion or substitution ($)"),
    ("echo `touch /tmp/x`", "it needs a shell: command substitution (backticks)"),
    ('test -e "$HOME"', 'it needs a shell: an expansion or substitution ($) inside "..."'),
    ("id -un > /tmp/x", "it needs a shell: a redirection (>)"),
    ("sha256sum -- /etc/*.conf", "it needs a shell: a glob (*)"),
    ("test -e ~/x", "it needs a shell: tilde expansion (~)"),
    ("head -c 10 -- relative", "refused: head -c 10 -- relative : head: only -c N"),
    ("cat /dev/zero /etc/passwd", "refused: cat /dev/zero /etc/passwd : cat is not on the read-only allowlist"),
    ("journalctl -u ollama.service", "journalctl must be bounded with -n N"),
    ("ss -K", "no -K/--kill"),
    ("getent shadow root", "getent: only passwd or group [<name>] (never shadow: password hashes are secrets)"),
    ("systemd-analyze verify ollama.service", "systemd-analyze is not on the read-only allowlist"),
    ("id -u root; id", "it needs a shell"),
    ("", "an empty command"),
]


@pytest.mark.parametrize("command, why", REFUSED, ids=[c or "empty" for c, _ in REFUSED])
def test_a_refused_command_fails_the_test_naming_it_and_the_rule_and_reaches_no_host(mini, sent, command, why):
    with pytest.raises(RefusedCommand) as refused:
        mini.run(command)
    assert str(refused.value).startswith(f"mini: host.run refused `{command}` (nothing was sent to mini): ")
    assert why in str(refused.value)
    assert isinstance(refused.value, FAILED) and not isinstance(refused.value, Exception)
    assert sent.scripts == [] and mini.backend.runner.records == []


def test_check_output_of_a_refused_command_is_refused_too(mini, sent):
    with pytest.raises(RefusedCommand, match="systemctl restart"):
        mini.check_output("systemctl restart %s", "ollama.service")
    assert sent.scripts == []


def test_sudo_is_refused(mini, sent):
    with mini.sudo():
        with pytest.raises(RefusedCommand, match="sudo is not on the read-only allowlist.*never runs a command as "
                                                 "another user"):
            mini.run("id -un")
    assert sent.scripts == []


def test_a_refusal_inside_a_batch_sends_nothing(mini, sent, tree):
    """A mapped read is two commands in one round trip: a refused path refuses the whole trip."""
    with pytest.raises(RefusedCommand, match="refused: stat -Lc %s relative/file"):
        mini.run("cat -- relative/file")
    assert sent.scripts == []


def test_words_are_split_the_way_sh_splits_them():
    assert split_command("""dpkg-query -f '${Status} ${Version}' -W bash""") == [
        "dpkg-query", "-f", "${Status} ${Version}", "-W", "bash"]
    assert split_command("""a "b c" 'd'e f\\ g '' "x\\"y" """) == ["a", "b c", "de", "f g", "", 'x"y']
    for command in ("a 'b", 'a "b', "a\\", "a\nb", "a #c", "a {b,c}", "a [b]", "a b?"):
        with pytest.raises(NeedsShell):
            split_command(command)
    assert split_command("grep -qs -- 'a|b' /x") == ["grep", "-qs", "--", "a|b", "/x"]  # quoted: not a pipe


# --- the other testinfra modules on this machine ------------------------------------------------------------

def test_user_root(mini):
    root = mini.user("root")
    assert (root.exists, root.name, root.uid, root.gid, root.group, root.home) == (True, "root", 0, 0, "root", "/root")
    assert 0 in root.gids and "root" in root.groups
    assert not mini.user("no-such-user-here").exists
    assert mini.user().name == ME
    with pytest.raises(RefusedCommand, match="password hashes are secrets"):
        root.password


def test_group_root(mini):
    assert mini.group("root").exists and not mini.group("no-such-group-here").exists


@pytest.mark.skipif(not shutil.which("dpkg-query"), reason="a Debian host (dpkg-query)")
def test_package_bash_on_debian(mini):
    bash = mini.package("bash")
    assert bash.is_installed
    assert bash.version == subprocess.run(["dpkg-query", "-f", "${Version}", "-W", "bash"], capture_output=True,
                                          text=True).stdout
    assert not mini.package("no-such-package-here").is_installed


def test_system_info(mini):
    release = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
    info = mini.system_info
    assert (info.type, info.arch) == ("linux", os.uname().machine)
    assert info.distribution == release["ID"].strip('"')


def test_socket_listening(mini):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert mini.socket(f"tcp://127.0.0.1:{port}").is_listening
        assert f"tcp://127.0.0.1:{port}" in mini.socket.get_listening_sockets()
    assert not mini.socket(f"tcp://0.0.0.0:{port}").is_listening


_SYSTEMCTL = r'''#!/bin/sh
# systemd as the Mini has it: ollama.service active and enabled; a record of every call
echo "$*" >> "$CALLS"
case "$1" in
  is-active) [ "$2" = ollama.service ] && { echo active; exit 0; }; echo inactive; exit 3;;
  is-enabled) [ "$2" = ollama.service ] && { echo enabled; exit 0; }; echo disabled; exit 1;;
  show) printf 'Id=%s\nRestart=always\nEnvironment=OLLAMA_HOST=0.0.0.0:11434\n' "$2";;
  list-unit-files) printf 'ollama.service enabled enabled\nssh.service enabled enabled\n';;
  *) exit 99;;
esac
'''


@pytest.fixture
def systemd_host(tmp_path):
    """A Linux host with systemd (a stand-in systemctl first in PATH): testinfra picks SystemdService."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "systemctl").write_text(_SYSTEMCTL)
    (bin_dir / "systemctl").chmod(0o755)
    calls = tmp_path / "calls"
    calls.write_text("")
    backend = ShellBackend(env={"PATH": f"{bin_dir}:/usr/bin:/bin", "CALLS": str(calls)})
    host = guarded_host(Runner("mini", backend, command_timeout=5), "linux")
    host.calls, host.sent = calls, backend
    return host


def test_service_on_linux_with_systemd(systemd_host):
    ollama = systemd_host.service("ollama.service")
    assert type(ollama).__mro__[1].__name__ == "SystemdService"
    assert (ollama.is_running, ollama.is_enabled, ollama.exists, ollama.is_masked) == (True, True, True, False)
    assert ollama.systemd_properties["Restart"] == "always"
    other = systemd_host.service("other.service")
    assert (other.is_running, other.is_enabled, other.exists) == (False, False, False)
    with pytest.raises(RefusedCommand, match="is_valid runs `systemd-analyze verify`, which writes"):
        ollama.is_valid
    with pytest.raises(RefusedCommand, match="restart"):
        systemd_host.run("systemctl restart ollama.service")
    assert systemd_host.calls.read_text().splitlines() == [  # what reached systemctl: reads only
        "is-active ollama.service", "is-enabled ollama.service", "list-unit-files --no-pager --no-legend",
        "is-enabled ollama.service", "show ollama.service", "is-active other.service", "is-enabled other.service",
        "list-unit-files --no-pager --no-legend"]


# --- every command is the run's evidence, with the test that sent it -----------------------------------------

def test_every_command_is_recorded_on_the_runner_with_its_test(mini, tree):
    runner = mini.backend.runner
    with attributed_to("tests/local/test_x.py::test_a"):
        mini.file(str(tree / "file")).exists
        mini.run("id -un")
    with attributed_to("tests/local/test_x.py::test_b"):
        mini.file(str(tree / "file")).content_string
        with pytest.raises(RefusedCommand):
            mini.run("systemctl restart ollama.service")
    mini.run("uname -r")
    by_test = mini.backend.by_test
    assert [r.command for r in by_test["tests/local/test_x.py::test_a"]] == [
        "uname -s", "stat -Lc %s /etc/os-release", "head -c 1024 -- /etc/os-release", "uname -m",  # system_info, once
        f"stat -c '%F|%a|%U|%G|%s|%n' -- {tree / 'file'}", f"stat -L -c '{LOOK}' -- {tree / 'file'}",  # one look
        "id -un"]
    assert [r.command for r in by_test["tests/local/test_x.py::test_b"]] == [
        f"stat -Lc %s {tree / 'file'}", f"head -c 1024 -- {tree / 'file'}"]
    assert [r.command for r in by_test[OUTSIDE_A_TEST]] == ["uname -r"]
    assert all(r.test == test for test, records in by_test.items() for r in records)
    assert [r for records in by_test.values() for r in records] == runner.records  # all of them, in the run's evidence
    assert mini.backend.commands("tests/local/test_x.py::test_b") == by_test["tests/local/test_x.py::test_b"]
    assert {r.host for r in runner.records} == {"mini"}


def test_outputs_are_not_redacted_for_the_test_the_records_are_redacted_at_the_boundary(mini, tmp_path):
    secret = tmp_path / "env"
    secret.write_text("OPENAI_API_KEY=sk-live-0123456789abcdef\n")
    assert "sk-live-0123456789abcdef" in mini.file(str(secret)).content_string
    written = [r.shown(Redactor()) for r in mini.backend.runner.records]  # what commands.json gets
    assert "sk-live-0123456789abcdef" not in str(written)


# --- secret files are never read; what a test reads teaches the run's Redactor ----------------------------------

CANARY = "CANARY-secret-file-0001"


@pytest.mark.parametrize("path", [
    "/etc/shadow", "/etc/gshadow-", "/etc/master.passwd", "/proc/self/environ", "/proc/1/environ",
    "/proc/1/task/1/environ", "/home/christopherbailey/.ssh/id_ed25519", "/root/.ssh/id_rsa", "/Users/cb/.ssh/deploy.pem",
    "/home/git/.ssh/keys/backup.key", "/etc/ssh/ssh_host_ed25519_key", "/etc//shadow"])
@pytest.mark.parametrize("how", ["content", "sha256sum", "contains", "head"])
def test_a_secret_file_by_its_name_is_refused_before_anything_is_sent(mini, sent, path, how):
    f = mini.file(path)
    read = {"content": lambda: f.content_string, "sha256sum": lambda: f.sha256sum, "contains": lambda: f.contains("x"),
            "head": lambda: mini.run(f"head -c 10 -- {path}")}[how]
    with pytest.raises(RefusedCommand, match=r"\(nothing was sent to mini\): .* is a secret file \((a password database|"
                                             r"a process's environment|an SSH private key|an SSH host key)\): the suite "
                                             r"never reads one"):
        read()
    assert not [r.command for r in mini.backend.runner.records if path in r.command]  # testinfra's platform probes only


def test_a_public_key_and_a_documented_secret_s_neighbours_are_read(sent, tmp_path):
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "id_ed25519.pub").write_text("ssh-ed25519 AAAA public\n")
    (tmp_path / "documented").write_text(CANARY)
    (tmp_path / "neighbour").write_text("not secret\n")
    host = guarded_host(Runner("mini", sent, secret_files=SecretFiles([str(tmp_path / "documented")])), "linux")
    assert host.file(str(tmp_path / ".ssh" / "id_ed25519.pub")).content_string == "ssh-ed25519 AAAA public\n"
    assert host.file(str(tmp_path / "neighbour")).content_string == "not secret\n"
    with pytest.raises(RefusedCommand, match="is a secret file \\(documented as secret in the inventory\\)"):
        host.file(str(tmp_path / "documented")).content_string


@pytest.fixture
def secrets_tree(tmp_path):
    """Links to secrets that do not look like secrets: to a password database, a process's environment (which holds
    the webhook URL), a user's SSH key, a file the inventory marks secret (a symlink and a hard link)."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{CANARY}\n")
    (tmp_path / "webui_secret_key").write_text(CANARY)
    links = {"shadow": "/etc/shadow", "environ": "/proc/self/environ", "key": str(home / ".ssh" / "id_ed25519"),
             "documented": str(tmp_path / "webui_secret_key")}
    for name, target in links.items():
        (tmp_path / f"notes-{name}.txt").symlink_to(target)
    os.link(tmp_path / "webui_secret_key", tmp_path / "notes-hardlink.txt")
    return tmp_path


@pytest.mark.parametrize("name, what", [
    ("shadow", "it is /etc/shadow"), ("environ", r"it is /proc/\d+/environ, a process's environment"),
    ("key", r"it is .*/home/.ssh/id_ed25519"), ("documented", "it is .*/webui_secret_key"),
    ("hardlink", "it is .*/webui_secret_key")])
@pytest.mark.parametrize("how", ["content", "sha256sum", "contains"])
def test_a_link_to_a_secret_is_refused_on_the_host_and_nothing_is_read(secrets_tree, name, what, how):
    backend = ShellBackend(env={"PATH": "/usr/bin:/bin", "HOME": str(secrets_tree / "home"),
                                "LLM_LAB_WEBHOOK_URL": f"https://ha.example/api/webhook/{CANARY}"})
    runner = Runner("mini", backend, command_timeout=5,
                    secret_files=SecretFiles([str(secrets_tree / "webui_secret_key")]))
    host = guarded_host(runner, "linux")
    f = host.file(str(secrets_tree / f"notes-{name}.txt"))
    read = {"content": lambda: f.content_string, "sha256sum": lambda: f.sha256sum, "contains": lambda: f.contains("C")}
    with pytest.raises(SecretFile, match=rf"^mini: .*/notes-{name}.txt is a secret file on mini \({what}\): not read; "
                                         r"the suite never reads one, for its facts or for a test \(`"):
        read[how]()
    reading = runner.records[-1]
    assert reading.exit_status == 126 and reading.stdout == ""  # the command never ran
    assert not [r for r in runner.records if CANARY in r.stdout + r.stderr]


def test_the_runner_refuses_a_secret_for_the_facts_too(secrets_tree):
    """The same guard for every read, the facts' included (an EnvironmentFile= that a hostile host links to a key)."""
    from conformance.facts.paths import hash_command, read_command
    backend = ShellBackend(env={"PATH": "/usr/bin:/bin", "HOME": str(secrets_tree / "home")})
    outs = Runner("mini", backend).run([read_command(str(secrets_tree / "notes-key.txt"), 1000),
                                        hash_command(str(secrets_tree / "notes-shadow.txt")),
                                        read_command("/etc/shadow", 1000)])
    assert [(o.exit_status, o.stdout) for o in outs] == [(126, "")] * 3
    assert [o.stderr.split(": is a secret file (not read): ")[1].strip() for o in outs] == [
        f"it is {secrets_tree}/home/.ssh/id_ed25519", "it is /etc/shadow", "a password database"]


def test_what_a_test_reads_teaches_the_runs_redactor_before_anything_leaves(mini, tmp_path):
    (tmp_path / "env").write_text("JERRY_CHAT_API_KEY=CANARY-env-0001\nSHORT_PASS=Kq7Z9w\nPORT=8100\n")
    (tmp_path / "config.json").write_text('{"webhook": {"token": "CANARY-json-0002"}, "model": "lil-jerry"}\n')
    (tmp_path / "router.yaml").write_text("general_settings:\n  master_key: &k !!str CANARY-yaml-0003\nother: *k\n")
    redact = mini.backend.redactor
    read = {name: mini.file(str(tmp_path / name)).content_string for name in ("env", "config.json", "router.yaml")}
    assert "CANARY-env-0001" in read["env"]  # the test itself sees what the host answered
    # an assertion message quoting a value bare (no key beside it) is redacted at the boundary
    message = redact(f"AssertionError: assert 'CANARY-env-0001' == 'x'; token CANARY-json-0002; key CANARY-yaml-0003")
    assert "CANARY" not in message, message
    records = "\n".join(r.stdout for r in mini.backend.runner.records)
    assert "Kq7Z9w" not in records and "PORT=8100" in records  # a short secret masked where it sits, in the record


def test_a_command_killed_at_its_deadline_fails_the_test(tmp_path):
    backend = ShellBackend(env={"PATH": f"{tmp_path}:/usr/bin:/bin"})
    (tmp_path / "realpath").write_text("#!/bin/sh\nexec sleep 30\n")  # a hung command, in an allowed shape
    (tmp_path / "realpath").chmod(0o755)
    host = guarded_host(Runner("mini", backend, command_timeout=1), "linux")
    started = time.monotonic()
    with pytest.raises(CommandTimedOut, match=r"mini: `realpath /x` was killed on the host after 1 s \(--command-timeout\)"):
        host.run("realpath /x")
    assert time.monotonic() - started < 5


def test_an_unreachable_host_fails_each_command_and_is_not_asked_again():
    class Down:
        user = "?"
        calls = 0

        def run(self, script, deadline):
            Down.calls += 1
            from conformance.runner import RoundTripFailed
            raise RoundTripFailed("dietpi unreachable: connection refused (alias dietpi -> 127.0.0.1:9)")

    host = guarded_host(Runner("dietpi", Down()), "linux")
    with pytest.raises(HostCommandFailed, match=r"^dietpi unreachable: connection refused \(alias dietpi -> 127.0.0.1:9\)$"):
        host.run("id -un")
    with pytest.raises(HostCommandFailed, match="not sent: an earlier round trip to it failed in this run"):
        host.run("id -un")
    assert Down.calls == 1 and len(host.backend.runner.records) == 1


def test_the_encoding_is_pinned_and_never_probed(mini, sent):
    assert mini.backend.encoding == "utf-8" and sent.scripts == []


# --- macOS: testinfra has no launchd support -----------------------------------------------------------------

@pytest.mark.parametrize("module", ["service", "socket", "process"])
def test_on_a_mac_service_socket_and_process_skip_with_the_reason_and_send_nothing(module, sent):
    mac = guarded_host(Runner("studio", sent), "darwin")
    with pytest.raises(SKIPPED) as skipped:
        getattr(mac, module)
    assert str(skipped.value.msg) == (f"studio is macOS: host.{module}: testinfra has no launchd support; use the "
                                      "suite's launchd checks or host.run")
    assert sent.scripts == []


def test_on_a_mac_files_are_read_with_bsd_tools(tmp_path):
    mac = FakeMac(tmp_path).file("/opt/mlx-launch/run.sh", "#!/bin/sh\nexec mlx\n")
    host = guarded_host(Runner("studio", mac.backend(), command_timeout=5), "darwin")
    assert host.system_info.type == "darwin" and host.system_info.distribution == "macOS"
    assert host.file("/opt/mlx-launch/run.sh").content_string == "#!/bin/sh\nexec mlx\n"
    assert [r.command for r in host.backend.runner.records][-2:] == [
        "stat -L -f '%HT|%Lp|%Su|%Sg|%z|%N' /opt/mlx-launch/run.sh", "head -c 262144 -- /opt/mlx-launch/run.sh"]


@pytest.mark.skipif(not shutil.which("shasum"), reason="needs shasum (Debian: perl)")
def test_darwin_linked_to_script_and_sha256_run_as_realpath_and_shasum(tmp_path, tree):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "uname").write_text('#!/bin/sh\n[ "$1" = -s ] && echo Darwin || /bin/uname "$@"\n')
    (tmp_path / "bin" / "uname").chmod(0o755)
    backend = ShellBackend(env={"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin"})
    host = guarded_host(Runner("studio", backend, command_timeout=5), "darwin")
    f = host.file(str(tree / "link"))
    assert DarwinFile in type(f).__mro__
    assert f.linked_to == str(tree / "file")  # DarwinFile's shell script, run as realpath
    assert f.sha256sum == subprocess.run(["sha256sum", str(tree / "file")], capture_output=True, text=True).stdout.split()[0]
    assert [r.command for r in host.backend.runner.records][-2:] == [f"realpath {tree / 'link'}",
                                                                    f"shasum -a 256 {tree / 'link'}"]


# --- the fixture: which host, the same Runner as the facts ---------------------------------------------------

def test_the_folder_picks_the_host():
    session = SimpleNamespace(local_host="mini", inventory=real_inventory())
    assert [host_for_folder(session, m) for m in ("local", "studio", "dietpi")] == ["mini", "studio", "dietpi"]
    assert host_for_folder(SimpleNamespace(local_host="studio", inventory=real_inventory()), "local") == "studio"
    with pytest.raises(LookupError, match=r"tests/contract/: no inventory host has the marker 'contract'; the `host` "
                                          r"fixture picks the host by the test's folder: tests/<marker>/ with a "
                                          r"marker of local, studio, dietpi"):
        host_for_folder(session, "contract")
    # the run's own host is `local`, never its own name's folder: the fixture and the collection agree
    on_studio = SimpleNamespace(local_host="studio", inventory=real_inventory())
    assert folder_host(on_studio, "studio") is None and folder_host(on_studio, "mini") == "mini"
    with pytest.raises(LookupError, match=r"tests/studio/: studio is the run's own host \(--local-host\), whose "
                                          r"folder is tests/local/"):
        host_for_folder(on_studio, "studio")


def test_make_host_uses_the_sessions_runner_after_the_facts(tree):
    inventory = load_inventory(INVENTORY)
    session = SuiteSession(inventory, SiteAddresses(inventory), "mini", command_timeout=5)
    try:
        host = make_host(session, "mini")
        runner = session.runners["mini"]
        assert host.backend.runner is runner and runner.max_round_trips == 2
        facts_trips, facts_records = runner.batches, len(runner.records)
        assert 1 <= facts_trips <= 2  # the facts came first, in their stated round trips
        assert host.file(str(tree / "file")).is_file
        assert runner.max_round_trips == 2 and runner.batches > facts_trips  # the test's own trips, outside the budget
        assert session.records()[facts_records:] == host.backend.by_test[OUTSIDE_A_TEST]
        assert make_host(session, "mini").backend.runner is runner
    finally:
        session.close()


# --- round trips: testinfra's platform probes from the facts, one look at a path per test -----------------------

def test_testinfras_platform_probes_are_answered_by_the_facts_round_trip(tree):
    inventory = load_inventory(INVENTORY)
    session = SuiteSession(inventory, SiteAddresses(inventory), "mini", command_timeout=5)
    session.owner_test_hosts.add("mini")  # what the plugin notes at collection: an owner's test uses `host` on mini
    try:
        host = make_host(session, "mini")
        runner = session.runners["mini"]
        trips = runner.batches
        release = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
        info = host.system_info
        assert (info.type, info.distribution, info.arch) == ("linux", release["ID"].strip('"'), os.uname().machine)
        assert runner.batches == trips <= 2  # nothing sent for them: round trip 1 of the facts answered them
        with attributed_to("tests/local/test_x.py::test_a"):
            assert host.file(str(tree / "file")).is_file and host.file(str(tree / "file")).mode
        assert runner.batches == trips + 1 and runner.test_batches == 1
        assert session.host_stats()["mini"].round_trips == trips + 1
        assert session.host_stats()["mini"].tests_round_trips == 1
    finally:
        session.close()


def test_on_a_mac_the_platform_probes_are_answered_by_the_facts_round_trip(tmp_path):
    from conformance.testinfra_host import GuardedBackend
    mac = FakeMac(tmp_path)
    facts = mac.mac_facts(real_inventory(), platform=True)
    host = guarded_host(facts.runner, "darwin", platform=facts.platform())
    assert isinstance(host.backend, GuardedBackend) and facts.runner.batches == 1
    info = host.system_info
    assert (info.type, info.distribution, info.release) == ("darwin", "macOS", "15.6")
    assert info.arch and facts.runner.batches == 1  # uname -m rode in the facts' one round trip too


@pytest.fixture
def odd_tree(tree):
    """Besides `tree`: a dangling symlink, a symlink to a directory, a socket, an empty file."""
    (tree / "dangling").symlink_to(tree / "nowhere")
    (tree / "dirlink").symlink_to(tree / "dir")
    (tree / "empty").write_text("")
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(tree / "socket"))
    return tree


QUESTIONS = ["test -e", "test -f", "test -d", "test -L", "test -p", "test -S"] + [
    f"stat -Lc {field}" for field in ("%U", "%u", "%G", "%g", "%a", "%Y", "%s", "%i")]


@pytest.mark.parametrize("name", ["file", "dir", "link", "fifo", "missing", "dangling", "dirlink", "empty", "socket"])
def test_a_tests_questions_about_a_path_cost_one_look_and_answer_as_testinfras_own_commands(mini, odd_tree, name):
    path = str(odd_tree / name)
    mini.system_info.type  # testinfra's own probes, once per host: not this test's
    runner = mini.backend.runner
    before = runner.batches
    with attributed_to(f"tests/local/test_x.py::test_{name}"):
        got = [(out.rc, out.stdout, out.stderr) for out in (mini.run(f"{q} {path}") for q in QUESTIONS)]
        f = mini.file(path)
        properties = (f.exists, f.is_file, f.is_directory, f.is_symlink, f.is_pipe, f.is_socket)
    assert runner.batches - before == 1, [r.command for r in runner.records[-4:]]
    here = [subprocess.run(f"{q} {path}", shell=True, capture_output=True, text=True) for q in QUESTIONS]
    assert got == [(p.returncode, p.stdout, p.stderr) for p in here]
    assert properties == tuple(os.system(f"test {flag} {path}") == 0 for flag in ("-e", "-f", "-d", "-L", "-p", "-S"))
    with attributed_to(f"tests/local/test_x.py::test_{name}_again"):  # another test looks again
        mini.file(path).exists
    assert runner.batches - before == 2


# --- over SSH: the same host.file checks, on ONE connection shared with the batched facts ---------------------

@live
def test_over_ssh_host_file_shares_the_runners_one_connection(sshd, tree):  # noqa: F811
    backend = ssh_backend_for("dietpi", "127.0.0.1", "studio", config_file=str(sshd.config))
    try:
        runner = Runner("dietpi", backend, command_timeout=5, round_trip_timeout=20, max_round_trips=1)
        before = sshd.accepted()
        facts = runner.run([["id", "-un"], ["uname", "-s"]])  # the batched facts' round trip
        assert [o.stdout for o in facts] == [f"{ME}\n", "Linux\n"]
        host = make_host(SimpleNamespace(runners={"dietpi": runner}, inventory=real_inventory(), redactor=Redactor(),
                                         gathered=lambda host_id: None), "dietpi")
        f = host.file(str(tree / "file"))
        assert (f.exists, f.is_file, f.is_directory, f.is_symlink, f.user) == (True, True, False, False, ME)
        assert (f.size, f.mode) == (os.stat(tree / "file").st_size, os.stat(tree / "file").st_mode & 0o7777)
        assert f.content_string == "hello=world\ncafé\n"
        assert host.file(str(tree / "link")).linked_to == str(tree / "file")
        assert host.file(str(tree / "dir")).is_directory
        with pytest.raises(NotRegularFile, match="fifo is not a regular file"):
            host.file(str(tree / "fifo")).content_string
        with pytest.raises(RefusedCommand, match="restart"):
            host.run("systemctl restart ollama.service")
        assert sshd.accepted() - before == 1  # one connection: the ControlMaster of the facts' round trip
        assert runner.max_round_trips == 1 and runner.batches > 1
        assert {r.user for r in runner.records} == {ME} and all(r.host == "dietpi" for r in runner.records)
    finally:
        backend.close()


# --- the plugin: a three-line testinfra test gets the suite's `host` -----------------------------------------

THREE_LINES = '''\
def test_passwd_is_a_file(host):
    assert host.file("/etc/passwd").is_file
    assert host.user("root").exists
'''
RESTART = '''\
def test_restart_ollama(host):
    host.run("systemctl restart ollama.service")
'''


def _project(tmp_path: Path) -> Path:
    """This project's layout in tmp: its conftest (with conformance.host_fixture, as the lead registers it),
    pyproject (markers, options) and inventory, and a tests/ tree."""
    project = tmp_path / "project"
    (project / "tests" / "local").mkdir(parents=True)
    conftest = (ROOT / "conftest.py").read_text()
    if "conformance.host_fixture" not in conftest:
        conftest = conftest.replace('pytest_plugins = ["conformance.plugin"]',
                                    'pytest_plugins = ["conformance.plugin", "conformance.host_fixture"]')
    assert "conformance.host_fixture" in conftest
    (project / "conftest.py").write_text(conftest)
    shutil.copy(ROOT / "pyproject.toml", project)
    shutil.copy(ROOT / "inventory.yaml", project)
    return project


def _pytest(project: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    env = {**environ_without_pytest_vars(), "PYTHONPATH": str(ROOT), "COLUMNS": "400", **(env or {})}
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", *args], cwd=project,
                       capture_output=True, text=True, timeout=120, env=env)
    return p.returncode, p.stdout + p.stderr


def test_a_three_line_testinfra_test_gets_the_suites_host_and_a_restart_fails(tmp_path):
    import json
    project = _project(tmp_path)
    (project / "tests" / "local" / "test_mine.py").write_text(THREE_LINES)
    (project / "tests" / "local" / "test_restart.py").write_text(RESTART)
    status, output = _pytest(project, "tests", f"--report-dir={tmp_path / 'reports'}")
    assert status == 1, output
    assert "PASSED tests/local/test_mine.py::test_passwd_is_a_file\n" in output  # no [local://]: not testinfra's host
    assert ("FAILED tests/local/test_restart.py::test_restart_ollama - mini: host.run refused "
            "`systemctl restart ollama.service` (nothing was sent to mini): refused: systemctl restart ollama.service "
            ": systemctl: only show,") in output
    assert "Traceback" not in output and "During handling" not in output
    commands = json.loads(next((tmp_path / "reports").glob("*/commands.json")).read_text())
    sent = [c["command"] for c in commands if c["host"] == "mini"]
    assert f"stat -L -c '{LOOK}' -- /etc/passwd" in sent and "id root" in sent  # through the runner, into the evidence
    assert not any("restart" in c for c in sent)


def test_an_owners_test_reading_secrets_leaves_none_in_any_artifact(tmp_path):
    """Through the plugin: a link to the run's own environment (the webhook URL) is refused; a key a test reads and
    then quotes bare in its assertion is redacted; nothing of either in any file of the run directory."""
    import base64
    import re
    (tmp_path / "notes.txt").symlink_to("/proc/self/environ")
    (tmp_path / "app.env").write_text("OPENAI_API_KEY=CANARY-learned-0002\n")
    project = _project(tmp_path)
    (project / "tests" / "local" / "test_mine.py").write_text(f'''
def test_reads_my_notes(host):
    assert host.file("{tmp_path / 'notes.txt'}").content_string == ""


def test_compares_a_key(host):
    value = host.file("{tmp_path / 'app.env'}").content_string.split("=", 1)[1].strip()
    assert value == "the documented one"
''')
    env = {"LLM_LAB_WEBHOOK_URL": "https://ha.example/api/webhook/CANARY-webhook-0001"}
    status, output = _pytest(project, "tests", f"--report-dir={tmp_path / 'reports'}", env=env)
    assert status == 1, output
    assert "is a secret file on mini (it is /proc/" in output
    run_dir = next((tmp_path / "reports").glob("2*"))
    texts = {"terminal": output}
    for path in run_dir.iterdir():
        text = text_of(path)
        texts[path.name] = text + "".join(base64.b64decode(chunk).decode(errors="replace")
                                          for chunk in re.findall(r"base64,([A-Za-z0-9+/=]+)", text))
    assert {"commands.json", "results.json", "junit.xml", "pytest-report.html"} <= set(texts)
    leaked = {name: c for name, text in texts.items() for c in ("CANARY-webhook-0001", "CANARY-learned-0002") if c in text}
    assert not leaked, leaked


def test_one_round_trip_count_everywhere_saying_what_it_counts(tmp_path):
    """The terminal, results.json and report.html give the same number for a host: every round trip sent, the facts'
    and the owner's tests' apart. An owner's test asking two things about one path costs one round trip, and
    testinfra's platform probes none (the facts' first round trip answered them)."""
    import html
    import json
    project = _project(tmp_path)
    (project / "tests" / "local" / "test_mine.py").write_text(
        'def test_passwd(host):\n    f = host.file("/etc/passwd")\n    assert f.is_file and f.mode & 0o444\n')
    status, output = _pytest(project, "tests", f"--report-dir={tmp_path / 'reports'}")
    run_dir = next((tmp_path / "reports").glob("2*"))
    mini = json.loads((run_dir / "results.json").read_text())["hosts"]["mini"]
    facts = mini["round_trips"] - mini["tests_round_trips"]
    assert mini["tests_round_trips"] == 1 and 1 <= facts <= 2, mini
    said = f"mini: {mini['round_trips']} round trips ({facts} for the facts + 1 for the owner's tests), " \
           f"{mini['commands']} commands"
    assert said in output, output[-1500:]
    assert said in html.unescape((run_dir / "report.html").read_text())
    commands = json.loads((run_dir / "commands.json").read_text())
    assert len({c["batch"] for c in commands if c["host"] == "mini"}) == mini["round_trips"]


def test_another_host_fixture_stops_the_run(tmp_path):
    project = _project(tmp_path)
    (project / "tests" / "local" / "test_mine.py").write_text(THREE_LINES)
    (project / "tests" / "local" / "conftest.py").write_text(
        "import pytest, testinfra\n\n@pytest.fixture\ndef host():\n    return testinfra.get_host('local://')\n")
    status, output = _pytest(project, "tests", "--no-report")
    assert status == 4, output
    assert ("tests/local/test_mine.py::test_passwd_is_a_file: its `host` fixture is conftest.host, which would run "
            "commands outside the suite's runner") in output


def test_testinfra_registered_after_ours_is_caught(tmp_path):
    project = _project(tmp_path)
    (project / "conftest.py").write_text('pytest_plugins = ["conformance.plugin"]\n')
    (project / "tests" / "local" / "test_mine.py").write_text(THREE_LINES)
    status, output = _pytest(project, "tests", "--no-report", "-p", "conformance.host_fixture")  # before entry points
    assert status == 4, output
    assert "its `host` fixture is testinfra.plugin.host" in output


def test_on_a_mac_local_host_the_fixture_skips_service_with_the_reason(tmp_path):
    project = _project(tmp_path)
    (project / "tests" / "local" / "test_mac.py").write_text(
        'def test_job(host):\n    assert host.service("com.bebop.mlx-launch").is_running\n')
    status, output = _pytest(project, "tests/local/test_mac.py", "--no-report", "--local-host=studio")
    assert status == 0, output
    assert ("SKIPPED [1] tests/local/test_mac.py:2: studio is macOS: host.service: testinfra has no launchd support; "
            "use the suite's launchd checks or host.run") in output


def _group(gid: int) -> str:
    import grp
    return grp.getgrgid(gid).gr_name
