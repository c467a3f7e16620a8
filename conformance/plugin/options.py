"""The suite's command-line options, and the run's inputs they name: inventory, site, local host, baseline,
waivers, or a recorded run to judge again (--replay). Any broken input is a usage error (FILE:LINE), never a
traceback."""
from __future__ import annotations

from pathlib import Path

import pytest

from ..checks.contract import contract_checks
from ..checks.derive import host_checks
from ..inventory import load_baseline, load_inventory, load_site, load_waivers
from ..replay import RecordingError, Replay
from ..runner.runner import COMMAND_TIMEOUT, ROUND_TRIP_TIMEOUT
from ..session import LazyHttpProbe, SuiteSession
from ..site import SiteAddresses


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "LLM-lab conformance suite")
    group.addoption("--inventory", default=None, help="inventory file (default: inventory.yaml at the root)")
    group.addoption("--site", default=None, help="site override file mapping documented addresses (e.g. lab/site-twin.yaml)")
    group.addoption("--local-host", default=None,
                    help="inventory host that `-m local` runs on (default: mini, or the replayed run's)")
    group.addoption("--waivers", default=None,
                    help="waivers file: check id, reason, expiry (default: waivers.yaml at the root, if present)")
    group.addoption("--baseline", default=None,
                    help="baseline of services that must not be modified (default: baseline.yaml at the root, if present)")
    group.addoption("--require-verified", action="store_true",
                    help="a check that cannot be verified (a missing privilege or baseline) fails the run (nightly runs)")
    group.addoption("--command-timeout", type=float, default=COMMAND_TIMEOUT,
                    help=f"seconds a command may run on a host before it is killed there (default {COMMAND_TIMEOUT:g})")
    group.addoption("--request-timeout", type=float, default=None,
                    help="seconds every contract request may take, overriding the inventory's deadlines "
                         "(default: the inventory's, per route)")
    group.addoption("--round-trip-timeout", type=float, default=ROUND_TRIP_TIMEOUT,
                    help=f"seconds to wait for one batched round trip to a host (default {ROUND_TRIP_TIMEOUT:g})")
    # --ssh-config=FILE is testinfra's own option (same meaning): the remote hosts' ssh config,
    # by default the invoking user's ~/.ssh/config.
    group.addoption("--dry-run", action="store_true",
                    help="list, per host, every command and request the run would send, and send nothing")
    group.addoption("--report-dir", default=None, help="where run directories go (default: reports/ at the root)")
    group.addoption("--no-report", action="store_true", help="write no run directory")
    group.addoption("--run-dir-file", default=None,
                    help="write the run directory's path to this file as soon as it exists (for scripts: the nightly job, CI)")
    group.addoption("--replay", default=None, metavar="RUN_DIR",
                    help="judge a recorded run again with this code and no host: every answer comes from RUN_DIR's "
                         "recording, and its inventory, site, baseline, waivers, markers and local host unless given "
                         "anew; the new run directory says it is a replay")
    group.addoption("--no-record", action="store_true",
                    help="keep no recording of the hosts' and backends' answers in the run directory")


def is_conformance_run(config: pytest.Config) -> bool:
    """Runs of tests/ (the conformance checks) are conformance runs; self-tests are not."""
    tests = (Path(config.rootpath) / "tests").resolve()
    args = [a.split("::")[0] for a in config.args] or ["tests"]
    for arg in args:
        path = (Path(config.invocation_params.dir) / arg).resolve()
        if path == tests or tests in path.parents or path in tests.parents:
            return True
    return False


def open_replay(config: pytest.Config) -> Replay | None:
    """--replay RUN_DIR: its recording, whose markers and verification rule apply unless given anew."""
    run_dir = config.getoption("--replay")
    if not run_dir:
        return None
    try:
        replay = Replay.of(run_dir)
    except RecordingError as e:
        raise pytest.UsageError(f"--replay: {e}") from None
    if not config.option.markexpr and replay.option("markers"):
        config.option.markexpr = replay.option("markers")
    if replay.option("require_verified"):
        config.option.require_verified = True
    return replay


def load_session(config: pytest.Config, root: Path, replay: Replay | None = None) -> SuiteSession:
    """Inventory, site, baseline and waivers (a replay's own, unless given anew); any broken file raises
    InventoryError (FILE:LINE)."""
    recorded = (lambda name: replay.input(name)) if replay else (lambda name: None)
    inventory_path = config.getoption("--inventory") or recorded("inventory") or root / "inventory.yaml"
    inventory = load_inventory(inventory_path)
    site_path = config.getoption("--site") or recorded("site")
    site = load_site(site_path, inventory) if site_path else None
    local_host = config.getoption("--local-host") or (replay.option("local_host") if replay else None) or "mini"
    if local_host not in {h.id for h in inventory.hosts}:
        raise pytest.UsageError(f"--local-host={local_host}: no such host in {inventory_path} "
                                f"(hosts: {', '.join(h.id for h in inventory.hosts)})")
    session = SuiteSession(inventory, SiteAddresses(inventory, site), local_host,
                           command_timeout=config.getoption("--command-timeout"),
                           round_trip_timeout=config.getoption("--round-trip-timeout"),
                           ssh_config=config.getoption("--ssh-config"),
                           request_timeout=config.getoption("--request-timeout"), replay=replay,
                           **({"http": LazyHttpProbe(replay.recording.http)} if replay else {}))
    baseline = _optional_file(config, "--baseline", root / "baseline.yaml", recorded("baseline") if replay else None)
    if baseline:
        session.baseline = load_baseline(baseline)
    checks_by_host(session)
    checks = session.contract_checks + [c for host_checks_ in session.checks.values() for c in host_checks_]
    if not checks:
        raise pytest.UsageError(f"{inventory_path}: the inventory documents nothing to check on {local_host}")
    waivers = _optional_file(config, "--waivers", root / "waivers.yaml", recorded("waivers") if replay else None)
    if waivers:
        session.waivers = {w.check: w for w in load_waivers(waivers, [c.id for c in checks]).waivers}
    session.inputs = {name: str(path) for name, path in
                      (("inventory", inventory_path), ("site", site_path), ("baseline", baseline), ("waivers", waivers))
                      if path}
    return session


def checks_by_host(session: SuiteSession) -> None:
    """Every check of the inventory, read once: each host's, and the contract's."""
    inv, site = session.inventory, session.site
    session.checks = {host.id: host_checks(inv, site, host.id, session.baseline) for host in inv.hosts}
    session.contract_checks = list(contract_checks(inv))


def inventory_name(config: pytest.Config) -> str:
    """The inventory's file name, as results.json and pytest-html's metadata show it."""
    return Path(config.getoption("--inventory") or "inventory.yaml").name


def _optional_file(config: pytest.Config, option: str, default: Path, replayed: Path | None = None) -> Path | None:
    """The file the option names (which must then exist), else a replay's recorded one (which may be none),
    else the default when it exists."""
    given = config.getoption(option)
    if given:
        return Path(given)
    if config.getoption("--replay"):
        return replayed
    return default if default.exists() else None
