"""The twin's network: one bridge on the outer machine, each host in its own netns joined by a veth pair.

No default route inside and IP forwarding left as it is, so a twin host reaches the bridge subnet (the
other hosts and the outer machine) and nothing else: any other address fails at once with ENETUNREACH.
"""
import os
from pathlib import Path

from . import paths, topology as topo
from .mounts import is_mountpoint
from .proc import run

NETNS_DIR = Path("/run/netns")


def _link_exists(name: str) -> bool:
    return Path("/sys/class/net", name).exists()


def _marker() -> Path:
    # `ip netns add` turns /run/netns into a bind mount of itself; remember whether we caused that
    return paths.lab_dir() / "run-netns-mounted-by-lab"


def ensure_bridge() -> None:
    if not _link_exists(topo.BRIDGE):
        run(["ip", "link", "add", topo.BRIDGE, "type", "bridge"])
    run(["ip", "addr", "replace", f"{topo.OUTER_ADDRESS}/{topo.PREFIX}", "dev", topo.BRIDGE])
    run(["ip", "link", "set", topo.BRIDGE, "up"])


def attach(spec: topo.HostSpec) -> Path:
    """Create the host's netns with eth0 = its twin address; return the netns path for nspawn."""
    if not is_mountpoint(NETNS_DIR) and not _marker().exists():
        _marker().write_text("existed\n" if NETNS_DIR.exists() else "created\n")
    run(["ip", "netns", "add", spec.netns])
    run(["ip", "link", "add", spec.veth, "type", "veth", "peer", "name", "eth0", "netns", spec.netns])
    run(["ip", "link", "set", spec.veth, "master", topo.BRIDGE, "up"])
    ns = ["ip", "-n", spec.netns]
    run([*ns, "link", "set", "lo", "up"])
    run([*ns, "addr", "add", f"{spec.address}/{topo.PREFIX}", "dev", "eth0"])
    run([*ns, "link", "set", "eth0", "up"])
    return NETNS_DIR / spec.netns


def our_netns() -> list[str]:
    if not NETNS_DIR.is_dir():
        return []
    return sorted(n for n in os.listdir(NETNS_DIR) if n.startswith(topo.NAME_PREFIX))


def our_links() -> list[str]:
    return sorted(n for n in os.listdir("/sys/class/net") if n == topo.BRIDGE or n.startswith(topo.VETH_PREFIX))


def remove_all() -> None:
    """Delete every netns, veth and the bridge of the twin (deleting a netns also destroys its veth pair)."""
    for ns in our_netns():
        run(["ip", "netns", "del", ns], check=False)
    for link in our_links():
        if link != topo.BRIDGE:
            run(["ip", "link", "del", link], check=False)
    if _link_exists(topo.BRIDGE):
        run(["ip", "link", "del", topo.BRIDGE], check=False)
    _release_run_netns()


def _release_run_netns() -> None:
    marker = _marker()
    if not marker.exists():
        return
    if NETNS_DIR.is_dir() and os.listdir(NETNS_DIR):
        return  # someone else's namespaces live there now: leave the mount alone
    for _ in range(5):  # ip may have stacked more than one bind mount there
        if not is_mountpoint(NETNS_DIR) or run(["umount", NETNS_DIR], check=False).returncode != 0:
            break
    if is_mountpoint(NETNS_DIR):
        return  # keep the marker: the next down tries again
    if marker.read_text().strip() == "created" and NETNS_DIR.is_dir() and not os.listdir(NETNS_DIR):
        NETNS_DIR.rmdir()
    marker.unlink()


def leftovers() -> list[str]:
    found = [f"netns {n}" for n in our_netns()] + [f"link {n}" for n in our_links()]
    if _marker().exists() and is_mountpoint(NETNS_DIR):
        found.append(f"mount {NETNS_DIR}")
    return found
