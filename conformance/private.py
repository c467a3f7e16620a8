"""Files that hold secrets on the owner's machine (the nightly job's environment, the webhook URL): written
readable by their owner only, and a word when one is readable by anybody else."""
from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, text: str) -> None:
    """Write `text` as a new file of mode 0600 (whatever the umask), renamed over `path`: an existing file readable by
    others is replaced, never rewritten in place with its old mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # O_CREAT's mode is masked by the umask, only ever narrower; said anyway
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            fd = -1
            f.write(text)
        os.replace(tmp, path)
    finally:
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)


def readable_by_others(path: Path, what: str) -> str | None:
    """A warning when the file may be read by others than its owner (group or world bits), else None."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & 0o077:
        return f"{what} {path} is readable by others than its owner (mode {mode & 0o777:04o}; chmod 600 it)"
    return None
