"""Checks of a macOS host's launchd jobs and the logs of the MLX servers they run (`pytest -m studio`). The
ports the routes reach, and their health, are checks/routes.py's."""
from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from ..facts.launchd import job_program, restart_behaviour
from ..inventory.schema import Inventory, LaunchdJob
from ..site import SiteView
from ..facts.needs import LISTENERS, PATH, PLIST, SERVICE, SYSTEM, Need
from .finding import Check, Finding, Impact, compare, failed

DARWIN = "Darwin"


def launchd_checks(inventory: Inventory, site: SiteView, host_id: str) -> Iterator[Check]:
    host = inventory.host(host_id)
    jobs = [j for j in inventory.launchd if j.host == host_id]
    if host.os == "darwin" and jobs:
        yield Check(id=f"{jobs[0].service}::host:os", host=host_id, kind="host", source=host.source, impact=Impact.HIGH,
                    title=f"{host_id} is a macOS host (uname -s prints {DARWIN})", evaluate=_is_darwin,
                    needs=(Need(SYSTEM),))
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


def _job_checks(job: LaunchdJob) -> Iterator[Check]:
    for label, plist in job.jobs():
        check = partial(Check, host=job.host, source=job.source)
        prefix = f"{job.service}::launchd:{label}"
        yield check(id=f"{prefix}:loaded", kind="launchd", impact=Impact.CRITICAL, needs=(Need(SERVICE, label),),
                    title=f"launchd has {label} loaded in the system domain", evaluate=partial(_loaded, label=label))
        yield check(id=f"{prefix}:running", kind="launchd", impact=Impact.HIGH, needs=(Need(SERVICE, label),),
                    title=f"{label} runs, or is not running after a clean exit (not waiting to respawn, not failing to start)", evaluate=partial(_running, label=label))
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


def _is_darwin(facts) -> Finding:
    fact = facts.system()
    return compare(DARWIN, fact.value, fact.source, fact.evidence)


def _loaded(facts, label: str) -> Finding:
    fact = facts.job(label)
    return compare("loaded", "loaded" if fact.value else "not loaded (launchctl: Could not find service)",
                   fact.source, fact.evidence)


def _running(facts, label: str) -> Finding:
    """Healthy: running (a pid), or not running after a clean exit (status 0, or never ran).

    Read from `state` and the one last-exit line launchd prints: `last exit code`, `last terminating
    signal` or `last exit reason` (OS_REASON_EXEC, OS_REASON_CODESIGNING, ...: a job that could not
    even run prints no exit code). `spawn scheduled` is a job that exited and waits to be respawned:
    never healthy, whatever its last exit code; nor is any other state (`spawning`, ...).
    """
    fact = facts.job(label)
    job = fact.value
    expected = "running, or not running after last exit 0"
    if job is None:
        return failed(expected, "not loaded", fact.source, fact.evidence)
    healthy = job.running or (job.state == "not running" and job.exited_cleanly)
    return compare(expected, expected if healthy else job.describe(), fact.source, fact.evidence)


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
