"""Discovery on the twin's founding edition: clean twice, deaf to planted noise, a removed service proposed back
(and the suite green on the patched inventory), read-only, and no secret in any artifact.

Discovery runs inside mini as the owner (`python -m lab discover`), as a person would run it. The twin also boots its
fourth host `orin`, which the founding inventory does not document and the owner's ssh config names: an ignore file
(made here, dated) accepts it, so "clean" means the founding inventory's own hosts.
"""
from __future__ import annotations

import json
import re
import shlex
import subprocess
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import yaml

from conformance.runner.allowlist import check_read_only
from lab import api, ssh, topology as topo
from selftest.artifacts import run_files
from selftest.twin.conftest import ROOT, TWIN_SUITE_ARGS, SuiteRun
from selftest.twin.test_trust import CANARIES, PLANT_SECRETS, REVERT_SECRETS, as_root

REPORTS = ROOT / "reports"
IN_TWIN = Path(topo.CHECKOUT_IN_TWIN)


class Discovery:
    def __init__(self, status: int, output: str, seconds: float, run_dir: Path) -> None:
        self.status, self.output, self.seconds, self.run_dir = status, output, seconds, run_dir
        self.data = json.loads((run_dir / "discovery.json").read_text())
        self.proposed = yaml.safe_load((run_dir / "discovered.yaml").read_text())["proposed"]
        self.patch = (run_dir / "inventory.patch").read_text()
        self.commands = json.loads((run_dir / "commands.json").read_text())

    def first_read(self, host: str, program: str) -> str:
        """What the host answered `program` in discovery's first read (its recording)."""
        import gzip
        recording = json.loads(gzip.decompress((self.run_dir / "recording.json.gz").read_bytes()))
        trip = recording["hosts"][host]["round_trips"][0]
        return "\n".join(a[1] for argv, a in zip(trip["argvs"], trip["answers"]) if argv[0] == program)


def discover(*args: str, env: dict[str, str] | None = None, ignore_orin: bool = True) -> Discovery:
    api.prepare_reports()
    extra = []
    if ignore_orin:
        path = REPORTS / "discover-ignore-twin.yaml"
        path.write_text(yaml.safe_dump({"ignores": [{
            "match": "host:orin", "reason": "the twin's fourth host, documented in examples/inventory-orin.yaml",
            "expires": date.today() + timedelta(days=7)}]}))
        path.chmod(0o644)
        extra = ["--ignore", str(IN_TWIN / "reports" / path.name)]
    before = {p.name for p in REPORTS.iterdir()}
    started = time.monotonic()
    p = subprocess.run(ssh.argv("mini", api.discover_command([*extra, *args], env), user=topo.OWNER),
                       capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    new = sorted(n for n in {p.name for p in REPORTS.iterdir()} - before if n[:1].isdigit())
    assert new, f"discovery left no run directory:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}"
    return Discovery(p.returncode, p.stdout + p.stderr, seconds, REPORTS / new[-1])


def applied(inventory_text: str, patch: str) -> str:
    """The inventory with the patch applied: `git apply --check`, then `git apply`, on a copy named as the patch names
    it, outside any git checkout (there git apply patches the file the patch names)."""
    with tempfile.TemporaryDirectory() as tmp:
        name = patch.splitlines()[0].removeprefix("--- a/")
        (Path(tmp) / name).write_text(inventory_text)
        (Path(tmp) / "p.patch").write_text(patch)
        for argv in (["git", "apply", "--check", "p.patch"], ["git", "apply", "p.patch"]):
            done = subprocess.run(argv, cwd=tmp, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
        return (Path(tmp) / name).read_text()


def _state() -> dict:
    """What a write or a restart would change: each documented service's main PID and restarts, the listeners, the
    unit files' and env files' hashes."""
    units = ["litellm-orch.service", "open-webui.service", "ollama.service"]
    shown = api.exec_in("mini", ["systemctl", "show", "-p", "Id,MainPID,NRestarts", *units], check=True).stdout
    user = api.exec_in("mini", ["systemctl", "--user", "show", "-p", "MainPID,NRestarts", "ov-server.service"],
                       user=topo.OWNER, check=True).stdout
    listeners = api.exec_in("mini", ["ss", "-ltnH"], check=True).stdout
    files = api.exec_in("mini", ["sh", "-c", "sha256sum /etc/systemd/system/*.service /etc/open-webui/env "
                                             f"/home/{topo.OWNER}/litellm-orch/config/*"], check=True).stdout
    return {"units": shown, "user": user, "listeners": sorted(listeners.splitlines()), "files": files}


def test_the_clean_founding_edition_is_clean_twice_and_read_only(twin):
    before = _state()
    runs = [discover(), discover()]
    assert _state() == before  # read-only: no restart, no new listener, no file changed
    for run in runs:
        assert run.status == 0, run.output[-3000:]
        assert run.patch == "" and run.proposed == [] and run.data["review"] == []
        assert run.data["counts"]["documented but absent"] == 0 and run.data["counts"]["documented and seen"] >= 11
        for command in run.commands:  # every command an exact allowlisted shape
            check_read_only(shlex.split(command["command"]))
        assert {h: b["round_trips"] for h, b in run.data["bench"].items()} == {"mini": 2, "studio": 2, "dietpi": 2}
    for line in runs[-1].output.splitlines():
        if line.startswith("  ") and "round trips" in line:
            print(f"\nbenchmark (founding twin, from mini as the owner): {line.strip()}", end="")
    print(f"\nbenchmark: whole discovery {runs[0].seconds:.1f} s and {runs[1].seconds:.1f} s wall (ssh login included)")


NOISE = {  # planted as root by the test, never by discovery
    "transient": "systemd-run --unit=discover-noise-transient /bin/sleep 600",
    "ephemeral": "python3 -m http.server --bind 127.0.0.1 45678 >/dev/null 2>&1 </dev/null & echo $!",
    "short-lived": "timeout 4 python3 -m http.server --bind 127.0.0.1 7777 >/dev/null 2>&1 </dev/null & echo $!",
}


def test_planted_noise_is_never_proposed(twin):
    pids = []
    try:
        as_root(NOISE["transient"])
        for what in ("ephemeral", "short-lived"):
            pids.append(api.exec_in("mini", ["sh", "-c", NOISE[what]], check=True).stdout.strip())
        time.sleep(0.5)  # both listening before discovery's first read
        run = discover()
    finally:
        api.exec_in("mini", ["systemctl", "stop", "discover-noise-transient.service"])
        for pid in pids:
            api.exec_in("mini", ["kill", pid])
    # the noise was there to be seen: the first read saw all three
    assert "discover-noise-transient.service" in run.first_read("mini", "systemctl")
    assert "127.0.0.1:45678" in run.first_read("mini", "ss")
    assert "127.0.0.1:7777" in run.first_read("mini", "ss"), "the short-lived listener ended before the first read"
    assert run.status == 0, run.output[-3000:]
    assert run.proposed == [] and run.patch == ""


def test_a_removed_service_is_proposed_back_and_the_suite_passes_its_checks_on_the_patched_inventory(twin, tmp_path):
    text = (ROOT / "inventory.yaml").read_text()
    start, end = text.index("  - id: ollama\n"), text.index("  - id: home-assistant\n")
    without = REPORTS / "inventory-without-ollama.yaml"
    without.write_text(text[:start] + text[end:])
    without.chmod(0o644)
    run = discover("--inventory", str(IN_TWIN / "reports" / without.name))
    assert run.status == 1, run.output[-3000:]
    assert [(p["section"], p["entry"]["id"]) for p in run.proposed] == [("services", "ollama")]
    assert not re.search(r"^-(?!--)", run.patch, re.M)  # the patch only inserts
    patched = REPORTS / "inventory-patched.yaml"
    patched.write_text(applied(without.read_text(), run.patch))
    patched.chmod(0o644)
    latest = REPORTS / "latest"
    previous = latest.resolve() if latest.exists() else None
    try:
        status = twin.run_suite(["-m", "local", *TWIN_SUITE_ARGS, "-k", "ollama",
                                 f"--inventory={IN_TWIN / 'reports' / patched.name}"])
    finally:
        without.unlink()
        patched.unlink()
    suite = SuiteRun(status, latest.resolve())
    assert suite.run_dir != previous
    ollama = {c["id"]: c["status"] for c in suite.checks if c["id"].startswith("ollama::")}
    assert ollama and set(ollama.values()) == {"passed"}, ollama
    assert status == 0, suite.explain(suite.not_passed)
    print(f"\npatched inventory: the suite's {len(ollama)} checks of ollama pass: {sorted(ollama)}")


def test_no_secret_value_reaches_any_discovery_artifact(twin):
    as_root(PLANT_SECRETS)
    try:
        leaky = discover(env={"CONFORMANCE_SELFTEST_LEAK_SECRETS": "1"})
        redacted = discover()
    finally:
        as_root(REVERT_SECRETS)

    def found(run: Discovery) -> dict[str, set[str]]:
        texts = {**run_files(run.run_dir), "terminal": run.output}
        return {name: {c for c in CANARIES if c in text} for name, text in texts.items()}

    seen = set().union(*found(leaky).values())
    # the search works: without redaction, the canaries discovery reads (the unit's flags, the env files) show
    assert {"CANARY-EXEC-APIKEY-01", "CANARY-PASS-06", "CANARY-PG-09"} <= seen, seen
    assert found(leaky)["recording.json.gz"] and found(leaky)["commands.json"]
    leaked = {name: sorted(c) for name, c in found(redacted).items() if c}
    assert not leaked, f"secrets reached discovery's artifacts: {leaked}"
    print(f"\ncanaries found without redaction: {len(seen)} of {len(CANARIES)} ({sorted(seen)}); with it: none")
