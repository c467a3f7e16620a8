"""Files on a host: a path's type and owner, a file's text or bytes, its sha256, a symlink's target; per toolset.

Like testinfra's modules/file.py (GNUFile with `stat -c`, BSDFile with `stat -f`): a kind of host picks one
toolset (facts/kinds.py), and the facts ask every path in one sweep and every file in one bounded read, with it.
The parsers are the toolsets' own modules (facts/paths.py for GNU coreutils, facts/bsd.py for macOS's BSD
tools), called through them, so a test that breaks one breaks every reader of it.
"""
from __future__ import annotations

from . import bsd, paths
from .paths import PathFact
from ..runner import BinaryCommand


class GnuFiles:
    """GNU coreutils (Linux): `stat -c`, `head -c`, `sha256sum`, `readlink`."""

    source = "stat"  # the parser a path's facts are read with

    def stat(self, asked: list[str]) -> list[str]:
        return paths.stat_command(asked)

    def parse_stat(self, stdout: str, stderr: str, asked: list[str]) -> dict[str, PathFact]:
        return paths.parse_stat(stdout, stderr, asked)

    def read(self, path: str, limit: int) -> list[str]:
        """At most limit+1 bytes, so a file over the limit shows as such (the runner reads regular files only)."""
        return paths.read_command(path, limit)

    def read_bytes(self, path: str, limit: int) -> BinaryCommand:
        """The same read, carried byte for byte (base64 in transit: a binary plist survives)."""
        return BinaryCommand(self.read(path, limit))

    def hash(self, path: str) -> list[str]:
        return paths.hash_command(path)

    def parse_hash(self, stdout: str) -> dict[str, str]:
        return paths.parse_sha256(stdout)

    def readlink(self, path: str) -> list[str]:
        return paths.readlink_command(path)

    def list(self, path: str) -> list[str]:  # `ls -1 -q --` reads the same with GNU and BSD ls
        return paths.list_command(path)

    # testinfra's `host.file(p).content` reads through the bounded reader, its size asked in the same round trip
    def size(self, path: str) -> tuple[str, ...]:
        return ("stat", "-Lc", "%s", path)

    def parse_size(self, stdout: str) -> str:
        return stdout.strip()


class BsdFiles(GnuFiles):
    """macOS's stock BSD tools: `stat -L -f`, `head -c`, `shasum -a 256`, `readlink` (no GNU flags, no Python)."""

    def stat(self, asked: list[str]) -> list[str]:
        return bsd.stat_command(asked)

    def parse_stat(self, stdout: str, stderr: str, asked: list[str]) -> dict[str, PathFact]:
        return bsd.parse_stat(stdout, stderr, asked)

    def hash(self, path: str) -> list[str]:
        return bsd.shasum_command([path])

    def parse_hash(self, stdout: str) -> dict[str, str]:
        return bsd.parse_shasum(stdout)

    def size(self, path: str) -> tuple[str, ...]:
        return tuple(bsd.stat_command([path]))

    def parse_size(self, stdout: str) -> str:
        fields = stdout.strip().split("|")
        return fields[4] if len(fields) == 6 else ""
