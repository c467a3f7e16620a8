"""`python -m conformance.discover`: what the lab has that the inventory does not say, as a patch that only inserts.

    python -m conformance.discover [--inventory inventory.yaml] [--site SITE] [--local-host mini] [--ssh-config F]
                                   [--ignore discover-ignore.yaml] [--reports reports] [--host H]...
    python -m conformance.discover --replay RUN_DIR      judge a recorded discovery again, no host contacted
    python -m conformance.discover --from-repo PATH      propose from a checkout of the owner's repo (no host)

Every inventory host (and every host the user's ssh config names that the inventory does not) is read in two
round trips at least 5 s apart, through the suite's runner (read-only allowlist, SSH transport, deadlines,
redaction). Writes a new run directory under --reports: discovered.yaml, inventory.patch, discovery.html,
discovery.json, commands.json and recording.json.gz. Never writes the inventory.

Exit status: 0 nothing undocumented; 1 something proposed; 2 a host could not be read at all; 4 bad input.
"""
from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from datetime import date, datetime, timezone
from pathlib import Path

from ..inventory import InventoryError, load_inventory, load_site
from ..redaction import Redactor
from ..replay import Recorder, Recording, RecordingError, Replay, write as write_recording
from ..report.rundir import new_run_dir, write_json
from ..runner import NoSshTarget, Runner, SecretFiles, ssh_backend_for
from ..runner.sshconfig import Files, ResolveFailed, list_aliases
from ..runner.ssh import resolve_alias
from ..session import SuiteSession, Unreachable, secret_env_keys, secret_paths
from ..site import SiteAddresses
from . import ignore as ignore_file
from .classify import UNDOCUMENTED, Result, classify, extra_host_proposal
from .observe import DarwinReader, LinuxReader, Observation
from .write import loadable_insertions, summary, unified_patch, write_discovered, write_page

EXIT_CLEAN, EXIT_PROPOSED, EXIT_UNREADABLE, EXIT_BAD_INPUT = 0, 1, 2, 4
DEFAULT_IGNORE = "discover-ignore.yaml"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m conformance.discover", description=__doc__.split("\n\n")[0])
    p.add_argument("--inventory", help="the inventory to compare with (default inventory.yaml, or the replay's)")
    p.add_argument("--site", help="site override file (the twin's: lab/site-twin.yaml)")
    p.add_argument("--local-host", default=None, help="the inventory host discovery runs on (default mini)")
    p.add_argument("--ssh-config", help="ssh config for the remote hosts (default: the user's ~/.ssh/config)")
    p.add_argument("--ignore", help=f"ignore file with expiry dates (default {DEFAULT_IGNORE} when it exists)")
    p.add_argument("--reports", default="reports", help="where the new run directory is made")
    p.add_argument("--host", action="append", default=[], help="read only this host (repeatable)")
    p.add_argument("--no-ssh-config-hosts", action="store_true", help="do not read hosts only the ssh config names")
    p.add_argument("--replay", metavar="RUN_DIR", help="answer every host from a discovery run's recording")
    p.add_argument("--from-repo", metavar="PATH", help="propose from a checkout of the owner's repo (no host read)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    redactor = Redactor()
    try:
        replay = Replay.of(args.replay) if args.replay else None
        inventory_path = Path(args.inventory) if args.inventory else (
            replay.input("inventory") if replay and replay.input("inventory") else Path("inventory.yaml"))
        inventory = load_inventory(inventory_path)
        text = inventory_path.read_text(encoding="utf-8")  # the patch is made against this text
        site_path = args.site or (str(replay.input("site")) if replay and replay.input("site") else None)
        site = SiteAddresses(inventory, load_site(site_path, inventory) if site_path else None)
        site_text = Path(site_path).read_text(encoding="utf-8") if site_path else None
        ignore_path = args.ignore or (DEFAULT_IGNORE if Path(DEFAULT_IGNORE).exists() else None)
        ignores = ignore_file.Ignores(ignore_file.load(ignore_path) if ignore_path else None,
                                      today=replay.as_of if replay else date.today())
        local_host = args.local_host or (replay.option("local_host") if replay else None) or "mini"
        if local_host not in {h.id for h in inventory.hosts}:
            raise InventoryError(inventory_path, None, f"--local-host {local_host}: no such host")
    except (InventoryError, ignore_file.IgnoreError, RecordingError, OSError) as e:
        print(f"discover: bad input: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    started = datetime.now(timezone.utc)
    from_repo = None
    if args.from_repo:
        repo_proposals, from_repo = _from_repo(args.from_repo, inventory)
        if repo_proposals is None:
            print(f"discover: {from_repo['error']}", file=sys.stderr)
            return EXIT_BAD_INPUT
    run = new_run_dir(Path(args.reports))
    observations: dict[str, Observation] = {}
    session = SuiteSession(inventory, site, local_host, redactor=redactor, ssh_config=args.ssh_config, replay=replay)
    extra: dict[str, str] = {}
    try:
        if args.from_repo:
            result = Result(proposals=repo_proposals)
        else:
            gap = 0.0 if replay else None
            reads = {h.id: partial(_observe, session, h.id, redactor, gap)
                     for h in inventory.hosts if not args.host or h.id in args.host}
            if not args.no_ssh_config_hosts:
                extra = (replay.option("extra_hosts") or {}) if replay else _extra_hosts(inventory, site, args.ssh_config)
                for alias, address in extra.items():
                    if (args.host and alias not in args.host) or ignores.why(alias, f"host:{alias}"):
                        continue  # an ignored host is accepted as it is: not even read
                    reads[alias] = partial(_observe_extra, session, alias, address, args.ssh_config, redactor, gap)
            # every host at once: each waits out its own gap between its two reads, so the run takes one host's time
            with ThreadPoolExecutor(max_workers=max(1, len(reads))) as pool:
                futures = {host: pool.submit(read) for host, read in reads.items()}
            observations.update((host, f.result()) for host, f in futures.items())
            result = classify(inventory, site, observations, ignores)
            for alias, address in extra.items():
                obs = observations.get(alias)
                if obs is None:
                    why = ignores.why(alias, f"host:{alias}")
                    if why:
                        result.ignored.append((alias, f"host:{alias}", why))
                    continue
                os_name = "linux" if not obs.unreachable and "system units" not in obs.cannot else None
                if os_name:
                    result.proposals.insert(0, extra_host_proposal(alias, os_name, address,
                                                                   f"ssh -G -- {alias}", started.isoformat()))
    finally:
        session.close()
    patched, left_out = loadable_insertions(text, result.proposals)
    patch = unified_patch(text, patched, _patch_name(inventory_path))
    (run / "inventory.patch").write_text(patch, encoding="utf-8")
    write_discovered(run, result.proposals, left_out, redactor)
    bench = {h: {"seconds": round(o.seconds, 2), "round_trips": o.round_trips, "commands": o.commands}
             for h, o in observations.items()}
    data = summary(result, result.proposals, left_out, ignores, bench, patch, from_repo)
    write_page(run, data, redactor)
    if not args.from_repo:
        _record(run, started, session, redactor, text, site_text, local_host, extra, replay)
    write_json(run / "commands.json", [r.shown(redactor) for runner in session.runners.values() for r in runner.records])
    unreadable = [h for h, o in observations.items() if o.unreachable]
    print(f"discover: {len(observations)} hosts read, {len(result.proposals)} proposed "
          f"({len(left_out)} not in inventory.patch), {len(data['review'])} to review; "
          f"{', '.join(f'{k}: {v}' for k, v in data['counts'].items())}")
    for host, b in bench.items():
        print(f"  {host}: {b['seconds']} s wall, {b['round_trips']} round trips, {b['commands']} commands"
              + (f" (NOT READ: {redactor(observations[host].unreachable)})" if host in unreadable else ""))
    print(f"discover: {run}/discovery.html")
    if unreadable:
        return EXIT_UNREADABLE
    return EXIT_PROPOSED if result.proposals or result.count(UNDOCUMENTED) else EXIT_CLEAN


def _patch_name(path: Path) -> str:
    """The file's name as `git apply` run next to it (or from the checkout's root) expects it."""
    return str(path) if not path.is_absolute() else path.name


def _users(inventory, host: str, as_user: str, local: bool) -> list[str]:
    """The users whose units are read: those the inventory documents user units of, and the run's own user on the
    host it stands on (elsewhere that user may have no manager running: nothing of theirs runs there)."""
    users = [u.user for s in inventory.services_on(host) for u in s.units if u.scope == "user" and u.user]
    if local and as_user not in ("root", "?"):
        users.append(as_user)
    return list(dict.fromkeys(users))


def _observe(session: SuiteSession, host: str, redactor: Redactor, gap: float | None) -> Observation:
    inventory = session.inventory
    runner = Runner(host, session.backend(host), max_round_trips=2,
                    secret_files=SecretFiles(secret_paths(inventory, host)))
    session.runners[host] = runner
    os_name = inventory.host(host).os
    litellm = inventory.litellm
    router = (litellm.config, litellm.env_file) if litellm and inventory.service(litellm.service).host == host else None
    proxy_units = tuple(u.name for u in inventory.service(litellm.service).units) if router else ()
    return _read(host, runner, os_name, _users(inventory, host, runner.user, host == session.local_host), redactor,
                 secret_env_keys(inventory, host), gap, router, proxy_units, documented_paths(inventory, host),
                 tuple(e.path for s in inventory.services_on(host) for e in s.env_files))


def documented_paths(inventory, host: str) -> tuple[str, ...]:
    """The paths the inventory documents on a host (services' paths and env files, launch scripts): one stat in the
    second read says which the lab no longer has."""
    found = [p.path for s in inventory.services_on(host) for p in s.paths]
    found += [e.path for s in inventory.services_on(host) for e in s.env_files]
    scripts = inventory.launch_scripts
    if scripts is not None and scripts.host == host:
        found += [scripts.dir] + [f"{scripts.dir}/{name}" for name in scripts.scripts]
    return tuple(dict.fromkeys(found))


def _read(host, runner, os_name, users, redactor, secret_keys, gap, router=None, proxy_units=(), paths=(),
          env_files=()) -> Observation:
    obs = Observation(host, user=runner.user)
    reader = (LinuxReader(host, runner, users, redactor, secret_keys, router, proxy_units, paths, env_files)
              if os_name == "linux" else DarwinReader(host, runner, users, redactor, paths))
    if gap is not None:
        reader.gap = gap
    started = time.monotonic()
    reader.read(obs)
    obs.seconds = time.monotonic() - started
    return obs


def _observe_extra(session: SuiteSession, alias: str, address: str, config: str | None, redactor: Redactor,
                   gap: float | None) -> Observation:
    if session.replay:
        backend = session.replay.backend(alias)
    else:
        try:
            backend = ssh_backend_for(alias, address, alias, config_file=config, connect_timeout=session.connect_timeout)
        except (NoSshTarget, OSError) as e:
            backend = Unreachable(f"{alias} unreachable: {e}")
    runner = Runner(alias, backend, max_round_trips=2)
    session.runners[alias] = runner
    return _read(alias, runner, "linux", [], redactor, frozenset(), gap)


def _extra_hosts(inventory, site: SiteAddresses, config: str | None) -> dict[str, str]:
    """alias -> address, for each ssh config alias that reaches no inventory host (by alias or by address)."""
    known_aliases = {h.id for h in inventory.hosts} | {a for h in inventory.hosts for a in (site.ssh_alias(h.id),) if a}
    known_addresses = {site.address(h.id) for h in inventory.hosts} | {h.address for h in inventory.hosts}
    found = {}
    for alias in list_aliases(config, Files()):
        if alias in known_aliases:
            continue
        try:
            resolved = resolve_alias(alias, config)
        except ResolveFailed:
            continue
        if resolved.hostname not in known_addresses:
            found[alias] = resolved.hostname
    return found


def _from_repo(path: str, inventory) -> tuple[list | None, dict]:
    """The owner's repo as a source (conformance/discover/from_repo.py): what it proposes that the inventory does
    not document yet (undocumented.py), and what it could not derive or found stated otherwise."""
    try:
        from .from_repo import propose
        from .undocumented import undocumented
    except ImportError as e:
        return None, {"error": "--from-repo needs conformance/discover/from_repo.py (the owner's-repo source), which "
                               f"this checkout does not have yet ({e})"}
    if not Path(path).is_dir():
        return None, {"error": f"--from-repo {path}: not a directory (give a checkout of the owner's repo)"}
    found = undocumented(propose(Path(path)), inventory)
    return list(found.proposals), {"path": path, "not_derived": list(found.not_derived)}


def _record(run: Path, started: datetime, session: SuiteSession, redactor: Redactor, inventory_text: str,
            site_text: str | None, local_host: str, extra: dict, replay) -> None:
    """recording.json.gz: discovery's own round trips (both reads of every host), through the run's Redactor, so
    `--replay RUN_DIR` judges them again with no host (conformance/replay)."""
    recorder = Recorder(redactor)
    inputs = {"inventory": redactor.learned(inventory_text)}
    if site_text is not None:
        inputs["site"] = redactor.learned(site_text)
    recording = Recording(
        run=run.name, started=(datetime.fromisoformat(replay.recording.started) if replay else started)
        .isoformat(timespec="seconds"),
        options={"discover": True, "local_host": local_host, "extra_hosts": extra,
                 **({"replay_of": replay.recording.run} if replay else {})},
        inputs=inputs,
        hosts={h: {"user": r.user, "round_trips": [recorder.round_trip(t) for t in r.round_trips]}
               for h, r in session.runners.items()})
    recording.not_kept = recorder.not_kept
    write_recording(run, recording)


if __name__ == "__main__":
    sys.exit(main())
