"""The `host` fixture: testinfra's own idiom, read-only and on the run's evidence.

    def test_owner_repo(host):
        assert host.file("/home/christopherbailey/litellm-orch").is_directory

A pytest plugin module, registered next to conformance.plugin in the root conftest's pytest_plugins. Its `host`
overrides testinfra's (which is local, unguarded and outside the runner): the host is chosen by the test's
folder, tests/local/ -> the run's --local-host, tests/<marker>/ -> the inventory host with that marker (or id), and
is a testinfra Host over conformance.testinfra_host.GuardedBackend on the SAME Runner as that host's facts. A host
needs no folder for its documented checks (the generic module tests/test_hosts.py holds them); an owner's own
testinfra tests of it go in tests/<its marker>/, made for them. A test anywhere else that asks for `host` fails,
naming the folders it could be in. Each command is recorded with the test that sent it (`record.test`).

If another `host` fixture would win for a test of a conformance run (a conftest of its own, or testinfra's
registered after this module), the run stops with a usage error before any test runs: testinfra's would run
commands unguarded.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from .plugin import RUN, marker_of
from .plugin.collection import folder_host
from .testinfra_host import GuardedHost, attributed_to, make_host

HOSTS = pytest.StashKey[dict[str, GuardedHost]]()


def host_for_folder(session, marker: str | None) -> str:
    """tests/local/ -> the session's local host; tests/<marker>/ -> the inventory host with that marker (or id), the
    host whose checks the folder holds (plugin/collection.py's folder_host); LookupError for any other folder."""
    host = folder_host(session, marker)
    local = session.inventory.host(session.local_host)
    if host is None and marker in (local.id, local.checks_marker):
        raise LookupError(f"tests/{marker}/: {local.id} is the run's own host (--local-host), whose folder is tests/local/")
    if host is None:
        known = ", ".join(["local"] + [h.checks_marker for h in session.inventory.hosts if h.id != session.local_host])
        where = f"tests/{marker}/" if marker else "a test outside a host's folder"
        raise LookupError(f"{where}: no inventory host has the marker {marker!r}; the `host` fixture picks the host "
                          f"by the test's folder: tests/<marker>/ with a marker of {known}")
    return host


@pytest.fixture(scope="module")
def host(request: pytest.FixtureRequest) -> GuardedHost:
    """The lab host of this test's folder as a testinfra Host, read-only: every command goes through the suite's
    runner (the read-only allowlist, the watchdog on the host, the regular-file guard, the run's evidence)."""
    run = request.config.stash.get(RUN, None)
    if run is None:
        pytest.fail("the `host` fixture checks a lab host: it runs in a conformance run (pytest tests/...), "
                    "where the inventory says which host a test's folder is", pytrace=False)
    try:
        host_id = host_for_folder(run.session, marker_of(Path(request.path), Path(request.config.rootpath) / "tests"))
    except LookupError as e:
        pytest.fail(str(e), pytrace=False)
    hosts = request.config.stash.setdefault(HOSTS, {})
    if host_id not in hosts:
        hosts[host_id] = make_host(run.session, host_id)
    return hosts[host_id]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem):
    """Setup, call and teardown of a test of a conformance run: the commands sent meanwhile are its own."""
    if item.config.stash.get(RUN, None) is None:
        return (yield)
    with attributed_to(item.nodeid):
        return (yield)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    run = config.stash.get(RUN, None)
    if run is None:
        return
    tests = Path(config.rootpath) / "tests"
    for item in items:
        defs = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {}).get("host")
        if defs and _is_ours(defs[-1].func):
            try:  # its host's facts then answer testinfra's platform probes too, in their own round trip
                run.session.owner_test_hosts.add(host_for_folder(run.session, marker_of(Path(item.path), tests)))
            except LookupError:
                pass  # the fixture says so when the test runs
        if defs and not _is_ours(defs[-1].func):
            func = defs[-1].func
            raise pytest.UsageError(
                f"{item.nodeid}: its `host` fixture is {getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', '?')}, "
                f"which would run commands outside the suite's runner; the suite's own ({__name__}.host) must win "
                f"(register {__name__} in the root conftest's pytest_plugins and define no other `host`)")


def _is_ours(func) -> bool:
    return getattr(func, "__module__", None) == __name__ and getattr(func, "__name__", None) == "host"
