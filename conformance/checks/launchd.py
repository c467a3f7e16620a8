"""Checks of a macOS host's launchd jobs and the logs of the MLX servers they run (`pytest -m studio`). The
ports the routes reach, and their health, are checks/routes.py's."""
from __future__ import annotations

import posixpath
from collections.abc import Iterator
from functools import partial

from ..facts.kinds import kind_of
from ..facts.launchd import job_program, restart_behaviour
from ..facts.needs import DISABLED, LISTENERS, PATH, PLIST, SERVICE, SYSTEM, Need
from ..facts.service import UnitKey
from ..inventory.schema import Inventory, Job, LaunchdJob
from ..site import SiteAddresses
from .finding import Check, Finding, Impact, compare, failed, not_applicable
from .service import loaded, not_loaded, not_running, running_or_exited_cleanly


def launchd_checks(inventory: Inventory, site: SiteAddresses, host_id: str) -> Iterator[Check]:
    host = inventory.host(host_id)
    kind = kind_of(host.os)
    jobs = [j for j in inventory.launchd if j.host == host_id]
    if jobs:  # launchd's jobs are documented on it: it must be the kind of host the inventory says
        yield Check(id=f"{jobs[0].service}::host:os", host=host_id, kind="host", source=host.source, impact=Impact.HIGH,
                    title=f"{host_id} is a {kind.title} host (uname -s prints {kind.system_name})",
                    evaluate=partial(_is_of_kind, system_name=kind.system_name), needs=(Need(SYSTEM),))
    for job in jobs:
        yield from _job_checks(job)
        if job.runtime_dir is not None:
            yield Check(id=f"{job.service}::path:runtime-dir", host=host_id, kind="path", source=job.source,
                        title=f"{job.runtime_dir} is a directory", evaluate=partial(_directory, path=job.runtime_dir),
                        needs=(Need(PATH, job.runtime_dir),))
        if job.ports is None:
            continue
        lo, hi = job.ports
        yield Check(id=f"{job.service}::logs", host=host_id, kind="mlx-logs", source=job.source, impact=Impact.MEDIUM,
                    title=f"every port of {lo}-{hi} that listens has its log file {job.log_pattern}",
                    evaluate=partial(_logs_of_listening_ports, job=job),
                    needs=(Need(LISTENERS),) + tuple(Need(PATH, p) for p in job.log_paths().values()))


def _job_checks(job: LaunchdJob) -> Iterator[Check]:
    # launchd's database of disabled jobs is asked where a state is documented: every lane, a single job that says it
    states_documented = job.lanes is not None or "state" in job.model_fields_set
    for each in job.each():
        label, plist = each.label, each.plist
        check = partial(Check, host=job.host, source=job.source)
        prefix = f"{job.service}::launchd:{label}"
        key = UnitKey("system", None, label)  # a LaunchDaemon: the system domain
        if each.state == "retired":
            yield check(id=f"{prefix}:not-loaded", kind="launchd", impact=Impact.HIGH, needs=(Need(SERVICE, key),),
                        title=f"{label} is retired: launchd must not have it loaded", evaluate=partial(not_loaded, key=key))
            continue
        if each.state == "disabled":
            yield check(id=f"{prefix}:disabled", kind="launchd", impact=Impact.HIGH, needs=(Need(DISABLED),),
                        title=f"{label} is disabled (launchctl print-disabled system: \"{label}\" => disabled)",
                        evaluate=partial(_override, label=label, disabled=True))
            yield check(id=f"{prefix}:not-running", kind="launchd", impact=Impact.HIGH, needs=(Need(SERVICE, key),),
                        title=f"no process of the disabled {label} runs", evaluate=partial(not_running, key=key))
            continue
        yield from _active_job_checks(job, each, key, prefix, states_documented)


def _active_job_checks(job: LaunchdJob, each: Job, key: UnitKey, prefix: str, states_documented: bool) -> Iterator[Check]:
    label, plist = each.label, each.plist
    check = partial(Check, host=job.host, source=job.source)
    yield check(id=f"{prefix}:loaded", kind="launchd", impact=Impact.CRITICAL, needs=(Need(SERVICE, key),),
                title=f"launchd has {label} loaded in the system domain", evaluate=partial(loaded, key=key))
    yield check(id=f"{prefix}:running", kind="launchd", impact=Impact.HIGH, needs=(Need(SERVICE, key),),
                title=f"{label} runs, or is not running after a clean exit (not waiting to respawn, not failing to start)",
                evaluate=partial(running_or_exited_cleanly, key=key))
    yield check(id=f"{prefix}:plist", kind="launchd", impact=Impact.HIGH, needs=(Need(PLIST, plist),),
                title=f"{plist} is a plist for Label {label}", evaluate=partial(_plist_label, label=label, plist=plist))
    program = job.program_of(each.port)
    if program is not None:
        yield check(id=f"{prefix}:program", kind="launchd", needs=(Need(PLIST, plist),),
                    title=f"{label} runs {program} (through the interpreter its ProgramArguments name, if any)",
                    evaluate=partial(_runs_program, plist=plist, program=program))
    elif job.runtime_dir is not None:
        yield check(id=f"{prefix}:program", kind="launchd", needs=(Need(PLIST, plist),),
                    title=f"{label} runs a program under {job.runtime_dir}",
                    evaluate=partial(_program, plist=plist, runtime_dir=job.runtime_dir))
    if job.keep_alive is False:
        yield check(id=f"{prefix}:keepalive", kind="launchd", impact=Impact.MEDIUM, needs=(Need(PLIST, plist),),
                    title=f"launchd does not restart {label} when it exits (KeepAlive false, as documented)",
                    evaluate=partial(_keepalive, plist=plist, restarts=False))
    else:
        yield check(id=f"{prefix}:keepalive", kind="launchd", impact=Impact.MEDIUM, needs=(Need(PLIST, plist),),
                    title=f"launchd restarts {label} when it exits (KeepAlive; the founding document assumes launchd restarts it)",
                    evaluate=partial(_keepalive, plist=plist))
    yield check(id=f"{prefix}:plist-owner", kind="launchd", impact=Impact.HIGH, needs=(Need(PATH, plist),),
                title=f"{plist} is owned by root and not group- or world-writable (launchd refuses it otherwise)",
                evaluate=partial(_plist_owner, plist=plist))
    if states_documented:
        yield check(id=f"{prefix}:enabled", kind="launchd", impact=Impact.HIGH, needs=(Need(DISABLED),),
                    title=f"{label} is not disabled (launchctl print-disabled system)",
                    evaluate=partial(_override, label=label, disabled=False))
    if each.stdout is not None or each.stderr is not None:
        yield check(id=f"{prefix}:log-paths", kind="launchd", impact=Impact.MEDIUM, needs=(Need(PLIST, plist),),
                    title=f"{label} logs to {', '.join(p for p in (each.stdout, each.stderr) if p)}",
                    evaluate=partial(_log_paths, plist=plist, stdout=each.stdout, stderr=each.stderr))
    if each.port is not None and job.port_served_by == "daemon":
        yield check(id=f"{prefix}:serves-port", kind="launchd", impact=Impact.HIGH,
                    needs=(Need(SERVICE, key), Need(LISTENERS)),
                    title=f"port {each.port} is served by the daemon {label} starts (documented: the job starts it "
                          f"and exits cleanly; a failed last run is a drift)",
                    evaluate=partial(_serves_port, key=key, port=each.port, listening=job.listening, served_by="daemon"))
    elif each.port is not None:
        yield check(id=f"{prefix}:serves-port", kind="launchd", impact=Impact.HIGH,
                    needs=(Need(SERVICE, key), Need(LISTENERS)),
                    title=f"port {each.port} is served by {label} (a listener while the job is not running is "
                          f"a process launchd does not run)",
                    evaluate=partial(_serves_port, key=key, port=each.port, listening=job.listening))


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


def _keepalive(facts, plist: str, restarts: bool = True) -> Finding:
    expected = "restarted by launchd" if restarts else "not restarted by launchd"
    fact, problem = _plist_fact(facts, plist, expected)
    if problem:
        return problem
    behaviour = restart_behaviour(fact.value)
    as_documented = bool(fact.value.keep_alive) == restarts
    return compare(expected, expected if as_documented else behaviour,
                   f"{plist} (KeepAlive, RunAtLoad): {behaviour}", fact.evidence)


def _runs_program(facts, plist: str, program: str) -> Finding:
    """The documented program or script, seen through an interpreter or `/usr/bin/env` in ProgramArguments[0]
    (facts/launchd.py job_program): `/usr/bin/env python3 /Users/x/bin/y.py` runs /Users/x/bin/y.py. For
    `python -m module` the program is the interpreter running that module: a documented interpreter is that program
    (as is the module's path, when that is what is documented)."""
    expected = f"runs {posixpath.normpath(program)}"
    fact, problem = _plist_fact(facts, plist, expected)
    if problem:
        return problem
    runs = job_program(fact.value)
    same = posixpath.normpath(program) in (runs.path, runs.interpreter)
    return compare(expected, expected if same else runs.described,
                   f"{plist} (Program, ProgramArguments, WorkingDirectory): {runs.described}", fact.evidence)


def _log_paths(facts, plist: str, stdout: str | None, stderr: str | None) -> Finding:
    documented = {"StandardOutPath": stdout, "StandardErrorPath": stderr}
    expected = ", ".join(f"{k} {v}" for k, v in documented.items() if v is not None)
    fact, problem = _plist_fact(facts, plist, expected)
    if problem:
        return problem
    written = {"StandardOutPath": fact.value.standard_out_path, "StandardErrorPath": fact.value.standard_error_path}
    found = ", ".join(f"{k} {written[k] or '(none)'}" for k, v in documented.items() if v is not None)
    return compare(expected, found, f"{plist} (StandardOutPath, StandardErrorPath)", fact.evidence)


def _override(facts, label: str, disabled: bool) -> Finding:
    """What launchd's database of overrides says of the label; a label it does not list is enabled."""
    fact = facts.disabled()
    listed = label in fact.value
    found = "disabled" if fact.value.get(label) else "enabled"
    source = f"{fact.source} ({label} {'=> ' + found if listed else 'not listed: no override, enabled'})"
    return compare("disabled" if disabled else "enabled", found, source, fact.evidence)


def _serves_port(facts, key: UnitKey, port: int, listening: str, served_by: str | None = None) -> Finding:
    """The job's port listens while the job runs. Something listening while launchd's job is not running (the owner
    saw llmster's job `not running` while 8126 answered) is a process launchd does not run: a drift, not a pass.

    Unless documented `port_served_by: daemon`: the job is a thin wrapper that starts a daemon and exits (llmster's
    job, KeepAlive false, runtime-lock.json `lifecycle_mode: thin_daemon_aware_wrapper`), so the port listening
    while the job is not running IS the documented state, provided the job's last run ended cleanly (or it runs)."""
    service, listeners = facts.service(key), facts.listeners()
    state = service.value
    binds = sorted({l.address for l in listeners.value if l.port == port})
    source, evidence = f"{service.source}; {listeners.source}", service.evidence + listeners.evidence
    job = state.shown if state.loaded else state.unloaded
    if served_by == "daemon":
        expected = f"port {port} listening, served by the daemon {key.name} starts ({key.name} running or exited cleanly)"
        if not state.loaded:
            return failed(expected, f"{key.name} is {job}", source, evidence)
        if binds and (state.running or state.exited_cleanly):
            return compare(expected, expected, source, evidence)
        if binds:
            return failed(expected, f"port {port} listens ({', '.join(binds)}) but {key.name}'s last run failed "
                                    f"({state.last_exit or job})", source, evidence)
    else:
        expected = f"port {port} listening while {key.name} runs"
        if binds and state.running:
            return compare(expected, expected, source, evidence)
        if binds:
            return failed(expected, f"port {port} listens ({', '.join(binds)}) while {key.name} is {job}: "
                                    f"served by a process launchd does not run", source, evidence)
    found = f"nothing listens on port {port} ({key.name}: {job})"
    if listening == "optional":
        return not_applicable(f"{found}; documented: its listening state may vary", source, evidence)
    return failed(expected, found, source, evidence)


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
