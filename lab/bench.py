"""`python -m lab bench` (make bench): the Studio's facts gathered the suite's way and the idiomatic testinfra way.

Both run inside mini as the owner, over SSH to the twin's studio, connect time included: the suite's
MacFacts (one batched round trip over OpenSSH), and the same facts listed 1:1 with testinfra's default
paramiko backend (`paramiko://studio`, one connection, one host.run / host.file per fact). Round trips are
counted on the studio (every session its sshd starts for the owner runs his login shell, which notes it),
not self-reported. Then the contract (`-m contract`) with every MLX server answering after a fixed delay:
its wall time against its slowest route's own requests (routes run concurrently), and per route the p50
latency directly and through LiteLLM. Printed, never asserted.
"""
from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import time

from . import api, paths, ssh, topology as topo

MEASURE = r'''
import json, sys, time
sys.path.insert(0, ".")
from conformance.inventory import load_inventory, load_site
from conformance.session import SuiteSession
from conformance.site import SiteView

inventory = load_inventory("inventory.yaml")
site = SiteView(inventory, load_site("lab/site-twin.yaml", inventory))
which = sys.argv[1]
started = time.monotonic()
if which == "suite":
    session = SuiteSession(inventory, site, "mini")
    facts = session.facts("studio")
    facts.system(); facts.listeners()
    n = session.runners["studio"].batches
    session.close()
else:
    import warnings; warnings.simplefilter("ignore")
    import testinfra
    job = inventory.launchd[0]
    host = testinfra.get_host("paramiko://studio", ssh_config="/home/christopherbailey/.ssh/config")
    host.backend.get_encoding = lambda: "utf-8"  # not a fact: testinfra would probe with python3, absent on a Mac
    host.run("uname -s"); host.run("sw_vers"); host.run("id -un")
    host.run(f"launchctl print system/{job.label}"); host.run("netstat -an -p tcp")
    for path in [job.plist, job.runtime_dir, *job.log_paths().values()]:
        f = host.file(path); f.exists and (f.user, f.mode, f.size)
    host.run(f"base64 -i {job.plist}")
    n = None
print(json.dumps({"seconds": time.monotonic() - started, "batches": n}))
'''

# The guarded `host` fixture (testinfra's idiom through the suite's runner) against raw testinfra on the same
# host: per command, locally in mini and over SSH to studio (both OpenSSH with a ControlMaster).
OVERHEAD = r'''
import json, sys, time, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, ".")
import testinfra
from conformance.runner import LocalBackend, Runner, ssh_backend_for
from conformance.testinfra_host import guarded_host

N = 20
where = sys.argv[1]
if where == "local":
    guarded = guarded_host(Runner("mini", LocalBackend()))
    raw = testinfra.get_host("local://")
else:
    guarded = guarded_host(Runner("studio", ssh_backend_for("studio", "10.213.0.3", "studio")), "darwin")
    raw = testinfra.get_host("ssh://studio")
raw.backend.get_encoding = lambda: "utf-8"
def per_command(host):
    host.run("uname -s")  # the connection is made outside the timing, for both
    t = time.monotonic()
    for _ in range(N):
        host.run("uname -s")
    return (time.monotonic() - t) / N
print(json.dumps({"guarded": per_command(guarded), "raw": per_command(raw)}))
'''


def overhead(where: str) -> tuple[float, float]:
    command = f"cd {topo.CHECKOUT_IN_TWIN} && .venv/bin/python -c {shlex.quote(OVERHEAD)} {where}"
    p = subprocess.run(ssh.argv("mini", command, user=topo.OWNER), capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise SystemExit(f"bench overhead {where} failed:\n{p.stdout}\n{p.stderr}")
    found = json.loads(p.stdout.strip().splitlines()[-1])
    return found["guarded"], found["raw"]


SESSIONS = f"/Users/{topo.OWNER}/.twin-ssh-sessions"  # one line per session sshd started for the owner


def _sessions_at_studio() -> int:
    """Sessions sshd started for the owner on studio (each runs his login shell, whose .zshenv notes it)."""
    out = api.exec_in("studio", ["sh", "-c", f"cat {SESSIONS} 2>/dev/null || true"], check=True).stdout
    return len(out.splitlines())


def measure(which: str, repeat: int = 3) -> tuple[float, int]:
    best, trips = float("inf"), 0
    for _ in range(repeat):
        before = _sessions_at_studio()
        command = f"cd {topo.CHECKOUT_IN_TWIN} && .venv/bin/python -c {shlex.quote(MEASURE)} {which}"
        p = subprocess.run(ssh.argv("mini", command, user=topo.OWNER), capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise SystemExit(f"bench {which} failed:\n{p.stdout}\n{p.stderr}")
        seconds = float(re.search(r'"seconds": ([0-9.]+)', p.stdout).group(1))
        best, trips = min(best, seconds), _sessions_at_studio() - before
    return best, trips


MLX_DELAY = 1.0  # seconds every MLX stand-in waits before answering a chat: the benchmark measures concurrency


def contract(runs: int = 3) -> None:
    """The contract run against its slowest route, with every MLX server answering after a fixed delay."""
    from statistics import median
    api.exec_in("studio", ["sh", "-c", f"mkdir -p /var/lib/mlx-twin && echo {MLX_DELAY} > /var/lib/mlx-twin/delay"],
                check=True)
    summaries, walls = [], []
    try:
        for _ in range(runs):
            started = time.monotonic()
            status = api.run_suite(["-m", "contract", "-q"])
            walls.append(time.monotonic() - started)
            results = json.loads((paths.ROOT / "reports" / "latest" / "results.json").read_text())
            if status != 0:
                print(f"  (a contract run exited {status}: see {(paths.ROOT / 'reports' / 'latest').resolve()})")
            summaries.append(results["contract"])
    finally:
        api.exec_in("studio", ["rm", "-f", "/var/lib/mlx-twin/delay"])
    print(f"contract (-m contract inside mini; MLX servers answer after {MLX_DELAY:g} s; median of {runs} runs):")
    contract_s = median(s["wall_seconds"] for s in summaries)
    slowest = median(max(r["route_seconds"] for r in s["routes"]) for s in summaries)
    print(f"  the contract's requests, all routes:  {contract_s:6.2f} s  (pytest with ssh login: {median(walls):.2f} s)")
    print(f"  its slowest route's own requests:     {slowest:6.2f} s  -> {contract_s / slowest:.2f}x (target: at most 1.5x)")
    print("  per route, p50 of a chat's total latency (non-streamed), direct -> through LiteLLM (overhead):")
    for name in [r["route"] for r in summaries[0]["routes"]]:
        rows = [next(r for r in s["routes"] if r["route"] == name) for s in summaries]
        direct = [r["direct"]["chat_seconds"] for r in rows if r["direct"]["chat_seconds"] is not None]
        proxy = [r["proxy"]["chat_seconds"] for r in rows if r["proxy"]["chat_seconds"] is not None]
        if direct and proxy:
            print(f"    {name:16} {median(direct) * 1000:7.1f} ms -> {median(proxy) * 1000:7.1f} ms "
                  f"({(median(proxy) - median(direct)) * 1000:+.1f} ms)")
        else:
            print(f"    {name:16} not measured (a failed route)")


def main() -> int:
    if api.status().get("up") is False:
        api.up()
    suite_s, suite_trips = measure("suite")
    idiom_s, idiom_trips = measure("testinfra")
    print("studio facts, connect included, best of 3, round trips = sessions the studio's sshd started:")
    print(f"  the suite (OpenSSH, one batch):          {suite_s * 1000:7.0f} ms  {suite_trips:3d} round trip(s)")
    print(f"  idiomatic testinfra (paramiko, 1:1):      {idiom_s * 1000:7.0f} ms  {idiom_trips:3d} round trip(s)")
    print(f"  ratio: {idiom_s / suite_s:.1f}x less wall time, {idiom_trips / max(suite_trips, 1):.0f}x fewer round trips "
          f"(targets: at most 2 round trips, at least 5x less wall time)")
    print("testinfra's idiom, per command (host.run), guarded `host` fixture vs raw testinfra, mean of 20 after the first:")
    for where, label in (("local", "locally in mini"), ("ssh", "over SSH to studio")):
        guarded, raw = overhead(where)
        print(f"  {label:22s} guarded {guarded * 1000:6.1f} ms  raw {raw * 1000:6.1f} ms  "
              f"overhead {100 * (guarded - raw) / raw:+.0f}% (target over SSH: under 10%)")
    contract()
    return 0


if __name__ == "__main__":
    sys.exit(main())
