"""Reading the mount table. os.path.ismount misses bind mounts within one filesystem (/run/netns on /),
so mount points come from /proc/self/mountinfo."""
from pathlib import Path


def mount_points() -> list[str]:
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        points.append(line.split()[4].encode().decode("unicode_escape"))  # octal escapes like \040
    return points


def is_mountpoint(path) -> bool:
    return str(path).rstrip("/") in mount_points()


def mounts_under(prefix) -> list[str]:
    """Mount points at or below prefix, deepest first."""
    prefix = str(prefix).rstrip("/")
    found = {m for m in mount_points() if m == prefix or m.startswith(prefix + "/")}
    return sorted(found, key=lambda m: m.count("/"), reverse=True)
