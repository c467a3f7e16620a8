"""`status`: what is up (hosts, addresses, nspawn PIDs, system and user-manager state, service probes)."""
from pathlib import Path

from . import hosts, nspawn, ssh, topology as topo
from .state import read_state
from .wait import http_status


def status() -> dict:
    """What is up: per host its address, nspawn PID, container init PID, system and user-manager state."""
    from .edition import current
    result = {"up": True, "edition": current(), "hosts": {}}
    for spec in topo.bootable():
        st = read_state(spec.name)
        pid = st.get("nspawn_pid")
        running = bool(pid) and nspawn.is_ours(pid, Path(st.get("root", "")))
        info = {"address": spec.address, "stands_for": spec.stands_for, "nspawn_pid": pid if running else None,
                "running": running}
        if running:
            info["init_pid"] = _container_init(pid)
            script = "systemctl is-system-running; " + "; ".join(
                f"systemctl is-active user@{u['uid']}.service" for u in st.get("users", {}).values())
            cp = ssh.run_in(spec.name, script, connect_timeout=2, timeout=15)
            lines = cp.stdout.split()
            info["ssh"] = cp.returncode != 255
            info["system"] = lines[0] if lines else "unknown"
            info["user_managers"] = dict(zip(st.get("users", {}), lines[1:]))
            info["services"] = {s.unit: http_status(spec.address, s.port, s.probe, timeout=1)
                                for s in hosts.services(spec) if s.probe}
        result["hosts"][spec.name] = info
        result["up"] &= running and info.get("ssh", False)
    return result


def _container_init(nspawn_pid: int) -> int | None:
    """The container's PID 1 as the outer machine sees it: nspawn's child."""
    try:
        kids = Path(f"/proc/{nspawn_pid}/task/{nspawn_pid}/children").read_text().split()
        return int(kids[0]) if kids else None
    except OSError:
        return None
