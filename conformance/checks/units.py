"""Checks of systemd units: each compares one documented property with `systemctl show`."""
from __future__ import annotations

import shlex
from collections.abc import Iterator

from ..facts.linux import LinuxFacts
from ..facts.plan import UnitKey
from ..facts.systemd import UnitProperties
from ..inventory.schema import Service, Unit
from .finding import Check, Finding, Status, compare, compare_sets


def unit_checks(service: Service) -> Iterator[Check]:
    present = {u.name for u in service.units if u.present}
    for unit in service.units:
        key = UnitKey(unit.scope, unit.user if unit.scope == "user" else None, unit.name)
        prefix = f"{service.id}::" if len(present) <= 1 else f"{service.id}::{unit.name}:"
        if not unit.present:
            yield _check(f"{service.id}::{unit.scope}-unit-absent", service, unit, "unit-absent",
                         f"no {unit.scope}-level {unit.name} exists or is enabled ({unit.why or 'documented absent'})",
                         lambda f, k=key: _absent(f, k), impact=0.5)
            continue
        for aspect, title, evaluate in _aspects(unit, key):
            yield _check(prefix + aspect, service, unit, aspect.split(":")[0], title, evaluate)


def _check(check_id, service, unit, kind, title, evaluate, impact=0.7) -> Check:
    source = unit.source if kind not in ("enabled", "active") or not unit.state else unit.state.source
    return Check(check_id, service.host, title, source, evaluate, impact, kind)


def _aspects(unit: Unit, key: UnitKey):
    where = f"{unit.name} ({unit.scope}{' ' + unit.user if unit.user else ''})"
    if unit.fragment:
        yield "unit-file", f"{where} is loaded from {unit.fragment}", lambda f: _prop(f, key, unit.fragment, lambda p: p.get("FragmentPath") or None)
    if unit.exec_start:
        expected = " ".join(shlex.split(unit.exec_start))
        yield "exec-start", f"{where} ExecStart is {expected}", lambda f: _prop(f, key, expected, _exec_line)
    if unit.restart:
        yield "restart", f"{where} has Restart={unit.restart}", lambda f: _prop(f, key, unit.restart, lambda p: p.get("Restart"))
    if unit.restart_sec is not None:
        yield "restart-sec", f"{where} has RestartSec={unit.restart_sec:g}", lambda f: _prop(f, key, unit.restart_sec, lambda p: p.restart_sec, shown="RestartUSec")
    if unit.state and unit.state.enabled is not None:
        want = "enabled" if unit.state.enabled else "disabled"
        yield "enabled", f"{where} is {want}", lambda f, want=want: _prop(f, key, want, lambda p: p.get("UnitFileState") or None)
    if unit.state and unit.state.active is not None:
        want = "active" if unit.state.active else "inactive"
        yield "active", f"{where} is {want}", lambda f, want=want: _prop(f, key, want, lambda p: p.get("ActiveState"))
    if unit.environment_files is not None:
        yield "environment-file", f"{where} reads EnvironmentFile={', '.join(unit.environment_files)}", \
            lambda f: _prop_set(f, key, unit.environment_files, lambda p: p.environment_files)
    for name, value in (unit.environment or {}).items():
        yield f"environment:{name}", f"{where} has Environment {name}={value}", \
            lambda f, n=name, v=value: _prop(f, key, v, lambda p: p.environment.get(n), shown="Environment")
    if unit.drop_ins is not None:
        yield "drop-ins", f"{where} has drop-ins: {', '.join(unit.drop_ins) or 'none'}", \
            lambda f: _prop_set(f, key, unit.drop_ins, lambda p: p.drop_ins)
    if unit.logs:
        yield "logs", f"{where} logs to journald", lambda f: _prop(f, key, "journal", _log_target)


def _exec_line(props: UnitProperties) -> str | None:
    commands = props.exec_start
    return " | ".join(c.line for c in commands) if commands else None


def _log_target(props: UnitProperties) -> str:
    out = props.get("StandardOutput")
    return "journal" if out in ("journal", "journal+console", "inherit") and props.loaded else out or "unknown"


def _source(fact, key: UnitKey, prop: str = "") -> str:
    return f"{fact.source}{' (' + prop + ')' if prop else ''}"


def _not_loaded(fact, key: UnitKey, expected) -> Finding | None:
    props: UnitProperties = fact.value
    if not props.loaded:
        found = f"unit not loaded (LoadState={props.get('LoadState') or 'unknown'})"
        return Finding(Status.FAILED, expected, found, fact.source, fact.evidence)
    return None


def _prop(facts: LinuxFacts, key: UnitKey, expected, extract, shown: str = "") -> Finding:
    fact = facts.unit(key)
    return _not_loaded(fact, key, expected) or compare(expected, extract(fact.value), _source(fact, key, shown), fact.evidence)


def _prop_set(facts: LinuxFacts, key: UnitKey, expected, extract) -> Finding:
    fact = facts.unit(key)
    return _not_loaded(fact, key, expected) or compare_sets(expected, extract(fact.value), fact.source, fact.evidence)


def _absent(facts: LinuxFacts, key: UnitKey) -> Finding:
    fact = facts.unit(key)
    props: UnitProperties = fact.value
    found = "absent" if props.get("LoadState") == "not-found" else (
        f"present (LoadState={props.get('LoadState')}, UnitFileState={props.get('UnitFileState') or 'n/a'}, "
        f"FragmentPath={props.get('FragmentPath') or 'n/a'})")
    return compare("absent", found, fact.source, fact.evidence)
