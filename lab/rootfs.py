"""Each host's root: an overlay of the outer machine's `/` (read-only lower) and an upper on a private tmpfs.

Everything the host needs is written into the upper BEFORE boot; the outer `/` is never written, and
`down` just unmounts (the tmpfs takes every change with it).
"""
import os
import stat
from pathlib import Path

from . import paths
from .mounts import mounts_under
from .proc import LabError, run

LOWER = "/"
TMPFS_SIZE = os.environ.get("LAB_TMPFS_SIZE", "2G")

# Entries of the outer machine's / that are not part of a Debian image (its admin's home, this
# checkout, tool caches, sandbox mounts): hidden in the twin, so nothing private leaks in and no
# check can pass because of something only the outer machine has. Dirs become opaque, files whiteouts.
HIDDEN = ("root", "home", "work", "opt", "srv", "mnt", "farm", "old_root", "container_info.json",
          "pyenv-installer")


def mount(name: str, links: dict[str, str] | None = None) -> Path:
    """links: top-level entries that are symlinks in this host ({"/tmp": "private/tmp"} on studio), made in
    the upper before mounting: an upper symlink hides the lower directory of that name whole."""
    d = paths.host_dir(name)
    rw, root = d / "rw", d / "root"
    rw.mkdir(parents=True, exist_ok=True)
    root.mkdir(exist_ok=True)
    run(["mount", "-t", "tmpfs", "-o", f"mode=0755,size={TMPFS_SIZE}", f"llmlab-{name}-rw", rw])
    run(["mount", "--make-private", rw])
    (rw / "upper").mkdir()
    (rw / "work").mkdir()
    _hide(rw / "upper")
    for entry, target in (links or {}).items():
        if "/" in entry.strip("/"):
            raise LabError(f"{name}: only top-level entries can be links here, not {entry}")
        (rw / "upper" / entry.strip("/")).symlink_to(target)
    run(["mount", "-t", "overlay", f"llmlab-{name}-root", "-o",
         f"lowerdir={LOWER},upperdir={rw / 'upper'},workdir={rw / 'work'}", root])
    run(["mount", "--make-private", root])
    return root


def _hide(upper: Path) -> None:
    for entry in HIDDEN:
        lower = Path(LOWER, entry)
        if lower.is_symlink() or not lower.exists():
            continue
        target = upper / entry
        if lower.is_dir():
            target.mkdir(mode=0o700 if entry == "root" else 0o755)
            os.setxattr(target, "trusted.overlay.opaque", b"y")
        else:
            os.mknod(target, stat.S_IFCHR | 0o000, os.makedev(0, 0))  # overlayfs whiteout


def unmount_all(prefix: Path) -> None:
    for _ in range(3):  # stacked mounts on one point need one umount each
        for mnt in mounts_under(prefix):
            if run(["umount", mnt], check=False).returncode != 0:
                run(["umount", "-l", mnt], check=False)  # busy: detach now, the kernel frees it when idle
        if not mounts_under(prefix):
            return
    raise LabError(f"still mounted under {prefix}: {', '.join(mounts_under(prefix))}")
