"""Inventory entries proposed from a checkout of the owner's own repo (`--from-repo PATH`), read-only, no network.

The owner keeps much of the lab's intended state in git, machine-readable. This module reads, at the checkout's
commit:

- unit files: platform/ops/systemd/*.service, services/*/systemd/*.service, services/*/*.service
- launchd plists and templates: platform/ops/templates/*.plist, services/*/launchd/*.plist (plistlib)
- platform/ops/templates/<host>_scheduling_policy.json: the labels a host manages and the ones it retired
- env file templates (platform/ops/templates/<name>.env.example, a service's own <name>.env.example, env.example
  beside a checkout's config/env.local): their KEYS, and the non-secret values a unit's ExecStart expands
- the scripts a unit's ExecStart runs from the checkout (services/litellm-orch/scripts/run-service.sh): where
  their commands listen
- a service's own config stating its listener: services/<service>/config/grafana.ini ([server] http_addr, http_port)
- services/litellm-orch/config/router.yaml (routes) and env.example (its KEYS; the values of non-secret keys a
  route reads through `os.environ/NAME`, which give the route's api_base)
- platform/registry/services.jsonl (which host each service targets)
- platform/ops/runtime-lock.json (ports, binds, labels, pinned package versions), and services/litellm-orch/
  pyproject.toml for LiteLLM's pin

and proposes entries in the inventory's schema (`Proposal`s, source `companion`, `why` naming the file and the
commit). Which host an item belongs to comes only from the repo's own records (services.jsonl, the scheduling
policy, runtime-lock.json, the directory the file sits in); what the repo cannot decide is named in
`not_derived`, never guessed. No CLI and no writing here: the discover command (and its writer) call `propose`.

Granularity, as proposal.py describes it: a service's skeleton is a `services` proposal; its units, listeners and
env files are proposals of their own (`section` units / listen / env_files, `parent` = the service id), so a
writer can insert into a service the inventory already has, or insert the whole service.
"""
from __future__ import annotations

import configparser
import json
import plistlib
import posixpath
import re
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from ..facts.envfile import parse_env_file
from ..facts.litellm import RouterConfigError, resolve_router
from ..redaction import is_secret_name
from . import command_line
from .proposal import Evidence, Proposal
from .proposal import port_template as _port_template
from .unit_file import UnitFile, environment_assignments, parse_unit_file

UNIT_GLOBS = ("platform/ops/systemd/*.service", "services/*/systemd/*.service", "services/*/*.service")
PLIST_GLOBS = ("platform/ops/templates/*.plist", "services/*/launchd/*.plist")
POLICY_GLOB = "platform/ops/templates/*_scheduling_policy.json"
TEMPLATES = "platform/ops/templates"
GRAFANA_INI = "services/*/config/grafana.ini"
UNIT_BACKUPS = "platform/ops/systemd/backup/*"
SAMBA_GLOB = "platform/ops/templates/samba*.conf"
REGISTRY = "platform/registry/services.jsonl"
RUNTIME_LOCK = "platform/ops/runtime-lock.json"
LITELLM_DIR = "services/litellm-orch"
ROUTER = f"{LITELLM_DIR}/config/router.yaml"
ENV_EXAMPLE = f"{LITELLM_DIR}/config/env.example"
LITELLM_PYPROJECT = f"{LITELLM_DIR}/pyproject.toml"

# the files read here, as a `why` names them: an inventory item whose why names none of them is stated only in files
# this reader does not read (the owner's prose docs), and `undocumented.unstated` says so
READ_FILES = re.compile(r"platform/ops/systemd/|services/[\w.-]+/systemd/|services/[\w.-]+/[\w.-]+\.service|"
                        r"platform/ops/templates/|services/[\w.-]+/launchd/|scheduling_policy\.json|router\.yaml|"
                        r"env\.example|services\.jsonl|runtime-lock\.json|grafana\.ini|run-service\.sh|/scripts/run")

_WILDCARDS = {"0.0.0.0", "::", "*"}
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_ROUTE_PARAMS = ("api_base", "model", "api_key")


class RepoProposals(NamedTuple):
    """What the owner's repo proposes, and what it cannot give (each line names the item and why). A pair, so a
    caller may also unpack it: `proposals, not_derived = propose(path)`. The commit is each evidence's `at`
    (checkout_commit(path) says it alone)."""

    proposals: list[Proposal]
    not_derived: list[str]


def propose(path: Path | str) -> RepoProposals:
    repo = _Repo(Path(path))
    reading = _Reading(repo)
    reading.read()
    return RepoProposals(reading.proposals, reading.not_derived)


# ------------------------------------------------------------------------------------------------ the checkout


class _Repo:
    """The checkout, read-only: files by their path inside the repo, and the commit they are at."""

    def __init__(self, root: Path):
        self.root = root
        self.commit = checkout_commit(root)

    def files(self, *patterns: str) -> list[str]:
        found = {p.relative_to(self.root).as_posix() for pattern in patterns for p in self.root.glob(pattern) if p.is_file()}
        return sorted(found)

    def text(self, rel: str) -> str | None:
        p = self.root / rel
        return p.read_text(encoding="utf-8", errors="replace") if p.is_file() else None

    def bytes(self, rel: str) -> bytes:
        return (self.root / rel).read_bytes()

    def evidence(self, rel: str) -> Evidence:
        return Evidence(where=str(self.root), what=rel, at=self.commit)

    def why(self, rel: str, detail: str = "") -> str:
        at = self.commit[:7] if self.commit != "unknown" else "an unknown commit"
        return f"{rel} at {at}" + (f": {detail}" if detail else "")


def checkout_commit(root: Path) -> str:
    """HEAD of the checkout when `root` is the top of a git work tree (not a folder inside another one), else
    "unknown"."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    top = git("rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != root.resolve():
        return "unknown"
    return git("rev-parse", "HEAD") or "unknown"


# ------------------------------------------------------------------------------------------------ what was read


@dataclass
class _Bind:
    """A listener some file states: on a host, for a service, an address and a port."""

    host: str
    service: str
    address: str
    port: int
    rel: str
    detail: str
    beside: bool = False  # started in the background beside the unit's main program (a sidecar of its script)


@dataclass
class _Job:
    """A launchd job as its plist says it."""

    rel: str
    label: str
    host: str
    service: str
    plist_path: str | None
    program: str | None
    stderr: str | None
    port: int | None
    stdout: str | None = None
    keep_alive: bool | None = None  # the plist's KeepAlive when it is a plain true or false


@dataclass
class _Reading:
    repo: _Repo
    proposals: list[Proposal] = field(default_factory=list)
    not_derived: list[str] = field(default_factory=list)
    registry: dict[str, dict] = field(default_factory=dict)
    lock: dict = field(default_factory=dict)
    policy_rel: str | None = None
    policy_host: str | None = None
    policy: dict = field(default_factory=dict)
    binds: list[_Bind] = field(default_factory=list)
    host_kinds: dict[str, set[str]] = field(default_factory=dict)  # host -> {"systemd", "launchd"}
    services: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (host, rel of the record)
    units: list[tuple[str, str, str, UnitFile]] = field(default_factory=list)  # rel, host, service, unit
    jobs: list[_Job] = field(default_factory=list)
    # (host, KEY, URL, rel): where a service calls, from a file's env values (env.example, a plist's
    # EnvironmentVariables); a loopback URL is on the caller's host
    calls: list[tuple[str, str, str, str]] = field(default_factory=list)

    def read(self) -> None:
        self._read_records()
        self._read_units()
        self._read_plists()
        self._drop_units_of_launchd_hosts()
        self._read_lock_binds()
        self._read_config_binds()
        addresses = self._host_addresses()
        self._propose_hosts(addresses)
        self._propose_services()
        self._propose_units()
        self._propose_listeners(addresses)
        self._propose_launchd()
        self._propose_env_files()
        self._propose_routes(addresses)
        self._note_units_without_listeners()
        self._note_called_addresses(addresses)
        self._note_required_units()
        self._note_drop_ins()
        self._note_unit_backups()
        self._note_samba()
        self._propose_packages()
        self._note_what_git_cannot_say()

    def miss(self, line: str) -> None:
        if line not in self.not_derived:
            self.not_derived.append(line)

    # -------------------------------------------------------------------------------------------- records

    def _read_records(self) -> None:
        text = self.repo.text(REGISTRY)
        if text is None:
            self.miss(f"{REGISTRY}: absent, so no service's host can be taken from the registry")
        else:
            for n, line in enumerate(text.splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    if not isinstance(record.get("host_targets", []), list):
                        raise TypeError("host_targets")
                    self.registry[str(record["service_id"])] = record
                except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
                    self.miss(f"{REGISTRY}:{n}: not a service record (JSON with service_id)")
        text = self.repo.text(RUNTIME_LOCK)
        if text is None:
            self.miss(f"{RUNTIME_LOCK}: absent (no pinned ports, binds, labels or versions)")
        else:
            try:
                lock = json.loads(text)
            except json.JSONDecodeError as e:
                lock = None
                self.miss(f"{RUNTIME_LOCK}: not JSON ({e})")
            if isinstance(lock, dict):
                self.lock = lock
            elif lock is not None:
                self.miss(f"{RUNTIME_LOCK}: not a JSON object")
        policies = self.repo.files(POLICY_GLOB)
        for rel in policies:
            try:
                policy = json.loads(self.repo.text(rel))
            except json.JSONDecodeError as e:
                self.miss(f"{rel}: not JSON ({e})")
                continue
            if not isinstance(policy, dict) or not all(isinstance(policy.get(k, {}), dict)
                                                       for k in ("managed_labels", "retired_labels")):
                self.miss(f"{rel}: not a scheduling policy (an object with managed_labels, retired_labels)")
                continue
            self.policy_rel, self.policy = rel, policy
            # the policy is a host's own: studio_scheduling_policy.json holds the Studio's launchd labels
            self.policy_host = posixpath.basename(rel).removesuffix("_scheduling_policy.json")
            break
        if len(policies) > 1:
            self.miss(f"scheduling policies: {', '.join(policies)}; only {self.policy_rel} is read")

    def _registered_host(self, service: str) -> str | None:
        record = self.registry.get(service)
        targets = (record or {}).get("host_targets") or []
        return targets[0] if len(targets) == 1 else None

    def _registry_entry_for(self, rel: str) -> str | None:
        """The registry's service whose path holds this file (services/<dir>/..., experiments/<dir>/...)."""
        best = None
        for sid, record in self.registry.items():
            path = (record.get("path") or "").rstrip("/")
            if path and rel.startswith(path + "/") and (best is None or len(path) > len(self.registry[best]["path"])):
                best = sid
        return best

    def _service_named_by(self, stem: str) -> str | None:
        """The registry's service a platform unit is named after: its id, or the longest id it extends
        (orchestration-cockpit-graph.service -> orchestration-cockpit)."""
        if stem in self.registry:
            return stem
        prefixes = [sid for sid in self.registry if stem.startswith(sid + "-")]
        return max(prefixes, key=len) if prefixes else None

    def _record_service(self, service: str, host: str, rel: str) -> None:
        self.services.setdefault(service, (host, rel))
        self.host_kinds.setdefault(host, set())

    # -------------------------------------------------------------------------------------------- units

    def _read_units(self) -> None:
        for rel in self.repo.files(*UNIT_GLOBS):
            unit = parse_unit_file(self.repo.text(rel))
            name = posixpath.basename(rel)
            stem = name.removesuffix(".service")
            service = self._registry_entry_for(rel) if rel.startswith("services/") else self._service_named_by(stem)
            if service is None:
                self.miss(f"{rel}: no service of {REGISTRY} names it, so its host is unknown")
                continue
            host = self._registered_host(service)
            if host is None:
                targets = (self.registry[service].get("host_targets") or [])
                self.miss(f"{rel}: service {service} targets {targets or 'no host'} in {REGISTRY}; which host runs "
                          "this unit is not recorded")
                continue
            self.units.append((rel, host, service, unit))
            self.host_kinds.setdefault(host, set()).add("systemd")
            self._record_service(service, host, REGISTRY)
            env, templates = self._unit_env(unit, service)
            words = [command_line.expand(w, env) for w in (unit.last("Service", "ExecStart") or "").split()]
            values = f" (values from {', '.join(templates)})" if templates else ""
            for address, port in command_line.binds(words):
                self._bind(host, service, address, port, rel, f"{name} ExecStart{values}")
            script = self._repo_file(command_line.program(words))
            if script is not None:
                for address, port, beside in command_line.script_binds(self.repo.text(script), env):
                    self._bind(host, service, address, port, rel, f"{name} ExecStart runs {script}, which binds "
                               f"{address}:{port}" + (" in a command it starts beside its main one" if beside else "")
                               + values, beside=beside)

    def _unit_env(self, unit: UnitFile, service: str) -> tuple[dict[str, str], list[str]]:
        """What a unit's commands see, as far as the repo says it: the non-secret values of its env files'
        templates, then its own Environment= lines; and the templates read."""
        env: dict[str, str] = {}
        templates = []
        for path in unit.values("Service", "EnvironmentFile"):
            template = self._env_template(path.lstrip("-"), service)
            if template is not None:
                templates.append(template)
                env |= {k: v for k, v in parse_env_file(self.repo.text(template)).items() if not _secret(k, v)}
        env |= {k: v for k, v in environment_assignments(unit.values("Service", "Environment")).items()
                if not _secret(k, v)}
        return env, templates

    def _env_template(self, host_path: str, service: str | None) -> str | None:
        """The repo's template of an env file a unit names: env.example in the checkout folder the file sits in
        (.../services/litellm-orch/config/env.local -> services/litellm-orch/config/env.example), else by its name in
        platform/ops/templates or the service's own folder (/etc/homelab-llm/media-fetch-mcp.env ->
        media-fetch-mcp.env.example, /etc/openhands/env -> openhands.env.example, /etc/orchestration-cockpit/graph.env
        -> orchestration-cockpit.graph.env.example, /etc/searxng/env -> services/searxng/searxng.env.example)."""
        for folder in _repo_dirs_ending(host_path):
            if self.repo.text(f"{folder}/env.example") is not None:
                return f"{folder}/env.example"
        base, parent = posixpath.basename(host_path), posixpath.basename(posixpath.dirname(host_path))
        names = [f"{base}.example", f"{parent}.{base}.example"] + ([f"{parent}.env.example"] if base == "env" else [])
        own = (self.registry.get(service) or {}).get("path") if service else None
        for folder in [TEMPLATES] + ([own.rstrip("/")] if own else []):
            for name in names:
                if self.repo.text(f"{folder}/{name}") is not None:
                    return f"{folder}/{name}"
        return None

    def _repo_file(self, host_path: str | None) -> str | None:
        """The checkout's file a host path is (/home/u/homelab-llm/services/x/scripts/run.sh ->
        services/x/scripts/run.sh), by its longest tail of three parts at least that is a file of the repo."""
        parts = (host_path or "").strip("/").split("/")
        if ".." in parts:  # never a file outside the checkout
            return None
        for i in range(1, len(parts) - 2):
            rel = "/".join(parts[i:])
            if (self.repo.root / rel).is_file():
                return rel
        return None

    # -------------------------------------------------------------------------------------------- plists

    def _read_plists(self) -> None:
        managed = self.policy.get("managed_labels") or {}
        for rel in self.repo.files(*PLIST_GLOBS):
            try:
                plist = plistlib.loads(self.repo.bytes(rel))
            except Exception as e:  # plistlib raises several kinds for a broken file
                self.miss(f"{rel}: not a plist ({type(e).__name__})")
                continue
            label = plist.get("Label")
            if not isinstance(label, str):
                self.miss(f"{rel}: no Label")
                continue
            service = self._service_of_label(label, rel)
            host = self._host_of_label(label, rel, service)
            if service is None or host is None:
                continue
            argv = [str(a) for a in plist.get("ProgramArguments") or []]
            port = None
            for address, p in command_line.binds(argv):
                self._bind(host, service, address, p, rel, "ProgramArguments")
                port = int(p) if p.isdigit() else port
            locked = self._lock_section_of_label(label)
            if port is None and locked and isinstance(_lock_port(self.lock[locked]), int):
                port = _lock_port(self.lock[locked])
            environment = plist.get("EnvironmentVariables")
            for key, value in (environment.items() if isinstance(environment, dict) else ()):
                self.calls.append((host, str(key), str(value), rel))
            plist_path = (managed.get(label) or {}).get("plist_path")
            keep_alive = plist.get("KeepAlive")
            self.jobs.append(_Job(rel, label, host, service, plist_path, command_line.program(argv),
                                  plist.get("StandardErrorPath"), port, plist.get("StandardOutPath"),
                                  keep_alive if isinstance(keep_alive, bool) else None))
            self.host_kinds.setdefault(host, set()).add("launchd")
            self._record_service(service, host, rel)

    def _lock_section_of_label(self, label: str) -> str | None:
        for section, value in self.lock.items():
            if isinstance(value, dict) and label in (value.get("label"), (value.get("deploy") or {}).get("label")):
                return section
        return None

    def _service_of_label(self, label: str, rel: str) -> str | None:
        if rel.startswith("services/"):
            service = self._registry_entry_for(rel)
            if service is None:
                self.miss(f"{rel}: {label}: its folder is no service of {REGISTRY}")
            return service
        section = self._lock_section_of_label(label)
        if section is None:
            self.miss(f"{rel}: {label}: no section of {RUNTIME_LOCK} names this label, so its service is unknown")
            return None
        return self._service_of_lock_section(section)

    def _service_of_lock_section(self, section: str) -> str:
        """runtime-lock's section names its service: a service_refs entry (optillm_proxy -> optillm-proxy), the
        router config's service (litellm -> litellm-orch), else the section's own name (llmster)."""
        ref = section.replace("_", "-")
        if ref in (self.lock.get("service_refs") or {}) or ref in self.registry:
            return ref
        owner = ((self.lock.get(section) or {}).get("router_config_ref") or {}).get("service_id")
        return owner or ref

    def _host_of_label(self, label: str, rel: str, service: str | None) -> str | None:
        by_policy = self.policy_host if label in (self.policy.get("managed_labels") or {}) else None
        by_registry = self._registered_host(service) if service else None
        if by_policy and by_registry and by_policy != by_registry:
            self.miss(f"{rel}: {label}: {self.policy_rel} puts it on {by_policy}, {REGISTRY} on {by_registry}")
            return None
        host = by_policy or by_registry
        if host is None:
            self.miss(f"{rel}: {label}: neither {self.policy_rel or 'a scheduling policy'} nor {REGISTRY} says which "
                      "host runs it")
        return host

    def _drop_units_of_launchd_hosts(self) -> None:
        """A host whose jobs are launchd's (the Studio) runs no systemd unit: a unit file the registry puts there
        (platform/ops/systemd/optillm-proxy.service, while runtime-lock deploys optillm as a launchd label) is
        not that host's, and which host it is for the repo does not say."""
        launchd_hosts = {j.host for j in self.jobs}
        for rel, host, service, _ in [u for u in self.units if u[1] in launchd_hosts]:
            self.miss(f"{rel}: {REGISTRY} puts {service} on {host}, whose services launchd runs "
                      f"({', '.join(sorted(j.label for j in self.jobs if j.service == service)) or 'other labels'}); "
                      "which host runs this unit is not recorded")
        dropped = {rel for rel, host, _, _ in self.units if host in launchd_hosts}
        self.units = [u for u in self.units if u[0] not in dropped]
        self.binds = [b for b in self.binds if b.rel not in dropped]
        for host in launchd_hosts:
            self.host_kinds[host].discard("systemd")

    # -------------------------------------------------------------------------------------------- runtime-lock

    def _read_lock_binds(self) -> None:
        for section, value in self.lock.items():
            if not isinstance(value, dict):
                continue
            runtime = value.get("runtime") if isinstance(value.get("runtime"), dict) else value
            address, port = runtime.get("bind_host"), runtime.get("port")
            if not isinstance(address, str) or not isinstance(port, int):
                continue
            service = self._service_of_lock_section(section)
            label = value.get("label") or (value.get("deploy") or {}).get("label")
            host = self._registered_host(service) or (self.policy_host if label in (self.policy.get("managed_labels") or {})
                                                      else None)
            if host is None:
                self.miss(f"{RUNTIME_LOCK} {section}: {address}:{port}: no record says which host runs {service}")
                continue
            self._record_service(service, host, RUNTIME_LOCK)
            self._bind(host, service, address, str(port), RUNTIME_LOCK, f"{section} bind_host, port")
        mlx = self.lock.get("mlx") or {}
        lanes = mlx.get("lanes") or {}
        if lanes:
            self.miss(f"{RUNTIME_LOCK} mlx.lanes {', '.join(lanes)} (bind {mlx.get('bind_host', 'not stated')}): which "
                      "lane is active, and so listens, is not in these files; no listener is proposed for them")
        if lanes and not _launchd_states_in_schema():
            self.miss(f"{RUNTIME_LOCK} mlx.lanes {', '.join(f'{p} ({l})' for p, l in lanes.items())}: no plist of "
                      "the repo renders them (mlxctl does, on the host): their program and logs are not in these files")

    def _read_config_binds(self) -> None:
        """A service's own config file stating where it listens: grafana.ini's [server] http_addr and http_port."""
        for rel in self.repo.files(GRAFANA_INI):
            service = self._registry_entry_for(rel)
            host = self._registered_host(service) if service else None
            if host is None:
                self.miss(f"{rel}: {f'service {service}' if service else f'no service of {REGISTRY}'} has no single "
                          "host there, so whose listener it states is unknown")
                continue
            parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";", "#"))
            try:
                parser.read_string(self.repo.text(rel))
            except configparser.Error as e:
                self.miss(f"{rel}: not an ini file ({type(e).__name__})")
                continue
            address, port = (parser.get("server", k, fallback="").strip() for k in ("http_addr", "http_port"))
            if not address or not port:
                self.miss(f"{rel}: [server] http_addr and http_port are not both stated (Grafana's defaults are not "
                          f"the repo's), so the listener of service {service} is not in these files")
                continue
            self._record_service(service, host, rel)
            self._bind(host, service, address, port, rel, "[server] http_addr, http_port")

    def _bind(self, host: str, service: str, address: str, port: str, rel: str, detail: str, beside: bool = False) -> None:
        if not port.isdigit():
            self.miss(f"{rel}: {detail} of {service} listens on {address}:{port}: the port is set from the host's env "
                      "file, whose value is not in the repo")
            return
        self.binds.append(_Bind(host, service, address, int(port), rel, detail, beside))

    # -------------------------------------------------------------------------------------------- hosts

    def _host_addresses(self) -> dict[str, tuple[str, list[str]]]:
        """address -> (host id, the files that say so). A process binds only its own host's addresses, so a
        specific (not loopback, not wildcard) bind names its host's address; runtime-lock's canonical_lan_base_url
        names the address LiteLLM's host is called at."""
        seen: dict[str, dict[str, list[str]]] = {}
        for b in self.binds:
            if b.address not in _WILDCARDS | _LOOPBACK:
                seen.setdefault(b.address, {}).setdefault(b.host, []).append(b.rel)
        base = (self.lock.get("litellm") or {}).get("canonical_lan_base_url")
        litellm_host = self._registered_host("litellm-orch")
        if isinstance(base, str) and urlsplit(base).hostname and litellm_host:
            seen.setdefault(urlsplit(base).hostname, {}).setdefault(litellm_host, []).append(RUNTIME_LOCK)
        addresses = {}
        for address, hosts in seen.items():
            if len(hosts) == 1:
                [(host, rels)] = hosts.items()
                addresses[address] = (host, list(dict.fromkeys(rels)))
            else:
                self.miss(f"address {address}: bound on {', '.join(sorted(hosts))} by the repo's files; whose it is "
                          "cannot be decided")
        return addresses

    def _propose_hosts(self, addresses: dict[str, tuple[str, list[str]]]) -> None:
        by_host: dict[str, list[str]] = {}
        for address, (host, _) in addresses.items():
            by_host.setdefault(host, []).append(address)
        for host in sorted(set(self.host_kinds) | {t for r in self.registry.values() for t in r.get("host_targets") or []}):
            kinds = self.host_kinds.get(host, set())
            os_ = {"systemd": "linux", "launchd": "darwin"}[next(iter(kinds))] if len(kinds) == 1 else None
            found = by_host.get(host, [])
            if os_ is None or len(found) != 1:
                lacking = [what for what, ok in ((f"OS (its files are for {' and '.join(sorted(kinds)) or 'no service manager'})",
                                                  os_ is not None),
                                                 (f"address ({', '.join(found) or 'none bound or called'})", len(found) == 1))
                           if not ok]
                self.miss(f"host {host}: its {' and its '.join(lacking)} cannot be taken from the repo's files")
                continue
            address = found[0]
            rels = addresses[address][1]
            why = (f"{self.repo.why(rels[0])}: {address} is bound or called as {host}'s own address; its services are "
                   f"run by {next(iter(kinds))}")
            self.proposals.append(Proposal(
                section="hosts", entry={"id": host, "os": os_, "address": address, "source": "derived", "why": why},
                source="companion", why=why, evidence=tuple(self.repo.evidence(r) for r in rels)))

    # -------------------------------------------------------------------------------------------- services

    def _propose_services(self) -> None:
        for service, (host, rel) in sorted(self.services.items()):
            record = self.registry.get(service)
            purpose = (f"{record.get('service_kind', 'service')} ({record.get('maturity', '?')}, exposure "
                       f"{record.get('exposure', '?')})") if record else f"runtime-lock section of {service}"
            entry = {"id": service, "host": host, "purpose": purpose, "source": "companion",
                     "why": self.repo.why(REGISTRY if record else rel, f"service {service} on {host}")}
            self.proposals.append(Proposal("services", entry, "companion", entry["why"],
                                           (self.repo.evidence(REGISTRY if record else rel),), review=("purpose",)))

    def _propose_units(self) -> None:
        for rel, host, service, unit in self.units:
            name = posixpath.basename(rel)
            wanted_by = " ".join(unit.values("Install", "WantedBy")).split()
            if "multi-user.target" not in wanted_by:
                self.miss(f"{rel}: scope of {name} (WantedBy={' '.join(wanted_by) or 'nothing'}: a system or a user "
                          "unit alike)")
                continue
            entry: dict = {"name": name, "scope": "system", "source": "companion",
                           "why": self.repo.why(rel, "WantedBy=multi-user.target (a system unit)")}
            exec_start = unit.last("Service", "ExecStart")
            if exec_start and "$" in exec_start:
                templates = self._unit_env(unit, service)[1]
                self.miss(f"{rel}: ExecStart of {name} expands variables from its env file, whose values "
                          + (f"the repo has only as a template ({', '.join(templates)}): a listener its command line or "
                             "script states is read with them, the line itself is not proposed" if templates else "are not in the repo"))
            elif exec_start and command_line.carries_secret(exec_start):
                self.miss(f"{rel}: ExecStart of {name} carries a secret-looking value; a secret is never proposed")
            elif exec_start:
                entry["exec_start"] = re.sub(r"\s+", " ", exec_start).strip()
            restart = unit.last("Service", "Restart")
            if restart:
                entry["restart"] = restart
            restart_sec = unit.last("Service", "RestartSec")
            if restart_sec:
                try:
                    entry["restart_sec"] = float(restart_sec)
                except ValueError:
                    self.miss(f"{rel}: RestartSec={restart_sec} of {name} is not in seconds")
            files = unit.values("Service", "EnvironmentFile")
            required = [f for f in files if not f.startswith("-")]  # "-": may be absent, so no fact to check
            if required:
                entry["environment_files"] = required
            environment = environment_assignments(unit.values("Service", "Environment"))
            secret = sorted(k for k, v in environment.items()
                            if is_secret_name(k) or command_line.carries_secret(f"{k}={v}"))
            if secret:
                self.miss(f"{rel}: Environment {', '.join(secret)} of {name}: a secret's value is never proposed")
            if environment:
                plain = {k: v for k, v in environment.items() if k not in secret}
                if plain:
                    entry["environment"] = plain
            entry["run_as"] = unit.last("Service", "User") or "root"
            self.proposals.append(Proposal("units", entry, "companion", entry["why"], (self.repo.evidence(rel),),
                                           parent=service))

    def _propose_listeners(self, addresses: dict[str, tuple[str, list[str]]]) -> None:
        by_port: dict[tuple[str, int], list[_Bind]] = {}
        for b in self.binds:
            by_port.setdefault((b.host, b.port), []).append(b)
        for (host, port), binds in sorted(by_port.items()):
            said = {_as_host(b.address, addresses) for b in binds}
            services = {b.service for b in binds}
            if len(said) > 1 or len(services) > 1:
                self.miss(f"{host}:{port}: the repo's files disagree ({'; '.join(f'{b.rel}: {b.service} on {b.address}' for b in binds)})")
                continue
            rels = list(dict.fromkeys(b.rel for b in binds))
            why = "; ".join(self.repo.why(b.rel, b.detail) for b in binds)
            entry = {"address": said.pop(), "port": port, "source": "companion", "why": why}
            self.proposals.append(Proposal("listen", entry, "companion", why,
                                           tuple(self.repo.evidence(r) for r in rels), parent=binds[0].service))

    def _propose_launchd(self) -> None:
        states = _launchd_states_in_schema()
        for job in self.jobs:
            lacking = [what for what, value in (("port", job.port), ("program", job.program), ("StandardErrorPath",
                       job.stderr)) if value is None]
            if job.plist_path is None:
                self.miss(f"{job.rel}: {job.label}: no plist path in {self.policy_rel or 'a scheduling policy'}")
                continue
            if lacking and not states:
                self.miss(f"{job.rel}: {job.label}: no {', no '.join(lacking)} in the repo's files; this schema's "
                          "launchd entry needs it (ports, log_pattern, runtime_dir)")
                continue
            why = self.repo.why(job.rel, f"Label {job.label}" + ("" if lacking else
                                                                  "; the program's folder, StandardErrorPath and port"))
            entry = {"service": job.service, "host": job.host, "plist": job.plist_path, "label": job.label}
            review: tuple[str, ...] = ()
            if not lacking:
                entry |= {"runtime_dir": posixpath.dirname(job.program), "log_pattern": job.stderr,
                          "ports": [job.port, job.port], "listening": "up"}
                review = ("listening", "log_pattern")
            if states:  # the schema states what a plist says of a job, and whether it must run
                entry |= {"state": "active"} | {k: v for k, v in (
                    ("port", job.port), ("program", job.program), ("stdout", job.stdout), ("stderr", job.stderr),
                    ("keep_alive", job.keep_alive)) if v is not None}
                review += ("state",)
            entry |= {"source": "companion", "why": why}
            evidence = [self.repo.evidence(job.rel)] + ([self.repo.evidence(self.policy_rel)] if self.policy_rel else [])
            self.proposals.append(Proposal("launchd", entry, "companion", why, tuple(evidence), review=review))
        lanes = self._propose_lane_families() if states else set()
        retired = dict(self.policy.get("retired_labels") or {})
        for port, label in ((self.lock.get("mlx") or {}).get("retired_shadow_labels") or {}).items():
            retired.setdefault(label, {})
        for label in sorted(set(retired) - lanes):
            self.miss(f"{self.policy_rel or RUNTIME_LOCK}: retired launchd label {label}: must not be loaded, and "
                      + ("no file says which service it was" if states else "this schema's launchd entry has no state "
                                                                           "to say so"))
        read = {j.label for j in self.jobs} | lanes
        for label in sorted(set(self.policy.get("managed_labels") or {}) - read):
            self.miss(f"{self.policy_rel}: managed launchd label {label}: no plist of the repo renders it")

    def _propose_lane_families(self) -> set[str]:
        """runtime-lock's MLX lanes (`lanes`: port -> label, managed) and retired shadows (`retired_shadow_labels`),
        each a per-port family of one service (the lock's `mlx` section), on the host of the policy that lists
        their labels. Which lane is active the lock does not say: each is proposed active, for review."""
        mlx = self.lock.get("mlx") or {}
        plists = {label: entry.get("plist_path") for group in ("managed_labels", "retired_labels")
                  for label, entry in (self.policy.get(group) or {}).items() if isinstance(entry, dict)}
        proposed: set[str] = set()
        for key, state in (("lanes", "active"), ("retired_shadow_labels", "retired")):
            family = {int(port): label for port, label in (mlx.get(key) or {}).items() if str(port).isdigit()}
            if not family or not all(label in plists for label in family.values()):
                continue
            label_t, plist_t = _port_template(family), _port_template({port: plists[label] for port, label in family.items()})
            if label_t is None or plist_t is None or not self.policy_host:
                continue
            why = self.repo.why(RUNTIME_LOCK, f"mlx.{key} {', '.join(family.values())}; their plist paths in "
                                              f"{self.policy_rel}")
            entry = {"service": "mlx", "host": self.policy_host, "plist": plist_t, "label": label_t,
                     "lanes": [{"port": port, "state": state} for port in sorted(family)], "source": "companion",
                     "why": why}
            self.proposals.append(Proposal("launchd", entry, "companion", why, (self.repo.evidence(RUNTIME_LOCK),
                                           self.repo.evidence(self.policy_rel)), review=("lanes",) if state == "active" else ()))
            proposed |= set(family.values())
        if proposed and "mlx" not in self.services:
            entry = {"id": "mlx", "host": self.policy_host, "purpose": "runtime-lock section mlx (MLX lanes)",
                     "source": "companion", "why": self.repo.why(RUNTIME_LOCK, "section mlx")}
            self.proposals.append(Proposal("services", entry, "companion", entry["why"],
                                           (self.repo.evidence(RUNTIME_LOCK),), review=("purpose",)))
        return proposed

    def _propose_env_files(self) -> None:
        """env.example beside a unit's EnvironmentFile (config/env.example, config/env.local): its KEYS, each named
        secret when its name says so; no value is proposed."""
        for rel, host, service, unit in self.units:
            for env_path in unit.values("Service", "EnvironmentFile"):
                env_path = env_path.lstrip("-")
                example = next((f"{d}/env.example" for d in _repo_dirs_ending(env_path) if self.repo.text(f"{d}/env.example")
                                is not None), None)
                if example is None:
                    continue
                values = parse_env_file(self.repo.text(example))
                keys = list(values)
                entries = [{"key": k, "source": "companion", "why": self.repo.why(example)}
                           | ({"secret": True} if _secret(k, values[k]) else {}) for k in keys]
                why = self.repo.why(example, f"the keys of {env_path} ({rel} EnvironmentFile), values never proposed")
                entry = {"name": _slug(posixpath.basename(env_path)), "path": env_path, "source": "companion", "why": why,
                         "entries": entries}
                self.proposals.append(Proposal("env_files", entry, "companion", why,
                                               (self.repo.evidence(example), self.repo.evidence(rel)), parent=service))

    def _propose_routes(self, addresses: dict[str, tuple[str, list[str]]]) -> None:
        text = self.repo.text(ROUTER)
        if text is None:
            self.miss(f"{ROUTER}: absent (no routes)")
            return
        example = self.repo.text(ENV_EXAMPLE) or ""
        # only non-secret values: an api_base or a model a route reads through os.environ/NAME
        env = {k: v for k, v in parse_env_file(example).items() if not _secret(k, v)}
        try:
            router = resolve_router(text, env)
        except RouterConfigError as e:
            self.miss(f"{ROUTER}: {e}")
            return
        litellm_host = self._registered_host("litellm-orch")
        listeners = {(b.host, b.port): b.service for b in self.binds}
        beside = {(b.host, b.port) for b in self.binds if b.beside}
        for name, deployments in router.deployments.items():
            if len(deployments) != 1:
                self.miss(f"{ROUTER}: route {name} has {len(deployments)} deployments; this schema's route has one api_base")
                continue
            [params] = deployments
            base = params.get("api_base")
            if base is None or base.value is None:
                self.miss(f"{ROUTER}: route {name}: api_base {base.raw if base else '(none)'} has no value in "
                          f"{ENV_EXAMPLE}")
                continue
            url = urlsplit(str(base.value))
            host = addresses.get(url.hostname, (None,))[0] or (litellm_host if url.hostname in _LOOPBACK else None)
            backend = listeners.get((host, url.port)) if host else None
            if backend is None:
                self.miss(f"{ROUTER}: route {name}: no unit, plist or runtime-lock entry of the repo listens at "
                          f"{url.hostname}:{url.port}, so its backend service is unknown")
                continue
            api_base = str(base.value).replace(f"//{url.hostname}:", f"//{_as_host(url.hostname, addresses)}:", 1)
            entry: dict = {"name": name, "api_base": api_base, "backend": backend, "expected": "up"}
            default_prefix = re.sub(r"[^A-Z0-9]", "_", name.upper())
            env_names = {p: params[p].variable for p in _ROUTE_PARAMS
                         if p in params and params[p].variable and params[p].variable != f"{default_prefix}_{p.upper()}"}
            literal = [p for p in _ROUTE_PARAMS if p in params and params[p].variable is None]
            if env_names:
                entry["env"] = env_names
            if literal:
                entry["literal"] = literal
            sources = [ROUTER] + ([ENV_EXAMPLE] if base.variable else [])
            why = f"{self.repo.why(ROUTER, f'model_name {name}')}" + (
                f"; {base.variable} in {ENV_EXAMPLE}" if base.variable else "")
            # a program its unit's script starts beside the main one is the unit's service only by default: the owner
            # may document it as a service of its own
            sidecar = (host, url.port) in beside
            if sidecar:
                why += f"; {backend}'s unit starts the program at {url.hostname}:{url.port} beside its main one"
            entry |= {"source": "companion", "why": why}
            self.proposals.append(Proposal("litellm.routes", entry, "companion", why,
                                           tuple(self.repo.evidence(r) for r in sources),
                                           review=("expected",) + (("backend",) if sidecar else ())))
        fallbacks = router.router_settings.get("fallbacks") or router.litellm_settings.get("fallbacks")
        if fallbacks:
            self.miss(f"{ROUTER}: fallbacks {json.dumps(fallbacks)}: this schema has no fallbacks to state them in")
        general = router.general_settings
        self.miss(f"{ROUTER}: the litellm section needs master_key, which "
                  + ("general_settings names" if "master_key" in general else "neither router.yaml nor env.example's "
                     "keys state") + f" as enabled or not; json_logs "
                  f"{router.litellm_settings.get('json_logs')!r} and router_settings "
                  f"{sorted(router.router_settings)} are read but proposed only with it")

    def _propose_packages(self) -> None:
        """Pinned runtime packages: runtime-lock's `<section>.package` (optillm 0.3.12) and LiteLLM's pin in
        services/litellm-orch/pyproject.toml (`litellm[proxy]==1.83.4`), each in the environment its service runs
        from (`_environment`), proposed as a package of the service; a pin whose environment the repo does not
        place is named in not_derived."""
        pins: list[tuple[str, str, str, str]] = []  # service, name, version, the file that pins it
        pyproject = self.repo.text(LITELLM_PYPROJECT)
        if pyproject is not None:
            try:
                deps = tomllib.loads(pyproject).get("project", {}).get("dependencies", [])
            except tomllib.TOMLDecodeError:
                deps = []
            for dep in deps:
                m = re.match(r"^litellm(\[[^\]]*\])?==([\w.]+)$", dep.replace(" ", ""))
                if m:
                    pins.append(("litellm-orch", "litellm", m.group(2), LITELLM_PYPROJECT))
        for section, value in self.lock.items():
            package = (value or {}).get("package") if isinstance(value, dict) else None
            if isinstance(package, dict) and package.get("version") and package.get("name"):
                pins.append((self._service_of_lock_section(section), str(package["name"]), str(package["version"]),
                             f"{RUNTIME_LOCK} {section}.package"))
        for service, name, version, pinned_in in pins:
            host = self._registered_host(service)
            site_packages, reason = self._environment(service)
            if host is None or site_packages is None:
                self.miss(f"{pinned_in}: package {name} {version} of {service} on {host or 'an unrecorded host'}: "
                          f"{reason or 'its host is not recorded'}, so the environment to check it in is not proposed")
                continue
            why = self.repo.why(pinned_in.split(" ")[0], f"{name}=={version}") + f"; {reason}"
            entry = {"name": name, "version": version, "site_packages": site_packages, "source": "companion",
                     "why": why}
            self.proposals.append(Proposal("packages", entry, "companion", why,
                                           (self.repo.evidence(pinned_in.split(" ")[0]),), parent=service,
                                           review=("site_packages",)))
        for alias, target in (self.lock.get("approved_lane_targets") or {}).items():
            backend = (target or {}).get("canonical_backend")
            if backend and backend not in self.lock:
                self.miss(f"{RUNTIME_LOCK} approved_lane_targets.{alias}: backend {backend} is named, its version is "
                          "pinned nowhere in the lock")

    def _environment(self, service: str) -> tuple[str | None, str]:
        """The site-packages folder a service's Python runs from, and how the repo says so (or why it cannot): the
        `.venv` of the program a launchd job runs (/Users/x/optillm-proxy/.venv/bin/optillm), or of a unit whose
        WorkingDirectory is the service's checkout folder holding a uv project (uv.lock: uv keeps the project's
        environment in `.venv` there); its Python's minor version from that folder's .python-version, or a
        requires-python that allows one minor version only (`>=3.12,<3.13`)."""
        folder = ((self.registry.get(service) or {}).get("path") or "").rstrip("/")
        venv = next((j.program.split("/.venv/bin/")[0] + "/.venv" for j in self.jobs
                     if j.service == service and j.program and "/.venv/bin/" in j.program), None)
        how = "the .venv its launchd job's program runs from"
        if venv is None and folder and self.repo.text(f"{folder}/uv.lock") is not None:
            for rel, _, unit_service, unit in self.units:
                work = unit.last("Service", "WorkingDirectory") or ""
                if unit_service == service and work.rstrip("/").endswith("/" + folder):
                    venv = work.rstrip("/") + "/.venv"
                    how = f"{posixpath.basename(rel)} WorkingDirectory is the uv project {folder} (uv.lock), whose " \
                          "environment is its .venv"
        if venv is None:
            return None, f"no unit or plist of {service} runs a .venv the repo places"
        python = _python_minor(self.repo.text(f"{folder}/.python-version") if folder else None,
                               self.repo.text(f"{folder}/pyproject.toml") if folder else None)
        if python is None:
            return None, (f"{venv} is its environment, and which Python made it (lib/python3.X) neither "
                          f"{folder or 'its folder'}/.python-version nor a one-minor requires-python says")
        return f"{venv}/lib/python{python}/site-packages", f"{how}, Python {python} ({folder})"

    def _note_units_without_listeners(self) -> None:
        """A unit whose command line binds nothing, of a service no other file gives a port: whether it listens, and
        where, is in a script or an env file on the host."""
        listening = {b.service for b in self.binds}
        for rel, host, service, unit in self.units:
            exec_start = unit.last("Service", "ExecStart") or ""
            if service not in listening and not command_line.binds(exec_start.split()) and "$" not in exec_start:
                self.miss(f"{rel}: {posixpath.basename(rel)} names no address and port on its command line (a script "
                          "or the program's default), so its listener, if any, is not in these files")

    def _note_called_addresses(self, addresses: dict[str, tuple[str, list[str]]]) -> None:
        """URLs in env values say where a service calls (env.example's CCPROXY_API_BASE and DATABASE_URL for
        LiteLLM, a plist's MEMORY_ELASTIC_URL; only host and port are read, a password never): something listens
        there, but which service, no file says, unless a listener above is it."""
        litellm_host = self._registered_host("litellm-orch")
        calls = list(self.calls)
        if litellm_host:
            calls += [(litellm_host, k, v, ENV_EXAMPLE) for k, v in parse_env_file(self.repo.text(ENV_EXAMPLE) or "").items()]
        listening = {(b.host, b.port) for b in self.binds}
        for caller, key, value, rel in calls:
            try:
                url = urlsplit(value)
                port = url.port
            except ValueError:
                continue
            if not url.scheme or not url.hostname or port is None:
                continue
            host = addresses.get(url.hostname, (None,))[0] or (caller if url.hostname in _LOOPBACK else None)
            if host is not None and (host, port) in listening:
                continue
            where = f"{host}:{port}" if host else f"{url.hostname}:{port} (a host no file of the repo binds)"
            self.miss(f"{rel}: {key} calls {where}: a listener there, of a service no unit, plist or runtime-lock "
                      "entry names")

    def _note_required_units(self) -> None:
        have = {posixpath.basename(rel) for rel, *_ in self.units}
        required: dict[str, list[str]] = {}
        for rel, host, service, unit in self.units:
            for name in " ".join(unit.values("Unit", "Requires")).split():
                if name not in have:
                    required.setdefault(f"{host} {name}", []).append(posixpath.basename(rel))
        for what, by in sorted(required.items()):
            self.miss(f"{what}: required (Requires=) by {', '.join(by)}; no unit file of the repo is it, nor says "
                      "which service it belongs to")

    def _note_drop_ins(self) -> None:
        for rel in self.repo.files("services/*/systemd/*.conf", "platform/ops/systemd/*.conf"):
            service = self._registry_entry_for(rel)
            self.miss(f"{rel}: a drop-in{f' of service {service}' if service else ''}; the unit whose .d folder holds "
                      "it is not named in the file")

    def _note_unit_backups(self) -> None:
        """platform/ops/systemd/backup/open-webui.service.20260106234329: a dated copy, not the unit the repo manages
        now (its WorkingDirectory is not the one the canon gives); it names a unit, and states nothing current."""
        current = {posixpath.basename(rel) for rel in self.repo.files(*UNIT_GLOBS)}
        for rel in self.repo.files(UNIT_BACKUPS):
            name = re.sub(r"\.\d{8,}$", "", posixpath.basename(rel))
            if name in current:
                continue
            self.miss(f"{rel}: a dated backup of {name}, not a unit file the repo manages now: {name}'s current "
                      "ExecStart, Restart and listener are in no file of the repo")

    def _note_samba(self) -> None:
        """The repo's Samba block (platform/ops/templates/samba-mini-shares.conf) binds Samba to named addresses; the
        ports and the units that serve them are Samba's package defaults, written nowhere in the repo."""
        for rel in self.repo.files(SAMBA_GLOB):
            parser = configparser.ConfigParser(interpolation=None, strict=False)
            try:
                parser.read_string(self.repo.text(rel))
            except configparser.Error as e:
                self.miss(f"{rel}: not an ini file ({type(e).__name__})")
                continue
            interfaces = parser.get("global", "interfaces", fallback="").split()
            only = parser.get("global", "bind interfaces only", fallback="no").lower() in ("yes", "true", "1")
            ports = parser.get("global", "smb ports", fallback=None)
            self.miss(f"{rel}: Samba listens on {' and '.join(interfaces) or 'its default interfaces'}"
                      + (" only" if only else "") + f"; its ports ({ports or 'smb ports not stated: the package default'})"
                      " and the units that run it (the package's) are not in these files, nor which host it is for")

    def _note_what_git_cannot_say(self) -> None:
        for line in (
            "where each unit file is installed on its host (fragment) and whether it is enabled or active: the repo "
            "holds the files, not their state",
            "which hosts are reached by which ssh alias, and the Orin's and DietPi's services beyond services.jsonl",
        ):
            self.miss(line)


# ------------------------------------------------------------------------------------------------ small readers


def _launchd_states_in_schema() -> bool:
    """Whether this inventory schema's launchd entry states a job's `state` and per-lane states, and lets a job
    without ports be documented (the 2026-05 edition's schema); else retired labels and port-less jobs are only
    named in not_derived."""
    from ..inventory.schema import LaunchdJob

    fields = LaunchdJob.model_fields
    return {"state", "program", "stdout", "stderr", "port"} <= set(fields) and not fields["ports"].is_required()


def _python_minor(python_version: str | None, pyproject: str | None) -> str | None:
    """`3.12` from a .python-version (`3.12`, `3.12.4`), else from a requires-python that allows one minor version
    (`>=3.12,<3.13`)."""
    m = re.match(r"^\s*(3\.\d+)(\.\d+)?\s*$", python_version or "")
    if m:
        return m.group(1)
    try:
        requires = tomllib.loads(pyproject or "").get("project", {}).get("requires-python", "")
    except tomllib.TOMLDecodeError:
        return None
    m = re.fullmatch(r">=\s*3\.(\d+)(?:\.\d+)?\s*,\s*<\s*3\.(\d+)", requires.replace(" ", ""))
    return f"3.{m.group(1)}" if m and int(m.group(2)) == int(m.group(1)) + 1 else None


def _secret(key: str, value: str) -> bool:
    """A secret by its name (KEY, TOKEN, PASSWORD...), or a URL that carries a password (DATABASE_URL)."""
    try:
        has_password = urlsplit(value).password is not None
    except ValueError:
        has_password = False
    return is_secret_name(key) or has_password


def _lock_port(section: dict) -> int | None:
    runtime = section.get("runtime") if isinstance(section.get("runtime"), dict) else section
    return runtime.get("port")


def _as_host(address: str, addresses: dict[str, tuple[str, list[str]]]) -> str:
    """A host's own address as the inventory writes it: `{studio}`, resolved per site."""
    return "{" + addresses[address][0] + "}" if address in addresses else address


def _repo_dirs_ending(host_path: str) -> list[str]:
    """Repo folders a host path's folder may be the checkout of: /home/u/homelab-llm/services/x/config ->
    services/x/config, x/config, config (longest first)."""
    parts = posixpath.dirname(host_path).strip("/").split("/")
    return ["/".join(parts[i:]) for i in range(1, len(parts) - 1)]  # two folders at least: never a bare config/


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9.-]+", "-", name.lower()).strip("-.") or "env"
