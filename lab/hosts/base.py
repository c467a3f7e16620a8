"""What every twin host gets before its own layout: identity, sshd, root's login, the owner user, masks."""
import os

from .. import topology as topo
from ..proc import run
from ..tree import Tree
from . import Context
from .masking import mask_base_image

SSHD_CONF = """\
# twin: key logins only, fast connects for many short commands
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
MaxStartups 100:30:200
"""


def provision(tree: Tree, ctx: Context) -> list[str]:
    """Returns the units it masked."""
    name = ctx.spec.name
    tree.write("/etc/hostname", f"{name}\n")
    tree.write("/etc/hosts", f"127.0.0.1\tlocalhost\n127.0.1.1\t{name}\n::1\tlocalhost ip6-localhost ip6-loopback\n")
    tree.write("/etc/machine-id", _machine_id())
    tree.write("/etc/resolv.conf", "# twin host: no DNS (it has no route out)\n")
    tree.write("/etc/ssh/sshd_config.d/50-twin.conf", SSHD_CONF)
    tree.symlink("/lib/systemd/system/ssh.service", "/etc/systemd/system/multi-user.target.wants/ssh.service")
    # root: stock Debian dotfiles (the outer root's .bashrc runs pyenv init: +100 ms per ssh command)
    tree.install(tree.path("/etc/skel/.bashrc"), "/root/.bashrc", 0o644)
    tree.install(tree.path("/etc/skel/.profile"), "/root/.profile", 0o644)
    tree.mkdir("/root/.ssh", 0o700)
    tree.write("/root/.ssh/authorized_keys", ctx.admin_pub + "\n", 0o600)
    return mask_base_image(tree)


def known_hosts(ctx: Context) -> str:
    """Every twin host's keys, by name and address (as `ssh-keyscan` would have them learned)."""
    return "".join(f"{n},{topo.host(n).address} {k}\n" for n, keys in sorted(ctx.host_keys.items()) for k in keys)


def _machine_id() -> str:
    with open("/proc/sys/kernel/random/uuid") as f:
        return f.read().strip().replace("-", "") + "\n"


def add_owner(tree: Tree, ctx: Context, groups=("systemd-journal",), linger=True, home: str = topo.OWNER_HOME,
              shell: str = "/bin/bash") -> None:
    """The lab's owner account with key logins (outer admin key + its own key) and, by default, linger."""
    parent = os.path.dirname(home)
    if not tree.path(parent).is_dir():
        tree.mkdir(parent, 0o755)  # e.g. /Users on studio
    run(["useradd", "--root", tree.root, "-m", "-d", home, "-s", shell, "-U", "-u", str(topo.OWNER_UID),
         "-c", "Christopher Bailey", *(["-G", ",".join(groups)] if groups else []), topo.OWNER])
    own = topo.OWNER
    tree.mkdir(f"{home}/.ssh", 0o700, own)
    tree.write(f"{home}/.ssh/authorized_keys", f"{ctx.admin_pub}\n{ctx.owner_pub}\n", 0o600, own)
    tree.write(f"{home}/.ssh/id_ed25519", ctx.owner_private, 0o600, own)
    tree.write(f"{home}/.ssh/id_ed25519.pub", ctx.owner_pub + "\n", 0o644, own)
    tree.write(f"{home}/.ssh/known_hosts", known_hosts(ctx), 0o644, own)
    if linger:
        # a user unit enabled in default.target.wants only starts at boot with lingering on
        tree.write(f"/var/lib/systemd/linger/{own}", "")
