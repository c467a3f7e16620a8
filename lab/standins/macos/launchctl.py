#!/usr/bin/python3
"""`launchctl` stand-in (twin, studio): `launchctl print system/<label>` from the launchd stand-in's REAL state.

Prints what `launchctl print system/<label>` prints for a plain /Library/LaunchDaemons job on a recent macOS,
line for line after the real captures in selftest/fixtures/darwin/launchctl/ (README.md there names the
source of each; the test selftest/unit/test_macos_standins.py compares the top-level keys printed in every
state with the keys of the real captures of that state):

- `system/<label> = {`, top-level `key = value` lines indented by ONE tab, blocks (`arguments`,
  `default environment`, `environment`, the coalitions) indented by two, blank lines between groups,
  a closing `}`: system-running-wazuh-agent.txt, system-running-nix-daemon-macos26.txt (macOS 26.6.2);
- `active count`, `path`, `type = LaunchDaemon`, `state`; `program` and `arguments`; `working directory`
  when the plist has a WorkingDirectory (system-exited-wazuh-agent-cut.txt); `stdout path` / `stderr path`,
  `username` / `group` with a blank line after them, when the plist sets them
  (system-running-otelcol-sumo.txt); `OSLogRateLimit => 64` first in `environment`, `domain = system`,
  `minimum runtime` (ThrottleInterval), `exit timeout`, `runs`;
- only while a process runs: `pid`, `immediate reason = speculative`, `forks`, `execs`, `initialized`,
  `trampolined`, `started suspended`, `proxy started suspended`, and macOS 26's `checked allocations`
  lines (system-running-nix-daemon-macos26.txt);
- exactly one last-exit line: `last exit code = (never exited)` before the first exit
  (system-never-run-halite-macos15.txt), `last exit code = N` or `78: EX_CONFIG`
  (gui-spawn-scheduled-ex-config-billet-macos26.txt), `last exit reason = OS_REASON_...` for a job that
  could not run, with no exit code (system-exit-reason-jetsam-trimmed.txt,
  gui-spawn-scheduled-codesigning-*.txt), or `last terminating signal = <strsignal>: N`
  (gui-running-after-signal-openclaw.txt: no system-domain capture of that line was found; README.md says
  why it is printed anyway);
- `resource coalition` / `jetsam coalition` blocks once launchd has spawned the job (`runs` > 0), with
  `state = active` and `active count = 1` even when the job is not running (gui-exited-sync-legacy-macos27.txt,
  the billet capture); none for a job that never ran (the halite capture, system-never-run-sshd-macos26-cut.txt);
- `spawn type = daemon (3)` ... `cpumon = default`, a blank line, `properties = ...` from the plist
  (`keepalive`, `runatload`, `inferred program`), `}`.

Not printed: `job state` (only jobs with a managed record print it: SMAppService jobs and some of Apple's
own) and `sanitizer flags` (macOS 27); LWCR, event triggers, sockets, endpoints, semaphores,
`resource limits` and the other keys of plist features the stand-in does not implement (README.md lists
them, with why). The coalition IDs are made up (stable per label).

What is printed comes from /run/launchd-twin/state.json, written by the launchd stand-in
(lab/standins/macos/launchd.py): state, pid, runs, last exit, path, program, arguments, environment
(anyone may print the system domain, values included, launchctl(1)).

`launchctl print-disabled system` lists launchd's disabled database for the system domain (the file launchd keeps,
/private/var/db/com.apple.xpc.launchd/disabled.plist: a dictionary label -> true (disabled) | false (enabled), the
file `launchctl disable|enable system/<label>` writes; the twin's tooling writes it here, and the launchd stand-in
honours it: a disabled job is not loaded) in the modern form, after the real capture
selftest/fixtures/darwin/print-disabled/modern-enabled-disabled-gui-ciao.txt (a gui domain, 2026): a blank line,
`\tdisabled services = {`, one `\t\t"<label>" => enabled|disabled` line per entry in the file's order, `\t}`.
Before macOS 13 the values were `true|false` and nothing was indented (older-true-false-user-ninehills.txt;
usnistgov/macos_security #167: Ventura changed `=> true` to `=> disabled`); the owner's two parsers read both
(bebopbabailey/homelab-llm@1b54b73 platform/ops/scripts/mlxctl:837-866, enforce_studio_launchd_policy.py:18,
80-92). The `login item associations` block a user domain adds is not printed (the system domain's is not
captured). An unreadable database is printed as an empty one.

Only `print system/<label>` and `print-disabled system` are implemented. A label the domain does not hold:
`Bad request.` and `Could not find service "<label>" in domain for system` on stderr, exit status 113
(system-not-found-macos26.stderr; the status: DeterminateSystems/nix-installer #960). `print
gui/<uid>/<label>` answers as a Mac does over SSH without a GUI login (`Could not find domain for user gui:
<uid>`, Wamphyre/macOS_Silverback-Debloater #2; its exit status there is unconfirmed: 113 here).
Everything else is a twin limitation and says so (exit 64).
"""
import json
import plistlib
import sys
import zlib

STATE_FILE = "/run/launchd-twin/state.json"
DISABLED_DB = "/private/var/db/com.apple.xpc.launchd/disabled.plist"
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
    if job.get("working_directory"):
        out += [f"\tworking directory = {job['working_directory']}", ""]
    if job.get("stdout_path"):
        out.append(f"\tstdout path = {job['stdout_path']}")
    if job.get("stderr_path"):
        out.append(f"\tstderr path = {job['stderr_path']}")
    out += ["\tdefault environment = {", "\t\tPATH => /usr/bin:/bin:/usr/sbin:/sbin", "\t}", "",
            "\tenvironment = {", *(f"\t\t{k} => {v}" for k, v in job["environment"].items()), "\t}", "",
            "\tdomain = system"]
    account = ([f"\tusername = {job['username']}"] if job.get("username") else []) + \
        ([f"\tgroup = {job['groupname']}"] if job.get("groupname") else [])
    out += account + ([""] if account else [])
    out += [f"\tminimum runtime = {job['throttle_interval']}",
            f"\texit timeout = {job['exit_timeout']}",
            f"\truns = {job['runs']}"]
    if running:
        out += [f"\tpid = {job['pid']}", "\timmediate reason = speculative", "\tforks = 0", "\texecs = 1",
                "\tinitialized = 1", "\ttrampolined = 1", "\tstarted suspended = 0",
                "\tproxy started suspended = 0", "\tchecked allocations = 0 (queried = 1)",
                "\tchecked allocations reason = no host", "\tchecked allocations flags = 0x0"]
    out.append(f"\t{last_exit_line(job)}")
    if job["runs"]:  # a coalition exists once launchd has spawned the job, running or not
        for kind, offset in (("resource", 0), ("jetsam", 1)):
            out += ["", f"\t{kind} coalition = {{", f"\t\tID = {ident + offset}", f"\t\ttype = {kind}",
                    "\t\tstate = active", "\t\tactive count = 1", f"\t\tname = {label}", "\t}"]
    out += ["", "\tspawn type = daemon (3)", "\tjetsam priority = 40",
            "\tjetsam memory limit (active) = (unlimited)", "\tjetsam memory limit (inactive) = (unlimited)",
            "\tjetsamproperties category = daemon", "\tjetsam thread limit = 32", "\tcpumon = default", ""]
    keep_alive = job.get("keep_alive")
    props = (["keepalive"] if keep_alive is True or (isinstance(keep_alive, dict) and keep_alive) else []) + \
        (["runatload"] if job.get("run_at_load") else []) + (["inferred program"] if job.get("inferred_program") else [])
    out += [f"\tproperties = {' | '.join(props)}", "}"]
    return "\n".join(out) + "\n"


def last_exit_line(job: dict) -> str:
    """The one last-exit line launchd prints: an exit reason, a signal, or an exit code."""
    if job.get("last_exit_reason"):
        return f"last exit reason = {job['last_exit_reason']}"
    if job.get("last_terminating_signal"):
        return f"last terminating signal = {job['last_terminating_signal']}"
    if job.get("last_exit_code") is None:
        return "last exit code = (never exited)"
    return f"last exit code = {job['last_exit_text'] or job['last_exit_code']}"


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


def disabled_database(path: str | None = None) -> dict[str, bool]:
    """label -> disabled, in the file's order; none when the file is missing or is not a plist dictionary."""
    try:
        with open(path or DISABLED_DB, "rb") as f:
            data = plistlib.load(f)
    except (OSError, plistlib.InvalidFileException, ValueError):
        return {}
    return {str(k): bool(v) for k, v in data.items()} if isinstance(data, dict) else {}


def render_disabled(entries: dict[str, bool]) -> str:
    lines = ["", "\tdisabled services = {",
             *(f'\t\t"{label}" => {"disabled" if off else "enabled"}' for label, off in entries.items()), "\t}"]
    return "\n".join(lines) + "\n"


def cmd_print_disabled(target: str) -> int:
    if target != "system":
        return fail([f"launchctl (twin stand-in): only `print-disabled system` is implemented, not {target!r}"], 64)
    sys.stdout.write(render_disabled(disabled_database()))
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "print":
        return cmd_print(argv[1])
    if len(argv) == 2 and argv[0] == "print-disabled":
        return cmd_print_disabled(argv[1])
    return fail([f"launchctl (twin stand-in): not implemented: {' '.join(argv) or '(no subcommand)'}; "
                 "only `launchctl print system/<label>` and `print-disabled system`. To unload a job here, move its "
                 "plist out of /Library/LaunchDaemons and `systemctl reload launchd` (as root)."], 64)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
