"""What every service manager's service is judged by: loaded, running or cleanly exited, enabled, active.

One service state shape (facts/service.py ServiceState) for systemd's units and launchd's jobs, so these
comparisons are written once, whatever the host's kind (InSpec's `service` resource, goss's `resource/service.go`:
the manager is picked once, the comparison only compares). The checks that are a manager's own (a unit's
RestartSec and drop-ins, a plist's Label) read the manager's detail in their own modules (units.py, launchd.py).
"""
from __future__ import annotations

from collections.abc import Callable

from ..facts.base import Fact
from ..facts.service import ServiceState, UnitKey
from .finding import Finding, compare, failed

RUNNING_OR_CLEAN_EXIT = "running, or not running after last exit 0"


def state_of(facts, key: UnitKey, expected) -> tuple[Fact, Finding | None]:
    """The service's state, and the finding of a check that cannot compare because the manager does not have it."""
    fact = facts.service(key)
    state: ServiceState = fact.value
    if not state.loaded:
        return fact, failed(expected, state.unloaded, fact.source, fact.evidence)
    return fact, None


def loaded(facts, key: UnitKey) -> Finding:
    fact = facts.service(key)
    state: ServiceState = fact.value
    return compare("loaded", "loaded" if state.loaded else state.unloaded, fact.source, fact.evidence)


def running_or_exited_cleanly(facts, key: UnitKey) -> Finding:
    """Healthy: running, or stopped after a clean exit (status 0, or never ran). A service waiting to be started
    again (launchd's `spawn scheduled`) is neither, whatever its last exit."""
    fact, not_loaded = state_of(facts, key, RUNNING_OR_CLEAN_EXIT)
    if not_loaded:
        return not_loaded
    state: ServiceState = fact.value
    healthy = state.running or (state.stopped and state.exited_cleanly)
    return compare(RUNNING_OR_CLEAN_EXIT, RUNNING_OR_CLEAN_EXIT if healthy else state.shown, fact.source, fact.evidence)


def compared(facts, key: UnitKey, expected, found_in: Callable[[ServiceState], object], shown: str = "") -> Finding:
    """One field of the state (or of the manager's own detail) against what is documented; `shown` names it."""
    fact, not_loaded = state_of(facts, key, expected)
    source = f"{fact.source} ({shown})" if shown else fact.source
    return not_loaded or compare(expected, found_in(fact.value), source, fact.evidence)


def not_loaded(facts, key: UnitKey) -> Finding:
    """A retired service: the manager must not have it at all."""
    fact = facts.service(key)
    state: ServiceState = fact.value
    return compare("not loaded", "not loaded" if not state.loaded else f"loaded: {state.shown}", fact.source,
                   fact.evidence)


def not_running(facts, key: UnitKey) -> Finding:
    """A disabled service: loaded or not, no process of it runs."""
    fact = facts.service(key)
    state: ServiceState = fact.value
    found = "not running" if not state.running else f"running: {state.shown}"
    return compare("not running", found, fact.source, fact.evidence)
