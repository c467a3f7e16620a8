"""studio's macOS stand-ins, run in the booted twin as the SSH user, against the real captured samples.

Every stand-in's output is compared by SHAPE, line by line, with the real captures in
selftest/fixtures/darwin/ (top-level keys and their order, groups between blank lines, tab indentation,
header columns, error wording, exit status): the stand-ins must print macOS's format, not whatever the
suite's parsers happen to accept. Then their output goes through the suite's own parsers
(conformance.facts.launchd / netstat / bsd), and the facts must be the REAL state of the host: the pid
launchctl prints is the job's process, the ports netstat lists are the ones really listening, stat's
sizes and modes are the files'. The last tests exercise launchd's supervision (KeepAlive, unload on
HUP, a killed MLX server), which is also how fault records drive it; they leave the job as they found it.
"""
from __future__ import annotations

import json
import plistlib
import re
import shlex
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conformance.facts import bsd, launchd, netstat, sockets
from lab import app_data, topology as topo
from lab.hosts import studio
from selftest.launchctl_captures import left_out, top_level_keys

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "darwin"
HOST = "studio"
LABEL = studio.LABEL
PORTS = [r.port for r in app_data.mlx_routes()]
TEST_LABEL = "com.bebop.twin-selftest"
TEST_PLIST = f"/Library/LaunchDaemons/{TEST_LABEL}.plist"


def as_owner(twin, command: str):
    """A command line run the way the suite runs it: ssh as the owner, his login shell (zsh) and PATH."""
    return twin.exec_in(HOST, ["sh", "-c", command], user=topo.OWNER)


def as_root(twin, command: str, check: bool = True):
    return twin.exec_in(HOST, ["sh", "-c", command], check=check)


# --- launchctl print: the shape of the real captures ------------------------------------------------

def groups(text: str) -> list[list[str]]:
    """The top-level keys of each group of lines (groups are separated by blank lines)."""
    found, current = [], []
    for line in text.splitlines()[1:]:
        if not line.strip():
            found, current = found + ([current] if current else []), []
        elif line.startswith("\t") and not line.startswith("\t\t") and " = " in line:
            current.append(line[1:].split(" = ", 1)[0])
    return found + ([current] if current else [])


def same_groups(printed: str, real: str) -> bool:
    """The keys both print fall into the same blank-line groups (the keys only one of them prints aside)."""
    mine, theirs = set(top_level_keys(printed)), set(top_level_keys(real))
    def shared(text, other):
        return [kept for group in groups(text) if (kept := [k for k in group if k in other])]
    return shared(printed, theirs) == shared(real, mine)


# printed only when the plist sets the key (launchctl.py): a capture's job may set what ours does not
CONDITIONAL = {"working directory": "WorkingDirectory", "stdout path": "StandardOutPath",
               "stderr path": "StandardErrorPath", "username": "UserName", "group": "GroupName"}


def assert_same_shape(printed: str, fixture_name: str, label: str = LABEL, plist: dict | None = None) -> None:
    """Compared with a REAL capture (fixtures/darwin/launchctl/): keys in the same order, the same groups,
    no key of the capture missing unless README.md there says why or the plist does not set it."""
    real = (FIXTURES / "launchctl" / fixture_name).read_text()
    plist = plistlib.loads(studio.plist()) if plist is None else plist
    lines = printed.split("\n")
    assert printed.endswith("}\n"), "launchctl print ends with `}` and a line break"
    assert lines[0] == f"system/{label} = {{", lines[0]
    depth = 1
    for line in lines[1:-2]:
        if not line:
            continue
        indent = len(line) - len(line.lstrip("\t"))
        assert not line[indent:].startswith(" "), f"indented with spaces, launchctl uses tabs: {line!r}"
        if line.strip() == "}":
            depth -= 1
            assert indent == depth, f"a block closes at its own depth: {line!r}"
            continue
        assert indent == depth, f"line at depth {indent}, expected {depth}: {line!r}"
        if line.endswith(" = {"):
            depth += 1
    assert depth == 1, "every block is closed"
    mine, theirs = top_level_keys(printed), top_level_keys(real)
    common = [k for k in mine if k in theirs]
    assert common == [k for k in theirs if k in mine], (
        f"top-level keys in another order than the real capture {fixture_name}:\n{common}")
    excused = left_out().keys() | {key for key, plist_key in CONDITIONAL.items() if plist_key not in plist}
    missing = [k for k in theirs if k not in mine and k not in excused]
    assert not missing, f"keys of the real capture {fixture_name} the stand-in does not print: {missing}"
    if fixture_name.startswith("system-"):  # a gui dump groups its gui-only blocks in with the rest
        assert same_groups(printed, real), f"groups between blank lines differ from {fixture_name}"


def launchctl_print(twin, label: str = LABEL):
    cp = as_owner(twin, f"launchctl print system/{label}")
    return cp, launchd.parse_print(cp.stdout, cp.stderr, cp.returncode)


def launchd_main_pid(twin) -> int:
    return int(as_root(twin, "systemctl show -p MainPID --value launchd.service").stdout)


def test_launchctl_print_of_the_running_job_has_the_real_shape_and_the_real_pid(twin):
    cp, job = launchctl_print(twin)
    assert cp.returncode == 0, cp.stderr
    assert_same_shape(cp.stdout, "system-running-nix-daemon-macos26.txt")
    assert_same_shape(cp.stdout, "system-running-wazuh-agent.txt")
    assert job.service == f"system/{LABEL}" and job.type == "LaunchDaemon" and job.path == studio.PLIST
    assert (job.state, job.job_state, job.runs, job.last_exit_code, job.last_exit_text) == (
        "running", None, job.runs, None, "(never exited)")
    assert job.program == studio.LAUNCH_SCRIPT and job.arguments == (studio.LAUNCH_SCRIPT,)
    assert {"keepalive", "runatload", "inferred program"} <= set(job.properties)
    assert (job.stdout_path, job.stderr_path) == ("/tmp/mlx-launch.out.log", "/tmp/mlx-launch.err.log")
    assert job.environment_keys == ("OSLogRateLimit", "XPC_SERVICE_NAME")
    # the pid is the job's real process: the launch script, a child of launchd, parent of the servers
    proc = as_root(twin, f"cat /proc/{job.pid}/cmdline | tr '\\0' ' '; echo; ps -o ppid= -p {job.pid}; "
                         f"ps -o args= --ppid {job.pid}").stdout.splitlines()
    assert studio.LAUNCH_SCRIPT in proc[0]
    assert int(proc[1]) == launchd_main_pid(twin)
    servers = [ln for ln in proc[2:] if "mlx-openai-server launch" in ln]
    assert sorted(int(re.search(r"--port (\d+)", ln)[1]) for ln in servers) == sorted(PORTS)


def test_launchctl_print_of_an_unknown_label_is_the_real_not_found(twin):
    cp, job = launchctl_print(twin, "com.bebop.nope")
    real = (FIXTURES / "launchctl/system-not-found-macos26.stderr").read_text().replace(
        "systems.determinate.nix-daemon", "com.bebop.nope")
    assert (cp.returncode, cp.stdout, cp.stderr) == (113, "", real)
    assert job is None


# --- netstat ----------------------------------------------------------------------------------------

def columns(line: str) -> list[int]:
    """Where each field of a netstat row starts."""
    return [m.start() for m in re.finditer(r"\S+", line)]


def test_netstat_prints_the_real_header_and_columns_and_the_real_listeners(twin):
    cp = as_owner(twin, "netstat -an -p tcp")
    assert cp.returncode == 0, cp.stderr
    real = (FIXTURES / "netstat-atn-macos15.txt").read_text().splitlines()  # a real capture of macOS 15.0.1
    lines = cp.stdout.splitlines()
    assert lines[:2] == real[:2], "the two header lines, character for character (trailing spaces included)"
    real_listener = next(ln for ln in real if ln.startswith("tcp4") and "*.22 " in ln)
    for line in lines[2:]:
        assert re.match(r"tcp(4|6|46) +\d+ +\d+  \S", line), line
        if line.split()[-1] == "LISTEN" and len(line.split()[3]) < 22:
            assert columns(line) == columns(real_listener) and len(line) == len(real_listener), \
                f"columns differ from the real capture: {line!r}"
    found = set(netstat.parse_netstat(cp.stdout))
    assert {sockets.Listening("0.0.0.0", p) for p in PORTS} <= found
    really = set(sockets.parse_ss(as_root(twin, "ss -ltnH").stdout))
    assert found == really, "netstat lists exactly the sockets that really listen"


def test_netstat_answers_unimplemented_forms_honestly(twin):
    cp = as_owner(twin, "netstat -anv -p tcp")
    assert cp.returncode == 64 and "not implemented" in cp.stderr


# --- BSD stat, shasum, base64 -i -----------------------------------------------------------------------

STAT_PATHS = [studio.PLIST, studio.RUNTIME, studio.LAUNCH_SCRIPT, "/tmp/mlx-8100.log", "/tmp/mlx-8104.log"]


def test_bsd_stat_prints_the_real_format_and_wording_and_the_real_files(twin):
    # the constructed sweep's paths (stat-sweep.stderr), its start-mlx.sh being this Studio's launch-mlx.sh
    paths = STAT_PATHS + ["/opt/mlx-launch/secrets/hf-token", f"{studio.LAUNCH_SCRIPT}/x"]
    as_root(twin, "mkdir -p /opt/mlx-launch/secrets && touch /opt/mlx-launch/secrets/hf-token "
                  "&& chmod 700 /opt/mlx-launch/secrets")
    try:
        cp = as_owner(twin, shlex.join(bsd.stat_command(paths)))
        real = as_root(twin, "/usr/bin/stat -L -c '%F|%a|%U|%G|%s|%n' " + " ".join(STAT_PATHS[:4])).stdout.splitlines()
    finally:
        as_root(twin, "rm -rf /opt/mlx-launch/secrets")
    assert cp.returncode == 1, "a path stat could not reach makes the exit status 1"
    fixture_err = (FIXTURES / "stat-sweep.stderr").read_text().replace("start-mlx.sh", "launch-mlx.sh").splitlines()
    err = cp.stderr.splitlines()
    # the constructed fixture's three errors, with the same paths: the same lines
    assert err == fixture_err, err
    for line in cp.stdout.splitlines():
        kind, mode, owner, group, size, name = line.split("|", 5)
        assert kind in ("Regular File", "Directory") and re.fullmatch(r"[0-7]{3}", mode) and size.isdigit(), line
    facts = bsd.parse_stat(cp.stdout, cp.stderr, paths)
    for line in real:
        kind, mode, owner, group, size, name = line.split("|", 5)
        fact = facts[name]
        assert (fact.exists, fact.type, fact.mode, fact.owner, fact.group, fact.size) == (
            True, {"regular file": "file", "directory": "directory"}[kind], mode, owner, group, int(size)), line
    assert facts[studio.PLIST].mode == "644" and facts[studio.PLIST].owner == "root"
    assert not facts["/tmp/mlx-8104.log"].exists and not facts[f"{studio.LAUNCH_SCRIPT}/x"].exists
    assert facts["/opt/mlx-launch/secrets/hf-token"].denied


def test_bsd_stat_formats_like_stat_c(twin):
    cp = as_owner(twin, "stat -f '%Sp %Lp %OLp %#Op %HT%T %N%SY' /tmp /Library/LaunchDaemons; stat -f %Q /tmp")
    assert cp.stdout.splitlines() == ["lrwxrwxrwx 777 777 0120777 Symbolic Link@ /tmp -> private/tmp",
                                      "drwxr-xr-x 755 755 040755 Directory/ /Library/LaunchDaemons"]
    assert (cp.returncode, cp.stderr) == (1, "stat: %Q: bad format\n")


def test_shasum_base64_and_the_plist_they_carry(twin):
    cp = as_owner(twin, f"{shlex.join(bsd.shasum_command([studio.PLIST]))}; {shlex.join(bsd.base64_command(studio.PLIST))}")
    assert cp.returncode == 0, cp.stderr
    hash_line, encoded = cp.stdout.split("\n", 1)
    assert re.fullmatch(r"[0-9a-f]{64}  " + re.escape(studio.PLIST), hash_line), "shasum's own format"
    assert encoded.count("\n") == 1, "Apple's base64 prints one unbroken line by default"
    data = launchd.decode_base64_output(encoded)
    import hashlib
    assert bsd.parse_shasum(hash_line + "\n") == {studio.PLIST: hashlib.sha256(data).hexdigest()}
    plist = launchd.parse_plist(data)
    assert (plist.label, plist.program_arguments, plist.run_at_load, plist.keep_alive) == (
        LABEL, (studio.LAUNCH_SCRIPT,), True, True)
    assert (plist.standard_out_path, plist.standard_error_path) == ("/tmp/mlx-launch.out.log", "/tmp/mlx-launch.err.log")
    assert plistlib.loads(data) == plistlib.loads(studio.plist())
    assert as_owner(twin, "base64 -i /nonexistent").stderr == "base64: /nonexistent: No such file or directory\n"


# --- the host's identity and the owner's shell ----------------------------------------------------------

def test_uname_sw_vers_and_a_mac_shell_without_python(twin):
    cp = as_owner(twin, "uname -s; uname -r; uname -m; sw_vers; echo $SHELL; readlink /tmp")
    lines = cp.stdout.splitlines()
    assert lines[0] == "Darwin" and re.fullmatch(r"\d+\.\d+\.\d+", lines[1]) and lines[2] == "arm64"
    sw_vers = "\n".join(lines[3:6]) + "\n"
    # the layout of a real capture (test_darwin_parsers.py): `Key:<tabs>value`, two tabs after these keys
    assert re.fullmatch(r"ProductName:\t\tmacOS\nProductVersion:\t\t[\d.]+\nBuildVersion:\t\t\w+\n", sw_vers)
    assert lines[6:] == ["/bin/zsh", "private/tmp"]
    py = as_owner(twin, "python3 -c 'print(1)'")
    assert (py.returncode, py.stdout) == (1, "") and py.stderr.startswith("xcode-select: note: No developer tools")
    for name in ("python", "python3.11", "timeout", "systemctl", "ss"):
        assert as_owner(twin, f"command -v {name}").returncode != 0, f"{name} is on the SSH user's PATH"
    assert as_owner(twin, "command -v shasum").stdout.strip(), "shasum is on the PATH"


# --- the MLX servers -----------------------------------------------------------------------------------

def get_json(port: int, path: str):
    url = f"http://{topo.HOSTS[HOST].address}:{port}{path}"
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=5) as r:
        return r.status, r.headers, json.loads(r.read())


@pytest.mark.parametrize("route", app_data.mlx_routes(), ids=lambda r: f"{r.name}:{r.port}")
def test_mlx_server_health_and_models_as_mlx_openai_server_1_8_1(twin, route):
    status, headers, body = get_json(route.port, "/health")
    assert (status, body) == (200, {"status": "ok", "model_id": route.upstream, "model_status": "initialized"})
    assert headers["server"] == "uvicorn" and headers["content-type"] == "application/json"
    assert float(headers["x-process-time"]) >= 0
    status, _, body = get_json(route.port, "/v1/models")
    assert status == 200 and body["object"] == "list" and len(body["data"]) == 1
    model = body["data"][0]
    assert list(model) == ["id", "object", "created", "owned_by", "metadata"]
    assert (model["id"], model["object"], model["owned_by"], model["metadata"]) == (route.upstream, "model", "local", None)
    log = as_root(twin, f"cat /private/tmp/mlx-{route.port}.log").stdout
    assert f"| INFO | Starting server on 0.0.0.0:{route.port}\n" in log
    assert f"| INFO | Initializing MLX handler with model path: {route.upstream}\n" in log


def post_chat(port: int, payload: dict):
    request = urllib.request.Request(f"http://{topo.HOSTS[HOST].address}:{port}/v1/chat/completions",
                                     data=json.dumps(payload).encode(), headers={"content-type": "application/json"})
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_mlx_server_chat_and_its_twin_only_controls(twin):
    """A chat answered as 1.8.1 answers it, recorded in the server's own record; a planted fault bites."""
    route = app_data.mlx_routes()[-1]
    chat = {"model": route.upstream, "messages": [{"role": "user", "content": "hello studio"}], "max_tokens": 4}
    status, body = post_chat(route.port, chat)
    assert status == 200 and re.fullmatch(r"chatcmpl_[0-9a-f]{32}", body["id"]) and body["model"] == route.upstream
    assert body["usage"]["completion_tokens"] == 4 and body["choices"][0]["finish_reason"] == "stop"
    lines = as_root(twin, f"cat {studio.request_record(route.port)}").stdout.splitlines()
    record = next(json.loads(line) for line in lines if body["id"] in line)
    assert (record["port"], record["status"], record["completion_tokens"]) == (route.port, 200, 4)
    as_root(twin, f"echo reject-key > {studio.fault_file(route.port)}")
    try:
        status, body = post_chat(route.port, chat)
        assert (status, body["error"]["code"]) == (401, "invalid_api_key")
        assert get_json(route.port, "/health")[0] == 200, "/health stays up under reject-key"
    finally:
        as_root(twin, f"rm -f {studio.fault_file(route.port)}")
    assert post_chat(route.port, chat)[0] == 200


# --- launchd's supervision (what fault records drive) ----------------------------------------------------

def write_test_plist(twin, **keys) -> None:
    logs = {"StandardOutPath": f"/tmp/{TEST_LABEL}.log", "StandardErrorPath": f"/tmp/{TEST_LABEL}.log"}
    data = plistlib.dumps({"Label": TEST_LABEL, **logs, **keys}).decode()
    as_root(twin, f"printf %s {shlex.quote(data)} > {TEST_PLIST} && chmod 644 {TEST_PLIST} "
                  "&& systemctl reload launchd.service")


def wait_for(fn, timeout=15.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        result = fn()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


@pytest.fixture
def test_job(twin):
    yield
    as_root(twin, f"rm -f {TEST_PLIST} /tmp/{TEST_LABEL}.log; systemctl reload launchd.service")
    assert wait_for(lambda: launchctl_print(twin, TEST_LABEL)[1] is None), "the test job was not unloaded"


TEST_LOGS = {"StandardOutPath": f"/tmp/{TEST_LABEL}.log", "StandardErrorPath": f"/tmp/{TEST_LABEL}.log"}


def test_a_job_that_exits_is_not_running_with_its_exit_code(twin, test_job):
    write_test_plist(twin, ProgramArguments=["/bin/sh", "-c", "exit 0"], RunAtLoad=True)
    job = wait_for(lambda: (j := launchctl_print(twin, TEST_LABEL)[1]) and j.last_exit_text == "0" and j)
    cp, _ = launchctl_print(twin, TEST_LABEL)
    assert_same_shape(cp.stdout, "system-exited-wazuh-agent-cut.txt", TEST_LABEL, TEST_LOGS)
    assert_same_shape(cp.stdout, "gui-exited-sync-legacy-macos27.txt", TEST_LABEL, TEST_LOGS)
    assert (job.state, job.pid, job.runs, job.last_exit_code) == ("not running", None, 1, 0)
    assert "keepalive" not in job.properties and "\tresource coalition = {" in cp.stdout


def test_a_job_that_never_ran_has_no_coalition(twin, test_job):
    write_test_plist(twin, ProgramArguments=["/bin/sleep", "600"])  # neither RunAtLoad nor KeepAlive
    job = wait_for(lambda: launchctl_print(twin, TEST_LABEL)[1])
    cp, _ = launchctl_print(twin, TEST_LABEL)
    assert_same_shape(cp.stdout, "system-never-run-halite-macos15.txt", TEST_LABEL, TEST_LOGS)
    assert (job.state, job.runs, job.last_exit_text) == ("not running", 0, "(never exited)")
    assert "coalition" not in cp.stdout


def test_a_program_that_does_not_exist_is_launchds_ex_config(twin, test_job):
    write_test_plist(twin, ProgramArguments=["/opt/mlx-launch/bin/missing.sh"], RunAtLoad=True)
    job = wait_for(lambda: (j := launchctl_print(twin, TEST_LABEL)[1]) and j.runs and j)
    cp, _ = launchctl_print(twin, TEST_LABEL)
    assert_same_shape(cp.stdout, "gui-spawn-scheduled-ex-config-billet-macos26.txt", TEST_LABEL, TEST_LOGS)
    assert (job.state, job.job_state, job.last_exit_code, job.last_exit_text) == (
        "not running", None, 78, "78: EX_CONFIG")


def test_a_program_that_cannot_execute_is_an_exec_failure_waiting_to_respawn(twin, test_job):
    as_root(twin, f"printf '#!/bin/sh\\nexit 0\\n' > /tmp/{TEST_LABEL}.sh && chmod 644 /tmp/{TEST_LABEL}.sh")
    try:
        write_test_plist(twin, ProgramArguments=[f"/tmp/{TEST_LABEL}.sh"], KeepAlive=True, ThrottleInterval=1)
        job = wait_for(lambda: (j := launchctl_print(twin, TEST_LABEL)[1]) and j.runs >= 2 and j)
        cp, _ = launchctl_print(twin, TEST_LABEL)
    finally:
        as_root(twin, f"rm -f /tmp/{TEST_LABEL}.sh")
    assert_same_shape(cp.stdout, "system-exit-reason-jetsam-trimmed.txt", TEST_LABEL, TEST_LOGS)
    assert (job.state, job.last_exit_reason, job.last_exit_text, job.pid) == (
        "spawn scheduled", "OS_REASON_EXEC", None, None)
    assert "last exit code" not in cp.stdout


def test_a_program_that_fails_code_signing_waits_to_respawn_with_no_exit_code(twin, test_job):
    """Twin only: a program listed in /var/lib/launchd-twin/unsigned fails code signing (launchd.py)."""
    as_root(twin, "mkdir -p /var/lib/launchd-twin && echo /bin/sleep > /var/lib/launchd-twin/unsigned")
    try:
        write_test_plist(twin, ProgramArguments=["/bin/sleep", "600"], KeepAlive=True, ThrottleInterval=1)
        job = wait_for(lambda: (j := launchctl_print(twin, TEST_LABEL)[1]) and j.runs >= 2 and j)
        cp, _ = launchctl_print(twin, TEST_LABEL)
    finally:
        as_root(twin, "rm -f /var/lib/launchd-twin/unsigned")
    assert_same_shape(cp.stdout, "gui-spawn-scheduled-codesigning-triggerd-trimmed.txt", TEST_LABEL, TEST_LOGS)
    assert (job.state, job.last_exit_reason, job.last_exit_text, job.pid) == (
        "spawn scheduled", "OS_REASON_CODESIGNING", None, None)


def test_keepalive_restarts_a_crashing_job_after_its_throttle_interval(twin, test_job):
    write_test_plist(twin, ProgramArguments=["/bin/sh", "-c", "exit 3"], KeepAlive=True, ThrottleInterval=1)
    job = wait_for(lambda: (j := launchctl_print(twin, TEST_LABEL)[1]) and j.runs >= 3 and j)
    assert job, "KeepAlive should have started it three times in ~2 s"
    assert job.last_exit_code == 3 and job.state in ("spawn scheduled", "running", "not running")
    assert "keepalive" in job.properties and "runatload" not in job.properties


def test_a_job_killed_by_a_signal_shows_the_signal(twin, test_job):
    write_test_plist(twin, ProgramArguments=["/bin/sleep", "600"], RunAtLoad=True)
    job = wait_for(lambda: (j := launchctl_print(twin, TEST_LABEL)[1]) and j.pid and j)
    as_root(twin, f"kill -KILL {job.pid}")
    job = wait_for(lambda: (j := launchctl_print(twin, TEST_LABEL)[1]) and j.pid is None and j)
    assert (job.last_terminating_signal, job.last_exit_code) == ("Killed: 9", None)


def listening_ports(twin) -> set[int]:
    return {s.port for s in sockets.parse_ss(as_root(twin, "ss -ltnH").stdout)} & set(PORTS)


def test_unloading_the_job_stops_every_server_and_loading_it_starts_them(twin):
    """The twin's `launchctl bootout`: the plist moved away, launchd HUPed. And back."""
    as_root(twin, f"mv {studio.PLIST} /root/mlx-launch.plist && systemctl reload launchd.service")
    try:
        assert wait_for(lambda: launchctl_print(twin)[1] is None), "still loaded after the plist left"
        assert wait_for(lambda: not listening_ports(twin)), "MLX servers still listening after the unload"
    finally:
        as_root(twin, f"mv /root/mlx-launch.plist {studio.PLIST} && systemctl reload launchd.service")
    job = wait_for(lambda: (j := launchctl_print(twin)[1]) and j.state == "running" and j)
    assert job.runs == 1, "a fresh load starts counting again"
    assert wait_for(lambda: listening_ports(twin) == set(PORTS)), "the servers did not come back"


def test_a_killed_mlx_server_stays_down_until_the_job_restarts(twin):
    """launchd supervises the launch script, not each server: a dead server leaves its port down."""
    before = launchctl_print(twin)[1]
    server = as_root(twin, "ss -ltnpH 'sport = :8109'").stdout
    pid = re.search(r"pid=(\d+)", server)[1]
    as_root(twin, f"kill {pid}")
    assert wait_for(lambda: 8109 not in listening_ports(twin))
    time.sleep(0.5)
    after = launchctl_print(twin)[1]
    assert (after.state, after.pid, after.runs) == ("running", before.pid, before.runs)
    # the revert a fault record uses: restart launchd, which stops the job and loads it afresh (as at boot)
    as_root(twin, "systemctl restart launchd.service")
    job = wait_for(lambda: (j := launchctl_print(twin)[1]) and j.state == "running" and j)
    assert (job.runs, job.last_exit_text) == (1, "(never exited)"), job
    assert wait_for(lambda: listening_ports(twin) == set(PORTS)), "the servers did not come back"
