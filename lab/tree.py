"""Writing files into a host's root before boot, with owner and mode, as a provisioner would."""
import os
import shutil
from pathlib import Path


class Tree:
    """Paths are the host's own absolute paths ("/etc/..."); owners are names from the host's /etc/passwd."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, p: str) -> Path:
        return self.root / p.lstrip("/")

    def ids(self, owner: str) -> tuple[int, int]:
        """owner = "user" or "user:group", resolved in the host's own passwd/group."""
        user, _, group = owner.partition(":")
        uid = gid = None
        for line in self.path("/etc/passwd").read_text().splitlines():
            f = line.split(":")
            if f[0] == user:
                uid, gid = int(f[2]), int(f[3])
        if uid is None:
            raise KeyError(f"no user {user} in {self.root}/etc/passwd")
        if group:
            gid = next(int(f[2]) for f in (ln.split(":") for ln in self.path("/etc/group").read_text().splitlines())
                       if f[0] == group)
        return uid, gid

    def mkdir(self, p: str, mode=0o755, owner="root") -> None:
        """Create p and its missing parents; new parents get the same owner (so a home's subtree stays the user's)."""
        target = self.path(p)
        missing = []
        while not target.exists():
            missing.append(target)
            target = target.parent
        for d in reversed(missing):
            d.mkdir()
            os.chown(d, *self.ids(owner))
            os.chmod(d, mode)
        os.chown(self.path(p), *self.ids(owner))
        os.chmod(self.path(p), mode)

    def write(self, p: str, text: str, mode=0o644, owner="root") -> None:
        target = self.path(p)
        if not target.parent.exists():
            self.mkdir(os.path.dirname(p), owner=owner)
        if target.is_symlink():
            target.unlink()  # e.g. a /dev/null mask of the same name
        target.write_text(text)
        os.chown(target, *self.ids(owner))
        os.chmod(target, mode)

    def install(self, src: Path, p: str, mode=0o755, owner="root") -> None:
        self.write(p, Path(src).read_text(), mode, owner)

    def symlink(self, target: str, p: str, owner="root") -> None:
        link = self.path(p)
        if not link.parent.exists():
            self.mkdir(os.path.dirname(p), owner=owner)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target)
        os.lchown(link, *self.ids(owner))

    def remove(self, p: str) -> None:
        target = self.path(p)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.is_symlink() or target.exists():
            target.unlink()
