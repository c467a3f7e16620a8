"""One suite run: the inventory, the site, and the facts of each host (gathered once, cached)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from .evidence import Redactor
from .facts.linux import LinuxFacts
from .facts.plan import FactPlan
from .inventory.schema import Baseline, Inventory
from .runner import Runner, TestinfraBackend
from .site import SiteView


@dataclass
class SuiteSession:
    inventory: Inventory
    site: SiteView
    local_host: str = "mini"  # the inventory host the suite runs on for `-m local`
    redactor: Redactor = field(default_factory=Redactor)
    waivers: dict = field(default_factory=dict)  # check id -> Waiver
    baseline: Baseline | None = None
    runners: dict[str, Runner] = field(default_factory=dict)
    _facts: dict[str, LinuxFacts] = field(default_factory=dict)

    def facts(self, host_id: str) -> LinuxFacts:
        if host_id not in self._facts:
            if host_id != self.local_host:
                raise NotImplementedError(f"facts of {host_id} need a remote backend (roadmap: studio/dietpi over SSH)")
            _reach_own_user_manager()
            runner = Runner(host_id, TestinfraBackend("local://"), self.redactor)
            self.runners[host_id] = runner
            self._facts[host_id] = LinuxFacts(FactPlan(self.inventory, host_id), runner)
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
