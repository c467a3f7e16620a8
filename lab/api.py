"""Python API of the twin, for selftests and the fault catalog.

    from lab import api
    api.up()
    api.exec_in("mini", ["systemctl", "is-active", "ollama.service"])
    api.restart_units("mini", system_units=["litellm-orch.service"], user_units=["ov-server.service"])
    api.run_suite(["-m", "local"])
    api.down()
"""
import os
import shlex
import subprocess
import time

from . import boot, edition as editions, hosts, paths, ssh, status as _status, teardown, topology as topo
from .proc import LabError
from .state import read_state, require_up
from .wait import http_status, until

up = boot.up
down = teardown.down
status = _status.status

SUITE_COMMAND = ("cd {checkout} && PYTHONDONTWRITEBYTECODE=1 .venv/bin/python -m pytest -p no:cacheprovider "
                 "{edition_args} {args}")
DEFAULT_SUITE_ARGS = ["-m", "local or studio or dietpi or contract"]  # every host and the contract, from inside mini


def default_suite_args() -> list[str]:
    """Every host of the edition that is up, and the contract."""
    return ["-m", editions.suite().markers]


def edition_args() -> list[str]:
    """The inventory, site, baseline and waivers of the edition that is up."""
    s = editions.suite()
    return (["--inventory", s.inventory] if s.inventory else []) + ["--site", s.site] + (
        ["--baseline", s.baseline] if s.baseline else []) + (  # the founding command's text as before editions
        ["--waivers", s.waivers] if s.waivers else [])


def exec_in(host: str, argv: list[str], check: bool = False, user: str = "root", input: str | None = None,
            timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run argv on a twin host (ssh, argv quoted with shlex.join): captured stdout/stderr, the remote exit status
    (255 = ssh itself failed). check=True raises LabError on a non-zero status."""
    require_up(host)
    cp = ssh.run_in(host, argv, user=user, input=input, timeout=timeout)
    if check and cp.returncode != 0:
        raise LabError(f"{host}: {shlex.join(argv)} failed with exit {cp.returncode}: {cp.stderr.strip()}")
    return cp


def suite_command(pytest_args: list[str] | None = None, env: dict[str, str] | None = None) -> str:
    args = list(pytest_args) if pytest_args else default_suite_args()
    command = SUITE_COMMAND.format(checkout=topo.CHECKOUT_IN_TWIN, edition_args=shlex.join(edition_args()),
                                   args=shlex.join(args))
    env = {**editions.load_secrets(), **(env or {})}  # the edition's twin-made keys (LiteLLM's master key, llmster's)
    if env:  # twin canaries only (e.g. a documented master key): a real run takes them from its own environment
        command = "export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()) + " && " + command
    return command


def prepare_reports() -> None:
    """The outer checkout's reports/ must be writable by the owner's uid: the suite writes there from mini.

    Only the directory itself: a new run directory and the `latest` link are all a run writes there.
    """
    ids = read_state("mini").get("users", {}).get(topo.OWNER)
    if not ids:
        raise LabError("mini is not up (no state): run `python -m lab up` first")
    reports = paths.ROOT / "reports"
    reports.mkdir(exist_ok=True)
    os.chown(reports, ids["uid"], ids["gid"])


def run_suite(pytest_args: list[str] | None = None, as_root: bool = False, env: dict[str, str] | None = None) -> int:
    """Run the suite inside mini, as the owner in a real ssh login session (or as root); pytest's exit status."""
    require_up("mini")
    prepare_reports()
    user = "root" if as_root else topo.OWNER
    return subprocess.call(ssh.argv("mini", suite_command(pytest_args, env), user=user), stdin=subprocess.DEVNULL)


# the founding inventory at the twin's addresses, whichever edition is up (discovery shows what the edition adds);
# `-- --inventory examples/inventory-2026-05.yaml --site examples/site-twin-2026-05.yaml` compares with another
DISCOVER_COMMAND = ("cd {checkout} && PYTHONDONTWRITEBYTECODE=1 .venv/bin/python -m conformance.discover "
                    "--site lab/site-twin.yaml {args}")


def discover_command(args: list[str] | None = None, env: dict[str, str] | None = None) -> str:
    command = DISCOVER_COMMAND.format(checkout=topo.CHECKOUT_IN_TWIN, args=shlex.join(args or []))
    if env:  # the twin's self-tests only (the redaction switch of the canary test)
        command = command.replace(" && ", " && " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()) + " ", 1)
    return command


def run_discover(args: list[str] | None = None, as_root: bool = False) -> int:
    """Run discovery (python -m conformance.discover) inside mini, as the owner in an ssh login session, like
    run_suite; its exit status (0 nothing undocumented, 1 proposed, 2 a host unreadable, 4 bad input)."""
    require_up("mini")
    prepare_reports()
    return subprocess.call(ssh.argv("mini", discover_command(args), user="root" if as_root else topo.OWNER),
                           stdin=subprocess.DEVNULL)


def _systemctl(host: str, scope: str, *args: str, check: bool = False) -> subprocess.CompletedProcess:
    """systemctl on a host: scope "system" as root, "user" as the owner (his manager, in a login session)."""
    if scope not in ("system", "user"):
        raise ValueError(f"scope must be 'system' or 'user', not {scope!r}")
    if scope == "user":
        return exec_in(host, ["systemctl", "--user", *args], check=check, user=topo.OWNER)
    return exec_in(host, ["systemctl", *args], check=check)


def daemon_reload(host: str, scope: str = "system") -> None:
    """Make systemd re-read unit files (system manager, or the owner's user manager)."""
    _systemctl(host, scope, "daemon-reload", check=True)


def restart_units(host: str, system_units=(), user_units=(), timeout: float = 60, wait: bool = True) -> None:
    """Restart units (after a daemon-reload, so planted or reverted unit files take effect), then wait until
    they are active and, for units with a readiness probe (litellm-orch: /health/readiness), until it is 200.
    On studio, restarting launchd.service (which loads every LaunchDaemon afresh) waits for the MLX ports."""
    todo = {"system": list(system_units), "user": list(user_units)}
    for scope, units in todo.items():
        if units:
            daemon_reload(host, scope)
            _systemctl(host, scope, "restart", *units, check=True)
    if not wait:
        return
    for scope, units in todo.items():
        if units and not until(lambda: _systemctl(host, scope, "is-active", *units).returncode == 0, timeout, 0.2):
            states = _systemctl(host, scope, "is-active", *units).stdout.split()
            raise LabError(f"{host}: not active after {timeout:.0f}s: {dict(zip(units, states))}")
    spec = topo.host(host)
    restarted = todo["system"] + todo["user"]
    for svc in hosts.services(spec):
        # launchd-run services (studio's MLX servers) come back when launchd.service does
        if svc.probe and (svc.unit in restarted or svc.scope == "launchd" and "launchd.service" in restarted):
            t0 = time.monotonic()
            if not until(lambda: http_status(spec.address, svc.port, svc.probe) == 200, timeout, 0.2):
                raise LabError(f"{host}: {svc.unit} is active but GET :{svc.port}{svc.probe} is not 200 after "
                               f"{time.monotonic() - t0:.0f}s")
