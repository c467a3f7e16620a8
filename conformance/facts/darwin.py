"""Facts of one macOS host (the Studio), gathered in ONE round trip, without root, POSIX sh only.

The batch: `uname -s`, `sw_vers`, `id -un`, `launchctl print system/<label>` for each documented
job, `netstat -an -p tcp` (it sees every user's sockets without root; lsof sees only one's own),
one BSD `stat -L -f` sweep over the plists, runtime dirs and the log file of every port in the
documented range, and each plist's bytes (base64 in transit, so binary plists survive). No GNU
flags, no `timeout`, no Python on the Mac: the watchdog is the runner's POSIX sh.
"""
from __future__ import annotations

import shlex

from ..redaction import Redactor
from ..runner import BatchFailed, Binary, Output, Runner
from .base import MAX_READ_BYTES, CannotVerify, Fact, Unavailable, hide_unparsed, remembered
from .bsd import SW_VERS_COMMAND, UNAME_COMMAND, parse_stat, parse_uname, stat_command
from .launchd import LaunchctlError, PlistError, mask_environment, parse_plist, parse_print, print_command
from .linux import answered
from .netstat import NETSTAT_COMMAND, parse_netstat
from .paths import read_command

ROUND_TRIPS = 1
UNAME_MACHINE = ["uname", "-m"]  # testinfra's last platform probe (systeminfo.py), sent when an owner's test uses `host`


class _PathFact(Fact):
    @property
    def source(self) -> str:
        return f"stat -L -f ... {self.what} (one stat sweep over {len(self.output.argv) - 4} paths)"


class MacFacts:
    os = "darwin"

    def __init__(self, inventory, host_id: str, runner: Runner, redactor: Redactor | None = None, http=None) -> None:
        self.inventory = inventory
        self.host_id = host_id
        self.runner = runner
        self.redactor = redactor or Redactor()
        self.http = http
        self.jobs = [job for j in inventory.launchd if j.host == host_id for job in j.jobs()]
        self.platform_wanted = False  # an owner's test uses `host` here: answer testinfra's platform probes too

    @property
    def user(self) -> str:
        return self.runner.user

    def paths(self) -> list[str]:
        found: list[str] = []
        for j in self.inventory.launchd:
            if j.host == self.host_id:
                found += [plist for _, plist in j.jobs()] + [j.runtime_dir] + list(j.log_paths().values())
        return list(dict.fromkeys(found))

    def commands(self) -> list[list[str]]:
        """The one batch, as it will be sent (also what --dry-run lists)."""
        paths = self.paths()
        return ([UNAME_COMMAND, SW_VERS_COMMAND, ["id", "-un"]] + [print_command(label) for label, _ in self.jobs]
                + [NETSTAT_COMMAND] + ([stat_command(paths)] if paths else [])
                + [Binary(read_command(plist, MAX_READ_BYTES)) for _, plist in self.jobs]
                + ([UNAME_MACHINE] if self.platform_wanted else []))

    def planned(self) -> list[list[list[str]]]:
        return [[f"{shlex.join(c)} | base64" if isinstance(c, Binary) else c for c in self.commands()]]

    def gather(self) -> None:
        try:
            self._batch
        except Exception:  # remembered (did not answer, or refused): each check that needs it says why
            return
        self._learn_secrets()

    @remembered
    def _batch(self) -> dict[str, Output | dict[str, Output]]:
        try:
            outs = self.runner.run(self.commands())
        except BatchFailed as e:
            raise Unavailable(f"the round trip to {e}", "", e.records) from None
        rest = iter(outs)
        batch = {"uname": next(rest), "sw_vers": next(rest), "id": next(rest),
                 "jobs": {label: next(rest) for label, _ in self.jobs}, "netstat": next(rest)}
        batch["stat"] = next(rest) if self.paths() else None
        batch["plists"] = {plist: next(rest) for _, plist in self.jobs}
        batch["platform"] = {out.argv: out for out in (batch["uname"], batch["sw_vers"], *rest)}
        return batch

    def platform(self) -> dict[tuple[str, ...], Output]:
        """The answers to testinfra's platform probes (`uname -s`, `sw_vers`, `uname -m`), by argv; empty when not
        answered."""
        try:
            return dict(self._batch["platform"])
        except Unavailable:
            return {}

    def system(self) -> Fact:
        out = answered(self._batch["uname"])
        return Fact(parse_uname(out.stdout), out)

    def job(self, label: str) -> Fact:
        """The job as `launchctl print` shows it; value None when it is not loaded."""
        out = answered(self._batch["jobs"][label])
        try:
            return Fact(parse_print(out.stdout, out.stderr, out.exit_status), out)
        except LaunchctlError as e:
            raise Unavailable(f"launchctl could not show {label}: {e}", out.command, (out.record,)) from None

    def plist(self, path: str) -> Fact:
        """The plist's keys (value), or why there are none (`what`: missing, not a regular file, not a plist)."""
        out = answered(self._batch["plists"][path])
        if out.exit_status != 0 or out.data is None:
            if "Permission denied" in out.stderr:
                raise CannotVerify(f"needs read access to {path} (launchd accepts a 0600 plist; the suite's user "
                                   f"{self.user} then cannot read it)", (out.record,))
            problem = "missing" if "No such file" in out.stderr else (
                "not a regular file" if "not a regular file" in out.stderr
                else f"unreadable: {self.redactor.excerpt(out.stderr, 200)}")
            return Fact(None, out, what=problem)
        if len(out.data) > MAX_READ_BYTES:
            return Fact(None, out, what=f"larger than {MAX_READ_BYTES // 1024} KiB")
        try:
            return Fact(parse_plist(out.data), out)
        except PlistError as e:
            return Fact(None, out, what=f"not a plist: {e}")

    def path(self, path: str) -> Fact:
        out = answered(self._batch["stat"])
        fact = parse_stat(out.stdout, out.stderr, self.paths())[path]
        if fact.denied:
            raise CannotVerify(f"needs permission to look into the parent directory of {path}", (out.record,))
        return _PathFact(fact, out, path)

    def listeners(self) -> Fact:
        out = answered(self._batch["netstat"])
        if out.exit_status != 0:
            raise Unavailable(f"`netstat` failed (exit {out.exit_status}): {self.redactor.excerpt(out.stderr, 200)}",
                              out.command, (out.record,))
        return Fact(parse_netstat(out.stdout), out)

    def _learn_secrets(self) -> None:
        for label, out in self._batch["jobs"].items():
            if out.exit_status == 0 and not out.timed_out:
                try:
                    job = parse_print(out.stdout, out.stderr, out.exit_status)
                except LaunchctlError:
                    job = None
                except Exception:  # noqa: BLE001 - see hide_unparsed
                    job = None
                    hide_unparsed(out, self.redactor)
                for value in job.secret_values() if job else ():
                    self.redactor.learn(value)
                if self.redactor.enabled:
                    out.record.mask(mask_environment(out.stdout))
        for plist in self._batch["plists"]:
            try:
                fact = self.plist(plist)
            except Exception:  # noqa: BLE001 - unreadable or unparsable: its bytes are never shown, its checks say why
                continue
            for value in fact.value.secret_values() if fact.value else ():
                self.redactor.learn(value)
