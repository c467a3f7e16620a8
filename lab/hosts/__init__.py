"""Host layouts. A layout module (lab/hosts/<name>.py) provides:

- ``provision(tree, ctx)``: write the host's documented layout into its root (before boot);
- ``SERVICES``: what must answer before the host counts as ready (and what restart_units waits for);
- ``MANAGED_USERS``: users whose systemd user manager must be active (linger).

Every host first gets lab.hosts.base (identity, sshd, keys, masked base-image units).
"""
import importlib
from dataclasses import dataclass, field

from ..topology import HostSpec


@dataclass(frozen=True)
class Service:
    unit: str
    scope: str  # "system" or "user" (then: of the owner user)
    port: int
    probe: str | None = None  # HTTP path that answers 200 once the service is ready


@dataclass
class Context:
    spec: HostSpec
    admin_pub: str  # the outer machine's key (root and owner logins)
    owner_pub: str  # the owner's own key inside the twin (onward ssh, e.g. mini -> studio)
    owner_private: str
    host_keys: dict[str, list[str]] = field(default_factory=dict)  # every twin host being booted -> pub keys


def layout(spec: HostSpec):
    return importlib.import_module(f"{__name__}.{spec.layout}")
