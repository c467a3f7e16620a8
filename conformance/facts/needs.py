"""What a check needs of a host's facts: a concept and, where it has one, the key it is asked for.

A check declares its needs (checks/finding.py Check.needs); the concept is the same on every kind of host,
and each kind of host reads it with its own tools (facts/kinds.py): `service` is a systemd unit on Linux and
a launchd job on macOS, `listeners` come from `ss` on Linux and `netstat` on macOS. A run asks a host for
the union of what its selected checks need (facts/plan.py), nothing more.
"""
from __future__ import annotations

from dataclasses import dataclass

SERVICE = "service"  # a service as its manager shows it: a systemd unit or a launchd job (key: UnitKey)
SERVICE_ENV = "service-env"  # the env files a service's manager names (a unit's EnvironmentFile=), read (key: UnitKey)
LISTENERS = "listeners"  # every listening TCP socket of the host
PATH = "path"  # a path's type, mode, owner (key: the path)
LINK = "link"  # a symlink's target (key: the path)
TEXT = "text"  # a file's text, read as is (key: the path)
ENV = "env"  # a file read as KEY=value assignments, as systemd reads an EnvironmentFile (key: the path)
ROUTER = "router"  # LiteLLM's router.yaml, read with the env file its os.environ/ names resolve from (key: the path)
JOURNAL = "journal"  # a unit's journal of its current run (key: UnitKey)
HASH = "hash"  # a file's sha256 (key: the path)
SSH_CONFIG = "ssh-config"  # an ssh config's aliases, each resolved as ssh resolves it (key: the file)
PLIST = "plist"  # a launchd property list (key: the path)
DISABLED = "disabled"  # the service manager's database of disabled services (launchd: `launchctl print-disabled`)
PACKAGES = "packages"  # the Python distributions a site-packages folder holds, by their .dist-info folders (key: it)
TAILSCALE_SERVE = "tailscale-serve"  # the host's Tailscale Serve mappings (`tailscale serve status --json`)
SYSTEM = "system"  # the host's kernel name (`uname -s`)
PLATFORM = "platform"  # what testinfra's SystemInfo probes (an owner's test uses `host` on this host)
HTTP = "http"  # an HTTP answer, asked from the run's own host (key: the URL)
CONTRACT = "contract"  # the OpenAI-API contract's answers (the proxy's and the backends')

FROM_THE_RUN = frozenset({HTTP, CONTRACT})  # asked from the run's own host, never in a host's round trips


@dataclass(frozen=True)
class Need:
    concept: str
    key: object = None
