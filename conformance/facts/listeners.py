"""Listening TCP sockets, per toolset: `ss -ltnH` on Linux, `netstat -an -p tcp` on macOS (facts/kinds.py picks).

Both parsers give the same Listening rows (facts/sockets.py, facts/netstat.py), so one documented address compares
alike everywhere. The parsers are called through their modules, so a test that breaks one breaks every reader.
"""
from __future__ import annotations

from . import netstat, sockets
from .sockets import Listening


class Ss:
    """iproute2's `ss` (Linux): needs no privilege to list every listener."""

    name = source = "ss"
    command = sockets.LISTENERS_COMMAND

    def parse(self, stdout: str) -> list[Listening]:
        return sockets.parse_ss(stdout)


class Netstat:
    """macOS's `netstat -an -p tcp`: lists every user's sockets without root (lsof shows only one's own)."""

    name = source = "netstat"
    command = netstat.NETSTAT_COMMAND

    def parse(self, stdout: str) -> list[Listening]:
        return netstat.parse_netstat(stdout)
