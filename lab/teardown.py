"""`down`: stop every host and remove everything of the twin, tolerant of partial state; find leftovers."""
import os
import shutil
import signal
import time
from pathlib import Path

from . import cgroups, network, nspawn, paths, rootfs, topology as topo
from .mounts import mounts_under
from .proc import log
from .state import hosts_with_state, read_state
from .wait import until

STOP_TIMEOUT = float(os.environ.get("LAB_STOP_TIMEOUT", 20))


def forget_edition() -> None:
    from .edition import forget
    forget()


def down(quiet: bool = False) -> dict:
    """Stop every host and remove everything of the twin; tolerant of partial state. Returns a report."""
    t0 = time.monotonic()
    report = {"stopped": [], "killed": [], "errors": [], "leftovers": []}
    names = hosts_with_state()
    steps = [("stop hosts", lambda: _stop_hosts(names, report)),
             ("kill stray processes, remove cgroups", lambda: _remove_cgroups(report)),
             ("unmount roots", lambda: rootfs.unmount_all(paths.lab_dir() / "hosts")),
             ("remove network", network.remove_all),
             ("remove state", lambda: _remove_state(names)),
             ("forget the edition", forget_edition)]
    for what, step in steps:
        try:  # one failing step must not keep the others from cleaning up
            step()
        except Exception as e:
            report["errors"].append(f"{what}: {e}")
            log(f"down: {what} failed: {e}")
    report["leftovers"] = leftovers()
    report["seconds"] = round(time.monotonic() - t0, 2)
    if not quiet:
        log(f"down in {report['seconds']}s: stopped {', '.join(report['stopped']) or 'nothing'}"
            f"{'; killed stray pids ' + str(report['killed']) if report['killed'] else ''}")
    return report


def _stop_hosts(names: list[str], report: dict) -> None:
    """Orderly poweroff of every container at once (SIGTERM to nspawn -> SIGRTMIN+3 to its systemd)."""
    pids = {}
    for name in names:
        st = read_state(name)
        pid, root = st.get("nspawn_pid"), st.get("root") or str(paths.host_dir(name) / "root")
        if pid and nspawn.is_ours(pid, Path(root)):
            os.kill(pid, signal.SIGTERM)
            pids[name] = pid
    until(lambda: not any(nspawn.alive(p) for p in pids.values()), STOP_TIMEOUT, 0.05)
    for name, pid in pids.items():
        if nspawn.alive(pid):
            log(f"{name}: nspawn {pid} still running after {STOP_TIMEOUT:.0f}s: SIGKILL")
            os.kill(pid, signal.SIGKILL)
        report["stopped"].append(name)


def _remove_cgroups(report: dict) -> None:
    for d in cgroups.ours():
        report["killed"] += cgroups.kill_and_remove(d)


def _remove_state(names: list[str]) -> None:
    """nspawn's runtime dirs (it refuses to delete them when /run is not a tmpfs) and our host dirs.
    Console logs are kept in LAB_DIR/logs for the post-mortem."""
    for name in set(names) | set(topo.HOSTS):
        for d in ("propagate", "unix-export"):
            p = Path("/run/systemd/nspawn", d, name)
            if p.exists() and not mounts_under(p):
                shutil.rmtree(p, ignore_errors=True)
    for name in names:
        hd = paths.host_dir(name)
        if (hd / "console.log").exists():
            paths.logs_dir().mkdir(parents=True, exist_ok=True)
            shutil.copyfile(hd / "console.log", paths.logs_dir() / f"{name}.console.log")
        if not mounts_under(hd):
            shutil.rmtree(hd, ignore_errors=True)
    for f in (paths.ssh_config(), paths.known_hosts()):
        f.unlink(missing_ok=True)


def leftovers() -> list[str]:
    """Whatever of the twin still exists: mounts, netns, links, cgroups, processes."""
    hosts_dir = paths.lab_dir() / "hosts"
    found = [f"mount {m}" for m in mounts_under(hosts_dir)]
    found += network.leftovers()
    found += [f"cgroup {d}" for d in cgroups.ours()]
    for pid in sorted(set(cgroups.member_processes()) | set(nspawn.running_under(hosts_dir))):
        found.append(f"process {pid} ({nspawn.comm(pid)})")
    return found
