"""`python -m lab.bench` (make bench): what a person waits for, the suite's way and the idiomatic testinfra way.

Whole processes, timed inside the twin's mini as the owner (lab/timing.py), as a person runs them on the Mini:
`pytest -m local` and `pytest -m studio` (the run directory and its reports written, as every run does; and once
with --no-report, to show what the reports cost) against plain pytest on idiomatic testinfra tests of the same facts
(lab/idiom.py: one test per check of the suite, one host.service / host.file / host.run per fact;
`--hosts=local://` and testinfra's default SSH backend, `--hosts=paramiko://studio`), run from a scratch directory
with the same venv and its plugins. Both sides under the same conditions: the same user, the bytecode cached (as on
the real Mini after its first run; PYTHONPYCACHEPREFIX in mini's own /tmp, so the checkout is not written), one
warm-up run each, then the cases taking turns, median of 5; bare pytest with the same plugins and one empty test is
the floor. Round trips to the studio are counted on the studio (every session its sshd starts for the owner runs his
login shell, which notes it), not self-reported. Which modules a run imports: `python -X importtime`.

Then the guarded `host` fixture against raw testinfra per command, and the contract (`-m contract`) with every MLX
server answering after a fixed delay: its wall time against its slowest route's own requests (routes run
concurrently), and per route the p50 latency directly and through LiteLLM. Printed, never asserted.
"""
from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import time
from statistics import median

from conformance.report import load_run

from . import api, idiom, paths, ssh, topology as topo

SCRATCH = "/tmp/llmlab-bench"  # in mini's own /tmp: the idiomatic tests, the suite's run directories, the bytecode
PYTHON = f"{topo.TWIN_VENV}/bin/python"
PYTEST = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
SUITE = [*PYTEST, "--site", "lab/site-twin.yaml", "--baseline", "lab/baseline-twin.yaml", "--report-dir", f"{SCRATCH}/reports"]
SSH_CONFIG = f"{topo.OWNER_HOME}/.ssh/config"
REPEAT = 5
# Targets (whole process, twin), printed beside the measurement: how long the suite may take against testinfra.
TARGETS = {"local": 1.0, "studio": 0.5}


def _cases() -> list[dict]:
    checkout, scratch = topo.CHECKOUT_IN_TWIN, SCRATCH
    return [
        {"label": "bare", "argv": [*PYTEST, "test_empty.py"], "cwd": scratch},
        {"label": "suite local", "argv": [*SUITE, "-m", "local"], "cwd": checkout},
        {"label": "suite local no-report", "argv": [*SUITE, "-m", "local", "--no-report"], "cwd": checkout},
        {"label": "testinfra local", "argv": [*PYTEST, "--hosts=local://", "test_mini_idiom.py"], "cwd": scratch},
        {"label": "suite studio", "argv": [*SUITE, "-m", "studio"], "cwd": checkout},
        {"label": "suite studio no-report", "argv": [*SUITE, "-m", "studio", "--no-report"], "cwd": checkout},
        {"label": "testinfra studio", "argv": [*PYTEST, "--hosts=paramiko://studio", f"--ssh-config={SSH_CONFIG}",
                                               "test_studio_idiom.py"], "cwd": scratch},
    ]


def _prepare() -> None:
    """The idiomatic tests and an empty one, in mini's scratch directory, the owner's."""
    files = {"test_mini_idiom.py": idiom.module("mini"), "test_studio_idiom.py": idiom.module("studio"),
             "test_empty.py": "def test_nothing():\n    pass\n"}
    api.exec_in("mini", ["rm", "-rf", SCRATCH])
    for name, text in files.items():
        api.exec_in("mini", ["sh", "-c", f"mkdir -p {SCRATCH} && cat > {SCRATCH}/{name}"], user=topo.OWNER, input=text,
                    check=True)


def _timed(cases: list[dict], repeat: int) -> dict:
    spec = {"repeat": repeat, "env": {"PYTHONPYCACHEPREFIX": f"{SCRATCH}/pycache"}, "cases": cases}
    command = f"cd {topo.CHECKOUT_IN_TWIN} && {PYTHON} -m lab.timing {shlex.quote(json.dumps(spec))}"
    p = api.exec_in("mini", ["sh", "-c", command], user=topo.OWNER, timeout=1800)
    if p.returncode != 0:
        raise SystemExit(f"bench: timing in mini failed:\n{p.stdout}\n{p.stderr}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def _suite_round_trips(host: str) -> str:
    results = api.exec_in("mini", ["cat", f"{SCRATCH}/reports/latest/results.json"], user=topo.OWNER, check=True).stdout
    from conformance.report.model import host_stats
    from conformance.report.summary import round_trips_said
    return round_trips_said(host, host_stats(json.loads(results)["hosts"])[host])


def _studio_sessions(case: dict) -> int:
    """sshd sessions one run of the case started for the owner on studio."""
    before = _sessions_at_studio()
    _timed([case], repeat=0)
    return _sessions_at_studio() - before


IMPORTS = ("openai", "httpx2", "paramiko", "pydantic", "yaml", "testinfra", "pytest_html", "jinja2", "anyio")


def _imports(marker: str) -> str:
    """What a run of the marker imports, by the end of the run (cumulative import time of each module of IMPORTS,
    `python -X importtime`; -s, so what the tests import is seen too)."""
    argv = [PYTHON, "-X", "importtime", "-m", "pytest", "-s", "-q", "-p", "no:cacheprovider", "-m", marker,
            "--no-report", "--site", "lab/site-twin.yaml", "--baseline", "lab/baseline-twin.yaml"]
    p = api.exec_in("mini", ["sh", "-c", f"cd {topo.CHECKOUT_IN_TWIN} && PYTHONPYCACHEPREFIX={SCRATCH}/pycache "
                                          f"{shlex.join(argv)}"], user=topo.OWNER)
    lines = [(len(m[2]), m[3], int(m[1])) for m in re.finditer(r"import time:\s+\d+ \|\s+(\d+) \| ( *)(\S+)", p.stderr)]
    cumulative: dict[str, int] = {}
    for name in IMPORTS:  # a package's own lines at their shallowest depth (a plugin's may come in several pieces)
        own = [(depth, us) for depth, module, us in lines if module == name or module.startswith(name + ".")]
        if own:
            top = min(depth for depth, _ in own)
            cumulative[name] = sum(us for depth, us in own if depth == top)
    found = [f"{name} {cumulative[name] / 1000:.0f} ms" for name in IMPORTS if name in cumulative]
    missing = [name for name in IMPORTS if name not in cumulative]
    return f"imports {', '.join(found) or 'none of them'}; not imported: {', '.join(missing) or 'none'}"


def whole_process() -> None:
    _prepare()
    found = _timed(_cases(), REPEAT)
    best = {label: median(r["seconds"]) for label, r in found.items()}
    print(f"whole process, as a person waits for it (inside mini as the owner, bytecode cached, median of {REPEAT}, "
          "the cases taking turns):")
    print(f"  bare pytest, the same venv and plugins, one empty test:  {best['bare']:5.2f} s")
    for marker in ("local", "studio"):
        suite, idiomatic = best[f"suite {marker}"], best[f"testinfra {marker}"]
        print(f"  -m {marker:<7} the suite {suite:5.2f} s ({best[f'suite {marker} no-report']:.2f} s with --no-report; "
              f"{found[f'suite {marker}']['summary']}, exit {found[f'suite {marker}']['exit']})")
        print(f"  {'':10} idiomatic testinfra {idiomatic:5.2f} s ({found[f'testinfra {marker}']['summary']})")
        print(f"  {'':10} -> {suite / idiomatic:.2f}x the idiomatic testinfra time (target: at most {TARGETS[marker]:g}x); "
              f"{_imports(marker)}")
    cases = {c["label"]: c for c in _cases()}
    idiom_sessions = _studio_sessions(cases["testinfra studio"])
    suite_sessions = _studio_sessions(cases["suite studio"])
    studio = _suite_round_trips("studio")  # of the run just made
    _timed([cases["suite local"]], repeat=0)
    print(f"  round trips, the owner's examples included: -m local: {_suite_round_trips('mini')}; -m studio: {studio} "
          f"({suite_sessions} sshd session(s) on studio); idiomatic testinfra -m studio: {idiom_sessions} sshd "
          "session(s) on studio")


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


MLX_DELAY = 1.0  # seconds every MLX stand-in waits before answering a chat: the benchmark measures concurrency


def contract(runs: int = 3) -> None:
    """The contract run against its slowest route, with every MLX server answering after a fixed delay."""
    api.exec_in("studio", ["sh", "-c", f"mkdir -p /var/lib/mlx-twin && echo {MLX_DELAY} > /var/lib/mlx-twin/delay"],
                check=True)
    summaries, walls = [], []
    try:
        for _ in range(runs):
            started = time.monotonic()
            status = api.run_suite(["-m", "contract", "-q"])
            walls.append(time.monotonic() - started)
            results = load_run(paths.ROOT / "reports" / "latest", evidence=False, commands=False)
            if status != 0:
                print(f"  (a contract run exited {status}: see {results.path})")
            summaries.append(results.contract)
    finally:
        api.exec_in("studio", ["rm", "-f", "/var/lib/mlx-twin/delay"])
    print(f"contract (-m contract inside mini; MLX servers answer after {MLX_DELAY:g} s; median of {runs} runs):")
    contract_s = median(s.wall_seconds for s in summaries)
    slowest = median(max(r.route_seconds for r in s.routes) for s in summaries)
    print(f"  the contract's requests, all routes:  {contract_s:6.2f} s  (pytest with ssh login: {median(walls):.2f} s)")
    print(f"  its slowest route's own requests:     {slowest:6.2f} s  -> {contract_s / slowest:.2f}x (target: at most 1.5x)")
    print("  per route, p50 of a chat's total latency (non-streamed), direct -> through LiteLLM (overhead):")
    for name in [r.route for r in summaries[0].routes]:
        rows = [s.route(name) for s in summaries]
        direct = [r.direct.chat_seconds for r in rows if r.direct.chat_seconds is not None]
        proxy = [r.proxy.chat_seconds for r in rows if r.proxy.chat_seconds is not None]
        if direct and proxy:
            print(f"    {name:16} {median(direct) * 1000:7.1f} ms -> {median(proxy) * 1000:7.1f} ms "
                  f"({(median(proxy) - median(direct)) * 1000:+.1f} ms)")
        else:
            print(f"    {name:16} not measured (a failed route)")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["scale"]:  # N copies of the small host: does a run stay flat? (lab/scale.py)
        from . import scale
        return scale.main(argv[1:])
    if api.status().get("up") is False:
        api.up()
    whole_process()
    print("testinfra's idiom, per command (host.run), guarded `host` fixture vs raw testinfra, mean of 20 after the first "
          "(one command, not a whole process):")
    for where, label in (("local", "locally in mini"), ("ssh", "over SSH to studio")):
        guarded, raw = overhead(where)
        print(f"  {label:22s} guarded {guarded * 1000:6.1f} ms  raw {raw * 1000:6.1f} ms  "
              f"overhead {100 * (guarded - raw) / raw:+.0f}% (target over SSH: under 10%)")
    contract()
    return 0


if __name__ == "__main__":
    sys.exit(main())
