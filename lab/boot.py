"""`up`: clean up leftovers, write every host's root, boot the hosts, wait until they and their services are ready."""
import os
import shutil
import time

from . import cgroups, edition as editions, hosts, network, nspawn, paths, rootfs, ssh, topology as topo
from .hosts import Context, base
from .proc import LabError, log
from .state import read_state, write_state
from .teardown import down, leftovers
from .tree import Tree
from .wait import http_status, until

BOOT_TIMEOUT = float(os.environ.get("LAB_BOOT_TIMEOUT", 60))
READY_TIMEOUT = float(os.environ.get("LAB_READY_TIMEOUT", 90))
REQUIRED_TOOLS = ("systemd-nspawn", "ip", "mount", "umount", "ssh", "ssh-keygen", "useradd",
                  "zsh", "dropbear", "dropbearkey")  # studio's login shell, dietpi's ssh server (make deps)


def _elapsed(t0: float) -> float:
    return round(time.monotonic() - t0, 2)


def up(keep_on_failure: bool = False, specs: list[topo.HostSpec] | None = None,
       edition: str = editions.DEFAULT) -> dict:
    """Clean up leftovers, provision and boot every host of the edition (or only `specs`, e.g.
    topology.copies(16)), wait until ready. Returns timings (seconds)."""
    topo.hosts_of(edition)  # an unknown edition fails before anything is touched
    _preflight()
    t0 = time.monotonic()
    timings = {}
    earlier = leftovers()
    if earlier:
        log(f"cleaning up what an earlier run left: {', '.join(earlier)}")
    cleaned = down(quiet=True)
    if cleaned["leftovers"] or cleaned["errors"]:
        raise LabError(f"could not clean up an earlier run: {cleaned['leftovers'] + cleaned['errors']}")
    timings["cleanup"] = _elapsed(t0)
    editions.remember(edition)  # before provisioning: layouts and `down` read it
    try:
        _boot_all(t0, timings, specs or topo.bootable(edition))
    except BaseException:
        if not keep_on_failure:
            log("boot failed: taking the twin down (use --keep-on-failure to inspect it)")
            down(quiet=True)
        raise
    return timings


def _preflight() -> None:
    if os.geteuid() != 0:
        raise LabError("the twin needs root (mounts, namespaces, nspawn)")
    missing = [t for t in REQUIRED_TOOLS if not shutil.which(t)]
    if missing:
        raise LabError(f"missing commands: {', '.join(missing)}")


def _boot_all(t0: float, timings: dict, specs: list[topo.HostSpec]) -> None:
    lab = paths.lab_dir()
    lab.mkdir(parents=True, exist_ok=True)
    os.chmod(lab, 0o700)  # private keys live here
    ssh.ensure_client_keys()

    # 1. roots and host keys of every host first: each host's known_hosts lists all of them
    roots, host_keys = {}, {}
    for spec in specs:
        roots[spec.name] = rootfs.mount(spec.name, hosts.option(spec, "ROOT_LINKS"))
        host_keys[spec.name] = ssh.install_host_keys(spec.name, roots[spec.name], hosts.option(spec, "SSH_SERVER"))
    owner_priv = paths.owner_key().read_text()
    admin_pub = paths.admin_key().with_suffix(".pub").read_text().strip()
    owner_pub = paths.owner_key().with_suffix(".pub").read_text().strip()
    uids = {}
    for spec in specs:
        tree = Tree(roots[spec.name])
        ctx = Context(spec, admin_pub, owner_pub, owner_priv, host_keys)
        base.provision(tree, ctx)
        layout = hosts.layout(spec)
        layout.provision(tree, ctx)
        uids[spec.name] = {u: tree.ids(u) for u in layout.MANAGED_USERS}
    ssh.write_client_files(host_keys)
    timings["provision"] = _elapsed(t0)

    # 2. network and launch (hosts boot in parallel)
    network.ensure_bridge()
    launched = {}
    for spec in specs:
        netns = network.attach(spec)
        cg = [] if nspawn.systemd_is_pid1() else cgroups.create(spec.name)
        console = paths.host_dir(spec.name) / "console.log"
        pid = nspawn.launch(spec, roots[spec.name], netns, console, cgroups.enter(cg) if cg else None,
                            tmpfs=hosts.option(spec, "TMPFS"), bind_checkout=hosts.option(spec, "BIND_CHECKOUT"),
                            pid1_env=hosts.option(spec, "PID1_ENV"))
        launched[spec.name] = time.monotonic()
        write_state(spec.name, {
            "name": spec.name, "address": spec.address, "nspawn_pid": pid, "root": str(roots[spec.name]),
            "netns": spec.netns, "veth": spec.veth, "cgroups": [str(d) for d in cg],
            "users": {u: {"uid": i[0], "gid": i[1]} for u, i in uids[spec.name].items()},
            "started": time.time()})
        log(f"{spec.name}: launched nspawn pid {pid} at {spec.address}")
    timings["launch"] = _elapsed(t0)

    # 3. wait: system running + user managers, then every service's readiness probe
    for spec in specs:
        _wait_booted(spec, launched[spec.name])
    timings["twin_up"] = _elapsed(t0)
    for spec in specs:
        for unit, secs in _wait_services(spec, t0).items():
            timings[f"{spec.name}:{unit}"] = secs
    timings["ready"] = _elapsed(t0)


def _wait_booted(spec: topo.HostSpec, launched: float) -> None:
    st = read_state(spec.name)
    alive = lambda: nspawn.alive(st["nspawn_pid"])  # noqa: E731
    reachable = lambda: ssh.run_in(spec.name, ["true"], connect_timeout=1, timeout=5).returncode == 0  # noqa: E731
    if not until(reachable, BOOT_TIMEOUT, 0.1, alive):
        why = "nspawn exited" if not alive() else f"no ssh after {BOOT_TIMEOUT:.0f}s"
        raise LabError(f"{spec.name}: {why}\n{diagnostics(spec.name)}")
    t_ssh = time.monotonic() - launched
    t = int(BOOT_TIMEOUT)
    script = [f'echo "system=$(timeout {t} systemctl is-system-running --wait)"']
    for user in st["users"].values():
        u = user["uid"]
        script.append(f"timeout {t} sh -c 'until s=$(systemctl is-active user@{u}.service); "
                      f"[ $s = active ] || [ $s = failed ]; do sleep 0.1; done'; "
                      f'echo "user@{u}=$(systemctl is-active user@{u}.service)"')
    out = ssh.run_in(spec.name, "; ".join(script), timeout=BOOT_TIMEOUT * 2 + 10).stdout
    states = dict(line.split("=", 1) for line in out.split() if "=" in line)
    bad = {k: v for k, v in states.items() if v != ("running" if k == "system" else "active")}
    if bad or "system" not in states:
        raise LabError(f"{spec.name}: not ready: {bad or out!r}\n{diagnostics(spec.name)}")
    log(f"{spec.name}: ssh after {t_ssh:.2f}s, {' '.join(f'{k}={v}' for k, v in states.items())} "
        f"after {time.monotonic() - launched:.2f}s")


def _wait_services(spec: topo.HostSpec, t0: float) -> dict:
    st = read_state(spec.name)
    done = {}
    for svc in hosts.services(spec):
        if not svc.probe:
            continue
        ok = until(lambda: http_status(spec.address, svc.port, svc.probe) == 200, READY_TIMEOUT, 0.2,
                   lambda: nspawn.alive(st["nspawn_pid"]))
        if not ok:
            raise LabError(f"{spec.name}: {svc.unit} not ready (GET :{svc.port}{svc.probe} != 200 after "
                           f"{READY_TIMEOUT:.0f}s)\n{diagnostics(spec.name, [svc])}")
        done[svc.unit] = _elapsed(t0)
    return done


def diagnostics(name: str, services=()) -> str:
    """Tail of the console log, failed units (system and user), status of the given services."""
    parts = []
    console = paths.host_dir(name) / "console.log"
    if console.exists():
        tail = [ln for ln in console.read_text(errors="replace").splitlines() if ln.strip()][-30:]
        parts.append(f"--- {name}: console log (tail) ---\n" + "\n".join(tail))
    cmds = ["systemctl --failed --no-pager", "systemctl is-system-running"]
    for user in read_state(name).get("users", {}):
        cmds.append(f"systemctl --user -M {user}@ --failed --no-pager")
    for svc in services:
        if svc.scope == "launchd":
            label = svc.unit.partition(":")[0]
            cmds.append(f"/usr/local/macos/bin/launchctl print system/{label}; systemctl status --no-pager -n 20 "
                        f"launchd.service; tail -n 20 /tmp/mlx-{svc.port}.log /tmp/mlx-launch.err.log")
            continue
        scope = f"--user -M {topo.OWNER}@ " if svc.scope == "user" else ""
        cmds.append(f"systemctl {scope}status --no-pager -n 20 {svc.unit}")
    for cmd in cmds:
        try:
            cp = ssh.run_in(name, cmd, connect_timeout=2, timeout=15)
            parts.append(f"--- {name}: {cmd} (exit {cp.returncode}) ---\n{cp.stdout}{cp.stderr}".rstrip())
        except Exception as e:  # diagnostics must never hide the original error
            parts.append(f"--- {name}: {cmd}: {e}")
    return "\n".join(parts)
