"""Kinds of host: for an inventory host's `os`, the one implementation of each concept, chosen once.

A check asks for a concept (facts/needs.py: a service, the listeners, a path...), never for a command; the host's
kind answers it with its own tools. Like goss's system/system.go (a table of constructors picked once) and
testinfra's modules/service.py `get_module_class`: this table is the only place that knows what differs between
a Linux host and a Mac, and nothing else branches on the OS. A new kind of host is a new row here.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import needs as n
from .base import MAX_READ_BYTES
from .files import BsdFiles, GnuFiles
from .listeners import Netstat, Ss
from .needs import Need
from .paths import read_command
from .service import Launchd, Systemd

# The parser a concept is read with on every kind (a concept absent here and from the kind's own tools has no
# parser of its own, e.g. TEXT); the replay self-test breaks one and expects exactly the checks that need it to
# change (selftest/unit/test_replay_fixture.py).
_COMMON_SOURCES = {n.ENV: ("env file",), n.ROUTER: ("router.yaml",), n.PLIST: ("plist",), n.HTTP: ("HTTP",),
                   n.CONTRACT: ("HTTP",), n.TAILSCALE_SERVE: ("tailscale serve",),
                   n.PACKAGES: ("dist-info",)}


@dataclass(frozen=True)
class HostKind:
    os: str  # the inventory's `os`
    title: str  # as a person names it
    system_name: str  # what `uname -s` prints there
    services: Systemd | Launchd  # its service manager
    listeners: Ss | Netstat
    files: GnuFiles | BsdFiles
    platform: tuple[tuple[str, ...], ...]  # what testinfra's SystemInfo asks there (systeminfo.py), in its order
    testinfra_lacks: tuple[str, ...] = ()  # `host.<module>`s testinfra has no implementation of for this kind
    testinfra_looks: bool = False  # GNUFile's questions about a path answered from one look (GNU stat only)

    def sources(self, need: Need) -> tuple[str, ...]:
        """The parsers this need is read with on this kind of host."""
        if need.concept in (n.SERVICE, n.JOURNAL):
            return (self.services.source,)
        if need.concept == n.DISABLED:  # its own parser (launchd: print-disabled, not print)
            return (self.services.disabled_source,) if self.services.disabled_source else ()
        if need.concept == n.SERVICE_ENV:  # the manager names the files, which are read as env files
            return (self.services.source, "env file")
        if need.concept == n.LISTENERS:
            return (self.listeners.source,)
        if need.concept == n.PATH:
            return (self.files.source,)
        return _COMMON_SOURCES.get(need.concept, ())


LINUX = HostKind(
    "linux", "Linux", "Linux", Systemd(), Ss(), GnuFiles(),
    platform=(("uname", "-s"), ("uname", "-m"), tuple(read_command("/etc/os-release", MAX_READ_BYTES))),
    testinfra_looks=True)

DARWIN = HostKind(
    "darwin", "macOS", "Darwin", Launchd(), Netstat(), BsdFiles(),
    platform=(("uname", "-s"), ("sw_vers",), ("uname", "-m")),
    testinfra_lacks=("service", "socket", "process"))  # testinfra has no launchd support

KINDS = {kind.os: kind for kind in (LINUX, DARWIN)}


def kind_of(os: str) -> HostKind:
    return KINDS[os]
