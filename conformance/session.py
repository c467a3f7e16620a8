"""One suite run: the inventory, the site, the checks, and the facts of each host (gathered once, cached).

The seam for kinds of host: how a host is asked comes from its kind (facts/kinds.py, by the inventory host's
`os`), what it is asked from the checks the run selected (`select`: the union of their needs), the transport
from where the run stands: the `--local-host` is read locally, every other host over SSH (its `ssh_alias`, or
the Host of the ssh config whose HostName is its address).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from .facts.host import HostFacts
from .facts.kinds import kind_of
from .facts.needs import PLATFORM, Need
from .facts.plan import MAX_ROUND_TRIPS, HostPlan
from .inventory.schema import Baseline, Inventory
from .redaction import Redactor
from .report.model import HostStats
from .runner import LocalBackend, NoSshTarget, RoundTripFailed, Runner, SecretFiles, ssh_backend_for
from .runner.runner import COMMAND_TIMEOUT, ROUND_TRIP_TIMEOUT
from .site import SiteAddresses

if TYPE_CHECKING:  # imported when first used: a run pays for what its selected checks ask (see LazyHttpProbe)
    from .facts.contract import ContractFacts
    from .facts.http import HttpProbe
    from .replay import Replay

CONNECT_TIMEOUT = 5  # seconds; OpenSSH takes whole seconds


class LazyHttpProbe:
    """The run's HttpProbe, made when a check first asks over HTTP: httpx2 is imported only by a run that does (a
    `-m local` run never does). Every other attribute is the probe's."""

    def __init__(self, replayed: list[dict] | None = None) -> None:
        self.probe: HttpProbe | None = None
        self.replayed = replayed  # a replay: the recording's exchanges answer, no request leaves the process

    def __getattr__(self, name: str):
        if self.probe is None:
            from .facts.http import HttpProbe
            transport = None
            if self.replayed is not None:
                from .replay.http import ReplayTransport
                transport = ReplayTransport(self.replayed)
            self.probe = HttpProbe(transport=transport)
        return getattr(self.probe, name)

    @property
    def records(self) -> list:
        return self.probe.records if self.probe is not None else []

    @property
    def exchanges(self) -> list[dict]:
        """Every exchange whole, for the run's recording (none when nothing was asked over HTTP)."""
        return self.probe.transport.exchanges if self.probe is not None else []

    def close(self) -> None:
        if self.probe is not None:
            self.probe.close()


class Unreachable:
    """A backend for a host no transport can be built for: every round trip fails with the reason."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.user = "?"

    def run(self, script: str, deadline: float):
        raise RoundTripFailed(self.reason)


@dataclass
class SuiteSession:
    inventory: Inventory
    site: SiteAddresses
    local_host: str = "mini"  # the inventory host the suite runs on for `-m local`
    redactor: Redactor = field(default_factory=Redactor)
    waivers: dict = field(default_factory=dict)  # check id -> Waiver
    baseline: Baseline | None = None
    command_timeout: float = COMMAND_TIMEOUT
    round_trip_timeout: float = ROUND_TRIP_TIMEOUT
    connect_timeout: int = CONNECT_TIMEOUT
    ssh_config: str | None = None  # --ssh-config; default: the invoking user's ~/.ssh/config
    checks: dict = field(default_factory=dict)  # host id -> its checks, in inventory order
    contract_checks: list = field(default_factory=list)
    selected: dict[str, list[Need]] | None = None  # host id -> what the selected checks need of it (None: all)
    selected_checks: list = field(default_factory=list)
    http: HttpProbe | LazyHttpProbe = field(default_factory=LazyHttpProbe)
    request_timeout: float | None = None  # --request-timeout: every contract request's deadline
    runners: dict[str, Runner] = field(default_factory=dict)
    replay: Replay | None = None  # --replay: every host answers from this recording
    inputs: dict[str, str] = field(default_factory=dict)  # inventory, site, baseline, waivers: the files read
    owner_test_hosts: set[str] = field(default_factory=set)  # hosts an owner's selected test checks through `host`
    _facts: dict = field(default_factory=dict)
    _contract: ContractFacts | None = None

    @property
    def as_of(self) -> date:
        """The day the lab is judged as of: today, or a replayed run's night (waivers expire by it)."""
        return self.replay.as_of if self.replay else date.today()

    def facts_for(self, check):
        """Where a check's facts come from: the OpenAI API for contract checks, else its host."""
        return self.contract() if check.kind == "contract" else self.facts(check.host)

    def contract(self) -> ContractFacts:
        """The contract's answers (asked on first use, once): the proxy and every route's backend."""
        if self._contract is None:
            from .facts.contract import ContractFacts  # the openai client and httpx2: ~0.5 s, paid only here
            environ = self.contract_environ()
            key_env = self.inventory.litellm.master_key.key_env if self.inventory.litellm else None
            key = environ.get(key_env) if key_env else None
            if key:
                self.redactor.learn(key)  # whatever echoes it (an error body, a log line) is redacted
            self._contract = ContractFacts(self.inventory, self.site, self.local_host, self.http,
                                           deadline=self.request_timeout, host_facts=self.facts, environ=environ,
                                           redactor=self.redactor)
        return self._contract

    def key_envs(self) -> list[str]:
        """The environment variables the contract takes keys from: the master key's, and each backend kind's."""
        names = [self.inventory.litellm.master_key.key_env] if self.inventory.litellm else []
        names += [a.auth.key_env for a in (self.inventory.contract.apis if self.inventory.contract else ()) if a.auth]
        return list(dict.fromkeys(names))

    def contract_environ(self) -> dict[str, str]:
        """Where the contract finds its keys: the run's environment; in a replay, whether the night had each (its
        answers are in the recording, so a stand-in value serves: the recording answers any key)."""
        environ = dict(os.environ)
        if self.replay:
            given = set(self.replay.option("keys_given") or ())
            if self.replay.option("master_key_given") and self.inventory.litellm:  # a recording of before keys_given
                given.add(self.inventory.litellm.master_key.key_env)
            for name in self.key_envs():
                environ.pop(name, None)
                if name in given:
                    environ[name] = "<recorded run's key>"
        return environ
    def contract_test_seconds(self) -> float:
        """The most one contract test can take: the first gathers every answer (`ContractFacts.bound()`, from the
        routes' budgets); Open WebUI's check then reads its env file (its host's facts: every round trip at its
        deadline) and sends one request."""
        from .facts.contract_plan import ContractPlan  # the plan alone: no client is imported to bound a test
        contract = ContractPlan(self.inventory, self.site, self.local_host, self.request_timeout)
        seconds = contract.bound()
        webui = self.inventory.contract.open_webui
        if webui:
            seconds += MAX_ROUND_TRIPS * self.round_trip_timeout + contract.proxy_deadline
        return seconds

    @property
    def contract_gathered(self) -> bool:
        return self._contract is not None and bool(self._contract.routes)

    def select(self, checks) -> None:
        """The checks this run will evaluate (after pytest's -m/-k): each host is asked what they need, nothing
        else, so a check that is not selected costs nothing."""
        self.selected, self.selected_checks = {}, list(checks)
        for check in self.selected_checks:
            self.selected.setdefault(check.host, []).extend(check.needs)

    def checks_of(self, host_id: str) -> list:
        """Every check of the host, derived from the inventory once."""
        if host_id not in self.checks:
            from .checks.derive import host_checks
            self.checks[host_id] = host_checks(self.inventory, self.site, host_id, self.baseline)
        return self.checks[host_id]

    def plan(self, host_id: str) -> HostPlan:
        """What this run asks the host: its selected checks' needs (every check of it when nothing was selected,
        e.g. `python -m conformance.baseline`), and testinfra's platform probes when an owner's test uses `host`."""
        needs = (self.selected.get(host_id, []) if self.selected is not None
                 else [n for c in self.checks_of(host_id) + self.contract_checks if c.host == host_id for n in c.needs])
        return HostPlan(needs + ([Need(PLATFORM)] if host_id in self.owner_test_hosts else []))

    def host_facts(self, host_id: str, runner: Runner) -> HostFacts:
        """The host's facts over this runner, not gathered yet."""
        return HostFacts(kind_of(self.inventory.host(host_id).os), self.plan(host_id), runner, self.redactor, self.http,
                         secret_keys=secret_env_keys(self.inventory, host_id))

    def facts(self, host_id: str):
        """The host's facts, every round trip sent (and every secret learned) before the first check.

        Made once per run: if gathering them raises, that is remembered and raised to every check of the
        host, never tried again (a new try would send the host's round trips again, check after check)."""
        if host_id not in self._facts:
            runner = Runner(host_id, self.backend(host_id), command_timeout=self.command_timeout,
                            round_trip_timeout=self.round_trip_timeout, max_round_trips=self.plan(host_id).round_trips,
                            secret_files=SecretFiles(secret_paths(self.inventory, host_id)))
            self.runners[host_id] = runner
            facts = self.host_facts(host_id, runner)
            try:
                facts.gather()
            except Exception as e:
                self._facts[host_id] = e
                raise
            self._facts[host_id] = facts
        found = self._facts[host_id]
        if isinstance(found, Exception):
            raise found
        return found

    def gather_at_once(self, workers: int = 16) -> None:
        """Every host with selected checks (contract checks aside: they ask the API, not the host) has its facts
        gathered now, all hosts at once, a thread each: hosts answer in parallel, so a run over 16 hosts waits about
        as long as over its slowest one, not the sum of them (lab/scale.py measures it). Each host's failure is
        remembered and raised to its checks, as when gathered on first use. Not in a replay (it answers at once)."""
        hosts = list(dict.fromkeys(c.host for c in self.selected_checks if c.kind != "contract"))
        hosts = [h for h in hosts if h not in self._facts]
        if self.replay or len(hosts) < 2:
            return
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=min(workers, len(hosts)), thread_name_prefix="gather") as pool:
            for future in [pool.submit(self.facts, h) for h in hosts]:
                future.exception()  # kept in self._facts: facts() raises it to every check of that host

    def gathered(self, host_id: str):
        """The host's facts if they were gathered (or tried) in this run, else None; never sends anything."""
        return self._facts.get(host_id)

    def backend(self, host_id: str):
        """How the host is reached: locally for the --local-host, else OpenSSH (not connected until used);
        in a replay, every host answers from the recording."""
        if self.replay:
            return self.replay.backend(host_id)
        if host_id == self.local_host:
            _reach_own_user_manager()
            return LocalBackend()
        try:
            return ssh_backend_for(host_id, self.site.address(host_id), self.site.ssh_alias(host_id),
                                   config_file=self.ssh_config, connect_timeout=self.connect_timeout)
        except (NoSshTarget, OSError) as e:
            return Unreachable(f"{host_id} unreachable: {e}")

    def close(self) -> None:
        """End every host's connection (its ControlMaster: `ssh -O check`, `ssh -O exit`), all hosts at once."""
        closes = [close for runner in self.runners.values() if (close := getattr(runner.backend, "close", None))]
        if len(closes) > 1:
            from concurrent.futures import ThreadPoolExecutor
            with ThreadPoolExecutor(max_workers=min(16, len(closes)), thread_name_prefix="close") as pool:
                list(pool.map(lambda close: close(), closes))
        else:
            for close in closes:
                close()
        self.http.close()
        if self.replay:
            self.replay.close()

    def host_stats(self) -> dict[str, HostStats]:
        """host -> every round trip sent (of them, the owner's tests'), and the commands really sent: a refused
        command, or one not sent again to a host whose round trip failed, is not counted (its record is
        evidence of why)."""
        return {h: HostStats(r.batches, r.commands, r.test_batches) for h, r in self.runners.items()}

    def records(self) -> list:
        """Every command and request of the run, as evidence."""
        return [r for runner in self.runners.values() for r in runner.records] + list(self.http.records)


def secret_paths(inventory: Inventory, host_id: str) -> list[str]:
    """The host's documented secret files: only ever stat'ed, never read (by the facts or by a test)."""
    return [p.path for s in inventory.services_on(host_id) for p in s.paths if p.secret]


def secret_env_keys(inventory: Inventory, host_id: str) -> frozenset[str]:
    """The env keys the inventory documents as secret on the host (every secret-NAMED key is one too)."""
    return frozenset(e.key for s in inventory.services_on(host_id) for f in s.env_files for e in f.entries if e.secret)


def _reach_own_user_manager() -> None:
    """`systemctl --user` needs XDG_RUNTIME_DIR, which a login session sets and a timer or cron
    job does not; point it at the user's runtime dir when that exists (lingering users have one)."""
    runtime = f"/run/user/{os.getuid()}"
    if "XDG_RUNTIME_DIR" not in os.environ and os.getuid() != 0 and os.path.isdir(runtime):
        os.environ["XDG_RUNTIME_DIR"] = runtime
