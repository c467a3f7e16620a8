"""studio: the Mac Studio (macOS, MLX servers under launchd), as a Linux host with a macOS-shaped userland.

What the suite sees over SSH as the owner is what a Mac shows: the documented LaunchDaemon plist at
/Library/LaunchDaemons/com.bebop.mlx-launch.plist, its runtime under /opt/mlx-launch, the MLX servers on
the routed ports with their logs in /tmp (a link to /private/tmp), a zsh login shell whose PATH offers
macOS's tools (`launchctl`, `netstat`, BSD `stat`, `base64 -i`, `shasum`, `uname` = Darwin, `sw_vers`)
and no Python. The stand-ins (lab/standins/macos/, lab/standins/mlx_openai_server.py) say in their
docstrings which real sample or source each imitates. launchd is a systemd service here
(lab/standins/macos/launchd.py), which really runs the plist's job.
"""
import os
import plistlib

from .. import app_data, paths, topology as topo
from ..tree import Tree
from . import Context, Service, base

OWN = topo.OWNER
HOME = f"/Users/{OWN}"  # a Mac's home directories
LABEL = "com.bebop.mlx-launch"
PLIST = f"/Library/LaunchDaemons/{LABEL}.plist"
RUNTIME = "/opt/mlx-launch"
LAUNCH_SCRIPT = f"{RUNTIME}/bin/launch-mlx.sh"
MACOS = "/usr/local/macos"
MACOS_BIN = f"{MACOS}/bin"  # the stand-ins, first on the owner's PATH
USERLAND = f"{MACOS}/userland"  # Debian's tools minus what a Mac does not have (symlinks)
STATE_FILE = "/run/launchd-twin/state.json"
PATH = f"{MACOS_BIN}:{USERLAND}/bin:{USERLAND}/sbin"

SSH_SERVER = "openssh"  # macOS's Remote Login is OpenSSH
TMPFS = "/private/tmp"
ROOT_LINKS = {"/tmp": "private/tmp"}  # macOS: /tmp -> private/tmp
SERVICES = [Service(f"{LABEL}:{r.port}", "launchd", r.port, "/health") for r in app_data.mlx_routes()]
MANAGED_USERS: list[str] = []

# stand-in file in lab/standins -> its name on the owner's PATH
STANDINS = {
    "macos/launchctl.py": "launchctl",
    "macos/netstat.py": "netstat",
    "macos/bsd_stat.py": "stat",
    "macos/bsd_base64.py": "base64",
    "macos/uname.sh": "uname",
    "macos/sw_vers.sh": "sw_vers",
    "macos/python3-shim.sh": "python3",
}
# Not in the macOS userland: Python (the Mac's python3 is the stub above), GNU `timeout` (stock macOS has
# none: mvanhorn/cli-printing-press #3846, open-gsd #2351), and Linux-only tools a check might reach for by mistake.
NOT_ON_A_MAC = ("python*", "pydoc*", "pip*", "pygettext*", "2to3*", "idle*", "py3*", "timeout", "systemctl",
                "journalctl", "loginctl", "busctl", "hostnamectl", "timedatectl", "localectl", "systemd-*",
                "ss", "ip", "dpkg*", "apt*", "lsb_release")

ZSHENV = f"""\
# twin (studio): a Mac's non-interactive ssh PATH (sshd's default /usr/bin:/bin:/usr/sbin:/sbin), here the
# twin's macOS userland: the stand-ins of macOS tools first, then Debian's tools minus Python and Linux-only
# ones (lab/hosts/studio.py). A non-interactive `ssh studio /bin/sh -s` reads only this file.
export PATH={PATH}
# twin only: every session sshd starts for the owner (each runs this login shell) leaves a line here, so
# `make bench` counts round trips on the studio itself (sshd's own session log reaches no journal here)
[[ -n $SSH_CONNECTION ]] && print -r -- "$SSH_CONNECTION" >> ~/.twin-ssh-sessions
"""

LAUNCHD_UNIT = f"""\
[Unit]
Description=launchd stand-in (twin): runs the jobs of /Library/LaunchDaemons
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart={MACOS}/libexec/launchd
# re-read /Library/LaunchDaemons: a plist gone = the job unloaded (the twin's `launchctl bootout`)
ExecReload=/bin/kill -HUP $MAINPID
KillMode=mixed
TimeoutStopSec=20
Restart=always

[Install]
WantedBy=multi-user.target
"""

# the stock tmp.conf (`D /tmp`) says `"/tmp" already exists and is not a directory` at every boot here; this
# says what the layout is instead
TMPFILES_TMP = """\
# twin (studio): /tmp is a link to /private/tmp, as on macOS; /private/tmp is the host's tmpfs
L /tmp - - - - private/tmp
D /private/tmp 1777 root root -
"""

ACTIVATE = f"""\
# a uv-made virtualenv's activate, reduced to what launch-mlx.sh needs (twin)
VIRTUAL_ENV={RUNTIME}/.venv
export VIRTUAL_ENV
PATH="$VIRTUAL_ENV/bin:$PATH"
export PATH
"""

LAUNCH = ('mlx-openai-server launch --model-path {model} --host 0.0.0.0 --port {port} '
          '--log-file "/tmp/mlx-{port}.log"')
# Twin only: the MLX stand-ins' controls (lab/standins/mlx_openai_server.py), outside the paths the suite
# reads (/tmp, /opt/mlx-launch, /Library), so planting a fault or a delay changes no studio check.
TWIN_CONTROLS = "/var/lib/mlx-twin"
DELAY_FILE = f"{TWIN_CONTROLS}/delay"  # seconds before each chat answer, every server (absent: 0)


def request_record(port: int) -> str:
    return f"{TWIN_CONTROLS}/requests-{port}.jsonl"


def fault_file(port: int) -> str:
    return f"{TWIN_CONTROLS}/fault-{port}"


def twin_env(port: int) -> str:
    """The environment prefix that hands one server its twin-only controls (argv stays as on the Mac)."""
    return (f"MLX_REQUEST_RECORD={request_record(port)} MLX_TWIN_FAULT_FILE={fault_file(port)} "
            f"MLX_TWIN_DELAY_FILE={DELAY_FILE} ")


def launch_script() -> str:
    launches = "".join(twin_env(r.port) + LAUNCH.format(model=r.upstream, port=r.port) + " &\n"
                       for r in app_data.mlx_routes())
    return f"""\
#!/bin/bash
# Start the lab's MLX OpenAI servers (launchd job {LABEL}): one mlx-openai-server per routed port,
# then wait for them, so launchd supervises this one process tree.
set -euo pipefail
cd {RUNTIME}
source .venv/bin/activate

# twin only: each server's MLX_* variables name its request record, fault switch and delay ({TWIN_CONTROLS})
{launches}wait
"""


def plist() -> bytes:
    return plistlib.dumps({
        "Label": LABEL,
        "ProgramArguments": [LAUNCH_SCRIPT],
        "RunAtLoad": True,
        "KeepAlive": True,
        "StandardOutPath": "/tmp/mlx-launch.out.log",
        "StandardErrorPath": "/tmp/mlx-launch.err.log",
    }, fmt=plistlib.FMT_XML)


def provision(tree: Tree, ctx: Context) -> None:
    base.add_owner(tree, ctx, groups=(), linger=False, home=HOME, shell="/bin/zsh")
    tree.write(f"{HOME}/.zshenv", ZSHENV, 0o644, OWN)
    tree.write(f"{HOME}/.zshrc", "# twin (studio): present, so an interactive zsh does not start its newuser wizard\n",
               0o644, OWN)
    tree.mkdir(TMPFS, 0o1777)
    tree.write("/etc/tmpfiles.d/tmp.conf", TMPFILES_TMP)
    _userland(tree)
    _launchd(tree)
    _mlx_launch(tree)


def _userland(tree: Tree) -> None:
    import fnmatch
    for src, name in STANDINS.items():
        tree.install(paths.STANDINS / src, f"{MACOS_BIN}/{name}", 0o755)
    for d in ("bin", "sbin"):
        tree.mkdir(f"{USERLAND}/{d}", 0o755)
        links = tree.path(f"{USERLAND}/{d}")
        for name in sorted(os.listdir(tree.path(f"/usr/{d}"))):
            if not any(fnmatch.fnmatch(name, pattern) for pattern in NOT_ON_A_MAC):
                os.symlink(f"/usr/{d}/{name}", links / name)  # ~1500 links, root's: no Tree.symlink lookups


def _launchd(tree: Tree) -> None:
    tree.install(paths.STANDINS / "macos/launchd.py", f"{MACOS}/libexec/launchd", 0o755)
    tree.write("/etc/systemd/system/launchd.service", LAUNCHD_UNIT)
    tree.symlink("/etc/systemd/system/launchd.service", "/etc/systemd/system/multi-user.target.wants/launchd.service")


def _mlx_launch(tree: Tree) -> None:
    tree.mkdir("/Library/LaunchDaemons", 0o755)
    target = tree.path(PLIST)
    target.write_bytes(plist())
    os.chown(target, 0, 0)  # root:root (a Mac's root:wheel; Linux has no wheel group)
    os.chmod(target, 0o644)
    tree.write(LAUNCH_SCRIPT, launch_script(), 0o755)
    tree.write(f"{RUNTIME}/.venv/bin/activate", ACTIVATE, 0o644)
    tree.install(paths.STANDINS / "mlx_openai_server.py", f"{RUNTIME}/.venv/bin/mlx-openai-server", 0o755)
    tree.mkdir(TWIN_CONTROLS, 0o755)  # root's, as the servers are (launchd runs the job as root)
    for route in app_data.mlx_routes():
        tree.write(f"{route.upstream}/config.json", '{"twin": "stand-in model: no weights"}\n', 0o644)
