"""Checks of a macOS host's launchd jobs, the MLX servers they run, and their logs (`pytest -m studio`).

The listening state of the MLX ports varies (founding document); a route says whether its
backend must be up (`expected: up`) or may be down (`optional`). A down optional port is not
applicable (a skip with a warning, even for nightly runs); a down `up` port fails.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from functools import partial
from urllib.parse import urlsplit

from ..facts.kinds import kind_of
from ..facts.launchd import job_program, restart_behaviour
from ..facts.service import UnitKey
from ..inventory.schema import Inventory, LaunchdJob, Route
from ..site import SiteView
from ..facts.needs import HTTP, LISTENERS, PATH, PLIST, SERVICE, SYSTEM, Need
from .finding import Check, Finding, Impact, compare, failed, not_applicable
from .service import loaded, running_or_exited_cleanly


def route_port(route: Route) -> int | None:
    return urlsplit(route.api_base.replace("{", "").replace("}", "")).port


def routes_on(inventory: Inventory, host_id: str) -> list[Route]:
    """The LiteLLM routes whose backend runs on this host on a port its service documents no listener
    for: the MLX servers, whose ports come from the routes (a documented listener has its own check)."""
    if not inventory.litellm:
        return []
    found = []
    for route in inventory.litellm.routes:
        service = inventory.service(route.backend)
        if service.host == host_id and route_port(route) and route_port(route) not in {l.port for l in service.listen}:
            found.append(route)
    return found


def launchd_checks(inventory: Inventory, site: SiteView, host_id: str) -> Iterator[Check]:
    host = inventory.host(host_id)
    kind = kind_of(host.os)
    jobs = [j for j in inventory.launchd if j.host == host_id]
    if jobs:  # launchd's jobs are documented on it: it must be the kind of host the inventory says
        yield Check(id=f"{jobs[0].service}::host:os", host=host_id, kind="host", source=host.source, impact=Impact.HIGH,
                    title=f"{host_id} is a {kind.title} host (uname -s prints {kind.system_name})",
                    evaluate=partial(_is_of_kind, system_name=kind.system_name), needs=(Need(SYSTEM),))
    for job in jobs:
        yield from _job_checks(job)
        yield Check(id=f"{job.service}::path:runtime-dir", host=host_id, kind="path", source=job.source,
                    title=f"{job.runtime_dir} is a directory", evaluate=partial(_directory, path=job.runtime_dir),
                    needs=(Need(PATH, job.runtime_dir),))
        lo, hi = job.ports
        yield Check(id=f"{job.service}::logs", host=host_id, kind="mlx-logs", source=job.source, impact=Impact.MEDIUM,
                    title=f"every port of {lo}-{hi} that listens has its log file {job.log_pattern}",
                    evaluate=partial(_logs_of_listening_ports, job=job),
                    needs=(Need(LISTENERS),) + tuple(Need(PATH, p) for p in job.log_paths().values()))
    for route in routes_on(inventory, host_id):
        port = route_port(route)
        service = route.backend
        state = "must listen" if route.expected == "up" else "may be down (listening state varies)"
        address = urlsplit(site.render(route.api_base)).hostname
        yield Check(id=f"{service}::listen:{port}", host=host_id, kind="mlx-listen", source=route.source,
                    impact=Impact.HIGH,
                    title=f"port {port} of route {route.name} listens on {address} or a wildcard address ({state})",
                    evaluate=partial(_route_listens, route=route, port=port, address=address), needs=(Need(LISTENERS),))
        url = f"http://{site.address(host_id)}:{port}/health"
        yield Check(id=f"{service}::health:{port}", host=host_id, kind="mlx-health", source=route.source,
                    impact=Impact.HIGH, title=f"GET {url} answers 200 status ok (route {route.name}; {state})",
                    evaluate=partial(_health, host=host_id, route=route, port=port, url=url),
                    needs=(Need(LISTENERS), Need(HTTP, url)))


def _job_checks(job: LaunchdJob) -> Iterator[Check]:
    for label, plist in job.jobs():
        check = partial(Check, host=job.host, source=job.source)
        prefix = f"{job.service}::launchd:{label}"
        key = UnitKey("system", None, label)  # a LaunchDaemon: the system domain
        yield check(id=f"{prefix}:loaded", kind="launchd", impact=Impact.CRITICAL, needs=(Need(SERVICE, key),),
                    title=f"launchd has {label} loaded in the system domain", evaluate=partial(loaded, key=key))
        yield check(id=f"{prefix}:running", kind="launchd", impact=Impact.HIGH, needs=(Need(SERVICE, key),),
                    title=f"{label} runs, or is not running after a clean exit (not waiting to respawn, not failing to start)",
                    evaluate=partial(running_or_exited_cleanly, key=key))
        yield check(id=f"{prefix}:plist", kind="launchd", impact=Impact.HIGH, needs=(Need(PLIST, plist),),
                    title=f"{plist} is a plist for Label {label}", evaluate=partial(_plist_label, label=label, plist=plist))
        yield check(id=f"{prefix}:program", kind="launchd", needs=(Need(PLIST, plist),),
                    title=f"{label} runs a program under {job.runtime_dir}",
                    evaluate=partial(_program, plist=plist, runtime_dir=job.runtime_dir))
        yield check(id=f"{prefix}:keepalive", kind="launchd", impact=Impact.MEDIUM, needs=(Need(PLIST, plist),),
                    title=f"launchd restarts {label} when it exits (KeepAlive; the founding document assumes launchd restarts it)",
                    evaluate=partial(_keepalive, plist=plist))
        yield check(id=f"{prefix}:plist-owner", kind="launchd", impact=Impact.HIGH, needs=(Need(PATH, plist),),
                    title=f"{plist} is owned by root and not group- or world-writable (launchd refuses it otherwise)",
                    evaluate=partial(_plist_owner, plist=plist))


def _is_of_kind(facts, system_name: str) -> Finding:
    fact = facts.system()
    return compare(system_name, fact.value, fact.source, fact.evidence)


def _plist_fact(facts, plist: str, expected: str):
    fact = facts.plist(plist)
    if fact.value is None:
        return None, failed(expected, f"{plist}: {fact.what}", plist, fact.evidence)
    return fact, None


def _plist_label(facts, label: str, plist: str) -> Finding:
    fact, problem = _plist_fact(facts, plist, f"Label {label}")
    return problem or compare(f"Label {label}", f"Label {fact.value.label}", plist, fact.evidence)


def _program(facts, plist: str, runtime_dir: str) -> Finding:
    """Judged by what the job really runs: an interpreter's script or module, not the interpreter
    (conformance.facts.launchd.job_program says which forms are read through)."""
    expected = f"a program under {runtime_dir}/"
    fact, problem = _plist_fact(facts, plist, expected)
    if problem:
        return problem
    runs = job_program(fact.value)
    under = runs.path is not None and runs.path.startswith(runtime_dir.rstrip("/") + "/")
    return compare(expected, expected if under else runs.described,
                   f"{plist} (Program, ProgramArguments, WorkingDirectory): {runs.described}", fact.evidence)


def _keepalive(facts, plist: str) -> Finding:
    fact, problem = _plist_fact(facts, plist, "restarted by launchd")
    if problem:
        return problem
    behaviour = restart_behaviour(fact.value)
    restarts = bool(fact.value.keep_alive)
    return compare("restarted by launchd", "restarted by launchd" if restarts else behaviour,
                   f"{plist} (KeepAlive, RunAtLoad): {behaviour}", fact.evidence)


def _plist_owner(facts, plist: str) -> Finding:
    fact = facts.path(plist)
    st = fact.value
    if not st.exists:
        return failed("owner root, not group/world-writable", f"{plist}: missing", fact.source, fact.evidence)
    writable = st.mode and int(st.mode, 8) & 0o022
    found = f"owner {st.owner}, mode {st.mode}"
    ok = st.owner == "root" and not writable
    return compare("owner root, not group/world-writable", "owner root, not group/world-writable" if ok else found,
                   fact.source, fact.evidence)


def _directory(facts, path: str) -> Finding:
    fact = facts.path(path)
    return compare("directory", fact.value.type if fact.value.exists else "missing", fact.source, fact.evidence)


def _listening_ports(facts) -> tuple[set[int], object]:
    fact = facts.listeners()
    return {l.port for l in fact.value}, fact


def _logs_of_listening_ports(facts, job: LaunchdJob) -> Finding:
    ports, listeners = _listening_ports(facts)
    logs = job.log_paths()
    evidence = listeners.evidence
    missing = []
    for port in sorted(p for p in ports if p in logs):
        path = facts.path(logs[port])
        evidence += path.evidence if path.evidence[0] not in evidence else ()
        if not (path.value.exists and path.value.type == "file"):
            missing.append(f"{logs[port]} ({'missing' if not path.value.exists else path.value.type})")
    listening = sorted(p for p in ports if p in logs)
    expected = f"a log file for each listening port ({', '.join(map(str, listening)) or 'none listens'})"
    return compare(expected, expected if not missing else f"no log file: {', '.join(missing)}",
                   f"{listeners.source}; stat of {job.log_pattern}", evidence)


def _route_listens(facts, route: Route, port: int, address: str) -> Finding:
    """The port listens where the route's clients connect: the address of its api_base (as this site
    renders it) or a wildcard that covers it. A port bound to 127.0.0.1 only is up, and unreachable."""
    fact = facts.listeners()
    on_port = sorted({l.address for l in fact.value if l.port == port})
    if not on_port and route.expected == "optional":
        return not_applicable(f"port {port} (route {route.name}) is down; documented as optional", fact.source, fact.evidence)
    expected = f"port {port} listening on {address} or a wildcard address"
    if _reachable_at(address) & set(on_port):
        found = expected
    elif on_port:
        found = f"port {port} listening only on {', '.join(on_port)}, not where route {route.name} connects ({address})"
    else:
        found = f"nothing on port {port}"
    return compare(expected, found, fact.source, fact.evidence)


def _reachable_at(address: str) -> set[str]:
    """The listening addresses that accept a connection to `address`: itself, or a wildcard of its family
    as the listener facts write them (netstat's `*` is `0.0.0.0` for tcp4, `::` for tcp6, `*` for tcp46:
    conformance.facts.netstat.WILDCARDS; an IPv6-only `::` does not take IPv4)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # a host name: which family it resolves to is not known here
        return {address, "*", "0.0.0.0", "::"}
    return {str(ip), "*", "0.0.0.0" if ip.version == 4 else "::"}


def _health(facts, host: str, route: Route, port: int, url: str) -> Finding:
    ports, fact = _listening_ports(facts)
    if port not in ports:
        if route.expected == "optional":
            return not_applicable(f"port {port} (route {route.name}) is down; documented as optional", fact.source,
                                  fact.evidence)
        return failed("200 status ok", f"nothing listens on port {port}", fact.source, fact.evidence)
    answer = facts.http.get(host, url)
    body = answer.json()
    status = body.get("status") if isinstance(body, dict) else None
    found = f"{answer.status} status {status}" if status else \
        f"{answer.status} {facts.redactor.excerpt(answer.body, 80)!r}"
    return compare("200 status ok", found, answer.source, answer.evidence)
