"""Checks of systemd units: each compares one documented property with `systemctl show` (the service state every
manager answers, checks/service.py, and systemd's own properties beside it)."""
from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from functools import partial

from ..facts.needs import SERVICE, Need
from ..facts.service import ServiceState, UnitKey
from ..facts.systemd import UnitProperties
from ..inventory.schema import Service, Unit
from .finding import Check, Finding, Impact, compare, compare_sets
from .service import compared, state_of


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
    prop = partial(compared, key=key)
    if unit.fragment:
        yield "unit-file", f"{where} is loaded from {unit.fragment}", \
            partial(prop, expected=unit.fragment, found_in=_own(_fragment), shown="FragmentPath")
    if unit.exec_start:
        expected = " ".join(shlex.split(unit.exec_start))
        yield "exec-start", f"{where} ExecStart is {expected}", partial(prop, expected=expected, found_in=_program)
    if unit.restart:
        yield "restart", f"{where} has Restart={unit.restart}", partial(prop, expected=unit.restart, found_in=_restart)
    if unit.restart_sec is not None:
        shown = f"RestartSec={unit.restart_sec:g}s"
        yield "restart-sec", f"{where} has RestartSec={unit.restart_sec:g}", \
            partial(prop, expected=shown, found_in=_own(_restart_sec), shown="RestartUSec")
    if unit.state and unit.state.enabled is not None:
        want = "enabled" if unit.state.enabled else "disabled"
        yield "enabled", f"{where} is {want}", partial(prop, expected=want, found_in=_enabled)
    if unit.state and unit.state.active is not None:
        want = "active" if unit.state.active else "inactive"
        yield "active", f"{where} is {want}", partial(prop, expected=want, found_in=_active)
    if unit.environment_files is not None or unit.optional_environment_files is not None:
        written = _as_written(unit.environment_files or [], unit.optional_environment_files or [])
        yield "environment-file", f"{where} reads EnvironmentFile={', '.join(written)}", \
            partial(_prop_set, key=key, expected=written, found_in=_environment_files)
    for name, value in (unit.environment or {}).items():
        yield f"environment:{name}", f"{where} has Environment {name}={value}", \
            partial(prop, expected=value, found_in=_own(partial(_environment, name=name)), shown="Environment")
    if unit.drop_ins is not None:
        yield "drop-ins", f"{where} has drop-ins: {', '.join(unit.drop_ins) or 'none'}", \
            partial(_prop_set, key=key, expected=unit.drop_ins, found_in=_own(UnitProperties.drop_ins.fget))
    if unit.run_as:
        yield "run-as", f"{where} runs as {unit.run_as}", \
            partial(prop, expected=unit.run_as, found_in=_own(_run_as), shown="User")
    if unit.logs:
        yield "logs", f"{where} sends stdout and stderr to journald", \
            partial(prop, expected=_LOGS_TO_JOURNAL, found_in=_logs, shown="StandardOutput, StandardError, StandardInput")


_LOGS_TO_JOURNAL = "stdout: journal, stderr: journal"


# --- what every manager's state shows ------------------------------------------------------------------------

def _program(state: ServiceState) -> str | None:
    return state.program


def _restart(state: ServiceState) -> str | None:
    return state.restart


def _enabled(state: ServiceState) -> str | None:
    return state.enabled


def _active(state: ServiceState) -> str | None:
    return state.active


def _logs(state: ServiceState) -> str | None:
    return state.logs


def _environment_files(state: ServiceState) -> list[str]:
    """As a unit file writes them: an optional one (`EnvironmentFile=-PATH`, systemd's ignore_errors=yes) as `-PATH`."""
    optional = state.detail.optional_environment_files if isinstance(state.detail, UnitProperties) else []
    return _as_written([f for f in state.environment_files if f not in optional], optional)


def _as_written(required: list[str], optional: list[str]) -> list[str]:
    return list(required) + [f"-{f}" for f in optional]


# --- systemd's own properties -----------------------------------------------------------------------------------

def _own(extract: Callable[[UnitProperties], object]) -> Callable[[ServiceState], object]:
    """A property only systemd shows, read from the state's systemd detail."""
    return partial(_of_detail, extract=extract)


def _of_detail(state: ServiceState, extract: Callable[[UnitProperties], object]) -> object:
    return extract(state.detail)


def _run_as(props: UnitProperties) -> str:
    return props.get("User") or "root"  # no User= runs a system unit as root


def _fragment(props: UnitProperties) -> str | None:
    return props.get("FragmentPath") or None


def _restart_sec(props: UnitProperties) -> str:
    seconds = props.restart_sec
    return f"RestartSec={seconds:g}s" if seconds is not None else f"RestartUSec={props.get('RestartUSec') or 'unset'}"


def _environment(props: UnitProperties, name: str) -> str | None:
    return props.environment.get(name)


def _prop_set(facts, key: UnitKey, expected, found_in: Callable[[ServiceState], list]) -> Finding:
    fact, not_loaded = state_of(facts, key, expected)
    return not_loaded or compare_sets(expected, found_in(fact.value), fact.source, fact.evidence)


def _absent(facts, key: UnitKey) -> Finding:
    fact = facts.service(key)
    props: UnitProperties = fact.value.detail
    found = "absent" if props.get("LoadState") == "not-found" else (
        f"present (LoadState={props.get('LoadState')}, UnitFileState={props.get('UnitFileState') or 'n/a'}, "
        f"FragmentPath={props.get('FragmentPath') or 'n/a'})")
    return compare("absent", found, fact.source, fact.evidence)
