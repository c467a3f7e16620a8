"""Host layouts. A layout module (lab/hosts/<name>.py) provides:

- ``provision(tree, ctx)``: write the host's documented layout into its root (before boot);
- ``SERVICES``: what must answer before the host counts as ready (and what restart_units waits for), or
  ``services(spec)`` for a layout laid out from its HostSpec's data (``one_service``);
- ``MANAGED_USERS``: users whose systemd user manager must be active (linger).

and may set (see ``option``):

- ``SSH_SERVER``: "openssh" (default: sshd with the twin's host keys) or "dropbear";
- ``TMPFS``: where nspawn mounts the host's private tmpfs (default "/tmp");
- ``ROOT_LINKS``: {"/tmp": "private/tmp"}: top-level entries of the root that are symlinks (made in the
  overlay's upper before it is mounted, so they replace the base image's directories);
- ``BIND_CHECKOUT``: bind the checkout (and its .venv) at topology.CHECKOUT_IN_TWIN (default False);
- ``PID1_ENV``: environment of the host's systemd (default none).

Every host first gets lab.hosts.base (identity, sshd, keys, masked base-image units).
"""
import importlib
from dataclasses import dataclass, field

from ..topology import HostSpec


@dataclass(frozen=True)
class Service:
    unit: str
    scope: str  # "system", "user" (then: of the owner user) or "launchd" (unit = the job's label:port)
    port: int
    probe: str | None = None  # HTTP path that answers 200 once the service is ready


@dataclass
class Context:
    spec: HostSpec
    admin_pub: str  # the outer machine's key (root and owner logins)
    owner_pub: str  # the owner's own key inside the twin (onward ssh, e.g. mini -> studio)
    owner_private: str
    host_keys: dict[str, list[str]] = field(default_factory=dict)  # every twin host being booted -> pub keys


DEFAULTS = {"SSH_SERVER": "openssh", "TMPFS": "/tmp", "ROOT_LINKS": {}, "BIND_CHECKOUT": False, "PID1_ENV": {}}


def layout(spec: HostSpec):
    return importlib.import_module(f"{__name__}.{spec.layout}")


def option(spec: HostSpec, name: str):
    """A layout's optional setting (DEFAULTS when it sets none)."""
    return getattr(layout(spec), name, DEFAULTS[name])


def services(spec: HostSpec) -> list[Service]:
    """What must answer before the host counts as ready: its layout's SERVICES, or what its data says."""
    module = layout(spec)
    return module.services(spec) if hasattr(module, "services") else module.SERVICES
