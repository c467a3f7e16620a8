"""A Linux host with one systemd service and one listener, laid out from its HostSpec's data (lab/topology.py
`OneService`): a host of this known kind is one entry in the host table, not a module here.

The service is a system unit in /etc/systemd/system, `Restart=always`, enabled in multi-user.target. What it runs
is CPython's own `python3 -m http.server` (the standard library's server, no stand-in of ours), bound to 0.0.0.0 on
the entry's port and serving an empty directory, so `ss` shows the port and GET / answers 200. The owner logs in
with the owner key and is in systemd-journal, as on the other Linux hosts; no linger (no user unit).
"""
from .. import topology as topo
from ..tree import Tree
from . import Context, Service, base

MANAGED_USERS: list[str] = []

UNIT = """\
[Unit]
Description={name} (twin: one service on port {port})
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/bin/python3 -m http.server --bind 0.0.0.0 --directory {root} {port}
Restart=always

[Install]
WantedBy=multi-user.target
"""


def services(spec: topo.HostSpec) -> list[Service]:
    return [Service(spec.service.unit, "system", spec.service.port, "/")]


def provision(tree: Tree, ctx: Context) -> None:
    service = ctx.spec.service
    name = service.unit.removesuffix(".service")
    base.add_owner(tree, ctx, linger=False)
    root = f"/srv/{name}"
    tree.mkdir(root, 0o755)
    tree.write(f"/etc/systemd/system/{service.unit}", UNIT.format(name=name, port=service.port, root=root))
    tree.symlink(f"/etc/systemd/system/{service.unit}", f"/etc/systemd/system/multi-user.target.wants/{service.unit}")
