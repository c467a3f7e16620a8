"""One suite run: the inventory, the site, and the facts of each host (gathered once, cached)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from .facts.linux import ROUND_TRIPS, LinuxFacts
from .facts.plan import FactPlan
from .inventory.schema import Baseline, Inventory
from .redaction import Redactor
from .runner import LocalBackend, Runner
from .runner.runner import COMMAND_TIMEOUT, ROUND_TRIP_TIMEOUT
from .site import SiteView


@dataclass
class SuiteSession:
    inventory: Inventory
    site: SiteView
    local_host: str = "mini"  # the inventory host the suite runs on for `-m local`
    redactor: Redactor = field(default_factory=Redactor)
    waivers: dict = field(default_factory=dict)  # check id -> Waiver
    baseline: Baseline | None = None
    command_timeout: float = COMMAND_TIMEOUT
    round_trip_timeout: float = ROUND_TRIP_TIMEOUT
    checks: list = field(default_factory=list)  # every check of this run, in inventory order
    runners: dict[str, Runner] = field(default_factory=dict)
    _facts: dict[str, LinuxFacts] = field(default_factory=dict)

    def facts(self, host_id: str) -> LinuxFacts:
        """The host's facts, every round trip sent (and every secret learned) before the first check."""
        if host_id not in self._facts:
            if host_id != self.local_host:
                raise NotImplementedError(f"facts of {host_id} need a remote backend (roadmap: studio/dietpi over SSH)")
            _reach_own_user_manager()
            runner = Runner(host_id, LocalBackend(), command_timeout=self.command_timeout,
                            round_trip_timeout=self.round_trip_timeout, max_round_trips=ROUND_TRIPS)
            self.runners[host_id] = runner
            facts = LinuxFacts(FactPlan(self.inventory, host_id), runner, self.redactor)
            facts.gather()
            self._facts[host_id] = facts
        return self._facts[host_id]

    def command_counts(self) -> dict[str, tuple[int, int]]:
        """host -> (round trips, commands)."""
        return {h: (r.batches, len(r.records)) for h, r in self.runners.items()}


def _reach_own_user_manager() -> None:
    """`systemctl --user` needs XDG_RUNTIME_DIR, which a login session sets and a timer or cron
    job does not; point it at the user's runtime dir when that exists (lingering users have one)."""
    runtime = f"/run/user/{os.getuid()}"
    if "XDG_RUNTIME_DIR" not in os.environ and os.getuid() != 0 and os.path.isdir(runtime):
        os.environ["XDG_RUNTIME_DIR"] = runtime
