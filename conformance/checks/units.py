"""Checks of systemd units: each compares one documented property with `systemctl show`."""
from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from functools import partial

from ..facts.base import Fact
from ..facts.needs import SERVICE, Need
from ..facts.plan import UnitKey
from ..facts.systemd import UnitProperties, log_streams
from ..inventory.schema import Service, Unit
from .finding import Check, Finding, Impact, compare, compare_sets, failed


def unit_checks(service: Service) -> Iterator[Check]:
    present = {u.name for u in service.units if u.present}
    for unit in service.units:
        key = UnitKey(unit.scope, unit.user if unit.scope == "user" else None, unit.name)
        if not unit.present:
            yield Check(id=f"{service.id}::{unit.scope}-unit-absent", host=service.host, kind="unit-absent",
                        title=f"no {unit.scope}-level {unit.name} exists or is enabled ({unit.why or 'documented absent'})",
                        source=unit.source, impact=Impact.MEDIUM, evaluate=partial(_absent, key=key),
                        needs=(Need(SERVICE, key),))
            continue
        prefix = f"{service.id}::" if len(present) <= 1 else f"{service.id}::{unit.name}:"
        for aspect, title, evaluate in _aspects(unit, key):
            kind = aspect.split(":")[0]
            source = unit.state.source if kind in ("enabled", "active") and unit.state else unit.source
            yield Check(id=prefix + aspect, host=service.host, kind=kind, title=title, source=source, evaluate=evaluate,
                        needs=(Need(SERVICE, key),))


def _aspects(unit: Unit, key: UnitKey) -> Iterator[tuple[str, str, Callable]]:
    where = f"{unit.name} ({unit.scope}{' ' + unit.user if unit.user else ''})"
    prop = partial(_prop, key=key)
    if unit.fragment:
        yield "unit-file", f"{where} is loaded from {unit.fragment}", \
            partial(prop, expected=unit.fragment, extract=_fragment, shown="FragmentPath")
    if unit.exec_start:
        expected = " ".join(shlex.split(unit.exec_start))
        yield "exec-start", f"{where} ExecStart is {expected}", partial(prop, expected=expected, extract=_exec_line)
    if unit.restart:
        yield "restart", f"{where} has Restart={unit.restart}", \
            partial(prop, expected=unit.restart, extract=_property("Restart"))
    if unit.restart_sec is not None:
        shown = f"RestartSec={unit.restart_sec:g}s"
        yield "restart-sec", f"{where} has RestartSec={unit.restart_sec:g}", \
            partial(prop, expected=shown, extract=_restart_sec, shown="RestartUSec")
    if unit.state and unit.state.enabled is not None:
        want = "enabled" if unit.state.enabled else "disabled"
        yield "enabled", f"{where} is {want}", partial(prop, expected=want, extract=_property("UnitFileState"))
    if unit.state and unit.state.active is not None:
        want = "active" if unit.state.active else "inactive"
        yield "active", f"{where} is {want}", partial(prop, expected=want, extract=_property("ActiveState"))
    if unit.environment_files is not None:
        yield "environment-file", f"{where} reads EnvironmentFile={', '.join(unit.environment_files)}", \
            partial(_prop_set, key=key, expected=unit.environment_files, extract=UnitProperties.environment_files.fget)
    for name, value in (unit.environment or {}).items():
        yield f"environment:{name}", f"{where} has Environment {name}={value}", \
            partial(prop, expected=value, extract=partial(_environment, name=name), shown="Environment")
    if unit.drop_ins is not None:
        yield "drop-ins", f"{where} has drop-ins: {', '.join(unit.drop_ins) or 'none'}", \
            partial(_prop_set, key=key, expected=unit.drop_ins, extract=UnitProperties.drop_ins.fget)
    if unit.run_as:
        yield "run-as", f"{where} runs as {unit.run_as}", \
            partial(prop, expected=unit.run_as, extract=_run_as, shown="User")
    if unit.logs:
        yield "logs", f"{where} sends stdout and stderr to journald", \
            partial(prop, expected=_LOGS_TO_JOURNAL, extract=_logs, shown="StandardOutput, StandardError, StandardInput")


_LOGS_TO_JOURNAL = "stdout: journal, stderr: journal"


def _property(name: str) -> Callable[[UnitProperties], str | None]:
    return partial(_get, name=name)


def _get(props: UnitProperties, name: str) -> str | None:
    return props.get(name) or None


def _run_as(props: UnitProperties) -> str:
    return props.get("User") or "root"  # no User= runs a system unit as root


def _fragment(props: UnitProperties) -> str | None:
    return props.get("FragmentPath") or None


def _restart_sec(props: UnitProperties) -> str:
    seconds = props.restart_sec
    return f"RestartSec={seconds:g}s" if seconds is not None else f"RestartUSec={props.get('RestartUSec') or 'unset'}"


def _environment(props: UnitProperties, name: str) -> str | None:
    return props.environment.get(name)


def _exec_line(props: UnitProperties) -> str | None:
    commands = props.exec_start
    return " | ".join(c.line for c in commands) if commands else None


def _logs(props: UnitProperties) -> str:
    stdout, stderr = log_streams(props)
    return f"stdout: {stdout}, stderr: {stderr}"


def _not_loaded(fact: Fact, expected) -> Finding | None:
    props: UnitProperties = fact.value
    if not props.loaded:
        return failed(expected, f"unit not loaded (LoadState={props.get('LoadState') or 'unknown'})", fact.source, fact.evidence)
    return None


def _prop(facts, key: UnitKey, expected, extract, shown: str = "") -> Finding:
    fact = facts.unit(key)
    source = f"{fact.source} ({shown})" if shown else fact.source
    return _not_loaded(fact, expected) or compare(expected, extract(fact.value), source, fact.evidence)


def _prop_set(facts, key: UnitKey, expected, extract) -> Finding:
    fact = facts.unit(key)
    return _not_loaded(fact, expected) or compare_sets(expected, extract(fact.value), fact.source, fact.evidence)


def _absent(facts, key: UnitKey) -> Finding:
    fact = facts.unit(key)
    props: UnitProperties = fact.value
    found = "absent" if props.get("LoadState") == "not-found" else (
        f"present (LoadState={props.get('LoadState')}, UnitFileState={props.get('UnitFileState') or 'n/a'}, "
        f"FragmentPath={props.get('FragmentPath') or 'n/a'})")
    return compare("absent", found, fact.source, fact.evidence)
