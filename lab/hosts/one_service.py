"""A Linux host with one systemd service and one listener, laid out from its HostSpec's data (lab/topology.py
`OneService`): a host of this known kind is one entry in the host table, not a module here.

The service is a system unit in /etc/systemd/system, `Restart=always`, enabled in multi-user.target. What it runs
is, by default, CPython's own `python3 -m http.server` (the standard library's server, no stand-in of ours), bound
to 0.0.0.0 on the entry's port and serving an empty directory, so `ss` shows the port and GET / answers 200. An
entry with `canned` runs the generic stand-in (lab/standins/generic_service.py) with that service's canned answers
(lab/canned.py), on its documented listeners moved to the host's twin address (the 2026-05 Orin's voice-gateway on
its LAN address, 18080), with its env file and documented files (twin placeholders). The owner logs in with the
owner key and is in systemd-journal, as on the other Linux hosts; no linger (no user unit).
"""
import json

from .. import canned, paths, topology as topo
from ..tree import Tree
from . import Context, Service, base

MANAGED_USERS: list[str] = []
STANDINS_DIR = "/usr/local/lib/twin-standins"  # the stand-ins a host runs on Debian's python3 (stdlib only)

UNIT = """\
[Unit]
Description={name} (twin: one service on port {port})
Wants=network-online.target
After=network-online.target

[Service]
{env}ExecStart={exec_start}
Restart=always

[Install]
WantedBy=multi-user.target
"""


def services(spec: topo.HostSpec) -> list[Service]:
    return [Service(spec.service.unit, "system", spec.service.port, spec.service.probe)]


def install_standins(tree: Tree, where: str = STANDINS_DIR) -> None:
    """Every stdlib stand-in and twinhttp.py, side by side (each imports from the directory of its real path)."""
    for src in sorted(paths.STANDINS.glob("*.py")):
        if src.name != "__init__.py":
            tree.install(src, f"{where}/{src.name}", 0o755)


def write_canned(tree: Tree, spec: topo.HostSpec, config: dict, path: str) -> None:
    """A canned config with its documented lab addresses moved to the twin's (every host of the edition)."""
    moved = canned.relisten(config, {h.stands_for: h.address for h in topo.hosts_of().values()})
    tree.write(path, json.dumps(moved, indent=1) + "\n", 0o644)


def provision(tree: Tree, ctx: Context) -> None:
    service = ctx.spec.service
    name = service.unit.removesuffix(".service")
    base.add_owner(tree, ctx, linger=False)
    env = ""
    if service.canned:
        install_standins(tree)
        config = f"/var/lib/twin-services/{name}.json"
        write_canned(tree, ctx.spec, canned.CATALOG[service.canned](), config)
        exec_start = f"/usr/bin/python3 {STANDINS_DIR}/generic_service.py --config {config}"
    else:
        root = f"/srv/{name}"
        tree.mkdir(root, 0o755)
        exec_start = f"/usr/bin/python3 -m http.server --bind 0.0.0.0 --directory {root} {service.port}"
    if service.env_file:
        tree.write(service.env_file, "".join(f"{k}=twin-placeholder\n" for k in service.env), 0o600)
        env = f"EnvironmentFile={service.env_file}\n"
    for f in service.files:
        tree.write(f, "{}\n" if f.endswith(".json") else "", 0o644)
    tree.write(f"/etc/systemd/system/{service.unit}", UNIT.format(name=name, port=service.port, env=env,
                                                                 exec_start=exec_start))
    tree.symlink(f"/etc/systemd/system/{service.unit}", f"/etc/systemd/system/multi-user.target.wants/{service.unit}")
