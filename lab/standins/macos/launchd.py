#!/usr/bin/python3
"""launchd stand-in (twin, studio): really runs the jobs of /Library/LaunchDaemons, as the Mac's launchd does.

It runs as the systemd system service `launchd.service` (ExecStart=/usr/local/macos/libexec/launchd) and
supervises every `*.plist` in /Library/LaunchDaemons, with the semantics of launchd.plist(5):

- a plist is loaded if it parses, has a Label and ProgramArguments (or Program), and is owned by root and
  not group/world writable ("All system-wide daemons (LaunchDaemons) must be owned by root. Configuration
  files must disallow group and world writes", launchctl(1), quoted in munkireport/munkireport-php #1468); a
  plist that is not is refused, as launchd refuses it, and the job is simply not loaded;
- RunAtLoad starts ProgramArguments at load ("The use of [KeepAlive] implicitly implies RunAtLoad");
- each run gets its own session/process group, stdin /dev/null, stdout/stderr appended to
  StandardOutPath/StandardErrorPath (else /dev/null), cwd WorkingDirectory (else /), UserName if set,
  and the environment launchd gives a daemon: PATH=/usr/bin:/bin:/usr/sbin:/sbin, XPC_SERVICE_NAME=<label>,
  OSLogRateLimit=64 (the `environment` block of the real captures in selftest/fixtures/darwin/launchctl/), plus
  EnvironmentVariables;
- when the job's main process exits, whatever is left of its process group is killed (launchd does so
  unless AbandonProcessGroup is true), then KeepAlive decides: true restarts it; a dictionary restarts it
  for SuccessfulExit (exit status 0 or not) and Crashed (killed by a signal other than TERM/KILL); other
  conditions (PathState, OtherJobEnabled, NetworkState) are not implemented and restart nothing;
- a restart waits until ThrottleInterval seconds (default 10, printed as `minimum runtime = 10`) have
  passed since the last start; while waiting the job's state is `spawn scheduled`, with no pid and its
  last exit line (real captures of jobs that exited and wait to be respawned:
  gui-spawn-scheduled-ex-config-billet-macos26.txt, system-spawn-scheduled-agentsh-trimmed.txt);
- a program that cannot be started is a spawn failure, retried under KeepAlive like an exit, and shown as
  real launchd shows it (selftest/fixtures/darwin/README.md names each capture): a program that does not
  exist is `last exit code = 78: EX_CONFIG` ("a missing program is launchd's own 78: EX_CONFIG", a
  third-party note checked against launchd; also a UserName this host does not have); any other exec
  failure (not executable, not a format the kernel runs) is `last exit reason = OS_REASON_EXEC`, with no
  exit code (the kernel refused the exec: prose reports of a LaunchDaemon in that state, e.g. a universal
  binary on Monterey Intel; which errno real launchd maps to which is not captured, so this split is the
  twin's); and a program listed in the TWIN-ONLY file /var/lib/launchd-twin/unsigned (one path per line)
  fails code signing: `last exit reason = OS_REASON_CODESIGNING` (captures
  gui-spawn-scheduled-codesigning-*.txt). Linux has no code signing, so that file is the twin's switch;
  it lies outside every path the suite reads.

A job launchd's disabled database marks disabled is not loaded (the system domain's database,
/private/var/db/com.apple.xpc.launchd/disabled.plist: label -> true, what `launchctl disable system/<label>` writes
and `launchctl print-disabled system` prints; "launchd does not load a disabled job at the next boot", and a
bootstrap of one fails): the twin's tooling writes the file, the launchd stand-in reads it whenever it loads
plists (at start and on SIGHUP). Disabling a job that is loaded does not unload it (as on a Mac: the override
counts at the next load); its plist changed or removed and restored, it is then refused.

SIGHUP re-reads /Library/LaunchDaemons. A plist that is gone is the job UNLOADED: SIGTERM to its process
group, SIGKILL after ExitTimeOut (default 5) seconds, and it disappears from the state (so `launchctl
print` says "Could not find service"). This is the twin's stand-in for `launchctl bootout
system/<label>`: a fault moves the plist away and HUPs this process (`systemctl reload launchd`). A new
plist is loaded (`launchctl bootstrap`); a plist whose bytes changed is unloaded and loaded again. A plist
edited WITHOUT a HUP keeps running as loaded, as on a Mac until someone reloads it. SIGTERM (systemctl
stop) stops every job the same way, then exits.

Per label the state of every loaded job is written, atomically, to /run/launchd-twin/state.json (mode
0644: on a Mac anyone may `launchctl print` the system domain, environment values included), which the
`launchctl` stand-in prints in launchctl's own format. The file (JSON):

    {"launchd_pid": 101, "updated": 1760000000.5,
     "jobs": {"com.bebop.mlx-launch": {
        "label": ..., "path": "/Library/LaunchDaemons/com.bebop.mlx-launch.plist",
        "program": "/opt/mlx-launch/bin/launch-mlx.sh", "arguments": [...], "inferred_program": true,
        "state": "running" | "not running" | "spawn scheduled",
        "pid": 123 | null, "runs": 1,
        "last_exit_code": null (never exited) | 0 | 78 ..., "last_exit_text": null | "78: EX_CONFIG",
        "last_terminating_signal": null | "Terminated: 15",
        "last_exit_reason": null | "OS_REASON_EXEC" | "OS_REASON_CODESIGNING",
        "run_at_load": true, "keep_alive": true | false | {...} | null,
        "stdout_path": ..., "stderr_path": ..., "working_directory": null, "username": null, "groupname": null,
        "environment": {NAME: value, ...}  (what the job really got, in launchctl's order),
        "throttle_interval": 10, "exit_timeout": 5,
        "loaded_at": <epoch>, "started_at": <epoch> | null, "next_start": <epoch> | null}}}
"""
import ctypes
import errno
import hashlib
import json
import os
import plistlib
import pwd
import select
import signal
import stat
import sys
import time

DAEMONS = "/Library/LaunchDaemons"
STATE_DIR = "/run/launchd-twin"
STATE_FILE = f"{STATE_DIR}/state.json"
DEFAULT_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"
DEFAULT_THROTTLE = 10
DEFAULT_EXIT_TIMEOUT = 5
EX_CONFIG = 78
UNSIGNED = "/var/lib/launchd-twin/unsigned"  # twin only: programs whose code signature is invalid
DISABLED_DB = "/private/var/db/com.apple.xpc.launchd/disabled.plist"  # launchd's overrides: label -> disabled
# launchd prints a signal death with macOS's strsignal() wording: `last terminating signal = Killed: 9`
MAC_SIGNAL_NAMES = {1: "Hangup", 2: "Interrupt", 3: "Quit", 4: "Illegal instruction", 5: "Trace/BPT trap",
                    6: "Abort trap", 7: "Bus error", 8: "Floating point exception", 9: "Killed",
                    10: "User defined signal 1", 11: "Segmentation fault", 12: "User defined signal 2",
                    13: "Broken pipe", 14: "Alarm clock", 15: "Terminated"}
# Linux numbers differ from Darwin's above 9 for some signals; map the ones a job is likely to die of
LINUX_TO_DARWIN = {signal.SIGBUS: 10, signal.SIGUSR1: 30, signal.SIGUSR2: 31, signal.SIGSEGV: 11,
                   signal.SIGPIPE: 13, signal.SIGALRM: 14, signal.SIGTERM: 15}


def log(msg: str) -> None:
    print(f"launchd: {msg}", flush=True)


def signal_text(signum: int) -> str:
    darwin = LINUX_TO_DARWIN.get(signum, signum)
    return f"{MAC_SIGNAL_NAMES.get(darwin, f'Signal {darwin}')}: {darwin}"


class Job:
    def __init__(self, path: str, digest: str, plist: dict):
        self.path, self.digest = path, digest
        self.label = plist["Label"]
        args = list(plist.get("ProgramArguments") or [])
        self.program = plist.get("Program") or args[0]
        self.arguments = args or [self.program]
        self.inferred_program = "Program" not in plist
        self.run_at_load = bool(plist.get("RunAtLoad", False))
        self.keep_alive = plist.get("KeepAlive")
        self.stdout_path = plist.get("StandardOutPath")
        self.stderr_path = plist.get("StandardErrorPath")
        self.working_directory = plist.get("WorkingDirectory")
        self.username = plist.get("UserName")
        self.groupname = plist.get("GroupName")
        self.throttle = int(plist.get("ThrottleInterval", DEFAULT_THROTTLE))
        self.exit_timeout = int(plist.get("ExitTimeOut", DEFAULT_EXIT_TIMEOUT))
        variables = {str(k): str(v) for k, v in (plist.get("EnvironmentVariables") or {}).items()}
        # what the job gets, and in the order launchctl print shows it (`environment = {` block)
        self.env = {"OSLogRateLimit": "64", **variables, "XPC_SERVICE_NAME": self.label}
        self.state = "not running"
        self.pid = None
        self.runs = 0
        self.last_exit_code = None
        self.last_exit_text = None
        self.last_signal = None
        self.last_exit_reason = None
        self.loaded_at = time.time()
        self.started_at = None
        self.next_start = None
        self.cleanup = None  # [pgid, deadline, killed]: the group of a main process that exited by itself
        self.stopping = False

    @property
    def starts_at_load(self) -> bool:
        implied = self.keep_alive is True or (isinstance(self.keep_alive, dict) and bool(self.keep_alive))
        return self.run_at_load or implied

    def wants_restart(self) -> bool:
        ka = self.keep_alive
        if ka is True:
            return True
        if not isinstance(ka, dict):
            return False
        code, crashed = self.last_exit_code, self.last_signal is not None and not self.last_signal.endswith(
            (": 15", ": 9"))
        if "SuccessfulExit" in ka and self.last_signal is None and (code == 0) == bool(ka["SuccessfulExit"]):
            return True
        if "Crashed" in ka and crashed == bool(ka["Crashed"]):
            return True
        return False

    # --- what happens to it: launchctl print shows exactly one last-exit line (code, signal or reason) ---
    def spawning(self) -> None:
        """launchd counts a run when it tries to spawn it, whether the program then runs or not."""
        self.runs += 1
        self.started_at, self.next_start = time.time(), None

    def started(self, pid: int) -> None:
        self.pid, self.state = pid, "running"

    def record_exit(self, status: int) -> None:
        self.last_exit_code = self.last_exit_text = self.last_signal = self.last_exit_reason = None
        if os.WIFSIGNALED(status):
            self.last_signal = signal_text(os.WTERMSIG(status))
        else:
            code = os.WEXITSTATUS(status)
            self.last_exit_code, self.last_exit_text = code, str(code)
        self.pid, self.state = None, "not running"

    def spawn_failed(self, reason: str | None = None) -> None:
        """No process ran: `last exit reason = <reason>`, or without one launchd's `78: EX_CONFIG`."""
        self.last_exit_code = self.last_exit_text = self.last_signal = self.last_exit_reason = None
        if reason:
            self.last_exit_reason = reason
        else:
            self.last_exit_code, self.last_exit_text = EX_CONFIG, f"{EX_CONFIG}: EX_CONFIG"
        self.pid, self.state = None, "not running"

    def schedule_respawn(self, at: float) -> None:
        self.next_start, self.state = at, "spawn scheduled"

    def as_state(self) -> dict:
        return {"label": self.label, "path": self.path, "program": self.program, "arguments": self.arguments,
                "inferred_program": self.inferred_program, "state": self.state,
                "pid": self.pid, "runs": self.runs, "last_exit_code": self.last_exit_code,
                "last_exit_text": self.last_exit_text, "last_terminating_signal": self.last_signal,
                "last_exit_reason": self.last_exit_reason,
                "run_at_load": self.run_at_load, "keep_alive": self.keep_alive,
                "stdout_path": self.stdout_path, "stderr_path": self.stderr_path,
                "working_directory": self.working_directory, "username": self.username, "groupname": self.groupname,
                "environment": self.env, "throttle_interval": self.throttle,
                "exit_timeout": self.exit_timeout, "loaded_at": self.loaded_at,
                "started_at": self.started_at, "next_start": self.next_start}


class Launchd:
    def __init__(self):
        self.jobs: dict[str, Job] = {}  # label -> loaded job
        self.by_pid: dict[int, Job] = {}  # main pid -> job
        self.hup = self.term = False

    # --- state --------------------------------------------------------------------------------
    def save(self) -> None:
        os.makedirs(STATE_DIR, mode=0o755, exist_ok=True)
        data = {"launchd_pid": os.getpid(), "updated": time.time(),
                "jobs": {label: job.as_state() for label, job in sorted(self.jobs.items())}}
        tmp = f"{STATE_FILE}.tmp"
        with open(tmp, "w") as f:
            json.dump(data, f, indent=1)
        os.chmod(tmp, 0o644)
        os.replace(tmp, STATE_FILE)

    # --- loading ------------------------------------------------------------------------------
    def scan(self) -> dict[str, tuple[str, dict]]:
        """path -> (digest, plist) of every loadable plist; refusals are logged, as launchd logs them."""
        found = {}
        try:
            names = sorted(os.listdir(DAEMONS))
        except FileNotFoundError:
            return found
        for name in names:
            if not name.endswith(".plist"):
                continue
            path = os.path.join(DAEMONS, name)
            try:
                st = os.lstat(path)
                if not stat.S_ISREG(st.st_mode):
                    continue
                if st.st_uid != 0 or st.st_mode & 0o022:
                    log(f"{path}: not loaded: Path had bad ownership/permissions")
                    continue
                with open(path, "rb") as f:
                    data = f.read()
                plist = plistlib.loads(data)
            except Exception as e:  # unreadable or not a plist: launchd refuses it
                log(f"{path}: not loaded: {type(e).__name__}: {e}")
                continue
            if not isinstance(plist, dict) or not isinstance(plist.get("Label"), str) or not (
                    plist.get("ProgramArguments") or plist.get("Program")):
                log(f"{path}: not loaded: no Label or no ProgramArguments/Program")
                continue
            found[path] = (hashlib.sha256(data).hexdigest(), plist)
        return found

    def reload(self) -> None:
        """Unload jobs whose plist is gone or changed, then load new and changed ones."""
        found = self.scan()
        disabled = _disabled_labels()
        for job in list(self.jobs.values()):
            if job.path not in found or found[job.path][0] != job.digest:
                self.unload(job, "plist removed" if job.path not in found else "plist changed")
        loaded_paths = {job.path for job in self.jobs.values()}
        for path, (digest, plist) in found.items():
            if path in loaded_paths:
                continue
            if plist["Label"] in self.jobs:
                log(f"{path}: not loaded: service {plist['Label']} is already loaded")
                continue
            if disabled.get(plist["Label"]):
                log(f"{path}: not loaded: service {plist['Label']} is disabled")
                continue
            job = Job(path, digest, plist)
            self.jobs[job.label] = job
            log(f"{job.label}: loaded from {path}")
            if job.starts_at_load:
                self.spawn(job)
        self.save()

    def unload(self, job: Job, why: str) -> None:
        self.stop(job)
        self.jobs.pop(job.label, None)
        log(f"{job.label}: unloaded ({why})")

    # --- processes ----------------------------------------------------------------------------
    def spawn(self, job: Job) -> None:
        job.spawning()
        if _unsigned(job.program):
            log(f"{job.label}: spawn failed: {job.program} fails code signing (twin: listed in {UNSIGNED})")
            job.spawn_failed("OS_REASON_CODESIGNING")
            self._maybe_respawn(job)
            return
        try:
            pid = self._fork_exec(job)
        except (OSError, KeyError) as e:  # missing, not executable, or a UserName this host does not have
            log(f"{job.label}: spawn failed: {e}")
            exec_refused = isinstance(e, OSError) and e.errno not in (None, errno.ENOENT)
            job.spawn_failed("OS_REASON_EXEC" if exec_refused else None)
            self._maybe_respawn(job)
            return
        job.started(pid)
        self.by_pid[pid] = job
        log(f"{job.label}: spawned pid {pid} (run {job.runs})")

    def _fork_exec(self, job: Job) -> int:
        """fork + exec with the job's stdio, cwd, user and environment; raises OSError if exec failed."""
        out = _open_log(job.stdout_path)
        err = _open_log(job.stderr_path) if job.stderr_path != job.stdout_path else os.dup(out)
        user = pwd.getpwnam(job.username) if job.username else None
        env = {"PATH": DEFAULT_PATH, **job.env}
        if user:
            env.update(HOME=user.pw_dir, USER=user.pw_name, LOGNAME=user.pw_name, SHELL=user.pw_shell)
        r, w = os.pipe2(os.O_CLOEXEC)
        pid = os.fork()
        if pid == 0:  # the child: exec the job, or tell the parent why not
            try:
                os.close(r)
                os.setsid()
                devnull = os.open("/dev/null", os.O_RDONLY)
                os.dup2(devnull, 0)
                os.dup2(out, 1)
                os.dup2(err, 2)
                if user:
                    os.initgroups(user.pw_name, user.pw_gid)
                    os.setgid(user.pw_gid)
                    os.setuid(user.pw_uid)
                os.chdir(job.working_directory or "/")
                signal.set_wakeup_fd(-1)
                for s in (signal.SIGHUP, signal.SIGTERM, signal.SIGCHLD):
                    signal.signal(s, signal.SIG_DFL)
                os.execve(job.program, job.arguments, env)
            except OSError as e:
                os.write(w, str(e.errno or 0).encode())
            finally:
                os._exit(EX_CONFIG)
        os.close(w)
        os.close(out)
        os.close(err)
        failed = os.read(r, 32)  # empty: exec closed the pipe (O_CLOEXEC), so it worked
        os.close(r)
        if failed:
            os.waitpid(pid, 0)
            number = int(failed)
            raise OSError(number, os.strerror(number), job.program)
        return pid

    def reap(self) -> bool:
        """Reap every exited child. A job's main process: its exit is recorded and what is left of its
        process group gets SIGTERM (SIGKILL after ExitTimeOut). Orphans of a job's tree (we are their
        subreaper) are just reaped. Returns whether a job changed."""
        changed = False
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            job = self.by_pid.pop(pid, None)
            if job is None:
                continue
            job.record_exit(status)
            changed = True
            log(f"{job.label}: pid {pid} " + (f"exited with {job.last_exit_code}" if job.last_signal is None
                                               else f"killed by {job.last_signal}"))
            if not job.stopping:
                job.cleanup = [pid, time.monotonic() + job.exit_timeout, False]
                _killpg(pid, signal.SIGTERM)
        return changed

    def progress_cleanups(self) -> bool:
        """A job whose group is gone is done exiting: KeepAlive may respawn it now (never earlier: its
        leftovers would still hold its ports)."""
        changed = False
        for job in list(self.jobs.values()):
            if not job.cleanup:
                continue
            pgid, deadline, killed = job.cleanup
            if not _group_alive(pgid):
                job.cleanup = None
                self._maybe_respawn(job)
                changed = True
            elif time.monotonic() >= deadline and not killed:
                _killpg(pgid, signal.SIGKILL)
                job.cleanup[2] = True
        return changed

    def _maybe_respawn(self, job: Job) -> None:
        if job.label in self.jobs and not job.stopping and job.wants_restart():
            job.schedule_respawn(max(time.time(), (job.started_at or 0) + job.throttle))
            log(f"{job.label}: KeepAlive: respawn in {job.next_start - time.time():.1f}s")

    def stop(self, job: Job) -> None:
        """SIGTERM to the job's process group, SIGKILL after ExitTimeOut; returns when the group is gone."""
        job.stopping, job.next_start = True, None
        pgid = job.pid or (job.cleanup[0] if job.cleanup else None)
        if pgid is None:
            return
        for sig, wait in ((signal.SIGTERM, job.exit_timeout), (signal.SIGKILL, 5)):
            _killpg(pgid, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                self.reap()
                if not _group_alive(pgid):
                    job.cleanup = None
                    return
                time.sleep(0.05)

    def start_due(self) -> bool:
        now = time.time()
        due = [job for job in self.jobs.values() if job.next_start is not None and job.next_start <= now]
        for job in due:
            self.spawn(job)
        return bool(due)

    def next_timeout(self) -> float:
        if any(job.cleanup for job in self.jobs.values()):
            return 0.05
        pending = [job.next_start for job in self.jobs.values() if job.next_start is not None]
        return max(0.0, min(pending) - time.time()) if pending else 5.0

    # --- main loop ----------------------------------------------------------------------------
    def run(self) -> int:
        _become_subreaper()
        rfd, wfd = os.pipe()
        os.set_blocking(rfd, False)
        os.set_blocking(wfd, False)
        signal.set_wakeup_fd(wfd)
        signal.signal(signal.SIGHUP, lambda *_: setattr(self, "hup", True))
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "term", True))
        signal.signal(signal.SIGCHLD, lambda *_: None)
        log(f"started (pid {os.getpid()}), loading {DAEMONS}")
        self.reload()
        while not self.term:
            select.select([rfd], [], [], self.next_timeout())
            try:
                os.read(rfd, 512)
            except BlockingIOError:
                pass
            changed = self.reap()
            changed |= self.progress_cleanups()
            if self.hup:
                self.hup = False
                log("SIGHUP: re-reading " + DAEMONS)
                self.reload()
            changed |= self.start_due()
            if changed:
                self.save()
        log("SIGTERM: stopping every job")
        for job in list(self.jobs.values()):
            self.stop(job)
        self.save()
        return 0


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _unsigned(program: str) -> bool:
    """Twin only: is this program listed as failing code signing?"""
    try:
        with open(UNSIGNED) as f:
            listed = {line.strip() for line in f if line.strip()}
    except OSError:
        return False
    return program in listed or os.path.realpath(program) in listed


def _disabled_labels() -> dict[str, bool]:
    """launchd's disabled database (a plist dictionary label -> bool); missing or unreadable: no overrides."""
    try:
        with open(DISABLED_DB, "rb") as f:
            data = plistlib.load(f)
    except (OSError, plistlib.InvalidFileException, ValueError):
        return {}
    return {str(k): bool(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _open_log(path: str | None) -> int:
    if not path:
        return os.open("/dev/null", os.O_WRONLY)
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError as e:
        log(f"cannot open {path}: {e}; using /dev/null")
        return os.open("/dev/null", os.O_WRONLY)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _become_subreaper() -> None:
    """Orphans of a job's tree come to us (not to PID 1), so we reap them and see the group empty."""
    PR_SET_CHILD_SUBREAPER = 36
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


if __name__ == "__main__":
    sys.exit(Launchd().run())
