"""`python -m lab.bench scale` (make bench-scale): does a run stay flat as hosts are added? Printed, never asserted.

The twin boots N copies of the fourth host's small kind (lab/topology.py `copies(n)`: small-1 ... small-N, each a
`one_service` host: one systemd service, one listener; nothing else of the twin), and the suite checks 1, 4 and 16
of them: an inventory of that many hosts, each as examples/inventory-orin.yaml documents the Orin (written to a
scratch directory, with its site file; marker `small`), `pytest -m small` from the outer machine over SSH
(`--ssh-config` = the twin's client config, as lab/README.md's outside runs), no report written. The sizes take
turns, a warm-up each, then the median of REPEAT. Beside it, where the time goes: the floor, the same command with
--collect-only (interpreter, plugins, inventory and collection; no host contacted), and the same run replayed from
its own recording (`--replay`: every check judged again, every answer from the recording, no ssh), so the hosts'
share (ssh sessions and round trips) is the live run minus the replay. The goal (issue 17): 16 hosts within 1.5x
of one.
"""
from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import yaml

from . import api, cgroups, paths, topology as topo

SIZES = (1, 4, 16)
REPEAT = 3
MARKER = "small"


def inventory(n: int) -> dict:
    """n small hosts, each documented as examples/inventory-orin.yaml documents the Orin (and the Mini a run
    stands on, as there)."""
    base = yaml.safe_load((paths.ROOT / "examples" / "inventory-orin.yaml").read_text())
    mini = next(h for h in base["hosts"] if h["id"] == "mini")
    orin = next(h for h in base["hosts"] if h["id"] == "orin")
    service = next(s for s in base["services"] if s["host"] == "orin")
    hosts, services = [mini], []
    for spec in topo.copies(n):
        hosts.append({**orin, "id": spec.name, "address": spec.stands_for, "ssh_alias": spec.name, "marker": MARKER,
                      "why": f"scale benchmark: copy {spec.name} of the Orin example (examples/inventory-orin.yaml)"})
        services.append({**service, "id": f"{service['id']}-{spec.name}", "host": spec.name})
    return {"version": 1, "hosts": hosts, "services": services}


def site(n: int) -> dict:
    return {"site": "twin", "description": f"the digital twin's {n} copies of the small host (lab/scale.py)",
            "hosts": {spec.name: {"address": spec.address, "ssh_alias": spec.name} for spec in topo.copies(n)}}


def _command(n: int, scratch: Path, collect_only: bool = False) -> list[str]:
    inv, st = scratch / f"inventory-{n}.yaml", scratch / f"site-{n}.yaml"
    inv.write_text(yaml.safe_dump(inventory(n), sort_keys=False))
    st.write_text(yaml.safe_dump(site(n), sort_keys=False))
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", MARKER, "--no-report",
            f"--inventory={inv}", f"--site={st}", f"--ssh-config={paths.ssh_config()}",
            *(["--collect-only"] if collect_only else [])]


CPU: list[float] = []  # CPU seconds of the last timed run: [pytest and its ssh clients, the twin hosts (None: unknown)]
HOSTS_UP: list[str] = []  # the copies booted (their cgroups are read)


def _hosts_cpu() -> float | None:
    """CPU seconds used so far by the booted copies (their sshd, logins, commands): usage_usec of each host's
    cgroup (lab/cgroups.py; cgroup v2's cpu.stat counts its descendants), None where the twin made no cgroups."""
    total, found = 0, False
    for name in HOSTS_UP:
        for d in cgroups.dirs(name):
            try:
                stat = dict(line.split() for line in (d / "cpu.stat").read_text().splitlines())
            except OSError:
                continue
            total, found = total + int(stat["usage_usec"]), True
    return total / 1e6 if found else None


def _timed(argv: list[str]) -> tuple[float, str, int]:
    before, hosts_before = resource.getrusage(resource.RUSAGE_CHILDREN), _hosts_cpu()
    started = time.monotonic()
    p = subprocess.run(argv, cwd=paths.ROOT, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    after, hosts_after = resource.getrusage(resource.RUSAGE_CHILDREN), _hosts_cpu()
    CPU[:] = [after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
              None if hosts_before is None or hosts_after is None else hosts_after - hosts_before]
    lines = [ln for ln in p.stdout.splitlines() if ln.strip()]
    summary = re.sub(r"\s+in [\d.]+s.*$", "", lines[-1].strip("= ")) if lines else "(no output)"
    return seconds, summary, p.returncode


def measure(sizes=SIZES, repeat: int = REPEAT) -> dict[int, dict]:
    """Wall seconds of `pytest -m small` over each size (the twin up with max(sizes) copies)."""
    found: dict[int, dict] = {n: {"run": [], "floor": [], "replay": [], "cpu": [], "hosts_cpu": []} for n in sizes}
    with tempfile.TemporaryDirectory(prefix="llmlab-scale-") as scratch:
        commands = {n: (_command(n, Path(scratch)), _command(n, Path(scratch), collect_only=True)) for n in sizes}
        replays = {}
        for n in sizes:  # one recorded run each, to replay
            reports = Path(scratch) / f"reports-{n}"
            _timed([a for a in commands[n][0] if a != "--no-report"] + [f"--report-dir={reports}"])
            replays[n] = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-report",
                          f"--replay={reports / 'latest'}"]
        for turn in range(repeat + 1):  # turn 0: warm-up (bytecode, ssh host keys), not counted
            for n in sizes:
                run, floor = commands[n]
                seconds, summary, status = _timed(run)
                cpu, hosts_cpu = CPU
                floor_seconds, _, _ = _timed(floor)
                replay_seconds, replay_summary, _ = _timed(replays[n])
                if turn:
                    found[n]["run"].append(seconds)
                    found[n]["cpu"].append(cpu)
                    if hosts_cpu is not None:
                        found[n]["hosts_cpu"].append(hosts_cpu)
                    found[n]["floor"].append(floor_seconds)
                    found[n]["replay"].append(replay_seconds)
                found[n].update(summary=summary, exit=status, replay_summary=replay_summary)
    return found


def report(found: dict[int, dict]) -> None:
    one = min(found)
    base = median(found[one]["run"])
    print(f"scale: pytest -m {MARKER} from the outer machine over N copies of the small host "
          f"(median of {len(found[one]['run'])}, sizes taking turns):")
    for n, r in sorted(found.items()):
        run, floor, replay = median(r["run"]), median(r["floor"]), median(r["replay"])
        hosts_cpu = f"{median(r['hosts_cpu']):.2f} s" if r["hosts_cpu"] else "not measured"
        print(f"  {n:3d} host(s): {run:6.2f} s  ({run / base:.2f}x of {one}; {r['summary']}, exit {r['exit']}; CPU: "
              f"pytest and its ssh clients {median(r['cpu']):.2f} s, the twin hosts (sshd, logins, commands) "
              f"{hosts_cpu}, on {os.cpu_count()} cores)")
        print(f"  {'':12} where it goes: pytest and collection {floor:.2f} s (--collect-only); judging and reporting "
              f"the checks {max(replay - floor, 0):.2f} s (replayed, no ssh: {replay:.2f} s, {r['replay_summary']}); "
              f"the hosts' ssh sessions and round trips {max(run - replay, 0):.2f} s")
    most = max(found)
    if most != one:
        ratio = median(found[most]["run"]) / base
        per_host = (median(found[most]["run"]) - base) / (most - one)
        print(f"  -> {most} hosts take {ratio:.2f}x the time of {one} (goal: at most 1.5x); each added host costs "
              f"{per_host:.3f} s")


def main(argv: list[str]) -> int:
    sizes = tuple(int(a) for a in argv[0].split(",")) if argv else SIZES
    t0 = time.monotonic()
    timings = api.up(specs=topo.copies(max(sizes)))
    HOSTS_UP[:] = [spec.name for spec in topo.copies(max(sizes))]
    print(f"twin up with {max(sizes)} small hosts in {time.monotonic() - t0:.1f} s (twin_up {timings['twin_up']} s)")
    try:
        report(measure(sizes))
    finally:
        r = api.down()
        print(f"twin down in {r['seconds']} s" + (f"; LEFTOVERS {r['leftovers'] + r['errors']}"
                                                  if r["leftovers"] or r["errors"] else ""))
    return 0
