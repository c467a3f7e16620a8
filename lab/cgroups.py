"""One cgroup per twin host, created by us and entered by its nspawn before exec.

Why: PID 1 here is not systemd, so nobody gives nspawn a unit/scope; with --keep-unit it uses the cgroup
it starts in, and two containers sharing the root cgroup would collide (both create payload/ there).
It also gives `down` the exact set of PIDs that belong to a host.
"""
import os
import signal
import time
from pathlib import Path

from . import topology as topo

BASE = Path("/sys/fs/cgroup")


def hierarchies() -> list[Path]:
    """The hierarchies systemd (inside the container) uses: the unified one, or name=systemd + unified (hybrid)."""
    if _fstype(BASE) == "cgroup2":
        return [BASE]
    return [BASE / h for h in ("systemd", "unified") if (BASE / h / "cgroup.procs").exists()]


def _fstype(path: Path) -> str:
    for line in Path("/proc/self/mounts").read_text().splitlines():
        dev, mnt, fstype, *_ = line.split()
        if mnt == str(path):
            return fstype
    return ""


def dirs(name: str) -> list[Path]:
    return [h / (topo.NAME_PREFIX + name) for h in hierarchies()]


def create(name: str) -> list[Path]:
    ds = dirs(name)
    for d in ds:
        d.mkdir(exist_ok=True)
    return ds


def enter(ds: list[Path]):
    """A preexec_fn: move the child (the future nspawn) into the host's cgroups before it execs."""
    def _enter():
        for d in ds:
            (d / "cgroup.procs").write_text(str(os.getpid()))
    return _enter


def _subtree(d: Path) -> list[Path]:
    """Every cgroup directory under d, d included, deepest first. os.walk, not Path.rglob: a cgroup of a container
    that is exiting vanishes while we walk, and rglob raises FileNotFoundError for it (os.walk skips it)."""
    found = [Path(root) for root, _, _ in os.walk(d)]
    return sorted(found, key=lambda p: len(p.parts), reverse=True)


def pids(d: Path) -> set[int]:
    found = set()
    for procs in (sub / "cgroup.procs" for sub in _subtree(d)):
        try:
            found.update(int(p) for p in procs.read_text().split())
        except OSError:
            pass  # the cgroup vanished while we walked
    return found


def ours() -> list[Path]:
    return sorted(d for h in hierarchies() for d in h.glob(topo.NAME_PREFIX + "*") if d.is_dir())


def kill_and_remove(d: Path, timeout: float = 5.0) -> list[int]:
    """SIGKILL whatever is still in the cgroup tree (by PID), then rmdir it bottom-up. Returns the PIDs killed."""
    killed = []
    deadline = time.monotonic() + timeout
    while (left := pids(d)) and time.monotonic() < deadline:
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    for sub in _subtree(d):
        try:
            sub.rmdir()
        except OSError:
            pass
    return sorted(set(killed))


def member_processes() -> list[int]:
    """Live PIDs in any of the twin's cgroups, found through /proc (also catches a cgroup we lost track of)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cg = Path(f"/proc/{entry}/cgroup").read_text()
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if f"/{topo.NAME_PREFIX}" in cg and stat.rpartition(")")[2].split()[0] != "Z":
            found.append(int(entry))
    return found
