"""The twin's hosts and network, as data. A host of a known kind is one HostSpec line (its layout takes the line's
data: `one_service`, a Linux host with one systemd service and one listener); a new kind of host is a layout
module in lab.hosts too."""
import ipaddress
from dataclasses import dataclass

BRIDGE = "llmlab0"
NETWORK = ipaddress.ip_network("10.213.0.0/24")
OUTER_ADDRESS = "10.213.0.1"  # the outer machine's end, on the bridge
PREFIX = NETWORK.prefixlen
NAME_PREFIX = "llmlab-"  # netns and cgroup names: llmlab-<host>
VETH_PREFIX = "llv-"  # outer end of each host's veth pair: llv-<host> (IFNAMSIZ leaves 11 chars for <host>)

# The lab's owner account, the same on every twin host that has it.
OWNER = "christopherbailey"
OWNER_UID = 1001  # uid 1000 is taken on the outer machine, whose /etc/passwd is the base image's
OWNER_HOME = f"/home/{OWNER}"
CHECKOUT_IN_TWIN = f"{OWNER_HOME}/llm-lab-conformance"  # the checkout, bind-mounted rw (as a user would clone it)
TWIN_VENV = f"{CHECKOUT_IN_TWIN}/.venv"  # built from Debian's /usr/bin/python3, so it works inside the twin


@dataclass(frozen=True)
class OneService:
    """What a host of the `one_service` layout runs: one systemd system service listening on one port."""

    unit: str  # e.g. "llama-server.service", in /etc/systemd/system, enabled, Restart=always
    port: int  # it listens on 0.0.0.0:<port> and answers GET / with 200
    # a service off the LLM path instead of CPython's http.server: its canned answers (lab/canned.py CATALOG key),
    # run by lab/standins/generic_service.py on the documented address, mapped to the host's twin address
    canned: str | None = None
    probe: str = "/"  # what answers 200 once it is ready
    env_file: str | None = None  # the unit's EnvironmentFile (written with `env` below)
    env: tuple[str, ...] = ()  # keys of the env file (values are the twin's)
    files: tuple[str, ...] = ()  # other documented files of the service (written, twin placeholders)


@dataclass(frozen=True)
class HostSpec:
    name: str
    address: str  # the twin address
    stands_for: str  # the documented lab address it replaces (never contacted)
    layout: str | None  # module under lab.hosts that provisions it; None = not built yet
    service: OneService | None = None  # the data a data-driven layout (one_service) lays the host out from

    @property
    def netns(self) -> str:
        return NAME_PREFIX + self.name

    @property
    def cgroup(self) -> str:
        return NAME_PREFIX + self.name

    @property
    def veth(self) -> str:
        return VETH_PREFIX + self.name


HOSTS = {
    "mini": HostSpec("mini", "10.213.0.2", "192.168.1.71", "mini"),
    "studio": HostSpec("studio", "10.213.0.3", "192.168.1.72", "studio"),
    "dietpi": HostSpec("dietpi", "10.213.0.4", "192.168.1.70", "dietpi"),
    # a fourth host of a known kind (examples/inventory-orin.yaml documents it): this line is all it takes
    "orin": HostSpec("orin", "10.213.0.5", "192.168.1.73", "one_service", OneService("llama-server.service", 8080)),
}


# The 2026-05 edition (bebopbabailey/homelab-llm@1b54b73, examples/inventory-2026-05.yaml): the same four hosts
# and twin addresses, laid out as that commit documents them. The Orin is a host of a known kind: its
# voice-gateway (docs/foundation/orin-agx.md, services/voice-gateway/RUNBOOK.md) is one entry.
HOSTS_2026_05 = {
    "mini": HostSpec("mini", "10.213.0.2", "192.168.1.71", "mini_2026_05"),
    "studio": HostSpec("studio", "10.213.0.3", "192.168.1.72", "studio_2026_05"),
    "dietpi": HostSpec("dietpi", "10.213.0.4", "192.168.1.70", "dietpi"),
    "orin": HostSpec("orin", "10.213.0.5", "192.168.1.93", "one_service", OneService(
        "voice-gateway.service", 18080, canned="voice-gateway", probe="/health",
        env_file="/etc/voice-gateway/voice-gateway.env",
        env=("VOICE_GATEWAY_API_KEY", "VOICE_BACKEND_API_BASE", "VOICE_BACKEND_STT_MODEL", "VOICE_BACKEND_TTS_MODEL"),
        files=("/etc/voice-gateway/voices.json",))),
}
EDITIONS = {"founding": HOSTS, "2026-05": HOSTS_2026_05}


# Copies of the fourth host's small kind, for the scale benchmark (lab/scale.py): `copies(n)` makes small-1 ... small-n,
# each an `orin` (one_service: one systemd service, one listener) at its own twin address. A copy is a function of its
# name, so every process of the twin (up, down, exec) knows it without a table; `up(specs=copies(n))` boots them.
COPY_PREFIX = "small-"
COPY_FIRST_OCTET = 100  # small-<i> is at 10.213.0.<100 + i>
MAX_COPIES = 100


def copy(i: int) -> HostSpec:
    if not 1 <= i <= MAX_COPIES:
        raise KeyError(f"a copy of the small host is numbered 1..{MAX_COPIES}, not {i}")
    small = HOSTS["orin"]
    # stands_for: TEST-NET-1 (RFC 5737), documentation-only addresses, like the copies themselves
    return HostSpec(f"{COPY_PREFIX}{i}", str(NETWORK[COPY_FIRST_OCTET + i]), f"192.0.2.{i}", small.layout, small.service)


def copies(n: int) -> list[HostSpec]:
    """n hosts of the small kind (the fourth host's, `one_service`), small-1 ... small-n."""
    return [copy(i) for i in range(1, n + 1)]


def hosts_of(edition: str | None = None) -> dict[str, HostSpec]:
    """The host table of an edition (default: the one that is up, else the founding one)."""
    if edition is None:
        from .edition import current
        edition = current()
    try:
        return EDITIONS[edition]
    except KeyError:
        raise KeyError(f"unknown edition {edition!r} (known: {', '.join(EDITIONS)})") from None


def bootable(edition: str | None = None) -> list[HostSpec]:
    """Hosts that have a layout: `up` boots all of these."""
    return [h for h in hosts_of(edition).values() if h.layout]


def host(name: str, edition: str | None = None) -> HostSpec:
    table = hosts_of(edition)
    try:
        return table[name]
    except KeyError:
        number = name.removeprefix(COPY_PREFIX)
        if name.startswith(COPY_PREFIX) and number.isdigit() and str(int(number)) == number:
            return copy(int(number))
        raise KeyError(f"unknown twin host {name!r} (known: {', '.join(table)}, and {COPY_PREFIX}1..{MAX_COPIES})") from None


def is_twin_address(addr: str) -> bool:
    """Safety guard: the outer machine only ever talks to addresses of the twin's own subnet."""
    try:
        return ipaddress.ip_address(addr) in NETWORK
    except ValueError:
        return False
