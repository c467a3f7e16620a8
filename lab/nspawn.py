"""Launching and identifying a host's systemd-nspawn (real systemd as the container's PID 1)."""
import os
import subprocess
from pathlib import Path

from . import paths, topology as topo


def systemd_is_pid1() -> bool:
    return Path("/run/systemd/system").exists()


def argv(spec: topo.HostSpec, root: Path, netns: Path, tmpfs: str = "/tmp", bind_checkout: bool = True,
         pid1_env: dict | None = None) -> list[str]:
    """tmpfs: the host's private tmpfs (/tmp; /private/tmp on studio, where /tmp links to it).
    bind_checkout: the checkout and its .venv at CHECKOUT_IN_TWIN (mini runs the suite and LiteLLM from it).
    pid1_env: environment of the host's systemd (nspawn --setenv)."""
    a = ["systemd-nspawn", "-D", str(root), "-M", spec.name, "--boot", "--link-journal=no",
         f"--network-namespace-path={netns}", f"--tmpfs={tmpfs}:mode=1777", "--resolv-conf=off", "--timezone=off",
         "--console=read-only"]
    if bind_checkout:
        a.append(f"--bind={paths.ROOT}:{topo.CHECKOUT_IN_TWIN}")
    a += [f"--setenv={k}={v}" for k, v in (pid1_env or {}).items()]
    if not systemd_is_pid1():
        # no machined/scope without systemd as PID 1: nspawn keeps the cgroup we start it in (lab.cgroups)
        a[1:1] = ["--register=no", "--keep-unit"]
    # else: register with machined as usual (it then owns the scope). Untested: PID 1 here is not systemd.
    return a


def launch(spec: topo.HostSpec, root: Path, netns: Path, console: Path, preexec=None, **options) -> int:
    """Start nspawn detached (own session, output to the console log) and return its PID."""
    with open(console, "wb") as out:
        p = subprocess.Popen(argv(spec, root, netns, **options), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True, preexec_fn=preexec)
    return p.pid


def alive(pid: int) -> bool:
    """Running (a zombie waiting for PID 1 to reap it counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def is_ours(pid: int, root: Path) -> bool:
    """The PID is still the nspawn we started for this root (guards against PID reuse)."""
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return comm == "systemd-nspawn" and str(root).encode() in cmdline and alive(pid)


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def running_under(directory: Path) -> list[int]:
    """nspawn processes whose command line names a root under directory (found even without a state file)."""
    needle = str(directory).encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and comm(int(entry)) == "systemd-nspawn":
            try:
                if needle in Path(f"/proc/{entry}/cmdline").read_bytes() and alive(int(entry)):
                    found.append(int(entry))
            except OSError:
                pass
    return found
