"""Proof of `--from-repo` on the owner's real repo: what `propose` reproduces of the 2026-05 inventory.

    python -m selftest.from_repo_proof CHECKOUT [INVENTORY]

CHECKOUT is a checkout of bebopbabailey/homelab-llm at commit 1b54b73 (made outside this repo, never committed:
the owner's repo has no LICENSE), INVENTORY defaults to examples/inventory-2026-05.yaml. Compares, by identity,
the units (host, name), launchd labels, listeners (host, port; then the bind) and LiteLLM routes (name; then
api_base, backend, env, literal) and prints the numbers and every difference. An item the inventory has that
`propose` did not reproduce counts as "named" when a not_derived line names it (the repo cannot decide it), else
as "missed". Nothing is asserted here; selftest/unit/test_discover_from_repo_real.py asserts that nothing the
inventory takes from the files `propose` reads is missed silently.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from conformance.discover.from_repo import READ_FILES, RepoProposals, checkout_commit, propose
from conformance.discover.undocumented import unstated
from conformance.inventory.schema import Inventory

DEFAULT_INVENTORY = Path(__file__).resolve().parent.parent / "examples" / "inventory-2026-05.yaml"
@dataclass
class Kind:
    """One kind of item (units, labels, listeners, routes): the inventory's, the proposed, and how they meet."""

    name: str
    documented: dict  # identity -> (the inventory's facts, whether its `why` names a file propose reads)
    proposed: dict  # identity -> the proposal's facts
    named: set = field(default_factory=set)  # identities a not_derived line names
    differences: list[str] = field(default_factory=list)
    to_review: list[str] = field(default_factory=list)  # differences in a field the proposal leaves to the owner

    @property
    def reproduced(self) -> set:
        return set(self.documented) & set(self.proposed)

    @property
    def missing(self) -> set:
        return set(self.documented) - set(self.proposed)

    @property
    def missed(self) -> set:
        """Not reproduced and not named in not_derived."""
        return self.missing - self.named

    @property
    def missed_from_read_files(self) -> set:
        return {i for i in self.missed if self.documented[i][1]}

    @property
    def extra(self) -> set:
        return set(self.proposed) - set(self.documented)


def compare(found: RepoProposals, inventory: dict) -> list[Kind]:
    """Each kind's items, reproduced or not; an item not reproduced is "named" when a not_derived line of `propose`
    names it, or when the inventory states it only from files `propose` does not read (`unstated`'s lines)."""
    notes = "\n".join(found.not_derived + unstated(found, Inventory.model_validate(inventory)))
    kinds = [_units(found, inventory), _labels(found, inventory), _listeners(found, inventory), _routes(found, inventory)]
    for kind in kinds:
        kind.named = {i for i in kind.missing if _named(i, kind, notes)}
    return kinds


def _from_read_files(*entries: dict) -> bool:
    return any(READ_FILES.search(str(e.get("why") or "")) for e in entries)


def _units(found, inventory) -> Kind:
    documented: dict = {}
    for s in inventory.get("services") or []:
        for u in s.get("units") or []:
            key = (s["host"], u["name"])
            facts, read = documented.get(key, ({}, False))
            documented[key] = (facts | {k: v for k, v in u.items() if k not in ("source", "why", "name")},
                               read or _from_read_files(u))
    services = {p.entry["id"]: p.entry["host"] for p in found.proposals if p.section == "services"}
    proposed = {(services.get(p.parent), p.entry["name"]): p.entry for p in found.proposals if p.section == "units"}
    kind = Kind("units", documented, proposed)
    for key in sorted(kind.reproduced):
        facts, mine = documented[key][0], proposed[key]
        for field_ in ("exec_start", "restart", "restart_sec", "environment_files", "environment", "run_as", "scope"):
            if field_ in facts and field_ in mine and _norm(facts[field_]) != _norm(mine[field_]):
                kind.differences.append(f"{key[0]} {key[1]}: {field_} {facts[field_]!r} documented, {mine[field_]!r} proposed")
            elif field_ in facts and field_ not in mine:
                kind.differences.append(f"{key[0]} {key[1]}: {field_} documented, not proposed")
    return kind


def _labels(found, inventory) -> Kind:
    documented: dict = {}
    for job in inventory.get("launchd") or []:
        read = _from_read_files(job)
        if job.get("lanes") is None:
            documented[job["label"]] = (job, read)
        for lane in job.get("lanes") or []:
            port = lane["port"] if isinstance(lane, dict) else lane
            documented[job["label"].format(port=port)] = (job, read)
    proposed = {}
    for p in found.proposals:
        if p.section == "launchd":
            for lane in p.entry.get("lanes") or [None]:
                port = lane["port"] if isinstance(lane, dict) else lane
                proposed[p.entry["label"].format(port=port) if port else p.entry["label"]] = p.entry
    kind = Kind("launchd labels", documented, proposed)
    launchd = [p for p in found.proposals if p.section == "launchd"]
    documented_states, proposed_states = _job_states(inventory.get("launchd") or []), _job_states([p.entry for p in launchd])
    reviewed = {label for p in launchd if {"state", "lanes"} & set(p.review) for label in _job_states([p.entry])}
    for label in sorted(kind.reproduced):
        if label in documented_states and label in proposed_states and documented_states[label] != proposed_states[label]:
            (kind.to_review if label in reviewed else kind.differences).append(
                f"{label}: state {documented_states[label]} documented, {proposed_states[label]} proposed")
        job, mine = documented[label][0], proposed[label]
        for field_ in ("host", "plist", "program", "stdout", "stderr", "keep_alive", "port"):
            if field_ in job and field_ in mine and job.get(field_) != mine.get(field_):
                kind.differences.append(f"{label}: {field_} {job.get(field_)!r} documented, {mine.get(field_)!r} proposed")
    return kind


def _job_states(jobs: list[dict]) -> dict[str, str]:
    """label -> the state each job must be in, where an entry says it (a lane its own)."""
    states = {}
    for job in jobs:
        for lane in job.get("lanes") or []:
            if isinstance(lane, dict) and "state" in lane:
                states[job["label"].format(port=lane["port"])] = lane["state"]
        if job.get("lanes") is None and "state" in job:
            states[job["label"]] = job["state"]
    return states


def _listeners(found, inventory) -> Kind:
    documented: dict = {}
    for s in inventory.get("services") or []:
        for listener in s.get("listen") or []:
            binds = listener.get("addresses") or [listener.get("address")]
            units = [u["name"] for u in s.get("units") or []]
            documented[(s["host"], listener["port"])] = ((s["id"], binds, units), _from_read_files(listener, s))
    services = {p.entry["id"]: p.entry["host"] for p in found.proposals if p.section == "services"}
    proposed = {(services.get(p.parent), p.entry["port"]): (p.parent, [p.entry["address"]])
                for p in found.proposals if p.section == "listen"}
    kind = Kind("listeners", documented, proposed)
    for key in sorted(kind.reproduced):
        (service, binds, _), (mine_service, mine_binds) = documented[key][0], proposed[key]
        if binds != mine_binds:
            kind.differences.append(f"{key[0]}:{key[1]}: bind {binds} documented, {mine_binds} proposed")
        if service != mine_service:
            kind.differences.append(f"{key[0]}:{key[1]}: service {service} documented, {mine_service} proposed")
    return kind


def _routes(found, inventory) -> Kind:
    litellm = inventory.get("litellm") or {}
    documented = {r["name"]: (r, _from_read_files(r)) for r in litellm.get("routes") or []}
    routes = [p for p in found.proposals if p.section == "litellm.routes"]
    proposed = {p.entry["name"]: p.entry for p in routes}
    review = {p.entry["name"]: p.review for p in routes}
    kind = Kind("routes", documented, proposed)
    for name in sorted(kind.reproduced):
        route, mine = documented[name][0], proposed[name]
        for field_ in ("api_base", "backend", "env", "literal", "expected"):
            if _norm(route.get(field_)) != _norm(mine.get(field_)) and not (field_ == "expected" and route.get(field_) is None):
                (kind.to_review if field_ in review[name] else kind.differences).append(
                    f"{name}: {field_} {route.get(field_)!r} documented, {mine.get(field_)!r} proposed")
    return kind


def _norm(value):
    if isinstance(value, list):
        return sorted(str(v) for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        return " ".join(value.split())
    return value


def _named(identity, kind: Kind, notes: str) -> bool:
    """Whether a not_derived line names this item: its unit name, label, host:port (or a line about its service's
    unit and where it listens), or route."""
    def names(word: str, text: str = notes) -> bool:
        return re.search(rf"(?<![\w.-]){re.escape(word)}(?![\w-])", text) is not None

    if kind.name == "units":
        return names(identity[1])
    if kind.name == "launchd labels":
        return names(identity)
    if kind.name == "listeners":
        host, port = identity
        units = kind.documented[identity][0][2]
        about_listening = [line for line in notes.splitlines() if "listen" in line]
        return re.search(rf":{port}\b|\b{port} \(", notes) is not None or any(
            names(str(port), line) or any(names(u, line) for u in units) for line in about_listening)
    return re.search(rf"\broute {re.escape(identity)}\b", notes) is not None


def report(checkout: Path, found: RepoProposals, kinds: list[Kind]) -> str:
    lines = [f"propose({checkout}) at {checkout_commit(checkout)}: {len(found.proposals)} proposals, "
             f"{len(found.not_derived)} not_derived lines"]
    for k in kinds:
        lines.append(f"{k.name}: {len(k.reproduced)}/{len(k.documented)} reproduced, {len(k.named)} named in "
                     f"not_derived, {len(k.missed)} missed ({len(k.missed_from_read_files)} of them from files propose "
                     f"reads), {len(k.extra)} proposed beyond the inventory, {len(k.differences)} field differences, "
                     f"{len(k.to_review)} left to review")
        for label, items in (("named", k.named), ("missed", k.missed), ("extra", k.extra)):
            if items:
                lines.append(f"  {label}: {', '.join(sorted(map(_show, items)))}")
        lines += [f"  differs: {d}" for d in k.differences] + [f"  review: {d}" for d in k.to_review]
    return "\n".join(lines)


def _show(identity) -> str:
    return ":".join(map(str, identity)) if isinstance(identity, tuple) else str(identity)


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 4
    inventory_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_INVENTORY
    found = propose(Path(argv[0]))
    kinds = compare(found, yaml.safe_load(inventory_path.read_text()))
    print(report(Path(argv[0]), found, kinds))
    print("\nnot_derived:")
    print("\n".join(f"- {line}" for line in found.not_derived))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
