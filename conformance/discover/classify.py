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
from ..site import SiteAddresses
from .ignore import Ignores
from .observe import LAUNCH_DAEMONS, Item, Observation, names_port
from .proposal import Evidence, Proposal

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
                result.rows.append(Classified(DOCUMENTED_ABSENT, host, f"launchd:{label}", "",
                                              tuple(c.id for c in checks if f"launchd:{label}:" in c.id)))
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
            _routes(inventory, site, host, obs, checks, ignores, result)
        _propose(inventory, host, obs, units, ports, ignores, result)
    return result


def _routes(inventory: Inventory, site: SiteAddresses, host: str, obs: Observation, checks: list, ignores: Ignores,
            result: Result) -> None:
    """LiteLLM's routes in router.yaml against the inventory's: seen, absent (the route's checks), or proposed with
    its api_base in the inventory's `{host}` form and the backend whose listener or launchd ports serve it."""
    litellm = inventory.litellm
    documented = {r.name for r in litellm.routes}
    seen = {i.key[0]: i for i in obs.items if i.kind == "route"}
    for name in sorted(documented):
        if "litellm routes" in obs.cannot:
            result.rows.append(Classified(CANNOT_OBSERVE, host, f"route:{name}", obs.cannot["litellm routes"]))
        elif name in seen:
            result.rows.append(Classified(DOCUMENTED_SEEN, host, f"route:{name}"))
        else:
            result.rows.append(Classified(DOCUMENTED_ABSENT, host, f"route:{name}", "not in router.yaml",
                                          tuple(c.id for c in checks if c.id.startswith(f"{litellm.service}::route:{name}:"))))
    for name, item in seen.items():
        if name in documented:
            continue
        why = ignores.why(host, f"route:{name}")
        if why:
            result.ignored.append((host, f"route:{name}", why))
            continue
        entry = {"name": name, "api_base": _templated(inventory, site, item.attrs.get("api_base") or ""),
                 **_backend_of(inventory, site, host, item.attrs.get("api_base") or ""), "expected": "up",
                 "source": "observed"}
        result.rows.append(Classified(UNDOCUMENTED, host, f"route:{name}", f"api_base {entry['api_base']}"))
        result.proposals.append(Proposal("litellm.routes", entry, "observed", f"listed by router.yaml on {host} in both "
                                         "reads", _evidence(item), review=("expected",)))


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


def _backend_of(inventory: Inventory, site: SiteAddresses, litellm_host: str, url: str) -> dict:
    """The documented service that serves the url's port on its host, and the api kind its other routes name."""
    address, port = _split_url(url)
    host = litellm_host if address in ("localhost", "127.0.0.1", "::1") else next(
        (h.id for h in inventory.hosts if address in (site.address(h.id), h.address)), None)
    if host is None or port is None:
        return {}
    backend = next((s.id for s in inventory.services_on(host) if any(l.port == port for l in s.listen)), None)
    backend = backend or next((j.service for j in inventory.launchd if j.host == host
                               and j.ports and j.ports[0] <= port <= j.ports[1]), None)
    if backend is None:
        return {}
    apis = [r.api for r in inventory.litellm.routes if r.backend == backend and r.api]
    return {"backend": backend, **({"api": apis[0]} if apis else {})}


def host_kind_reads_units(obs: Observation) -> bool:
    """Units are absent only where units were listed (a macOS host has none to list)."""
    return "system units" not in obs.cannot


def _evidence(item: Item) -> tuple[Evidence, ...]:
    return (Evidence(item.host, item.command, item.at),)


def _propose(inventory: Inventory, host: str, obs: Observation, units: dict, ports: dict[int, str],
             ignores: Ignores, result: Result) -> None:
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
        if same is not None and same.host == host and not any(u.name == unit_name for u in same.units):
            # the service is documented on this host without this unit: the unit goes into it
            result.rows.append(Classified(UNDOCUMENTED, host, name, f"proposed into service {sid}"))
            result.proposals.append(Proposal("units", unit_entry(item), "observed", f"seen running on {host} in both "
                                             "reads", _evidence(item), parent=sid, review=(REVIEW_STATE,)))
            continue
        sid = sid if sid not in documented_ids else f"{sid}-{host}"
        attrs = item.attrs
        listeners = [i for i in obs.items if i.kind == "listener" and not i.attrs.get("ephemeral")
                     and names_port(attrs, i.key[1])
                     and i.key[1] not in ports and not ignores.why(host, item_name(i))]
        claimed.update(i.key[1] for i in listeners)
        entry = {"id": sid, "host": host, "source": "observed",
                 "purpose": f"observed: {unit_name} runs {(attrs.get('exec_start') or '?').split(' ')[0]}",
                 "units": [unit_entry(item)],
                 **({"listen": [listener_entry(i) for i in listeners]} if listeners else {})}
        env_files = [{"name": f"env-{n}" if n else "env", "path": path, "source": "observed",
                      "entries": [{"key": k, "source": "observed"} for k in keys]}
                     for n, (path, keys) in enumerate(attrs.get("env_keys", {}).items()) if keys]
        if env_files:
            entry["env_files"] = env_files
        result.rows.append(Classified(UNDOCUMENTED, host, name, f"proposed as service {sid}"))
        for i in listeners:
            result.rows.append(Classified(UNDOCUMENTED, host, item_name(i), f"proposed with service {sid}"))
        result.proposals.append(Proposal("services", entry, "observed", f"seen running on {host} in both reads",
                                         _evidence(item) + tuple(e for i in listeners for e in _evidence(i)),
                                         review=(REVIEW_PURPOSE, REVIEW_STATE)))
    for item in obs.items:
        if item.kind == "listener" and item.key[1] not in ports and item.key[1] not in claimed \
                and not item.attrs.get("ephemeral"):
            name = item_name(item)
            why = ignores.why(host, name)
            if why:
                result.ignored.append((host, name, why))
                continue
            owner = _owner_of_port(inventory, host, item.key[1])
            result.rows.append(Classified(UNDOCUMENTED, host, name,
                                          f"proposed into service {owner}" if owner else "no unit names its port"))
            result.proposals.append(Proposal("listen", listener_entry(item), "observed",
                                             f"listening on {host} in both reads", _evidence(item), parent=owner))
        if item.kind == "launchd":
            label = item.key[0]
            documented = {l for job in inventory.launchd if job.host == host for l, _ in job.jobs()}  # retired too
            name = item_name(item)
            if label in documented:
                continue
            why = ignores.why(host, name)
            if why:
                result.ignored.append((host, name, why))
                continue
            result.rows.append(Classified(UNDOCUMENTED, host, name,
                                          "a launchd entry also needs runtime_dir, log_pattern and ports"))
            result.proposals.append(Proposal("launchd", {"host": host, "label": label, "plist": item.attrs["plist"],
                                                         "source": "observed"}, "observed",
                                             f"plist listed on {host} in both reads", _evidence(item)))


def _owner_of_port(inventory: Inventory, host: str, port: int) -> str | None:
    """The documented service on the host whose unit's command line or environment names the port."""
    for service in inventory.services_on(host):
        for unit in service.units:
            if names_port({"exec_start": unit.exec_start, "environment": unit.environment or {}}, port):
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
    for key in ("environment_files", "drop_ins"):
        entry[key] = list(a.get(key) or [])
    if a.get("environment"):
        entry["environment"] = dict(a["environment"])
    if scope == "system":
        entry["run_as"] = a.get("run_as") or "root"
    entry["state"] = {"enabled": bool(a.get("enabled")), "active": bool(a.get("active")), "source": "observed"}
    return entry


def listener_entry(item: Item) -> dict:
    address, port = item.key
    return {"address": address.strip("[]"), "port": port, "source": "observed"}


def extra_host_proposal(alias: str, os: str, address: str, command: str, at: str) -> Proposal:
    """A host the user's ssh config names and the inventory does not."""
    return Proposal("hosts", {"id": alias, "os": os, "address": address, "ssh_alias": alias, "source": "observed",
                              "role": f"reached as `ssh {alias}`"}, "observed", f"named by the ssh config as {alias}",
                    (Evidence(alias, command, at),), review=("role",))
