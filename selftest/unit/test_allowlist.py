"""The read-only allowlist: exact argv shapes are allowed, everything else is refused before any host sees it."""
import pytest

from conformance.facts.journal import journal_command
from conformance.facts.base import MAX_READ_BYTES
from conformance.facts.paths import hash_command, read_command, readlink_command, stat_command
from conformance.facts.sockets import LISTENERS_COMMAND
from conformance.facts.systemd import show_command
from conformance.runner import RawResult, ReadOnlyViolation, Runner, check_read_only
from conformance.runner.allowlist import RULES, SHAPES, WHY, Shape

RUN = "0b178876d9ba4a6481b9e0e46bb47c8d"  # an InvocationID
OWNER = "/home/christopherbailey"
PLIST = "/Library/LaunchDaemons/com.bebop.mlx-launch.plist"

# (argv, the shape it matches, the files it reads)
ALLOWED = [
    # the commands the suite's fact modules generate today
    (show_command(["litellm-orch.service", "ollama.service"]), "systemctl show", ()),
    (show_command(["ov-server.service"], "user"), "systemctl show", ()),
    (show_command(["ov-server.service"], "user", machine_user="christopherbailey"), "systemctl show", ()),
    (journal_command(RUN), "journalctl (one run)", ()),
    (journal_command(RUN, "user"), "journalctl (one run)", ()),
    (journal_command(RUN, lines=10000), "journalctl (one run)", ()),
    (stat_command(["/etc/open-webui/env", f"{OWNER}/litellm-orch", f"{OWNER}/it's here"]), "stat (GNU)", ()),
    (readlink_command(f"{OWNER}/.config/systemd/user/default.target.wants/ov-server.service"), "readlink", ()),
    (read_command("/etc/open-webui/env", MAX_READ_BYTES), "head -c (bounded file read)", ("/etc/open-webui/env",)),
    (hash_command("/usr/local/bin/ollama"), "sha256sum", ("/usr/local/bin/ollama",)),
    (LISTENERS_COMMAND, "ss -ltn", ()),
    # Linux shapes
    (["id", "-un"], "id -un", ()),
    (["id", "-Gn"], "id -Gn", ()),
    (["uname", "-s"], "uname", ()),
    (["uname", "-r"], "uname", ()),
    (["uname", "-m"], "uname", ()),
    (["uname", "-a"], "uname", ()),
    (["systemctl", "show", "--no-pager", "-p", "Id,FragmentPath,ExecStart", "--", "ollama.service", "dbus.socket",
      "logrotate.timer", "multi-user.target", "-.mount", "systemd-ask-password-wall.path", "getty@tty1.service"],
     "systemctl show", ()),
    (["systemctl", "--user", "-M", "_svc-user@", "show", "--no-pager", "-p", "Id", "--", "x.service"], "systemctl show", ()),
    (["systemctl", "is-active", "--", "ollama.service"], "systemctl is-active|is-enabled|is-failed", ()),
    (["systemctl", "--user", "is-enabled", "--", "ov-server.service", "x.timer"], "systemctl is-active|is-enabled|is-failed", ()),
    (["systemctl", "--user", "-M", "christopherbailey@", "is-failed", "--", "ov-server.service"],
     "systemctl is-active|is-enabled|is-failed", ()),
    (["systemctl", "list-units", "--failed", "--no-pager", "--plain", "--no-legend"], "systemctl list-units --failed", ()),
    (["systemctl", "--user", "-M", "christopherbailey@", "list-units", "--failed", "--no-pager", "--plain", "--no-legend"],
     "systemctl list-units --failed", ()),
    (["systemctl", "is-system-running"], "systemctl is-system-running", ()),
    (["systemctl", "cat", "--no-pager", "--", "ollama.service"], "systemctl cat", ()),
    (["systemctl", "--user", "cat", "--no-pager", "--", "ov-server.service"], "systemctl cat", ()),
    # discovery (conformance/discover/observe.py): every loaded service of a scope, and its unit files
    (["systemctl", "show", "--no-pager", "-p", "Id,ExecStart,Transient", "--", "*.service"],
     "systemctl show (every loaded service)", ()),
    (["systemctl", "--user", "-M", "christopherbailey@", "show", "--no-pager", "-p", "Id", "--", "*.service"],
     "systemctl show (every loaded service)", ()),
    (["systemctl", "list-unit-files", "--no-pager", "--no-legend", "--type=service"],
     "systemctl list-unit-files (services)", ()),
    (["systemctl", "--user", "list-unit-files", "--no-pager", "--no-legend", "--type=service"],
     "systemctl list-unit-files (services)", ()),
    (["stat", "-c", "%F|%a|%U|%G|%s|%n", "--", "/"], "stat (GNU)", ()),
    (["head", "-c", "65536", "--", "/etc/open-webui/env"], "head -c (bounded file read)", ("/etc/open-webui/env",)),
    (["head", "-c", "1", "--", "/x"], "head -c (bounded file read)", ("/x",)),
    (["head", "-c", "16777216", "--", "/x"], "head -c (bounded file read)", ("/x",)),
    (["sha256sum", "--", "/etc/systemd/system/ollama.service", "/usr/local/bin/ollama"], "sha256sum",
     ("/etc/systemd/system/ollama.service", "/usr/local/bin/ollama")),
    (["ss", "-ltn"], "ss -ltn", ()),
    (["journalctl", "--no-pager", "-q", "-o", "json", "-n", "1", f"_SYSTEMD_INVOCATION_ID={RUN}"], "journalctl (one run)", ()),
    (["journalctl", "--no-pager", "-q", "-o", "short-iso", "-n", "50", "-u", "litellm-orch.service"], "journalctl (one unit)", ()),
    (["journalctl", "--user", "--no-pager", "-q", "-o", "cat", "-n", "300", "-u", "ov-server.service"], "journalctl (one unit)", ()),
    (["loginctl", "show-user", "christopherbailey"], "loginctl show-user", ()),
    (["loginctl", "show-user", "christopherbailey", "-p", "Linger"], "loginctl show-user", ()),
    (["loginctl", "show-user", "christopherbailey", "-p", "Linger", "-p", "State"], "loginctl show-user", ()),
    # macOS shapes (the Studio)
    (["sw_vers"], "sw_vers", ()),
    (["launchctl", "print", "system/com.bebop.mlx-launch"], "launchctl print system", ()),
    (["launchctl", "print", "gui/501/com.bebop.mlx_server-8100"], "launchctl print gui", ()),
    (["launchctl", "print-disabled", "system"], "launchctl print-disabled system", ()),
    (["netstat", "-an", "-p", "tcp"], "netstat -an -p tcp", ()),
    # Tailscale Serve's mappings (any host running tailscale)
    (["tailscale", "serve", "status", "--json"], "tailscale serve status --json", ()),
    (["stat", "-L", "-f", "%HT|%Lp|%Su|%Sg|%z|%N", "/opt/mlx-launch", "/tmp/mlx-8100.log"], "stat (BSD)", ()),
    (["shasum", "-a", "256", PLIST, "/opt/mlx-launch/bin/start.sh"], "shasum -a 256", (PLIST, "/opt/mlx-launch/bin/start.sh")),
    (["base64", "-i", PLIST], "base64 -i", (PLIST,)),
    (["head", "-c", "4096", "/tmp/mlx-8100.log"], "head -c (bounded file read)", ("/tmp/mlx-8100.log",)),
    (["plutil", "-lint", PLIST], "plutil -lint|-p", (PLIST,)),
    (["plutil", "-p", PLIST], "plutil -lint|-p", (PLIST,)),
    (["lsof", "-nP", "-iTCP", "-sTCP:LISTEN"], "lsof listeners", ()),
    # what testinfra's modules generate (pytest-testinfra 10.2.2), for the guarded `host` fixture
    (["test", "-e", "/etc/passwd"], "test (testinfra File)", ()),  # testinfra/modules/file.py:35
    (["test", "-f", "/etc/passwd"], "test (testinfra File)", ()),  # file.py:40
    (["test", "-d", "/run/systemd/system/"], "test (testinfra File)", ()),  # file.py:45, service.py:92
    (["test", "-L", "/sbin/init"], "test (testinfra File)", ()),  # file.py:65
    (["test", "-p", "/tmp/fifo"], "test (testinfra File)", ()),  # file.py:55
    (["realpath", "/sbin/init"], "realpath", ()),  # file.py:74
    (["stat", "-Lc", "%U", "/etc/passwd"], "stat -Lc (GNU, one field)", ()),  # file.py:226
    (["stat", "-Lc", "%a", "/etc/passwd"], "stat -Lc (GNU, one field)", ()),  # file.py:244
    (["stat", "-Lc", "%s", "/etc/os-release"], "stat -Lc (GNU, one field)", ()),  # file.py:253
    (["stat", "-L", "-c", "%F|%U|%u|%G|%g|%a|%Y|%s|%i", "--", "/etc/passwd"],
     "stat -L -c (GNU, every field testinfra asks, at once)", ()),  # testinfra_host.py: a test's look at a path
    (["stat", "-f", "%Su", "/opt/mlx-launch"], "stat -f (BSD, one field)", ()),  # file.py:271
    (["stat", "-f", "%Lp", "/opt/mlx-launch"], "stat -f (BSD, one field)", ()),  # file.py:289
    (["grep", "-qs", "--", "^OLLAMA_HOST=", "/etc/x.conf"], "grep -qs (exit status only)", ("/etc/x.conf",)),  # file.py:135
    (["ls", "-1", "-q", "--", "/opt/mlx-launch"], "ls -1 -q", ()),  # file.py:193
    (["command", "-v", "command"], "command -v", ()),  # host.py:40
    (["command", "-v", "ss"], "command -v", ()),  # host.py:58
    (["command", "-v", "/sbin/ss"], "command -v", ()),  # host.py:45 (find_command's extra paths)
    (["systemctl", "is-active", "ollama.service"], "systemctl is-active|is-enabled (testinfra)", ()),  # service.py:189
    (["systemctl", "is-enabled", "ollama"], "systemctl is-active|is-enabled (testinfra)", ()),  # service.py:197, 224
    (["systemctl", "show", "ollama.service"], "systemctl show (testinfra)", ()),  # service.py:229
    (["systemctl", "list-unit-files", "--no-pager", "--no-legend"], "systemctl list-unit-files", ()),  # for service.py:179
    (["ss", "--numeric", "--listening", "--tcp"], "ss (testinfra Socket)", ()),  # socket.py:208-218
    (["ss", "--numeric", "--all", "--unix"], "ss (testinfra Socket)", ()),
    (["ss", "--numeric", "--listening"], "ss (testinfra Socket)", ()),
    (["id", "-nu"], "id -nu", ()),  # user.py:32
    (["id", "root"], "id <user>", ()),  # user.py:46 (and user.py:51's uid, read from it)
    (["id", "-g", "root"], "id <user>", ()),  # user.py:56
    (["id", "-ng", "root"], "id <user>", ()),  # user.py:61
    (["id", "-G", "root"], "id <user>", ()),  # user.py:68
    (["id", "-nG", "christopherbailey"], "id <user>", ()),  # user.py:77
    (["getent", "passwd", "root"], "getent passwd|group", ()),  # user.py:82, 87, 115
    (["getent", "passwd"], "getent passwd|group", ()),  # user.py:145
    (["getent", "group", "systemd-journal"], "getent passwd|group", ()),  # group.py:32
    (["dpkg-query", "-f", "${Status}", "-W", "bash"], "dpkg-query -W (status)", ()),  # package.py:107
    (["dpkg-query", "-f", "${Status} ${Version}", "-W", "libc6:amd64"], "dpkg-query -W (status and version)", ()),  # package.py:120
    (["lsb_release", "-a"], "lsb_release -a", ()),  # systeminfo.py:89
    (["ssh", "-G", "-F", "/home/christopherbailey/.ssh/config", "--", "dietpi"], "ssh -G",
     ("/home/christopherbailey/.ssh/config",)),
    (["ssh", "-G", "--", "studio"], "ssh -G", ()),
]


@pytest.mark.parametrize("argv, name, reads", ALLOWED, ids=lambda a: " ".join(a)[:70] if isinstance(a, list) else "")
def test_allowed_command_matches_its_shape(argv, name, reads):
    assert check_read_only(argv) == Shape(name, reads)


def test_every_shape_has_an_allowed_example():
    assert {name for _, name, _ in ALLOWED} == {name for name, _ in RULES}


def test_every_program_has_a_reason_to_give_and_every_shape_a_description():
    assert {shape.split()[0] for _, shape in RULES} == set(WHY)
    assert SHAPES == [shape for _, shape in RULES] and all(isinstance(s, str) for s in SHAPES)


REFUSED = [
    # discovery's shapes, exactly: only every `*.service`, never another glob, never a unit file's state change
    ["systemctl", "show", "--no-pager", "-p", "Id", "--", "*"],
    ["systemctl", "show", "--no-pager", "-p", "Id", "--", "*.service", "*.socket"],
    ["systemctl", "list-unit-files", "--no-pager", "--no-legend", "--type=service", "--root=/x"],
    # programs not on the list
    ["cat", "--", "/etc/open-webui/env"],
    ["sh", "-c", "cat /etc/passwd"],
    ["bash", "-c", "id"],
    ["env", "id", "-un"],
    ["sudo", "systemctl", "status"],
    ["python3", "-c", "print(1)"],
    ["rm", "-rf", "/"],
    ["tee", "/etc/x"],
    ["dd", "if=/dev/zero", "of=/dev/sda"],
    ["find", "/", "-delete"],
    ["apt-get", "install", "-y", "x"],
    ["/usr/bin/systemctl", "show", "--no-pager", "-p", "Id", "--", "x.service"],
    # systemctl: verbs that change state
    ["systemctl", "start", "x.service"],
    ["systemctl", "stop", "x.service"],
    ["systemctl", "restart", "x.service"],
    ["systemctl", "enable", "--now", "x.service"],
    ["systemctl", "daemon-reload"],
    ["systemctl", "kill", "x.service"],
    ["systemctl", "set-property", "x.service", "CPUQuota=1%"],
    ["systemctl", "edit", "x.service"],
    ["systemctl", "--user", "stop", "y.service"],
    ["systemctl", "--user", "-M", "christopherbailey@", "restart", "ov-server.service"],
    ["systemctl", "--", "stop", "x.service"],
    ["systemctl", "show", "--kill-whom=all", "x.service"],
    ["systemctl", "status"],
    # systemctl: another host, a container, or another spelling
    ["systemctl", "-H", "dietpi", "show", "--no-pager", "-p", "Id", "--", "x.service"],
    ["systemctl", "--host", "dietpi", "is-active", "--", "x.service"],
    ["systemctl", "--host=dietpi", "is-system-running"],
    ["systemctl", "-M", "somemachine", "show", "--no-pager", "-p", "Id", "--", "x.service"],
    ["systemctl", "--user", "-M", "somemachine", "show", "--no-pager", "-p", "Id", "--", "x.service"],
    ["systemctl", "--user", "-M", "christopherbailey@somemachine", "show", "--no-pager", "-p", "Id", "--", "x.service"],
    ["systemctl", "-M", "christopherbailey@", "show", "--no-pager", "-p", "Id", "--", "x.service"],  # -M only with --user
    ["systemctl", "--machine=x", "is-system-running"],
    ["systemctl", "--user", "--machine=christopherbailey@", "is-active", "--", "x.service"],
    ["systemctl", "show", "--no-pager", "-p", "Id", "x.service"],  # no `--`: a unit could pass for an option
    ["systemctl", "show", "--no-pager", "-p", "Id", "--", "x"],  # not a unit name of a listed type
    ["systemctl", "cat", "--no-pager", "--", "a.service", "b.service"],
    # ssh: only -G (it never connects), an alias that is not an option, a config by absolute path
    ["ssh", "--", "studio"],
    ["ssh", "studio", "/bin/sh", "-s"],
    ["ssh", "-G", "studio"],  # no `--`
    ["ssh", "-G", "--", "-oProxyCommand=touch /tmp/x"],
    ["ssh", "-G", "-F", "config", "--", "dietpi"],
    ["ssh", "-G", "-o", "ProxyCommand=x", "--", "dietpi"],
    ["ssh", "-G", "--", "dietpi", "uname"],
    ["ssh", "-O", "exit", "--", "dietpi"],
    # ss: -K kills sockets, -p needs root
    ["ss", "-K"],
    ["ss", "-ltnK"],
    ["ss", "--kill"],
    ["ss", "-p"],
    ["ss", "-ltnpH"],
    ["ss", "-D", "/tmp/dump"],
    # journalctl: unbounded, following, vacuuming, other journals
    ["journalctl", "--no-pager", "-q", "-o", "cat", "-f", "-n", "10", f"_SYSTEMD_INVOCATION_ID={RUN}"],
    ["journalctl", "--no-pager", "-q", "-o", "cat", "-n", "10", "--follow", "-u", "x.service"],
    ["journalctl", "--vacuum-size=1M"],
    ["journalctl", "--vacuum-time", "1s"],
    ["journalctl", "--rotate"],
    ["journalctl", "--flush"],
    ["journalctl", "--no-pager", "-o", "cat", f"_SYSTEMD_INVOCATION_ID={RUN}"],
    ["journalctl", "--no-pager", "-q", "-o", "cat", f"_SYSTEMD_INVOCATION_ID={RUN}"],
    ["journalctl", "--no-pager", "-q", "-o", "cat", "-n", "0", f"_SYSTEMD_INVOCATION_ID={RUN}"],
    ["journalctl", "--no-pager", "-q", "-o", "cat", "-n", "all", f"_SYSTEMD_INVOCATION_ID={RUN}"],
    ["journalctl", "--no-pager", "-q", "-o", "cat", "-n", "99999999", f"_SYSTEMD_INVOCATION_ID={RUN}"],
    ["journalctl", "--no-pager", "-q", "-o", "cat", "-n", "10001", f"_SYSTEMD_INVOCATION_ID={RUN}"],
    ["journalctl", "--no-pager", "-q", "-o", "cat", "-n", "+10", f"_SYSTEMD_INVOCATION_ID={RUN}"],
    ["journalctl", "--no-pager", "-q", "-o", "cat", "-n", "10", "_SYSTEMD_INVOCATION_ID=abc"],
    ["journalctl", "--no-pager", "-q", "-o", "cat", "-n", "10", f"_SYSTEMD_INVOCATION_ID={RUN.upper()}"],
    ["journalctl", "--no-pager", "-q", "-o", "export", "-n", "10", "-u", "x.service"],
    ["journalctl", "--no-pager", "-q", "-o", "cat", "-n", "10"],  # every unit
    ["journalctl", "-M", "somemachine", "--no-pager", "-q", "-o", "cat", "-n", "10", "-u", "x.service"],
    ["journalctl", "-D", "/var/log/journal", "--no-pager", "-q", "-o", "cat", "-n", "10", "-u", "x.service"],
    ["journalctl", "--directory=/tmp", "--no-pager", "-q", "-o", "cat", "-n", "10", "-u", "x.service"],
    ["journalctl", "--file", "/tmp/x.journal", "--no-pager", "-q", "-o", "cat", "-n", "10", "-u", "x.service"],
    # lsof and netstat: repeating forever, walking the disk
    ["lsof", "+r", "1"],
    ["lsof", "+D", "/"],
    ["lsof", "-r"],
    ["lsof", "-nP", "-iTCP", "-sTCP:LISTEN", "+r", "1"],
    ["lsof", "-nP", "-iTCP", "-sTCP:LISTEN", "-r", "1"],
    ["netstat", "-c"],
    ["netstat", "-an", "-p", "tcp", "-c"],
    ["netstat", "-an", "-p", "tcp", "-w", "1"],
    ["netstat", "-ltn"],
    # loginctl: another host, a state change
    ["loginctl", "show-user", "christopherbailey", "-H", "x"],
    ["loginctl", "-H", "x", "show-user", "christopherbailey"],
    ["loginctl", "-M", "x", "show-user", "christopherbailey"],
    ["loginctl", "terminate-user", "x"],
    ["loginctl", "enable-linger", "christopherbailey"],
    ["loginctl", "show-user", "christopherbailey", "-p"],
    # macOS: writes and state changes
    ["plutil", "-convert", "xml1", PLIST],
    ["plutil", "-convert", "xml1", "-o", "/tmp/x", PLIST],
    ["plutil", "-p", PLIST, "/etc/x"],
    ["launchctl", "load", PLIST],
    ["launchctl", "unload", PLIST],
    ["launchctl", "kickstart", "-k", "system/com.bebop.mlx-launch"],
    ["launchctl", "bootout", "system/com.bebop.mlx-launch"],
    ["launchctl", "stop", "com.bebop.mlx-launch"],
    ["launchctl", "start", "com.bebop.mlx-launch"],
    ["launchctl", "print", "user/501/com.x"],
    ["launchctl", "print", "gui/bob/com.x"],
    ["launchctl", "print-disabled", "gui/501"],
    # tailscale: anything but the one read (serve with a target writes the node's config)
    ["tailscale", "serve", "status"],
    ["tailscale", "serve", "status", "--json", "--service=svc:chat"],
    ["tailscale", "serve", "--bg", "3000"],
    ["tailscale", "serve", "reset"],
    ["tailscale", "funnel", "status", "--json"],
    ["tailscale", "up"],
    ["tailscale", "down"],
    ["tailscale", "set", "--accept-routes"],
    ["shasum", "-a", "1", "/x"],
    ["base64", "-i", "/x", "-o", "/y"],
    ["sw_vers", "-productVersion"],
    # stat: another format
    ["stat", "-c", "%F", "/"],
    ["stat", "-c", "%F|%a|%U|%G|%s|%n", "/"],  # no `--`
    ["stat", "--format=%F|%a|%U|%G|%s|%n", "--", "/"],
    ["stat", "-f", "%HT|%Lp|%Su|%Sg|%z|%N", "/"],  # BSD without -L
    # head: unbounded, by lines, relative
    ["head", "-c", "99999999999", "--", "/x"],
    ["head", "-c", "16777217", "--", "/x"],
    ["head", "-c", "0", "--", "/x"],
    ["head", "-c", "010", "--", "/x"],
    ["head", "-c", "-10", "--", "/x"],
    ["head", "-n", "5", "/x"],
    ["head", "-c", "10", "--", "relative"],
    ["head", "-c", "10", "--", "/x", "/y"],
    # relative paths, `..`, paths that pass for options, `+` options anywhere
    ["sha256sum", "--", "relative/file"],
    ["sha256sum", "/x"],
    ["sha256sum", "--", "/etc/../etc/shadow"],
    ["sha256sum", "--", "/etc/.."],
    ["readlink", "--", "x"],
    ["readlink", "-f", "--", "/x"],
    ["stat", "-c", "%F|%a|%U|%G|%s|%n", "--", "./x"],
    ["stat", "-c", "%F|%a|%U|%G|%s|%n", "--", "/a/../b"],
    ["stat", "-L", "-f", "%HT|%Lp|%Su|%Sg|%z|%N", "-x"],
    ["shasum", "-a", "256", "+x"],
    ["plutil", "-p", "-"],
    ["id", "+un"],
    ["uname", "+s"],
    ["ss", "+ltnH"],
    # the others
    ["id"],
    ["id", "-u", "root"],
    ["uname", "-s", "-r"],
    ["uname", "--all"],
    ["cat", "a\nrm -rf /"],
    ["id", "-un\n"],
    ["head", "-c", "10", "--", "/x\0y"],
    # the testinfra shapes: one field, one path, one name; nothing that writes, follows, or runs something else
    ["test", "-e", "relative"],
    ["test", "-e", "/x", "-o", "/y"],
    ["test", "/x"],
    ["test", "-w", "/x"],
    ["realpath", "-e", "/x"],
    ["realpath", "/a", "/b"],
    ["realpath", "x"],
    ["stat", "-Lc", "%U %G", "/x"],
    ["stat", "-Lc", "%U", "/x", "/y"],
    ["stat", "-Lc", "%U", "x"],
    ["stat", "-c", "%U", "/x"],
    ["stat", "-f", "%Su", "-L"],
    ["stat", "-Lc", "%U", "/etc/../etc/shadow"],
    ["grep", "-r", "x", "/"],
    ["grep", "-qs", "x", "/etc/passwd"],  # no `--`: a pattern could pass for an option
    ["grep", "-qs", "--", "x", "/a", "/b"],
    ["grep", "-qs", "--", "x", "relative"],
    ["grep", "-s", "--", "x", "/etc/passwd"],  # prints what matches
    ["ls", "-R", "/"],
    ["ls", "-1", "-q", "/x"],
    ["ls", "-1", "-q", "--", "/a", "/b"],
    ["command", "rm", "-rf", "/"],
    ["command", "-v", "-p"],
    ["command", "-V", "ls"],
    ["command", "-v", "ls", "rm"],
    ["command", "-p", "id"],
    ["systemctl", "restart", "ollama"],
    ["systemctl", "is-active", "--user"],
    ["systemctl", "is-active", "-H", "x"],
    ["systemctl", "is-active", "ollama.service", "-H", "dietpi"],
    ["systemctl", "is-enabled", "ollama", "--now"],
    ["systemctl", "show", "--property=Id"],
    ["systemctl", "show", "-M", "x"],
    ["systemctl", "list-unit-files"],
    ["systemctl", "list-unit-files", "--no-pager", "--no-legend", "-H", "x"],
    ["systemctl", "enable", "ollama"],
    ["ss", "--numeric", "--listening", "--tcp", "--kill"],
    ["ss", "--numeric", "--all", "--processes"],
    ["ss", "--numeric", "--listening", "-p"],
    ["ss", "--listening", "--tcp"],
    ["id", "-g", "-u", "root"],
    ["id", "-G", "--", "root"],
    ["id", "-nG", "-x"],
    ["id", "-nu", "root"],
    ["getent", "shadow", "root"],
    ["getent", "shadow"],
    ["getent", "gshadow", "root"],
    ["getent", "-s", "files", "passwd"],
    ["getent", "passwd", "a", "b"],
    ["dpkg-query", "-W", "bash"],
    ["dpkg-query", "-f", "${Status}", "-W", "-x"],
    ["dpkg-query", "--admindir=/tmp", "-W"],
    ["dpkg-query", "-f", "${Status}", "-W", "bash", "zsh"],
    ["dpkg", "-i", "x.deb"],
    ["lsb_release"],
    ["lsb_release", "-a", "-s"],
    ["systemd-analyze", "verify", "ollama.service"],  # writes: a test manager's dirs, /run/systemd, man's cache
    ["service", "ollama", "status"],
    ["ps", "-Aww", "-o", "pid"],
    ["find", "-L", "/etc/rc2.d/", "-name", "S??ollama"],
    ["sudo", "/bin/sh", "-c", "id -un"],
]


@pytest.mark.parametrize("argv", REFUSED, ids=lambda a: " ".join(a)[:70])
def test_command_off_the_shapes_is_refused_naming_it(argv):
    with pytest.raises(ReadOnlyViolation) as refused:
        check_read_only(argv)
    assert str(refused.value).startswith("refused: ") and argv[0] in str(refused.value)


def test_empty_command_is_refused():
    with pytest.raises(ReadOnlyViolation, match="empty command"):
        check_read_only([])


@pytest.mark.parametrize("argv, why", [
    (["journalctl", "--no-pager", "-o", "cat", "_SYSTEMD_INVOCATION_ID=..."],
     "refused: journalctl --no-pager -o cat _SYSTEMD_INVOCATION_ID=... : journalctl must be bounded with -n N (N <= 10000)"),
    (["systemctl", "restart", "ollama.service"], "refused: systemctl restart ollama.service : systemctl: only show,"),
    (["systemctl", "-H", "dietpi", "is-system-running"], "no -H/--host"),
    (["stat", "-c", "%F", "/"], "refused: stat -c %F / : stat: only -c '%F|%a|%U|%G|%s|%n'"),
    (["lsof", "+D", "/"], "no +D, which walks the disk"),
    (["netstat", "-c"], "no -c or -w, which repeat forever"),
    (["ss", "-K"], "no -K/--kill"),
    (["plutil", "-convert", "xml1", "/x"], "never -convert"),
    (["head", "-c", "10", "--", "relative"], "absolute paths without `..`"),
    (["cat", "--", "/etc/passwd"], "refused: cat -- /etc/passwd : cat is not on the read-only allowlist"),
    (["sh", "-c", "id; rm -rf /"], "refused: sh -c 'id; rm -rf /' : sh is not"),  # the command as shlex.join shows it
    (["cat", "a\nb"], "refused: cat 'a\\nb' : an argument holds a newline or NUL"),
    (["systemctl", "restart", "ollama.service"], "(never start, stop, restart, reload, enable, disable, kill, edit, "
                                                 "set-property or daemon-reload)"),
    (["getent", "shadow", "root"], "refused: getent shadow root : getent: only passwd or group [<name>] (never shadow"),
    (["command", "rm", "-rf", "/"], "`command <program>` would run anything"),
    (["grep", "-s", "--", "x", "/etc/passwd"], "grep: only `grep -qs -- <pattern> <path>` (exit status only"),
    (["stat", "-Lc", "%U %G", "/x"], "-Lc %U|%u|%G|%g|%a|%Y|%s|%i (GNU) or -f %Su|%u|%Sg|%g|%Lp|%m|%z (BSD)"),
    (["ss", "--numeric", "--all", "--processes"], "or --numeric --listening|--all [--tcp|--udp|--unix] (no -K/--kill"),
    (["systemd-analyze", "verify", "x.service"], "systemd-analyze is not on the read-only allowlist"),
])
def test_the_refusal_names_the_command_and_the_rule_it_missed(argv, why):
    with pytest.raises(ReadOnlyViolation) as refused:
        check_read_only(argv)
    assert why in str(refused.value)


# --- the Runner applies the allowlist before anything reaches the host ---

class NeverCalled:
    user = "tester"

    def run(self, script: str, timeout: float | None = None) -> RawResult:
        raise AssertionError(f"the backend was called with a refused command:\n{script}")


@pytest.mark.parametrize("argv", REFUSED, ids=lambda a: " ".join(a)[:70])
def test_runner_refuses_before_the_backend_is_called(argv):
    runner = Runner("mini", NeverCalled())
    with pytest.raises(ReadOnlyViolation):
        runner.run_one(argv)
    assert runner.records == [] and runner.batches == 0


def test_one_refused_command_stops_the_whole_batch():
    runner = Runner("mini", NeverCalled())
    with pytest.raises(ReadOnlyViolation, match="restart"):
        runner.run([["id", "-un"], ["systemctl", "restart", "ollama.service"]])
