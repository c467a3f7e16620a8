"""Mask every unit of the base image that is not on the twin's allowlist, so a host boots `running`.

The base image is the outer machine's own root, which carries its services (postgresql, timers, gettys,
gpg agents...). Masked, they cannot start and cannot fail; only what a lab host needs remains.
"""
import fnmatch
import os

from ..tree import Tree

SYSTEM_DIRS = ("/usr/lib/systemd/system", "/lib/systemd/system", "/etc/systemd/system")
USER_DIRS = ("/usr/lib/systemd/user", "/etc/systemd/user")
KINDS = (".service", ".socket", ".timer", ".path", ".mount", ".automount", ".swap")

# systemd/dbus/logind/journald essentials, ssh, and what boot and shutdown of a container need
SYSTEM_ALLOW = (
    "*.target", "*.slice", "*.scope",
    "dbus.service", "dbus.socket", "dev-mqueue.mount",
    "ssh.service", "sshd.service",
    "systemd-journald*", "systemd-journal-flush.service",
    "systemd-logind.service", "systemd-user-sessions.service", "user@.service", "user-runtime-dir@.service",
    "systemd-tmpfiles-setup.service", "systemd-tmpfiles-setup-dev.service",
    "systemd-update-utmp.service", "systemd-update-utmp-runlevel.service",
    "systemd-hostnamed.service", "systemd-timedated.service", "systemd-localed.service",
    "systemd-poweroff.service", "systemd-halt.service", "systemd-reboot.service", "systemd-kexec.service",
    "systemd-exit.service", "emergency.service", "rescue.service",
)
USER_ALLOW = ("*.target", "*.slice", "dbus.service", "dbus.socket", "systemd-exit.service",
              "systemd-tmpfiles-setup.service", "systemd-tmpfiles-clean.service")


def _units(tree: Tree, dirs) -> dict[str, str]:
    """name -> name it resolves to (aliases are symlinks to another unit; files map to themselves)."""
    found = {}
    for d in dirs:
        base = tree.path(d)
        if not base.is_dir():
            continue
        for name in os.listdir(base):
            p = base / name
            if not name.endswith(KINDS) or p.is_dir():
                continue
            target = os.readlink(p) if p.is_symlink() else name
            found[name] = os.path.basename(target)
    return found


def _allowed(name: str, resolves_to: str, allow) -> bool:
    return any(fnmatch.fnmatch(n, pat) for n in (name, resolves_to) for pat in allow)


def _mask(tree: Tree, units: dict[str, str], allow, etc_dir: str) -> list[str]:
    masked = sorted(n for n, t in units.items() if t != "null" and not _allowed(n, t, allow))
    for name in masked:
        tree.symlink("/dev/null", f"{etc_dir}/{name}")
    # enablement symlinks of masked units (e.g. multi-user.target.wants/postgresql.service) go too
    etc = tree.path(etc_dir)
    for wants in etc.glob("*.wants"):
        for link in wants.iterdir():
            prefix, at, rest = link.name.partition("@")
            if link.name in masked or (at and f"{prefix}@.{rest.rpartition('.')[2]}" in masked):
                link.unlink()  # also instances of a masked template (getty@tty1 -> getty@.service)
    return masked


def mask_base_image(tree: Tree) -> list[str]:
    """Mask non-allowlisted system and user units of the base image; returns what was masked."""
    system = _units(tree, SYSTEM_DIRS)
    # SysV scripts would become units through systemd-sysv-generator
    initd = tree.path("/etc/init.d")
    if initd.is_dir():
        for script in os.listdir(initd):
            unit = script.removesuffix(".sh") + ".service"  # the generator's naming
            system.setdefault(unit, unit)
    masked = _mask(tree, system, SYSTEM_ALLOW, "/etc/systemd/system")
    masked += [f"user:{n}" for n in _mask(tree, _units(tree, USER_DIRS), USER_ALLOW, "/etc/systemd/user")]
    return masked
