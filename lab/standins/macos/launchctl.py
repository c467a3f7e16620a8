#!/usr/bin/python3
"""`launchctl` stand-in (twin, studio): `launchctl print system/<label>` from the launchd stand-in's REAL state.

Imitates, line for line, the real captures in selftest/fixtures/darwin/ (README.md there says where each
comes from: `launchctl print` of macOS 27.0 by sglavoie/dev-helpers, LaunchctlFixtures.swift, relabelled
as the lab's system job, and the system-domain wording of DeterminateSystems/nix-installer #960):

- `launchctl-print-running.txt`: a running KeepAlive daemon: `system/<label> = {`, then top-level
  `key = value` lines indented by ONE tab, blocks (`arguments = {`, `default environment = {`,
  `environment = {`, the coalitions) whose lines are indented by two, a blank line between groups,
  `pid = N` only while running, `last exit code = (never exited)` before the first exit,
  `properties = keepalive | runatload | inferred program ...`, and a closing `}`;
- `launchctl-print-not-running.txt`: after an exit: `state = not running`, no pid, `runs = N`,
  `last exit code = N`, `job state = exited`;
- `launchctl-print-ex-config.txt`: a spawn failure: `last exit code = 78: EX_CONFIG`, `job state = spawn failed`;
- `launchctl-print-not-found.stderr`: a label the domain does not hold: stderr `Bad request.` and
  `Could not find service "<label>" in domain for system`, exit status 113.

A signal death prints `last terminating signal = <macOS strsignal>: N` in place of `last exit code`
(a real capture quoted in selftest/unit/test_darwin_parsers.py: `last terminating signal = Killed: 9`).

What is printed comes from /run/launchd-twin/state.json, written by the launchd stand-in
(lab/standins/macos/launchd.py): state, pid, runs, last exit, path, program, arguments, environment
(anyone may print the system domain, values included, launchctl(1)). The coalition IDs are made up
(stable per label); the LWCR block, event triggers and `inherited environment` of the captures are not
printed (a system daemon without launch constraints or triggers has none).

Only `print system/<label>` is implemented. `print gui/<uid>/<label>` answers as a Mac does over SSH
without a GUI login (`Could not find domain for user gui: <uid>`, Wamphyre/macOS_Silverback-Debloater #2; its exit
status there is unconfirmed: 113 here). Everything else is a twin limitation and says so (exit 64).
"""
import json
import os
import sys
import zlib

STATE_FILE = "/run/launchd-twin/state.json"
NOT_FOUND = 113


def fail(lines: list[str], status: int) -> int:
    sys.stderr.write("".join(f"{line}\n" for line in lines))
    return status


def render(job: dict) -> str:
    label = job["label"]
    running = job["state"] == "running" and job["pid"]
    ident = zlib.crc32(label.encode()) % 900 + 1000  # a coalition ID, stable per label
    out = [f"system/{label} = {{",
           f"\tactive count = {1 if running else 0}",
           f"\tpath = {job['path']}",
           "\ttype = LaunchDaemon",
           f"\tstate = {job['state']}",
           "",
           f"\tprogram = {job['program']}",
           "\targuments = {",
           *(f"\t\t{arg}" for arg in job["arguments"]),
           "\t}",
           ""]
    if job.get("stdout_path"):
        out.append(f"\tstdout path = {job['stdout_path']}")
    if job.get("stderr_path"):
        out.append(f"\tstderr path = {job['stderr_path']}")
    out += ["\tdefault environment = {", "\t\tPATH => /usr/bin:/bin:/usr/sbin:/sbin", "\t}", "",
            "\tenvironment = {", *(f"\t\t{k} => {v}" for k, v in job["environment"].items()), "\t}", "",
            "\tdomain = system"]
    if job.get("username"):
        out.append(f"\tusername = {job['username']}")
    out += [f"\tminimum runtime = {job['throttle_interval']}",
            f"\texit timeout = {job['exit_timeout']}",
            f"\truns = {job['runs']}"]
    if running:
        out += [f"\tpid = {job['pid']}", "\timmediate reason = speculative", "\tforks = 0", "\texecs = 1",
                "\tinitialized = 1", "\ttrampolined = 1", "\tstarted suspended = 0",
                "\tproxy started suspended = 0", "\tchecked allocations = 0 (queried = 1)",
                "\tchecked allocations reason = no host", "\tchecked allocations flags = 0x0"]
    if job.get("last_terminating_signal"):
        out.append(f"\tlast terminating signal = {job['last_terminating_signal']}")
    elif job.get("last_exit_code") is None:
        out.append("\tlast exit code = (never exited)")
    else:
        out.append(f"\tlast exit code = {job['last_exit_text'] or job['last_exit_code']}")
    for kind, offset in (("resource", 0), ("jetsam", 1)):
        out += ["", f"\t{kind} coalition = {{", f"\t\tID = {ident + offset}", f"\t\ttype = {kind}",
                "\t\tstate = active", f"\t\tactive count = {1 if running else 0}", f"\t\tname = {label}", "\t}"]
    out += ["", "\tspawn type = daemon (3)", "\tjetsam priority = 40",
            "\tjetsam memory limit (active) = (unlimited)", "\tjetsam memory limit (inactive) = (unlimited)",
            "\tjetsamproperties category = daemon", "\tjetsam thread limit = 32", "\tcpumon = default",
            f"\tjob state = {job['job_state']}", "\tsanitizer flags = 0x0", ""]
    keep_alive = job.get("keep_alive")
    props = (["keepalive"] if keep_alive is True or (isinstance(keep_alive, dict) and keep_alive) else []) + \
        (["runatload"] if job.get("run_at_load") else []) + (["inferred program"] if job.get("inferred_program") else [])
    out += [f"\tproperties = {' | '.join(props)}", "}"]
    return "\n".join(out) + "\n"


def cmd_print(target: str) -> int:
    domain, _, label = target.partition("/")
    if domain == "gui":
        uid = label.partition("/")[0]
        return fail(["Bad request.", f"Could not find domain for user gui: {uid}"], NOT_FOUND)
    if domain != "system" or not label:
        return fail([f"launchctl (twin stand-in): only `print system/<label>` is implemented, not {target!r}"], 64)
    try:
        with open(STATE_FILE) as f:
            jobs = json.load(f)["jobs"]
    except (OSError, ValueError) as e:
        return fail([f"launchctl (twin stand-in): launchd's state is unreadable ({e}): is launchd.service up?"], 64)
    job = jobs.get(label)
    if job is None:
        return fail(["Bad request.", f'Could not find service "{label}" in domain for system'], NOT_FOUND)
    sys.stdout.write(render(job))
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "print":
        return cmd_print(argv[1])
    return fail([f"launchctl (twin stand-in): not implemented: {' '.join(argv) or '(no subcommand)'}; "
                 "only `launchctl print system/<label>`. To unload a job here, move its plist out of "
                 "/Library/LaunchDaemons and `systemctl reload launchd` (as root)."], 64)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
