"""`python -m lab bench` (make bench): the Studio's facts gathered the suite's way and the idiomatic testinfra way.

Both run inside mini as the owner, over SSH to the twin's studio, connect time included: the suite's
MacFacts (one batched round trip over OpenSSH), and the same facts listed 1:1 with testinfra's default
paramiko backend (`paramiko://studio`, one connection, one host.run / host.file per fact). Round trips are
counted on the studio (every session its sshd starts for the owner runs his login shell, which notes it),
not self-reported. Printed, never asserted.
"""
from __future__ import annotations

import re
import shlex
import subprocess
import sys

from . import api, ssh, topology as topo

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
    return 0


if __name__ == "__main__":
    sys.exit(main())
