"""Read one live host for discovery: two reads, at least READ_GAP seconds apart, one round trip each.

Each read is one round trip through the suite's Runner (allowlist, watchdog deadlines, secret files never read,
evidence records). Both reads ask the same listing, so an item counts only when it is seen in both: a transient
unit, a short-lived process or a listener that comes and goes between the reads is never an item. What needs a
listing first is asked in the second read only: an enabled unit that is not loaded (its properties), the env
files the units name (their KEYS are kept, never a value), a launchd job's loaded state (macOS plist names are
known only after a listing).

Linux: `systemctl [--user [-M user@]] show -p PROPS -- '*.service'` (every loaded service, both scopes),
`list-unit-files --type=service` (what is enabled), `ss -ltnH`, the kernel's ephemeral port range.
macOS: `ls -1 -q -- /Library/LaunchDaemons` (and each documented user's LaunchAgents), `netstat -an -p tcp`;
the second read adds `launchctl print system/<label>` and the plist (`head -c`, byte for byte) for each daemon seen
in the first, and `launchctl print-disabled system`.
Both: the second read also stats every path the inventory documents on the host (a path the lab dropped), and on
Linux reads the documented env files and LiteLLM's router.yaml (where the proxy's unit or start script says it is).
"""
from __future__ import annotations

import posixpath
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..facts import bsd, paths as gnu_paths
from ..facts.envfile import parse_env_assignments
from ..facts.paths import PathFact
from ..facts.launchd import (PRINT_DISABLED_COMMAND, LaunchctlError, PlistError, job_program, parse_plist,
                              parse_print, parse_print_disabled, print_command)
from ..facts.listeners import Netstat, Ss
from ..facts.litellm import RouterConfigError, resolve_router
from ..facts.litellm import secret_values as yaml_secret_values
from ..facts.systemd import UnitProperties, parse_environment_file, parse_exec, parse_timespan, show_blocks
from ..redaction import Redactor, is_secret_name
from ..runner import BatchFailed, BinaryCommand, Output, Runner
from ..runner.runner import NOT_RECORDED

READ_GAP = 5.0  # seconds between the two reads: an item must be seen in both
ROUND_TRIPS = 2  # per host, always: the two reads
ENV_READ_BYTES = 64 * 1024

# Stable properties only: no MainPID, InvocationID, timestamps or counters.
UNIT_PROPS = ("Id", "LoadState", "ActiveState", "UnitFileState", "FragmentPath", "DropInPaths", "ExecStart",
              "Restart", "RestartUSec", "EnvironmentFiles", "Environment", "User", "Transient")
EVERY_SERVICE = "*.service"
LINUX_EPHEMERAL = (32768, 60999)  # the kernel's default ip_local_port_range, when the host's cannot be read
DARWIN_EPHEMERAL = (49152, 65535)  # net.inet.ip.portrange.first/last defaults (IANA dynamic range)
PORT_RANGE_FILE = "/proc/sys/net/ipv4/ip_local_port_range"
LAUNCH_DAEMONS = "/Library/LaunchDaemons"
PLIST_READ_BYTES = 256 * 1024


@dataclass(frozen=True)
class Item:
    """One thing seen on a host. `key` identifies it across reads; `attrs` are its stable attributes."""

    kind: str  # "unit", "listener", "launchd"
    host: str
    key: tuple
    attrs: dict
    command: str  # the command that showed it (evidence)
    at: str  # when (ISO, UTC) the read that confirmed it was answered

    @property
    def name(self) -> str:
        return ":".join(str(k) for k in self.key)


@dataclass
class Observation:
    """What discovery saw on one host, what it could not see (and why), and what it cost."""

    host: str
    user: str = "?"
    items: list[Item] = field(default_factory=list)
    cannot: dict[str, str] = field(default_factory=dict)  # what (e.g. "user units of bob") -> why
    unit_files: dict[tuple, str] = field(default_factory=dict)  # (scope, user, name) -> its file's state (read 2)
    unreachable: str | None = None  # the host could not be read at all
    paths: dict[str, "PathFact"] = field(default_factory=dict)  # the documented paths, as one stat showed them (read 2)
    env: dict[str, dict[str, str | None]] = field(default_factory=dict)  # env file -> key -> value (None: secret)
    seconds: float = 0.0
    round_trips: int = 0
    commands: int = 0

    def find(self, kind: str, key: tuple) -> Item | None:
        return next((i for i in self.items if i.kind == kind and i.key == key), None)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def show_command(scope: str, user: str | None, as_user: str, units: list[str] | None = None) -> list[str] | None:
    """`systemctl show` of every loaded service (or of the named units) in one scope; None when this run's user
    cannot reach that scope (another user's manager needs root)."""
    argv = ["systemctl"]
    if scope == "user":
        if as_user == "root":
            argv += ["--user", "-M", f"{user}@"]
        elif as_user == user:
            argv += ["--user"]
        else:
            return None
    return argv + ["show", "--no-pager", "-p", ",".join(UNIT_PROPS), "--", *(units or [EVERY_SERVICE])]


def unit_files_command(scope: str, user: str | None, as_user: str) -> list[str] | None:
    show = show_command(scope, user, as_user)
    if show is None:
        return None
    return show[:show.index("show")] + ["list-unit-files", "--no-pager", "--no-legend", "--type=service"]


def parse_show_blocks(text: str) -> dict[str, UnitProperties]:
    """`systemctl show` of many units (asked by pattern, so in no known order): each block keyed by its Id."""
    return {block.values["Id"][-1]: block for block in show_blocks(text) if block.values.get("Id", [""])[-1]}


def parse_unit_files(text: str) -> dict[str, str]:
    """`list-unit-files --no-legend`: `name state [preset]` per line -> name: state."""
    states = {}
    for line in text.splitlines():
        cols = line.split()
        if len(cols) >= 2 and cols[0].endswith(".service"):
            states[cols[0]] = cols[1]
    return states


def parse_port_range(text: str) -> tuple[int, int] | None:
    nums = re.findall(r"\d+", text)
    return (int(nums[0]), int(nums[1])) if len(nums) >= 2 else None


def unit_attrs(props: UnitProperties, enabled: bool) -> dict:
    """The stable attributes of a unit, in the inventory's own words (secret-named Environment values dropped)."""
    commands = props.exec_start
    attrs: dict = {
        "fragment": props.get("FragmentPath") or None,
        "exec_start": commands[0].line if commands else None,
        "restart": props.get("Restart") or None,
        "restart_sec": props.restart_sec,
        "environment_files": props.environment_files,  # every one (optional too: they are read when there)
        "optional_environment_files": props.optional_environment_files,  # `EnvironmentFile=-PATH`
        "unit_file_state": props.get("UnitFileState") or None,
        "environment": {k: v for k, v in props.environment.items() if not is_secret_name(k)},
        "drop_ins": props.drop_ins,
        "run_as": props.get("User") or "root",
        "active": props.get("ActiveState") == "active",
        "enabled": enabled,
    }
    return attrs


def is_stable_unit(props: UnitProperties, enabled: bool) -> bool:
    """A unit worth proposing: loaded from a file (not transient, whose definition dies with it), and enabled or
    running (a unit merely loaded because something names it is not the host's own)."""
    if props.get("Transient") == "yes" or props.get("LoadState") not in ("loaded", ""):
        return False
    if (props.get("FragmentPath") or "").startswith("/run/"):  # runtime units: gone at the next boot
        return False
    return enabled or props.get("ActiveState") == "active"


class LinuxReader:
    gap = READ_GAP  # a replay sets 0: its answers were read apart on the night

    def __init__(self, host: str, runner: Runner, users: list[str], redactor: Redactor,
                 secret_keys: frozenset[str] = frozenset(), router: tuple[str, str | None] | None = None,
                 proxy_units: tuple[str, ...] = (), documented_paths: tuple[str, ...] = (),
                 documented_env_files: tuple[str, ...] = ()) -> None:
        self.host, self.runner, self.users, self.redactor = host, runner, users, redactor
        self.documented_paths = sorted(set(documented_paths))  # stat-ed in read 2: a path the lab no longer has
        self.documented_env_files = tuple(documented_env_files)  # read in read 2 (keys, non-secret values)
        self.secret_keys = secret_keys
        self.router = router  # LiteLLM's router.yaml on this host, and the env file its os.environ/ names come from
        self.proxy_units = proxy_units  # the units the inventory documents the proxy runs as (litellm-orch.service)
        self.env_values: dict[str, str] = {}  # non-secret values of the env files read (to resolve router.yaml)
        self.env_ports: dict[str, set[int]] = {}  # path -> the ports its non-secret values name
        self.obs_env: dict[str, dict[str, str | None]] = {}
        self.scopes: list[tuple[str, str | None]] = [("system", None)] + [("user", u) for u in users]

    def listing(self, obs: Observation) -> list[tuple[tuple, list[str]]]:
        asks: list[tuple[tuple, list[str]]] = []
        for scope, user in self.scopes:
            show = show_command(scope, user, self.runner.user)
            if show is None:
                obs.cannot[f"user units of {user}"] = (f"needs root or {user} (discovery runs as {self.runner.user})")
                continue
            asks.append((("show", scope, user), show))
            asks.append((("files", scope, user), unit_files_command(scope, user, self.runner.user)))
        asks.append((("listeners",), list(Ss.command)))
        asks.append((("range",), ["head", "-c", "64", "--", PORT_RANGE_FILE]))
        if self.router:
            asks.append((("router",), ["head", "-c", str(ENV_READ_BYTES), "--", self.router[0]]))
        return asks

    def read(self, obs: Observation) -> None:
        first_asks = self.listing(obs)
        first = _send(self.runner, first_asks, obs)
        if first is None:
            return
        started = time.monotonic()
        seen1 = self._units(first, obs, record=False)
        # the second read: the same listing, the enabled units not loaded, and the env files named
        second_asks = list(first_asks)
        for (scope, user), units in self._not_loaded(first, seen1).items():
            second_asks.append((("show-named", scope, user), show_command(scope, user, self.runner.user, units)))
        env_files = sorted({f for (_, _, _), (props, _) in seen1.items() for f in props.environment_files
                            if f.startswith("/")} | ({self.router[1]} if self.router and self.router[1] else set())
                           | set(self.documented_env_files))
        if self.documented_paths:
            second_asks.append((("stat",), gnu_paths.stat_command(self.documented_paths)))
        for path in env_files:
            second_asks.append((("env", path), ["head", "-c", str(ENV_READ_BYTES), "--", path]))
        named, script = self._router_named(seen1)
        if named:  # the proxy's unit names another router.yaml than the inventory: that one is read too
            second_asks.append((("router-named",), ["head", "-c", str(ENV_READ_BYTES), "--", named]))
        if script:  # ...through its start script, which is read to confirm it
            second_asks.append((("router-script",), ["head", "-c", str(ENV_READ_BYTES), "--", script]))
        time.sleep(max(0.0, self.gap - (time.monotonic() - started)))
        second = _send(self.runner, second_asks, obs)
        if second is None:
            return
        at = _now()
        seen2 = self._units(second, obs, record=True)
        self.obs_env = obs.env
        env_keys = {path: self._env_keys(second[("env", path)], path) for path in env_files if ("env", path) in second}
        for key, (props, enabled) in seen2.items():
            if key not in seen1 or not is_stable_unit(props, enabled) or not is_stable_unit(*seen1[key]):
                continue
            scope, user, name = key
            attrs = unit_attrs(props, enabled)
            attrs["env_keys"] = {f: env_keys[f] for f in attrs["environment_files"] if f in env_keys}
            # the ports its env files' non-secret values name: how a listener is tied to a unit whose script reads
            # its port from there (never written out)
            attrs["env_ports"] = sorted({p for f in attrs["environment_files"] for p in self.env_ports.get(f, ())})
            command = second[("show", scope, user)].command
            obs.items.append(Item("unit", self.host, key, attrs, command, at))
        if ("stat",) in second:
            out = second[("stat",)]
            obs.paths = said_paths(gnu_paths.parse_stat(out.stdout, out.stderr, self.documented_paths), out.stderr)
        low, high = parse_port_range(first[("range",)].stdout) or LINUX_EPHEMERAL
        _listeners(obs, self.host, first[("listeners",)], second[("listeners",)], Ss(), (low, high), at)
        confirmed = ("router-script",) not in second or self._script_names(second[("router-script",)], named)
        if ("router-named",) in second and confirmed:
            obs.cannot.pop("litellm routes", None)
            self._routes(obs, second[("router-named",)], second[("router-named",)], at, config=named)
        elif self.router:
            self._routes(obs, first[("router",)], second[("router",)], at)

    def _router_named(self, seen: dict) -> tuple[str | None, str | None]:
        """The router.yaml the running proxy reads, when it is not the inventory's (the lab moved it), and the start
        script that says so (or None). Read in the second read only: a config file, not running state, so one read
        of it stands.

        Two forms: a unit whose ExecStart runs `litellm --config /ABSOLUTE/PATH`, or a
        documented proxy unit whose ExecStart is a start script (the owner's run-service.sh, which ends in `exec
        .../litellm --config config/router.yaml`): its router.yaml is looked for where the inventory places it beside
        the env file (same file name, in the directory of the unit's EnvironmentFile that has the documented env
        file's name), and kept only when the script's `--config` names that file (_script_names)."""
        if not self.router:
            return None, None
        config, env_file = self.router[0], self.router[1]
        for (_, _, name), (props, _) in seen.items():
            for command in props.exec_start:
                argv = list(command.argv)
                if "litellm" in " ".join(argv) and "--config" in argv[:-1]:
                    path = argv[argv.index("--config") + 1]
                    return (path, None) if path.startswith("/") and path != config else (None, None)
                if name in self.proxy_units and argv and argv[0].startswith("/") and env_file \
                        and posixpath.dirname(env_file) == posixpath.dirname(config):
                    beside = [f for f in props.environment_files if posixpath.basename(f) == posixpath.basename(env_file)]
                    if beside and beside[0] != env_file:
                        return posixpath.join(posixpath.dirname(beside[0]), posixpath.basename(config)), argv[0]
        return None, None

    def _script_names(self, out: Output, config: str | None) -> bool:
        """Whether the proxy's start script runs LiteLLM with `--config` naming `config`: that path, or a relative
        path it ends with (`config/router.yaml`, from the unit's working directory, which the listing does not
        carry). Only the words `litellm ... --config PATH` are kept in the evidence (a replay reads them again);
        the rest of the script is masked (it may hold a secret)."""
        text = out.stdout if out.exit_status == 0 else ""
        kept: list[tuple[int, int]] = []
        found = False
        for m in re.finditer(r"litellm\S*\s+(?:[^\n]*\s)?--config[= ]\s*[\"']?([^\s\"'<>;&|)]+)", text):
            named = m.group(1)
            if config and (named == config or (not named.startswith("/") and config.endswith("/" + posixpath.normpath(named)))):
                found = True
                kept.append((m.start(), m.end()))
        if self.redactor.enabled:
            spans, at = [], 0
            for start, end in kept:
                spans.append((at, start))
                at = end
            spans.append((at, len(out.stdout)))
            out.record.mask([(a, b) for a, b in spans if b > a])
        return found

    def _routes(self, obs: Observation, first: Output, second: Output, at: str, config: str | None = None) -> None:
        """LiteLLM's routes: the model names router.yaml lists in both reads, each with its api_base and model as
        the proxy resolves them (os.environ/NAME from the env file; a secret-named variable is never resolved)."""
        texts = []
        for out in ((first,) if first is second else (first, second)):  # one answer read twice is masked once
            found = yaml_secret_values(out.stdout) if out.exit_status == 0 else []
            for value, _ in found:
                self.redactor.learn(value)
            if self.redactor.enabled:
                out.record.mask(span for _, span in found)
            texts.append(out.stdout if out.exit_status == 0 else None)
        texts = texts * 2 if first is second else texts
        if texts[1] is None:
            obs.cannot["litellm routes"] = f"`{second.command}` failed (exit {second.exit_status})"
            return
        try:
            before = resolve_router(texts[0] or "", {})
            now = resolve_router(texts[1], self.env_values)
        except RouterConfigError as e:
            obs.cannot["litellm routes"] = str(e)
            return
        for name, deployments in now.deployments.items():
            if name not in before.deployments:
                continue
            obs.items.append(Item("route", self.host, (name,), route_attrs(deployments), second.command, at))
        obs.items.append(Item("litellm", self.host, ("settings",), settings_attrs(now, config or (self.router or ("",))[0]),
                              second.command, at))

    def _units(self, answers: dict, obs: Observation, record: bool) -> dict[tuple, tuple[UnitProperties, bool]]:
        units: dict[tuple, tuple[UnitProperties, bool]] = {}
        for scope, user in self.scopes:
            out = answers.get(("show", scope, user))
            if out is None:
                continue
            what = "system units" if scope == "system" else f"user units of {user}"
            if out.exit_status != 0:
                obs.cannot[what] = f"`{out.command}` failed (exit {out.exit_status}): {self.redactor(out.stderr)[:200]}"
                continue
            files = answers.get(("files", scope, user))
            states = parse_unit_files(files.stdout) if files is not None and files.exit_status == 0 else {}
            if record:
                obs.unit_files.update({(scope, user, name): state for name, state in states.items()})
            blocks = parse_show_blocks(out.stdout)
            named = answers.get(("show-named", scope, user))
            if named is not None and named.exit_status == 0:
                blocks.update(parse_show_blocks(named.stdout))
            for name, props in blocks.items():
                self._learn(props, out)
                units[(scope, user, name)] = (props, states.get(name) == "enabled")
            for name, state in states.items():  # enabled, not loaded: properties asked by name in read 2
                if state == "enabled" and name not in blocks and not name.endswith("@.service"):
                    units.setdefault((scope, user, name), (UnitProperties({"Id": [name]}), True))
        return units

    def _not_loaded(self, answers: dict, seen: dict) -> dict[tuple, list[str]]:
        wanted: dict[tuple, list[str]] = {}
        for (scope, user, name), (props, enabled) in seen.items():
            if enabled and not props.get("LoadState"):
                wanted.setdefault((scope, user), []).append(name)
        return wanted

    def _learn(self, props: UnitProperties, out: Output) -> None:
        for value in props.secret_values(is_secret_name):
            self.redactor.learn(value)

    def _env_keys(self, out: Output, path: str = "") -> list[str] | None:
        if out.exit_status != 0:
            return None
        found = parse_env_assignments(out.stdout)
        secret = [span for k, (v, span) in found.items() if k in self.secret_keys or is_secret_name(k)]
        if path:  # what the file holds, for comparing with what the inventory documents of it (secrets: None)
            self.obs_env[path] = {k: (None if (k in self.secret_keys or is_secret_name(k)) and v != "" else v)
                                  for k, (v, _) in found.items()}  # an empty value is no secret: it says "empty"
        for k, (v, span) in found.items():
            if k in self.secret_keys or is_secret_name(k):
                self.redactor.learn(v)
            else:
                self.env_values[k] = v
                self.env_ports.setdefault(path, set()).update(
                    int(p) for p in re.findall(r"(?<![\d.])(\d{2,5})(?![\d.])", v) if 0 < int(p) < 65536)
        if self.redactor.enabled:
            out.record.mask(secret)
        return sorted(found)


class DarwinReader:
    """macOS: the plists of /Library/LaunchDaemons (and the documented users' LaunchAgents) in both reads; the second
    read adds, for each daemon's plist listed in the first, `launchctl print system/<label>` (loaded, running, last
    exit), the plist's bytes (`head -c`, carried byte for byte: Program, ProgramArguments, KeepAlive, the log
    paths) and, once, `launchctl print-disabled system` (launchd's database of disabled labels, which also names
    labels that have no plist any more)."""

    gap = READ_GAP

    def __init__(self, host: str, runner: Runner, users: list[str], redactor: Redactor,
                 documented_paths: tuple[str, ...] = ()) -> None:
        self.host, self.runner, self.redactor = host, runner, redactor
        self.dirs = [LAUNCH_DAEMONS] + [f"/Users/{u}/Library/LaunchAgents" for u in users]
        self.documented_paths = sorted(set(documented_paths))

    def read(self, obs: Observation) -> None:
        asks = [(("ls", d), ["ls", "-1", "-q", "--", d]) for d in self.dirs]
        asks.append((("listeners",), list(Netstat.command)))
        first = _send(self.runner, asks, obs)
        if first is None:
            return
        started = time.monotonic()
        labels1 = self._labels(first, obs)
        daemons = [label for label, d in labels1.items() if d == LAUNCH_DAEMONS]
        second_asks = list(asks) + [(("print", label), print_command(label)) for label in daemons]
        second_asks += [(("plist", label), BinaryCommand(["head", "-c", str(PLIST_READ_BYTES), "--",
                                                           f"{LAUNCH_DAEMONS}/{label}.plist"])) for label in daemons]
        second_asks.append((("disabled",), list(PRINT_DISABLED_COMMAND)))
        if self.documented_paths:
            second_asks.append((("stat",), bsd.stat_command(self.documented_paths)))
        time.sleep(max(0.0, self.gap - (time.monotonic() - started)))
        second = _send(self.runner, second_asks, obs)
        if second is None:
            return
        at = _now()
        if ("stat",) in second:
            out = second[("stat",)]
            obs.paths = said_paths(bsd.parse_stat(out.stdout, out.stderr, self.documented_paths), out.stderr)
        disabled = self._disabled(second[("disabled",)], obs)
        for label, d in self._labels(second, obs).items():
            if labels1.get(label) != d:
                continue
            attrs = {"plist": f"{d}/{label}.plist", "loaded": None}
            if ("print", label) in second:
                attrs.update(self._job(second[("print", label)], second[("plist", label)], obs, label))
            if disabled is not None:
                attrs["disabled"] = disabled.get(label, False)
            obs.items.append(Item("launchd", self.host, (label,), attrs, second[("ls", d)].command, at))
        if disabled is not None:  # labels launchd keeps disabled with no plist listed: retired jobs
            listed = {i.key[0] for i in obs.items if i.kind == "launchd"}
            for label in sorted(l for l, off in disabled.items() if off and l not in listed and l not in labels1):
                obs.items.append(Item("launchd-disabled", self.host, (label,), {"disabled": True},
                                      second[("disabled",)].command, at))
        _listeners(obs, self.host, first[("listeners",)], second[("listeners",)], Netstat(), DARWIN_EPHEMERAL, at)

    def _job(self, printed: Output, plist: Output, obs: Observation, label: str) -> dict:
        """A daemon's stable attributes: loaded and running (not its pid or run count), whether its last run ended
        cleanly, and what its plist says it runs, keeps alive and logs to (never an environment value)."""
        attrs: dict = {}
        try:
            job = parse_print(printed.stdout, printed.stderr, printed.exit_status)
        except LaunchctlError as e:
            obs.cannot[f"launchd:{label}"] = str(e)[:200]
            job = None
        else:
            attrs["loaded"] = job is not None
        if job is not None:
            for value in job.secret_values():
                self.redactor.learn(value)
            attrs.update(running=job.running, exited_cleanly=job.exited_cleanly)
        if plist.exit_status == 0 and plist.data is not None:
            try:
                facts = parse_plist(plist.data)
            except PlistError as e:
                obs.cannot[f"launchd plist {label}"] = str(e)[:200]
                return attrs
            for value in facts.secret_values():
                self.redactor.learn(value)
            runs = job_program(facts)
            attrs.update(program=runs.interpreter or runs.path, keep_alive=bool(facts.keep_alive),
                         stdout=facts.standard_out_path, stderr=facts.standard_error_path,
                         # the ports its arguments name (how a listener is tied to its job): never the arguments,
                         # which may carry a secret
                         argument_ports=sorted({int(p) for a in facts.program_arguments
                                                for p in re.findall(r"(?<![\d.])(\d{2,5})(?![\d.])", a)
                                                if 0 < int(p) < 65536}))
        return attrs

    def _disabled(self, out: Output, obs: Observation) -> dict[str, bool] | None:
        if out.exit_status == NOT_RECORDED:  # a replay of a run that did not ask it
            return None
        try:
            return parse_print_disabled(out.stdout, out.stderr, out.exit_status)
        except LaunchctlError as e:
            obs.cannot["launchd disabled database"] = str(e)[:200]
            return None

    def _labels(self, answers: dict, obs: Observation) -> dict[str, str]:
        labels = {}
        for d in self.dirs:
            out = answers[("ls", d)]
            if out.exit_status != 0:
                if "No such file" not in out.stderr:
                    obs.cannot[f"launchd plists in {d}"] = f"`{out.command}` failed: {self.redactor(out.stderr)[:200]}"
                continue
            for name in out.stdout.split():
                if name.endswith(".plist"):
                    labels[name.removesuffix(".plist")] = d
        return labels


def _send(runner: Runner, asks: list[tuple[tuple, list[str]]], obs: Observation) -> dict | None:
    """One round trip; None (and the host marked unreachable) when it fails."""
    try:
        outs = runner.run([argv for _, argv in asks])
    except BatchFailed as e:
        obs.unreachable = e.reason
        return None
    finally:
        obs.round_trips, obs.commands = runner.batches, runner.commands
    return {what: out for (what, _), out in zip(asks, outs)}


def _listeners(obs: Observation, host: str, first: Output, second: Output, parser, ephemeral: tuple[int, int],
               at: str) -> None:
    if first.exit_status != 0 or second.exit_status != 0:
        obs.cannot["listeners"] = f"`{second.command}` failed (exit {second.exit_status})"
        return
    low, high = ephemeral
    before = {(l.address, l.port) for l in parser.parse(first.stdout)}
    for address, port in sorted({(l.address, l.port) for l in parser.parse(second.stdout)}):
        if (address, port) in before:  # one in the ephemeral range is kept only to match a documented port
            obs.items.append(Item("listener", host, (address, port), {"ephemeral": low <= port <= high},
                                  second.command, at))


def said_paths(facts: dict[str, PathFact], stderr: str) -> dict[str, PathFact]:
    """The paths stat answered for: those it showed, those it may not look at, and those it said do not exist
    (`No such file or directory` naming the path). A path it said nothing of (the command failed, timed out, was
    not recorded) is not there at all: never taken as absent."""
    missing = {line for line in stderr.splitlines() if "No such file or directory" in line}
    return {p: f for p, f in facts.items()
            if f.exists or f.denied or any(f"'{p}'" in line or f" {p}:" in line or f'"{p}"' in line for line in missing)}


ROUTE_PARAMS = ("api_base", "model", "api_key")


def route_attrs(deployments: list) -> dict:
    """A route's stable attributes: each deployment's api_base and model as the proxy resolves them (a secret-named
    variable is never resolved), and how router.yaml gives each param (`os.environ/NAME`, or written in it)."""
    out: list[dict] = []
    env: dict[str, str] = {}
    literal: set[str] = set()
    for params in deployments:
        out.append({k: (v.value if v.variable is None or not is_secret_name(v.variable) else None)
                    for k, v in params.items() if k in ("api_base", "model")})
        for k in ROUTE_PARAMS:
            if k in params:
                if params[k].variable:
                    env.setdefault(k, params[k].variable)
                else:
                    literal.add(k)
    first = out[0] if out else {}
    return {"api_base": first.get("api_base"), "model": first.get("model"), "deployments": out, "env": env,
            "literal": sorted(literal)}


def settings_attrs(router, config: str) -> dict:
    """The proxy's settings a route list does not show: where router.yaml is, JSON logs, the router_settings keys,
    the fallbacks (router_settings or litellm_settings), and whether general_settings names a master key or a
    database (its NAME only: a `master_key:` value is a secret)."""
    fallbacks = router.router_settings.get("fallbacks") or router.litellm_settings.get("fallbacks") or []
    pairs = [(str(k), [str(t) for t in (v if isinstance(v, list) else [v])]) for f in fallbacks if isinstance(f, dict)
             for k, v in f.items()]
    return {"config": config, "json_logs": bool(router.litellm_settings.get("json_logs", False)),
            "router_settings": sorted(router.router_settings), "fallbacks": pairs,
            "master_key_in_config": "master_key" in router.general_settings,
            "database_in_config": "database_url" in router.general_settings}


def names_port(attrs: dict, port: int) -> bool:
    """Whether a unit's command line or environment names the port (`--port 4000`, `0.0.0.0:11434`, a bare `8080`
    argument): how a listener is tied to its unit without `ss -p` (which the allowlist refuses)."""
    text = " ".join([attrs.get("exec_start") or ""] + list((attrs.get("environment") or {}).values()))
    return re.search(rf"(?<![\d.]){port}(?![\d.])", text) is not None


__all__ = ["Item", "Observation", "LinuxReader", "DarwinReader", "READ_GAP", "ROUND_TRIPS", "names_port",
           "parse_show_blocks", "parse_unit_files", "parse_environment_file", "parse_exec", "parse_timespan"]
