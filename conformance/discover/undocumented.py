"""What the owner's repo proposes that an inventory does not document yet.

`propose` reads the repo alone; an inventory may already document much of it (the 2026-05 edition documents
nearly all). Inserting a second `mini` host, a second listener on a port or a unit fact twice makes the patched
inventory fail to load, so the discover command keeps only the new: `undocumented(found, inventory)`.

Identity, as the schema's own uniqueness rules have it: a host by id, a service by id, a listener by (host, port),
a unit by (host, scope, user, name) and each of its facts once, an env file by (service, path) and each key once,
a route by name, a launchd job by every label it expands to. Where the inventory already states a fact and the
repo says another value, nothing is proposed and a line says so (the owner decides which is right).
"""
from __future__ import annotations

from ..inventory.schema import Inventory
from .from_repo import READ_FILES, RepoProposals
from .proposal import Proposal
from .route_api import for_contract

_UNIT_IDENTITY = ("name", "scope", "user", "source", "why")


def undocumented(found: RepoProposals, inventory: Inventory) -> RepoProposals:
    hosts = {h.id: h for h in inventory.hosts}
    services = {s.id: s for s in inventory.services}
    proposed_services = {p.entry["id"]: p.entry["host"] for p in found.proposals if p.section == "services"}
    notes = list(found.not_derived)
    kept: list[Proposal] = []

    def host_of(service: str | None) -> str | None:
        return services[service].host if service in services else proposed_services.get(service)

    def differs(what: str, field: str, documented, proposed) -> None:
        notes.append(f"differs from the inventory: {what}: {field} {documented!r} documented, {proposed!r} in the repo")

    for p in found.proposals:
        if p.section == "hosts":
            host = hosts.get(p.entry["id"])
            if host is None:
                kept.append(p)
            elif host.address != p.entry["address"]:
                differs(f"host {host.id}", "address", host.address, p.entry["address"])
        elif p.section == "services":
            if p.entry["id"] not in services:
                kept.append(p)
        elif p.section == "listen":
            kept += _listener(p, host_of(p.parent), inventory, differs)
        elif p.section == "units":
            kept += _unit(p, host_of(p.parent), inventory, differs)
        elif p.section == "env_files":
            kept += _env_file(p, services.get(p.parent))
        elif p.section == "packages":
            kept += _package(p, services.get(p.parent), differs)
        elif p.section == "litellm.routes":
            routes = {r.name: r for r in inventory.litellm.routes} if inventory.litellm else {}
            route = routes.get(p.entry["name"])
            if route is None:
                kept += _route_for_contract(p, inventory)
            elif route.api_base != p.entry["api_base"]:
                differs(f"route {route.name}", "api_base", route.api_base, p.entry["api_base"])
        elif p.section == "launchd":
            documented = {label for job in inventory.launchd for label, _ in job.jobs()}
            lanes = p.entry.get("lanes")
            labels = ({p.entry["label"].format(port=lane["port"] if isinstance(lane, dict) else lane) for lane in lanes}
                      if lanes else {p.entry["label"]})
            if not labels & documented:
                kept.append(p)
            elif not labels <= documented:
                notes.append(f"launchd {p.entry['label']}: the inventory documents {', '.join(sorted(labels & documented))} "
                             f"of {', '.join(sorted(labels))}; the family is not proposed again")
        else:
            kept.append(p)
    # a new service's skeleton goes in only with something of its own (a unit, a listener, a job, a route to it)
    used = {p.parent for p in kept} | {p.entry.get("backend") for p in kept} | {p.entry.get("service") for p in kept}
    kept = [p for p in kept if p.section != "services" or p.entry["id"] in used]
    return RepoProposals(kept, notes + unstated(found, inventory))


def unstated(found: RepoProposals, inventory: Inventory) -> list[str]:
    """The inventory's units, launchd labels, listeners and routes the repo did not propose and that the inventory
    takes from files `propose` does not read (its `why`, and its service's, name none of READ_FILES: the owner's
    prose docs, a package's defaults): one line each, naming where the inventory has it from. An item whose why names
    a file `propose` reads is not excused here: `propose` must have proposed it or said itself why not."""
    proposed_hosts = {p.entry["id"]: p.entry["host"] for p in found.proposals if p.section == "services"}
    services = {s.id: s.host for s in inventory.services}

    def host_of(service):
        return services.get(service) or proposed_hosts.get(service)

    proposed = {("unit", host_of(p.parent), p.entry["name"]) for p in found.proposals if p.section == "units"}
    proposed |= {("listener", host_of(p.parent), p.entry["port"]) for p in found.proposals if p.section == "listen"}
    proposed |= {("route", p.entry["name"]) for p in found.proposals if p.section == "litellm.routes"}
    for p in found.proposals:
        if p.section == "launchd":
            lanes = p.entry.get("lanes") or [None]
            proposed |= {("label", p.entry["label"].format(port=lane["port"] if isinstance(lane, dict) else lane)
                          if lane else p.entry["label"]) for lane in lanes}
    documented: dict[tuple, list] = {}  # item -> the inventory entries that state it (its own, and its service)
    for s in inventory.services:
        for u in s.units:
            documented.setdefault(("unit", s.host, u.name), []).append(u)  # a unit's own why: its service's names
            # the files of its other parts
        for listener in s.listen:
            documented.setdefault(("listener", s.host, listener.port), []).extend([listener, s])
    for job in inventory.launchd:
        for label, _ in job.jobs():
            documented.setdefault(("label", label), []).append(job)
    for route in inventory.litellm.routes if inventory.litellm else []:
        documented.setdefault(("route", route.name), []).append(route)
    lines = []
    for item, entries in documented.items():
        if item in proposed or any(READ_FILES.search(e.why or "") for e in entries):
            continue
        said = "; ".join(dict.fromkeys(e.why for e in entries if e.why))
        said = f"the inventory's why: {said}" if said else f"the inventory's source: {entries[0].source}"
        lines.append(f"inventory {item[0]} {' '.join(map(str, item[1:]))}: stated only in files --from-repo does not "
                     f"read ({said})")
    return lines


def _route_for_contract(p: Proposal, inventory: Inventory) -> list[Proposal]:
    """An inventory with a contract needs the api of each route the suite calls; the repo does not say it. A contract
    api named as the route's backend service is taken, for review; else the route goes in with `leaves_lab: true` and
    no api, both for review, never called until the owner describes it (route_api.py; the page's 'Not discoverable'
    says what to add)."""
    entry, described = for_contract(p.entry, inventory)
    return [Proposal(p.section, entry, p.source, p.why, p.evidence, parent=p.parent, review=p.review + described)]


def _listener(p: Proposal, host: str | None, inventory: Inventory, differs) -> list[Proposal]:
    for s in inventory.services:
        for listener in s.listen:
            if s.host == host and listener.port == p.entry["port"]:
                documented = getattr(listener, "binds", [listener.address])  # one bind, or several where supported
                if p.entry["address"] not in documented:
                    differs(f"{host}:{listener.port} ({s.id})", "bind", documented, p.entry["address"])
                return []
    return [p]


def _unit(p: Proposal, host: str | None, inventory: Inventory, differs) -> list[Proposal]:
    """The unit's facts the inventory does not state yet, under the service that documents the unit (if any)."""
    key = (p.entry.get("scope", "system"), p.entry.get("user"), p.entry["name"])
    stated: dict[str, object] = {}
    owner = None
    for s in inventory.services:
        for u in s.units:
            if s.host == host and (u.scope, u.user, u.name) == key:
                owner = owner or s.id
                stated |= {f: getattr(u, f) for f in u.model_fields_set - set(_UNIT_IDENTITY)}
    if owner is None:
        return [p]
    new = {}
    for field, value in p.entry.items():
        if field in _UNIT_IDENTITY:
            continue
        if field not in stated:
            new[field] = value
        elif _same(stated[field], value) is False:
            differs(f"unit {p.entry['name']} on {host}", field, stated[field], value)
    if not new:
        return []
    entry = {f: p.entry[f] for f in _UNIT_IDENTITY if f in p.entry} | new
    return [Proposal(p.section, entry, p.source, p.why, p.evidence, parent=owner, review=p.review)]


def _env_file(p: Proposal, service) -> list[Proposal]:
    """Keys of an env file the inventory documents are not proposed again; a file it does not document is."""
    if service is None:
        return [p]
    documented = next((f for f in service.env_files if f.path == p.entry["path"]), None)
    if documented is None:
        return [p]
    keys = {e.key for e in documented.entries}
    entries = [e for e in p.entry["entries"] if e["key"] not in keys]
    if not entries:
        return []
    # the writer inserts whole entries: a file's new keys go in as a second entry of the same file, named apart
    entry = p.entry | {"name": f"{documented.name}-repo-keys", "entries": entries}
    return [Proposal(p.section, entry, p.source, p.why, p.evidence, parent=p.parent, review=p.review + ("name",))]


def _package(p: Proposal, service, differs) -> list[Proposal]:
    """A package the service documents is not proposed again; a pin of another version, or in another environment,
    is a line for the owner."""
    documented = next((pkg for pkg in service.packages if pkg.name == p.entry["name"]), None) if service else None
    if documented is None:
        return [p]
    for field in ("version", "site_packages"):
        if getattr(documented, field) != p.entry[field]:
            differs(f"package {documented.name} of {service.id}", field, getattr(documented, field), p.entry[field])
    return []


def _same(documented, proposed) -> bool:
    if isinstance(documented, (int, float)) and isinstance(proposed, (int, float)):
        return float(documented) == float(proposed)
    if hasattr(documented, "model_dump"):
        return documented.model_dump(exclude_unset=True) == proposed
    return documented == proposed
