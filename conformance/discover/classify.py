"""Classify what discovery saw against the inventory, and propose inventory entries for what it does not say.

Four classes, per item:
  documented and seen      the inventory names it and both reads showed it
  documented but absent    the inventory names it, its host and scope were read, and it was not there: the suite's
                           checks of it (their ids) are where it fails
  seen but undocumented    both reads showed it, no ignore hides it: proposed (proposal.Proposal)
  cannot observe           its host or scope could not be read: never written as absent

A unit proposes a new service (id: the unit's name without `.service`) with the unit's stable attributes and the
listeners its command line or environment names (observe.names_port; `ss -p` is not allowlisted). A listener of
no proposed unit goes to the documented service whose unit names its port, else it is listed for review only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..checks.derive import host_checks
from ..facts.needs import SERVICE
from ..facts.service import UnitKey
from ..inventory.schema import Inventory
from ..redaction import is_secret_name
from ..site import SiteAddresses
from .ignore import Ignores
from .observe import LAUNCH_DAEMONS, Item, Observation, names_port
from . import drift
from .proposal import Decision, Evidence, Proposal, port_template
from .route_api import for_contract

DOCUMENTED_SEEN = "documented and seen"
DOCUMENTED_ABSENT = "documented but absent"
UNDOCUMENTED = "seen but undocumented"
CANNOT_OBSERVE = "cannot observe"
CLASSES = (DOCUMENTED_SEEN, DOCUMENTED_ABSENT, UNDOCUMENTED, CANNOT_OBSERVE)
REVIEW_STATE = "state"  # up or running now, enabled or not: whether it must stay so is the owner's judgement
REVIEW_PURPOSE = "purpose"  # what a service is for cannot be seen: the proposal says what ran


@dataclass(frozen=True)
class Classified:
    cls: str
    host: str
    name: str  # `kind:name`, as the ignore file names it
    note: str = ""
    checks: tuple[str, ...] = ()  # for documented-but-absent: the suite's checks that fail on it


@dataclass
class Result:
    rows: list[Classified] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)  # documented entries the lab dropped or changed
    ignored: list[tuple[str, str, str]] = field(default_factory=list)  # host, name, why

    def count(self, cls: str) -> int:
        return sum(1 for r in self.rows if r.cls == cls)


def item_name(item: Item) -> str:
    if item.kind == "unit":
        scope, user, name = item.key
        return f"unit:{name}" if scope == "system" else f"unit:{name}@{user}"
    if item.kind == "listener":
        address = item.key[0]
        return f"listener:[{address}]:{item.key[1]}" if ":" in address else f"listener:{address}:{item.key[1]}"
    return f"{item.kind}:{':'.join(map(str, item.key))}"


def _documented_units(inventory: Inventory, host: str) -> dict[tuple, str]:
    """(scope, user, name) -> service id, for every unit the inventory documents on the host (present or not)."""
    found: dict[tuple, str] = {}
    for service in inventory.services_on(host):
        for unit in service.units:
            found.setdefault((unit.scope, unit.user if unit.scope == "user" else None, unit.name, unit.present),
                             service.id)
    return found


def _documented_ports(inventory: Inventory, host: str) -> dict[int, str]:
    ports: dict[int, str] = {}
    for service in inventory.services_on(host):
        for listener in service.listen:
            ports.setdefault(listener.port, service.id)
    for job in inventory.launchd:
        if job.host == host:
            lo, hi = job.ports or (0, -1)
            ports.update({p: job.service for p in range(lo, hi + 1) if p not in ports})
            ports.update({j.port: job.service for j in job.each() if j.port and j.port not in ports})
    return ports


def _unit_checks(checks: list, scope: str, user: str | None, name: str) -> tuple[str, ...]:
    key = UnitKey(scope, user, name)
    return tuple(c.id for c in checks if any(n.concept == SERVICE and n.key == key for n in c.needs))


def classify(inventory: Inventory, site: SiteAddresses, observations: dict[str, Observation], ignores: Ignores,
             read_scopes: dict[str, set[tuple]] | None = None) -> Result:
    """Every item of every observed host, in one of the four classes; proposals for the undocumented."""
    result = Result()
    proxy_host = None
    for host, obs in observations.items():
        documented = host in {h.id for h in inventory.hosts}
        units = _documented_units(inventory, host) if documented else {}
        ports = _documented_ports(inventory, host) if documented else {}
        # a retired job must not be loaded (the suite checks that): discovery neither expects nor proposes it
        labels = {j.label for job in inventory.launchd if job.host == host for j in job.each() if j.state != "retired"}
        checks = host_checks(inventory, site, host) if documented else []
        if obs.unreachable:
            for (scope, user, name, present), sid in units.items():
                if present:
                    result.rows.append(Classified(CANNOT_OBSERVE, host, f"unit:{name}", obs.unreachable))
            result.rows.append(Classified(CANNOT_OBSERVE, host, f"host:{host}", obs.unreachable))
            continue
        seen_units = {i.key: i for i in obs.items if i.kind == "unit"}
        absent_units: set[tuple] = set()
        absent_labels: dict[str, tuple[str, ...]] = {}
        for (scope, user, name, present), sid in units.items():
            where = "system units" if scope == "system" else f"user units of {user}"
            if where in obs.cannot:
                if present:
                    result.rows.append(Classified(CANNOT_OBSERVE, host, f"unit:{name}", obs.cannot[where]))
                continue
            if not present:
                continue  # documented as removed: the suite's unit-absent check judges it
            if (scope, user, name) in seen_units:
                result.rows.append(Classified(DOCUMENTED_SEEN, host, f"unit:{name}", f"service {sid}"))
            elif (scope, user, name) in obs.unit_files:  # installed, neither enabled nor running: not absent
                result.rows.append(Classified(DOCUMENTED_SEEN, host, f"unit:{name}",
                                              f"service {sid}; unit file {obs.unit_files[(scope, user, name)]}, "
                                              "not running"))
            elif host_kind_reads_units(obs):
                absent_units.add((scope, user, name))
                result.rows.append(Classified(DOCUMENTED_ABSENT, host, f"unit:{name}", f"service {sid}",
                                              _unit_checks(checks, scope, user, name)))
        for label in sorted(labels):
            seen = obs.find("launchd", (label,))
            if seen is not None:
                result.rows.append(Classified(DOCUMENTED_SEEN, host, f"launchd:{label}"))
            elif f"launchd plists in {LAUNCH_DAEMONS}" in obs.cannot:
                result.rows.append(Classified(CANNOT_OBSERVE, host, f"launchd:{label}",
                                              obs.cannot[f"launchd plists in {LAUNCH_DAEMONS}"]))
            else:
                disabled = obs.find("launchd-disabled", (label,)) is not None
                absent_labels[label] = tuple(c.id for c in checks if f"launchd:{label}:" in c.id)
                result.rows.append(Classified(DOCUMENTED_ABSENT, host, f"launchd:{label}",
                                              "no plist; launchd keeps it disabled" if disabled else "no plist",
                                              absent_labels[label]))
        seen_ports = {i.key[1] for i in obs.items if i.kind == "listener"}
        for service in inventory.services_on(host) if documented else ():
            for listener in service.listen:
                name = f"listener:{listener.address}:{listener.port}"
                if "listeners" in obs.cannot:
                    result.rows.append(Classified(CANNOT_OBSERVE, host, name, obs.cannot["listeners"]))
                elif listener.port in seen_ports:
                    result.rows.append(Classified(DOCUMENTED_SEEN, host, name, f"service {service.id}"))
                else:
                    result.rows.append(Classified(DOCUMENTED_ABSENT, host, name, f"service {service.id}",
                                                  tuple(c.id for c in checks
                                                        if c.id == f"{service.id}::listen:{listener.port}")))
        for what, why in obs.cannot.items():
            result.rows.append(Classified(CANNOT_OBSERVE, host, what, why))
        litellm = inventory.litellm
        if documented and litellm and inventory.service(litellm.service).host == host:
            proxy_host = (host, obs, checks)
        _propose(inventory, site, host, obs, units, ports, ignores, result)
        if documented:
            disabled = {i.key[0] for i in obs.items if i.kind == "launchd-disabled"}
            result.decisions += drift.unit_decisions(inventory, host, obs, checks, absent_units)
            result.decisions += drift.listener_decisions(inventory, site, host, obs, checks)
            result.decisions += drift.path_decisions(inventory, host, obs, checks)
            result.decisions += drift.launchd_decisions(inventory, host, absent_labels, disabled)
    if proxy_host is not None:  # after every host: a new route's backend may be a service proposed on another
        host, obs, checks = proxy_host
        absent_routes = _routes(inventory, site, host, obs, checks, ignores, result)
        result.decisions += drift.litellm_decisions(inventory, host, obs, checks, absent_routes)
    return result


def _routes(inventory: Inventory, site: SiteAddresses, host: str, obs: Observation, checks: list, ignores: Ignores,
            result: Result) -> dict[str, tuple[str, ...]]:
    """LiteLLM's routes in router.yaml against the inventory's: seen, absent (returned with the route's checks), or
    proposed with its deployments, its api_base in the inventory's `{host}` form, the env names and literals router.yaml
    uses, and the backend whose listener or launchd job serves it (documented, or proposed in this run); the fallbacks
    router.yaml states between routes are proposed with them."""
    litellm = inventory.litellm
    documented = {r.name for r in litellm.routes}
    seen = {i.key[0]: i for i in obs.items if i.kind == "route"}
    absent: dict[str, tuple[str, ...]] = {}
    for name in sorted(documented):
        if "litellm routes" in obs.cannot:
            result.rows.append(Classified(CANNOT_OBSERVE, host, f"route:{name}", obs.cannot["litellm routes"]))
        elif name in seen:
            result.rows.append(Classified(DOCUMENTED_SEEN, host, f"route:{name}"))
        else:
            absent[name] = tuple(c.id for c in checks if c.id.startswith(f"{litellm.service}::route:{name}:")
                                 or c.id.startswith(f"contract::{name}") or c.id.startswith(f"{name}::"))
            result.rows.append(Classified(DOCUMENTED_ABSENT, host, f"route:{name}", "not in router.yaml", absent[name]))
    proposed = _proposed_backends(result)
    for name, item in seen.items():
        if name in documented:
            continue
        why = ignores.why(host, f"route:{name}")
        if why:
            result.ignored.append((host, f"route:{name}", why))
            continue
        # the api, where its backend tells it; else leaves_lab: true and no api, both for review (route_api.py)
        entry, described = for_contract(route_entry(inventory, site, host, name, item.attrs, proposed), inventory)
        review = ("expected",) + (described if inventory.contract else () if entry.get("api") else ("api",))
        result.rows.append(Classified(UNDOCUMENTED, host, f"route:{name}", f"api_base {entry['api_base']}"))
        result.proposals.append(Proposal("litellm.routes", entry, "observed", f"listed by router.yaml on {host} in both "
                                         "reads", _evidence(item), review=review))
    settings = next((i for i in obs.items if i.kind == "litellm"), None)
    documented_fallbacks = {f.route for f in litellm.fallbacks}
    for route, to in (settings.attrs.get("fallbacks") or []) if settings else []:
        if route in documented_fallbacks:
            continue
        result.rows.append(Classified(UNDOCUMENTED, host, f"fallback:{route}", f"to {', '.join(to)}"))
        result.proposals.append(Proposal("litellm.fallbacks", {"route": route, "to": to, "source": "observed"},
                                         "observed", f"router.yaml fallbacks on {host}", _evidence(settings)))
    return absent


def route_entry(inventory: Inventory, site: SiteAddresses, host: str, name: str, attrs: dict,
                proposed: dict[tuple[str, int], str]) -> dict:
    """A route in the inventory's schema, from what router.yaml says of it as the proxy resolves it."""
    api_base = _templated(inventory, site, attrs.get("api_base") or "")
    entry: dict = {"name": name, "api_base": api_base,
                   **_backend_of(inventory, site, host, attrs.get("api_base") or "", proposed), "expected": "up"}
    default = re.sub(r"[^A-Z0-9]", "_", name.upper())
    env = {k: v for k, v in (attrs.get("env") or {}).items() if v != f"{default}_{k.upper()}"}
    if env:
        entry["env"] = env
    if attrs.get("literal"):
        entry["literal"] = list(attrs["literal"])
    deployments = [{"api_base": _templated(inventory, site, d.get("api_base") or ""), "model": d.get("model")}
                   for d in attrs.get("deployments") or [] if d.get("api_base") and d.get("model")]
    if deployments:
        entry["deployments"] = deployments
    entry["source"] = "observed"
    return entry


def _proposed_backends(result: Result) -> dict[tuple[str, int], str]:
    """(host, port) -> the service proposed in this run that listens there (its own listener or its launchd job)."""
    found: dict[tuple[str, int], str] = {}
    for p in result.proposals:
        if p.section == "services" and p.parent is None:
            for listener in p.entry.get("listen", []):
                found[(p.entry["host"], listener["port"])] = p.entry["id"]
        if p.section == "listen" and p.parent is not None:  # a listener proposed into a documented service
            found.setdefault((p.evidence[0].where if p.evidence else "", p.entry["port"]), p.parent)
        if p.section == "launchd":
            ports = [lane["port"] for lane in p.entry.get("lanes", [])] + ([p.entry["port"]] if p.entry.get("port") else [])
            for port in ports:
                found.setdefault((p.entry["host"], port), p.entry["service"])
    return found


def _split_url(url: str) -> tuple[str, int | None]:
    from urllib.parse import urlsplit
    try:
        parts = urlsplit(url)
        return parts.hostname or "", parts.port
    except ValueError:
        return "", None


def _templated(inventory: Inventory, site: SiteAddresses, url: str) -> str:
    """`http://10.213.0.3:8100/v1` -> `http://{studio}:8100/v1` (the inventory writes addresses by host id)."""
    address, _ = _split_url(url)
    for h in inventory.hosts:
        if address and address in (site.address(h.id), h.address):
            return url.replace(f"//{address}", f"//{{{h.id}}}", 1)
    return url


def _backend_of(inventory: Inventory, site: SiteAddresses, litellm_host: str, url: str,
                proposed: dict[tuple[str, int], str] | None = None) -> dict:
    """The documented service that serves the url's port on its host (else the one proposed in this run), and the
    api kind its other routes name."""
    address, port = _split_url(url)
    host = litellm_host if address in ("localhost", "127.0.0.1", "::1") else next(
        (h.id for h in inventory.hosts if address in (site.address(h.id), h.address)), None)
    if host is None or port is None:
        return {}
    backend = next((s.id for s in inventory.services_on(host) if any(l.port == port for l in s.listen)), None)
    backend = backend or next((j.service for j in inventory.launchd if j.host == host
                               and j.ports and j.ports[0] <= port <= j.ports[1]), None)
    backend = backend or (proposed or {}).get((host, port))
    if backend is None:
        return {}
    apis = [r.api for r in inventory.litellm.routes if r.backend == backend and r.api]
    return {"backend": backend, **({"api": apis[0]} if apis else {})}


def host_kind_reads_units(obs: Observation) -> bool:
    """Units are absent only where units were listed (a macOS host has none to list)."""
    return "system units" not in obs.cannot


def _evidence(item: Item) -> tuple[Evidence, ...]:
    return (Evidence(item.host, item.command, item.at),)


# The port a program listens on when its configuration does not say another (so no command line names it):
# PostgreSQL's `port` default (postgresql.org docs, runtime-config-connection; Debian's postgresql@.service starts a
# cluster through pg_ctlcluster, postgresql-common), Samba's `smb ports = 445 139`
# (smb.conf(5)), Prometheus's `--web.listen-address` default `:9090` (prometheus --help).
DEFAULT_PORTS = {"postgres": (5432,), "pg_ctlcluster": (5432,), "smbd": (139, 445), "prometheus": (9090,)}


def unit_claims_port(attrs: dict, port: int) -> bool:
    """Whether a unit is the one behind a listener: its command line or environment names the port, a value of its
    env files does (read, never written), or it runs a program whose default port it is."""
    if names_port(attrs, port) or port in attrs.get("env_ports", ()):
        return True
    program = (attrs.get("exec_start") or "").split(" ")[0].rsplit("/", 1)[-1]
    return port in DEFAULT_PORTS.get(program, ())


def _propose(inventory: Inventory, site: SiteAddresses, host: str, obs: Observation, units: dict,
             ports: dict[int, str], ignores: Ignores, result: Result) -> None:
    documented_keys = {(s, u, n) for (s, u, n, _p) in units}
    documented_ids = {s.id for s in inventory.services}
    claimed: set[int] = set()
    for item in obs.items:
        if item.kind != "unit" or item.key in documented_keys:
            continue
        name = item_name(item)
        why = ignores.why(host, name)
        if why:
            result.ignored.append((host, name, why))
            continue
        scope, user, unit_name = item.key
        sid = re.sub(r"[^a-z0-9.-]+", "-", unit_name.removesuffix(".service").lower()).strip("-.") or "service"
        same = next((s for s in inventory.services if s.id == sid), None)
        if same is not None and same.host == host and not any(u.name == unit_name and u.scope == scope
                                                              for u in same.units):
            # the service is documented on this host without this unit: the unit goes into it
            result.rows.append(Classified(UNDOCUMENTED, host, name, f"proposed into service {sid}"))
            result.proposals.append(Proposal("units", unit_entry(item), "observed", f"seen running on {host} in both "
                                             "reads", _evidence(item), parent=sid, review=(REVIEW_STATE,)))
            continue
        sid = sid if sid not in documented_ids else f"{sid}-{host}"
        attrs = item.attrs
        listeners = [i for i in obs.items if i.kind == "listener" and not i.attrs.get("ephemeral")
                     and unit_claims_port(attrs, i.key[1])
                     and i.key[1] not in ports and not ignores.why(host, item_name(i))]
        claimed.update(i.key[1] for i in listeners)
        entry = {"id": sid, "host": host, "source": "observed",
                 "purpose": f"observed: {unit_name} runs {(attrs.get('exec_start') or '?').split(' ')[0]}",
                 "units": [unit_entry(item)],
                 **({"listen": listen_entries(inventory, site, host, listeners)} if listeners else {})}
        env_files = [env_file_entry(path, obs.env.get(path) or {k: None for k in keys}, f"env-{n}" if n else "env")
                     for n, (path, keys) in enumerate(attrs.get("env_keys", {}).items()) if keys]
        if env_files:
            entry["env_files"] = env_files
        result.rows.append(Classified(UNDOCUMENTED, host, name, f"proposed as service {sid}"))
        for i in listeners:
            result.rows.append(Classified(UNDOCUMENTED, host, item_name(i), f"proposed with service {sid}"))
        result.proposals.append(Proposal("services", entry, "observed", f"seen running on {host} in both reads",
                                         _evidence(item) + tuple(e for i in listeners for e in _evidence(i)),
                                         review=(REVIEW_PURPOSE, REVIEW_STATE)))
    _propose_env_files(inventory, host, obs, units, ignores, result)
    _propose_launchd(inventory, site, host, obs, ports, claimed, ignores, result)
    by_port: dict[int, list[Item]] = {}
    for item in obs.items:
        if item.kind == "listener" and item.key[1] not in ports and item.key[1] not in claimed \
                and not item.attrs.get("ephemeral"):
            name = item_name(item)
            why = ignores.why(host, name)
            if why:
                result.ignored.append((host, name, why))
                continue
            by_port.setdefault(item.key[1], []).append(item)
    for port, items in by_port.items():  # one entry per port, with every bind it has
        owner = _owner_of_port(inventory, host, port, obs)
        for item in items:
            result.rows.append(Classified(UNDOCUMENTED, host, item_name(item),
                                          f"proposed into service {owner}" if owner else "no unit names its port"))
        result.proposals.append(Proposal("listen", listen_entries(inventory, site, host, items)[0], "observed",
                                         f"listening on {host} in both reads",
                                         tuple(e for i in items for e in _evidence(i)), parent=owner))


def env_file_entry(path: str, held: dict[str, str | None], name: str) -> dict:
    """An env file in the inventory's schema: its KEYS (never a value), each secret where its name says so or its
    value carries a password (DATABASE_URL's postgresql://user:password@...)."""
    from urllib.parse import urlsplit

    def secret(key: str, value: str | None) -> bool:
        try:
            return value is None or is_secret_name(key) or urlsplit(value).password is not None
        except ValueError:
            return True
    def entry(key: str, value: str | None) -> dict:
        if value == "":  # set and empty: as written (a key-only entry must be set to something)
            return {"key": key, "value": "", "source": "observed"}
        return {"key": key, **({"secret": True} if secret(key, value) else {}), "source": "observed"}
    return {"name": name, "path": path, "source": "observed", "entries": [entry(k, v) for k, v in held.items()]}


def _propose_env_files(inventory: Inventory, host: str, obs: Observation, units: dict, ignores: Ignores,
                       result: Result) -> None:
    """The env file the proxy's documented unit reads that its service does not document (litellm-orch's env.local,
    where the master key's NAME is, LITELLM_MASTER_KEY, and the os.environ/ names of router.yaml): proposed into the
    service with its keys. Only the proxy's: another service's env file keys are the owner's to choose to document."""
    seen = {i.key: i for i in obs.items if i.kind == "unit"}
    proxy = inventory.litellm.service if inventory.litellm else None
    for (scope, user, name, present), sid in units.items():
        item = seen.get((scope, user, name))
        if not present or item is None or sid != proxy:
            continue
        service = inventory.service(sid)
        documented = {e.path for e in service.env_files}
        if inventory.litellm and inventory.litellm.service == sid:  # the proxy's env file is its litellm section's
            documented.add(inventory.litellm.env_file)
        taken = {e.name for e in service.env_files}
        for path in item.attrs.get("environment_files") or []:
            held = obs.env.get(path)
            if not held or path in documented or ignores.why(host, f"env:{path}"):
                continue
            documented.add(path)
            slug = re.sub(r"[^a-z0-9]+", "-", path.rsplit("/", 1)[-1].lower()).strip("-") or "env"
            entry_name = slug if slug not in taken else f"{slug}-{len(taken)}"
            taken.add(entry_name)
            result.rows.append(Classified(UNDOCUMENTED, host, f"env:{path}", f"proposed into service {sid}"))
            result.proposals.append(Proposal("env_files", env_file_entry(path, held, entry_name), "observed",
                                             f"read by {name} on {host} (keys only)", _evidence(item), parent=sid))


def _owner_of_port(inventory: Inventory, host: str, port: int, obs: Observation | None = None) -> str | None:
    """The documented service on the host whose unit's command line or environment names the port: as documented,
    else as its unit was seen (its start script may read the port from its env file: litellm-orch's adapter on
    4011, CCPROXY_ADAPTER_API_BASE in env.local)."""
    seen = {i.key[2]: i.attrs for i in (obs.items if obs else []) if i.kind == "unit"}
    for service in inventory.services_on(host):
        for unit in service.units:
            if names_port({"exec_start": unit.exec_start, "environment": unit.environment or {}}, port):
                return service.id
    for service in inventory.services_on(host):
        for unit in service.units:
            if unit.present and unit.name in seen and unit_claims_port(seen[unit.name], port):
                return service.id
    return None


def unit_entry(item: Item) -> dict:
    """The inventory's Unit, from what was seen (only what the suite checks and discovery saw stably)."""
    scope, user, name = item.key
    a = item.attrs
    entry: dict = {"name": name, "scope": scope}
    if scope == "user":
        entry["user"] = user
    entry["source"] = "observed"
    for key in ("fragment", "exec_start", "restart"):
        if a.get(key):
            entry[key] = a[key]
    if a.get("restart_sec") is not None:
        entry["restart_sec"] = int(a["restart_sec"]) if float(a["restart_sec"]).is_integer() else a["restart_sec"]
    optional = list(a.get("optional_environment_files") or [])
    entry["environment_files"] = [f for f in a.get("environment_files") or [] if f not in optional]
    if optional:
        entry["optional_environment_files"] = optional
    entry["drop_ins"] = list(a.get("drop_ins") or [])
    if a.get("environment"):
        entry["environment"] = dict(a["environment"])
    if scope == "system":
        entry["run_as"] = a.get("run_as") or "root"
    # enabled or not only where the unit file says one or the other (`enabled-runtime`, `static`, `generated`,
    # `indirect` are neither: a template instance a generator enables, a unit something else pulls in)
    state = a.get("unit_file_state")
    enabled = {"enabled": {"enabled": True}, "disabled": {"enabled": False}}.get(state, {}) if state else \
        {"enabled": bool(a.get("enabled"))}
    entry["state"] = {**enabled, "active": bool(a.get("active")), "source": "observed"}
    return entry


def listener_entry(item: Item) -> dict:
    address, port = item.key
    return {"address": address.strip("[]"), "port": port, "source": "observed"}


def listen_entries(inventory: Inventory, site: SiteAddresses, host: str, items: list[Item]) -> list[dict]:
    """One listener entry per port: `address`, or `addresses` when the port is bound on several (Samba on 127.0.0.1
    and the LAN address, Postgres on 127.0.0.1 and ::1); the host's own address written as `{host}`, as the
    inventory writes it (its site maps it)."""
    own = {site.address(host), inventory.host(host).address} if host in {h.id for h in inventory.hosts} else set()
    binds: dict[int, list[str]] = {}
    for item in items:
        address = item.key[0].strip("[]")
        binds.setdefault(item.key[1], []).append(f"{{{host}}}" if address in own else address)
    out = []
    for port, addresses in sorted(binds.items()):
        addresses = list(dict.fromkeys(addresses))
        out.append({**({"address": addresses[0]} if len(addresses) == 1 else {"addresses": addresses}),
                    "port": port, "source": "observed"})
    return out


JOB_SERVICE_PREFIX = re.compile(r"^(?:[a-z0-9-]+\.){2}")  # com.bebop.: a reverse-DNS owner, not the job's name


def job_service_id(label: str) -> str:
    """`com.bebop.llmster-gpt.8126` -> `llmster-gpt`; `com.bebop.mlx-lane.{port}` -> `mlx-lane` (the label without
    its owner's reverse-DNS prefix and its port)."""
    name = JOB_SERVICE_PREFIX.sub("", label.lower()).removesuffix(".{port}")
    name = re.sub(r"\.\d+$", "", name)
    return re.sub(r"[^a-z0-9.-]+", "-", name).strip("-.") or "launchd-job"


def job_state(attrs: dict) -> str:
    """The state an observed job is in, in the inventory's words: loaded = active; not loaded and listed disabled
    in launchd's database = disabled; not loaded otherwise = retired (its plist is there, launchd does not run it).
    A judgement for the owner: the proposal carries it and the page lists it."""
    if attrs.get("loaded"):
        return "active"
    return "disabled" if attrs.get("disabled") else "retired"


def lane_families(labels: list[str]) -> dict[str, dict[int, str]]:
    """Labels ending in `.<port>` that share everything before it, two or more: one per-port family each
    (`com.bebop.mlx-lane.{port}` -> {8100: label, ...}). A lone `.<port>` label stays a single job."""
    by_base: dict[str, dict[int, str]] = {}
    for label in labels:
        m = re.fullmatch(r"(.+)\.(\d{2,5})", label)
        if m and 0 < int(m.group(2)) < 65536:
            by_base.setdefault(m.group(1), {})[int(m.group(2))] = label
    return {f"{base}.{{port}}": family for base, family in by_base.items() if len(family) >= 2}


def _templated_per_port(values: dict[int, str | None]) -> str | None:
    """One text for every lane: the same text, or the same with each lane's own port in one place (`{port}`)."""
    if any(v is None for v in values.values()):
        return None
    if len(set(values.values())) == 1:
        return next(iter(values.values()))
    return port_template(values)


def _propose_launchd(inventory: Inventory, site: SiteAddresses, host: str, obs: Observation, ports: dict[int, str],
                     claimed: set[int], ignores: Ignores, result: Result) -> None:
    """Each undocumented LaunchDaemon as a loadable launchd entry with a new service of its own (the service holds its
    listeners): a family of `<base>.<port>` labels as one per-port entry with its lanes, any other as a single job.
    What a plist says (program, log paths, KeepAlive false) is written; what is a judgement (each job's state, whether
    the port must listen, that a daemon the job starts serves its port) carries the observed value, for review."""
    documented = {l for job in inventory.launchd if job.host == host for l, _ in job.jobs()}  # retired too
    jobs: dict[str, Item] = {}
    for item in obs.items:
        if item.kind != "launchd" or item.key[0] in documented or not item.attrs.get("plist", "").startswith(LAUNCH_DAEMONS):
            continue
        why = ignores.why(host, item_name(item))
        if why:
            result.ignored.append((host, item_name(item), why))
            continue
        jobs[item.key[0]] = item
    # the port range of a documented job none of whose labels is there (the founding mlx-launch's 8100-8109) claims
    # nothing: its ports are the new jobs' to propose
    stale = {p for job in inventory.launchd if job.host == host and job.ports
             and all(obs.find("launchd", (j.label,)) is None for j in job.each() if j.state != "retired")
             for p in range(job.ports[0], job.ports[1] + 1)}
    documented_ports = {p for p, sid in ports.items() if p not in stale
                        or any(l.port == p for s in inventory.services_on(host) for l in s.listen)}
    listeners = [i for i in obs.items if i.kind == "listener" and i.key[1] not in documented_ports
                 and i.key[1] not in claimed and not ignores.why(host, item_name(i))]
    taken_ids = {s.id for s in inventory.services}
    families = lane_families(sorted(jobs))
    in_family = {label for family in families.values() for label in family.values()}
    groups = [(template, family) for template, family in families.items()] + \
             [(label, None) for label in sorted(jobs) if label not in in_family]
    for label, family in groups:
        members = {port: jobs[l] for port, l in family.items()} if family else {None: jobs[label]}
        sid = job_service_id(label)
        sid = sid if sid not in taken_ids else f"{sid}-{host}"
        taken_ids.add(sid)
        first = next(iter(members.values()))
        entry: dict = {"service": sid, "host": host, "plist": f"{LAUNCH_DAEMONS}/{label}.plist", "label": label}
        review: list[str] = []
        if family:
            entry["lanes"] = [{"port": port, "state": job_state(item.attrs)} for port, item in sorted(members.items())]
            review.append("lanes")
            served = sorted(port for port, item in members.items() if item.attrs.get("loaded"))
            for key in ("program", "stdout", "stderr"):
                value = _templated_per_port({p: i.attrs.get(key) for p, i in members.items()})
                if value is not None:
                    entry[key] = value
        else:
            attrs = first.attrs
            entry["state"] = job_state(attrs)
            review.append("state")
            for key in ("program", "stdout", "stderr"):
                if attrs.get(key):
                    entry[key] = attrs[key]
            named = [p for p in attrs.get("argument_ports", []) if any(i.key[1] == p for i in listeners)]
            served = named[:1]
            if served:
                entry["port"] = served[0]
                entry["listening"] = "up"
                review.append("listening")
                if attrs.get("loaded") and not attrs.get("running") and attrs.get("exited_cleanly"):
                    # the job ran, ended cleanly, and its port listens: a daemon it started serves it
                    entry["port_served_by"] = "daemon"
                    review.append("port_served_by")
        if all(i.attrs.get("keep_alive") is False for i in members.values()):
            entry["keep_alive"] = False
        entry["source"] = "observed"
        own = [i for i in listeners if i.key[1] in served]
        claimed.update(i.key[1] for i in own)
        service = {"id": sid, "host": host, "source": "observed",
                   "purpose": f"observed: launchd {label}" + (f" runs {entry['program']}" if entry.get("program") else ""),
                   **({"listen": listen_entries(inventory, site, host, own)} if own else {})}
        evidence = tuple(e for i in members.values() for e in _evidence(i)) + tuple(e for i in own for e in _evidence(i))
        for item in members.values():
            result.rows.append(Classified(UNDOCUMENTED, host, item_name(item), f"proposed as launchd {label} of {sid}"))
        for i in own:
            result.rows.append(Classified(UNDOCUMENTED, host, item_name(i), f"proposed with service {sid}"))
        result.proposals.append(Proposal("services", service, "observed", f"launchd {label}: plist listed on {host} "
                                         "in both reads", evidence, review=(REVIEW_PURPOSE,)))
        result.proposals.append(Proposal("launchd", entry, "observed", f"plist listed on {host} in both reads; "
                                         "launchctl print, the plist and launchd's disabled database read", evidence,
                                         review=tuple(review)))


def extra_host_proposal(alias: str, os: str, address: str, command: str, at: str) -> Proposal:
    """A host the user's ssh config names and the inventory does not."""
    return Proposal("hosts", {"id": alias, "os": os, "address": address, "ssh_alias": alias, "source": "observed",
                              "role": f"reached as `ssh {alias}`"}, "observed", f"named by the ssh config as {alias}",
                    (Evidence(alias, command, at),), review=("role",))
