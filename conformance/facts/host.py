"""The facts of one host, of any kind: what its selected checks need, asked in at most two batched round trips.

Round trip 1 asks everything that depends on no other answer (the host's services, its listeners, one stat sweep
over the paths, the files read, hashed or followed, the host's identity and, when an owner's test uses `host`,
testinfra's platform probes); the second look asks what needs an answer of round trip 1 (a unit's journal needs
its InvocationID, the env files a unit names, each alias of a documented ssh config resolved by `ssh -G`). What to
ask comes from the plan (facts/plan.py: the union of the selected checks' needs); how to ask it on this host comes
from its kind (facts/kinds.py), so the same code gathers a Linux host and a Mac. `gather()` sends the round trips
before any check runs and learns every secret value they carry, so no message is formed before the redactor knows
what to hide. Accessors raise CannotVerify when the suite's user lacks a privilege, Unavailable when the host did
not answer; a failed round trip is remembered and never sent again. A fact no selected check declared was never
asked: its accessor raises NotPlanned (an error of the check whose needs are incomplete).
"""
from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass

from ..redaction import Redactor, is_secret_name
from ..runner import BatchFailed, BinaryCommand, LocalBackend, Output, Runner
from ..runner.secret_files import SECRET_FILE
from ..runner.sshconfig import Files, Resolved, ResolveFailed, failure, includes, list_aliases, parse_resolved, \
    resolve_command
from . import journal as journal_facts
from . import python_packages
from .base import MAX_READ_BYTES, CannotVerify, Fact, FileText, Unavailable, require_finished, hide_unparsed, remembered
from .envfile import parse_env_assignments
from .kinds import HostKind
from .launchd import PlistError, parse_plist
from .litellm import secret_values as yaml_secret_values
from .plan import HostPlan
from .service import UnitKey
from .tailscale import SERVE_STATUS_COMMAND, ServeStatusError, parse_serve_status

GROUPS = ["id", "-Gn"]
UNAME = ["uname", "-s"]


class NotPlanned(LookupError):
    """A check asked for a fact its declared needs do not name: it was never asked of the host."""


@dataclass(frozen=True)
class SweptPath(Fact):
    """One path of the stat sweep; its source names the path, not the whole sweep."""

    swept: int = 0

    @property
    def source(self) -> str:
        return f"stat {self.what} (one stat sweep over {self.swept} paths)"


@dataclass(frozen=True)
class SshConfigFact:
    """A documented ssh config: each alias it lists, as `ssh -G` on the host resolves it (or why it could not)."""

    path: str
    aliases: dict[str, Resolved | ResolveFailed]
    evidence: tuple

    @property
    def source(self) -> str:
        return f"ssh -G -F {self.path} -- ALIAS, for each alias of {self.path}"


def _unavailable(e: BatchFailed) -> Unavailable:
    return Unavailable(f"the round trip to {e}", "", e.records)


class HostFacts:
    def __init__(self, kind: HostKind, plan: HostPlan, runner: Runner, redactor: Redactor | None = None, http=None,
                 files: Files | None = None, secret_keys: frozenset[str] = frozenset()) -> None:
        self.kind = kind
        self.plan = plan
        self.runner = runner
        self.redactor = redactor or Redactor()
        self.http = http  # the run's HttpProbe, for checks that ask over HTTP from the run's own host
        # the host's own files, readable here when the run stands on it: an ssh config's Includes are followed there
        self.files = files if files is not None else (Files() if isinstance(runner.backend, LocalBackend) else None)
        self.secret_keys = secret_keys  # documented secret env keys (besides every secret-named one)
        self._services: dict[UnitKey, tuple[UnitKey, ...]] = {}  # a service -> the services its command answers
        self._refused: dict[UnitKey, CannotVerify] = {}

    @property
    def os(self) -> str:
        return self.kind.os

    @property
    def user(self) -> str:
        return self.runner.user

    def said(self, text: str, limit: int = 200) -> str:
        """A host's message for a failure's one line: redacted first, then cut."""
        return self.redactor.excerpt(text, limit)

    def gather(self) -> None:
        """Send every round trip now and learn the secrets in what came back (failures are remembered: each
        check that needs a round trip that failed or was refused gets its reason, and nothing is sent again)."""
        for trip in ("_first", "_second"):
            try:
                getattr(self, trip)
            except Exception:  # noqa: BLE001 - remembered; each check that needs it says why
                pass
        self._learn_secrets()

    # --- round trip 1: everything that depends on no other answer ---------------------------------------------
    def _first_asks(self) -> dict[tuple, tuple[list[str] | BinaryCommand, list[tuple]]]:
        """argv -> (the command as sent, what its answer is filed under); one command answers every ask of it."""
        plan, files = self.plan, self.kind.files
        asks: dict[tuple, tuple[list[str] | BinaryCommand, list[tuple]]] = {}

        def ask(what: tuple, argv) -> None:
            asks.setdefault((isinstance(argv, BinaryCommand), tuple(argv)), (argv, []))[1].append(what)

        if plan.groups:
            ask(("groups",), GROUPS)
        service_asks, self._refused = self.kind.services.asks(plan.services, self.user)
        for argv, keys in service_asks:
            for key in keys:
                self._services[key] = keys
                ask(("service", key), argv)
        if plan.listeners:
            ask(("listeners",), self.kind.listeners.command)
        if plan.paths:
            ask(("paths",), files.stat(plan.paths))
        for path in plan.links:
            ask(("link", path), files.readlink(path))
        for path in plan.texts:
            ask(("text", path), files.read(path, MAX_READ_BYTES))
        for path in plan.plists:
            ask(("bytes", path), files.read_bytes(path, MAX_READ_BYTES))
        for path in plan.hashes:
            ask(("hash", path), files.hash(path))
        for path in plan.listings:
            ask(("listing", path), files.list(path))
        if plan.system:
            ask(("system",), UNAME)
        if plan.disabled and self.kind.services.disabled_command:
            ask(("disabled",), self.kind.services.disabled_command)
        if plan.tailscale_serve:
            ask(("tailscale-serve",), SERVE_STATUS_COMMAND)
        for argv in self.kind.platform if plan.platform else ():
            ask(("platform", argv), list(argv))
        return asks

    @remembered
    def _first(self) -> dict[tuple, Output]:
        asks = self._first_asks()
        if not asks:  # nothing of this host is needed in round trip 1: nothing is sent
            return {}
        try:
            outs = self.runner.run([argv for argv, _ in asks.values()])
        except BatchFailed as e:
            raise _unavailable(e) from None
        return {what: out for (_, whats), out in zip(asks.values(), outs) for what in whats}

    def _answer(self, what: tuple) -> Output:
        """The output filed under `what`, from whichever round trip asked it."""
        found = self._first.get(what)
        if found is None and self.plan.second_look:
            found = self._second.get(what)
        if found is None:
            raise NotPlanned(f"{self.runner.host_id}: {' '.join(map(str, what))} was not asked: no selected check "
                             "declares it among its needs (Check.needs)")
        if isinstance(found, Exception):
            raise found
        return found

    def planned(self) -> list[list[list[str] | str]]:
        """The round trips a run will send (what --dry-run lists); the second look's commands depend on round
        trip 1's answers."""
        first = [f"{shlex.join(argv)} | base64" if isinstance(argv, BinaryCommand) else list(argv)
                 for argv, _ in self._first_asks().values()]
        second = [self.kind.services.journal_planned(key) for key in self.plan.journals]
        if self.plan.service_env:
            second.append(f"# and `head -c` of every env file {self.kind.services.name} names for "
                          f"{', '.join(map(str, self.plan.service_env))}, as round trip 1 shows them")
        second += [resolve_command("<each alias it lists>", path) for path in self.plan.ssh_configs]
        return [trip for trip in (first, second) if trip]

    def platform(self) -> dict[tuple[str, ...], Output]:
        """The answers to testinfra's platform probes (the kind's), by argv; empty when not asked or not answered."""
        try:
            answers = self._first
        except Unavailable:
            return {}
        return {argv: answers[("platform", argv)] for argv in self.kind.platform if ("platform", argv) in answers}

    @property
    def groups(self) -> list[str]:
        return require_finished(self._answer(("groups",))).stdout.split()

    def system(self) -> Fact:
        """The host's kernel name, as `uname -s` prints it."""
        out = require_finished(self._answer(("system",)))
        return Fact(out.stdout.strip(), out)

    def disabled(self) -> Fact:
        """label -> disabled: the service manager's database of disabled services (launchd's overrides)."""
        if not self.kind.services.disabled_command:
            self.kind.services.disabled(None)  # says why this manager has none
        out = require_finished(self._answer(("disabled",)))
        return Fact(self.kind.services.disabled(out), out)

    def tailscale_serve(self) -> Fact:
        """The host's Tailscale Serve mappings (facts/tailscale.py Served), node and Services alike."""
        out = require_finished(self._answer(("tailscale-serve",)))
        if out.exit_status != 0:
            raise Unavailable(f"`tailscale serve status --json` failed (exit {out.exit_status}): "
                              f"{self.said(out.stderr) or 'no message'}", out.command, (out.record,))
        try:
            return Fact(parse_serve_status(out.stdout), out)
        except ServeStatusError as e:
            raise Unavailable(f"`tailscale serve status --json` printed no ServeConfig: {e}", out.command,
                              (out.record,)) from None

    def service(self, key: UnitKey) -> Fact:
        """The service as its manager shows it (facts/service.py ServiceState), whatever the manager."""
        self._first  # a failed round trip is the reason, before any refusal
        if key in self._refused:
            raise self._refused[key]
        out = require_finished(self._answer(("service", key)))
        return Fact(self.kind.services.state(key, out, self._services[key], self.said), out)

    def listeners(self) -> Fact:
        out = require_finished(self._answer(("listeners",)))
        if out.exit_status != 0:
            raise Unavailable(f"`{self.kind.listeners.name}` failed (exit {out.exit_status}): {self.said(out.stderr)}",
                              out.command, (out.record,))
        return Fact(self.kind.listeners.parse(out.stdout), out)

    def path(self, path: str) -> Fact:
        out = require_finished(self._answer(("paths",)))
        if path not in self.plan.paths:
            raise NotPlanned(f"{self.runner.host_id}: stat {path} was not asked: no selected check declares it")
        fact = self.kind.files.parse_stat(out.stdout, out.stderr, self.plan.paths)[path]
        if fact.denied:
            raise CannotVerify(f"needs permission to look into the parent directory of {path}", (out.record,))
        return SweptPath(fact, out, path, len(self.plan.paths))

    def link_target(self, path: str) -> Fact:
        out = require_finished(self._answer(("link", path)))
        return Fact(out.stdout.strip() if out.exit_status == 0 else None, out)

    def file_text(self, path: str) -> FileText:
        """The file's text; `problem` says why there is none (missing, not a regular file, too large)."""
        out = require_finished(self._answer(("text", path)))
        problem = _read_problem(out, path, self.user, self.said)
        if problem is None and len(out.stdout.encode("utf-8", errors="replace")) > MAX_READ_BYTES:
            problem = f"larger than {MAX_READ_BYTES // 1024} KiB (not read further)"
        return FileText(path, out.stdout if problem is None else "", out, problem)

    def env_file(self, path: str) -> tuple[dict[str, str], FileText]:
        """KEY -> value as systemd reads the file (empty when the file has a problem), and the file."""
        text = self.file_text(path)
        return {k: v for k, (v, _) in parse_env_assignments(text.text).items()}, text

    def plist(self, path: str) -> Fact:
        """The plist's keys (value), or why there are none (`what`: missing, not a regular file, not a plist)."""
        out = require_finished(self._answer(("bytes", path)))
        if out.exit_status != 0 or out.data is None:
            if "Permission denied" in out.stderr:
                raise CannotVerify(f"needs read access to {path} (launchd accepts a 0600 plist; the suite's user "
                                   f"{self.user} then cannot read it)", (out.record,))
            problem = "missing" if "No such file" in out.stderr else (
                "not a regular file" if "not a regular file" in out.stderr else f"unreadable: {self.said(out.stderr)}")
            return Fact(None, out, what=problem)
        if len(out.data) > MAX_READ_BYTES:
            return Fact(None, out, what=f"larger than {MAX_READ_BYTES // 1024} KiB")
        try:
            return Fact(parse_plist(out.data), out)
        except PlistError as e:
            return Fact(None, out, what=f"not a plist: {e}")

    def file_hash(self, path: str) -> Fact:
        """sha256 of a regular file; None when it is missing or not a regular file (`what` says which)."""
        out = require_finished(self._answer(("hash", path)))
        problem = _read_problem(out, path, self.user, self.said)
        digest = self.kind.files.parse_hash(out.stdout).get(path) if problem is None else None
        if problem is None and digest is None:
            raise Unavailable(f"{out.argv[0]} gave no digest for {path} (exit {out.exit_status}): {self.said(out.stderr)}",
                              out.command, (out.record,))
        return Fact(digest, out, what=problem or "")

    def packages(self, site_packages: str) -> Fact:
        """name (normalized) -> version of the distributions installed in a site-packages folder, read from the
        names of their .dist-info folders (the package is never run or imported); None when the folder is
        missing or not a folder (`what` says which)."""
        out = require_finished(self._answer(("listing", site_packages)))
        if out.exit_status == 0:
            return Fact(python_packages.parse_listing(out.stdout), out)
        if "Permission denied" in out.stderr:
            raise CannotVerify(f"needs read access to {site_packages} (as {self.user} it is denied)", (out.record,))
        if "No such file" in out.stderr:
            return Fact(None, out, what="missing")
        if "Not a directory" in out.stderr:
            return Fact(None, out, what="not a folder")
        raise Unavailable(f"listing {site_packages} failed (exit {out.exit_status}): {self.said(out.stderr)}",
                          out.command, (out.record,))

    # --- the second look: what needs an answer of round trip 1 -------------------------------------------------
    @remembered
    def _second(self) -> dict[tuple, Output | Exception]:
        looked: dict[tuple, Output | Exception] = {}
        wanted: dict[tuple, list[str]] = {}
        for key in self.plan.journals:
            try:
                wanted[("journal", key)] = self.kind.services.journal(key, self.service(key).value, self.user)
            except Exception as e:  # noqa: BLE001 - round trip 1's failure or refusal, or a privilege: its reason
                looked[("journal", key)] = e
        for path in self._env_files_named():
            wanted[("text", path)] = self.kind.files.read(path, MAX_READ_BYTES)
        for path in self.plan.ssh_configs:
            try:
                aliases = self._ssh_aliases(path)
            except Exception as e:  # noqa: BLE001 - unreadable (its check says why), or Includes only the host follows
                looked[("ssh", path)] = e
                continue
            looked[("ssh", path)] = tuple(aliases)
            wanted.update((("ssh", path, alias), resolve_command(alias, path)) for alias in aliases)
        if wanted:
            try:
                outs = self.runner.run(list(wanted.values()))
            except BatchFailed as e:
                looked.update((what, _unavailable(e)) for what in wanted)
            else:
                looked.update(zip(wanted, outs))
        return looked

    def _env_files_named(self) -> list[str]:
        """The env files the services' manager names (a master key or a log line's secret could come from any),
        not already read and never a secret file."""
        found: list[str] = []
        for key in self.plan.service_env:
            try:
                found += [f for f in self.service(key).value.environment_files if f.startswith("/")]
            except Exception:  # noqa: BLE001 - the service's own checks say why; no file of it to read
                continue
        read = set(self.plan.texts)
        return [f for f in dict.fromkeys(found) if f not in read and not self.runner.secret_files.named(f)]

    def _ssh_aliases(self, path: str) -> list[str]:
        text = self.file_text(path)
        if text.problem:
            return []
        if self.files is None and includes(text.text):
            raise CannotVerify(f"needs the run to stand on {self.runner.host_id}: {path} Includes other files, "
                               "which are followed where they are")
        return list_aliases(path, self.files or Files(), text=text.text)

    def ssh_config(self, path: str) -> SshConfigFact:
        """The aliases of a documented ssh config, each as ssh on this host resolves it with that file."""
        outs = {alias: self._answer(("ssh", path, alias)) for alias in self._answer(("ssh", path))}
        resolved: dict[str, Resolved | ResolveFailed] = {}
        for alias, out in outs.items():
            if out.timed_out:
                resolved[alias] = ResolveFailed(f"ssh -G {alias} did not finish within its deadline")
            elif out.exit_status != 0:
                resolved[alias] = failure(alias, out.exit_status, out.stderr)
            else:
                try:
                    resolved[alias] = parse_resolved(alias, out.stdout)
                except ResolveFailed as e:
                    resolved[alias] = e
        return SshConfigFact(path, resolved, tuple(out.record for out in outs.values()))

    def journal(self, key: UnitKey) -> Fact:
        out = require_finished(self._answer(("journal", key)))
        if journal_facts.denied(out.stderr, out.stdout) or (
                not out.stdout.strip() and not self.kind.services.sees_whole_journal(key, self.service(key).value,
                                                                                     self.user, self.groups)):
            raise CannotVerify(f"needs membership in systemd-journal (or root) to read the journal of {key.name}"
                               f" ({self.user} is in: {' '.join(self.groups) or 'no groups'})", (out.record,))
        if out.exit_status != 0:
            raise Unavailable(f"journalctl failed (exit {out.exit_status}): {self.said(out.stderr)}", out.command,
                              (out.record,))
        return Fact(out.stdout, out)

    # --- secrets: learned from everything read, before any check forms a message ------------------------------
    def _learn_secrets(self) -> None:
        answers = {}
        for trip in ("_first", "_second"):
            try:
                answers.update(getattr(self, trip))
            except Exception:  # noqa: BLE001 - nothing came back: nothing to learn
                pass
        for what, out in answers.items():
            if not isinstance(out, Output) or out.timed_out:
                continue
            if what[0] == "text" and out.exit_status == 0:
                self._learn_file(what[1], out)
            elif what[0] == "service":
                self._learn_service(what[1], out)
            elif what[0] == "bytes":
                self._learn_plist(what[1])
            elif what[0] == "tailscale-serve":  # a Proxy or Redirect URL may carry a password (user:pass@)
                spans = self.redactor.learn_from(out.stdout)
                if self.redactor.enabled:
                    out.record.mask(spans)

    def _learn_file(self, path: str, out: Output) -> None:
        try:
            if path in self.plan.yaml:
                found = yaml_secret_values(out.stdout)
            else:
                found = [(v, span) for k, (v, span) in parse_env_assignments(out.stdout).items()
                         if k in self.secret_keys or is_secret_name(k)]
        except Exception:  # noqa: BLE001 - whatever the parser's failure, the file is hidden and gathering goes on
            hide_unparsed(out, self.redactor)
            return
        for value, (start, end) in found:
            self.redactor.learn(value)
            self.redactor.learn(out.stdout[start:end])  # as written: a continued value is split by lines
        if self.redactor.enabled:  # the self-test switch turns the whole boundary off, spans included
            out.record.mask(span for _, span in found)

    def _learn_service(self, key: UnitKey, out: Output) -> None:
        if self._services.get(key, (key,))[0] != key:  # one command answers several services: learned once
            return
        try:
            values = self.kind.services.secret_values(out, self._services[key])
        except Exception:  # noqa: BLE001 - see hide_unparsed
            hide_unparsed(out, self.redactor)
            return
        for value in values:
            self.redactor.learn(value)
        if self.redactor.enabled:
            out.record.mask(self.kind.services.masks(out))

    def _learn_plist(self, path: str) -> None:
        try:
            fact = self.plist(path)
        except Exception:  # noqa: BLE001 - unreadable or unparsable: its bytes are never shown, its checks say why
            return
        for value in fact.value.secret_values() if fact.value else ():
            self.redactor.learn(value)


def _read_problem(out: Output, path: str, user: str, said: Callable[[str], str]) -> str | None:
    """None when the command read the file; else why not. A missing privilege is CannotVerify."""
    if out.exit_status == 0:
        return None
    if out.exit_status == 126 and SECRET_FILE in out.stderr:  # the runner's guard, as the path resolves on the host
        return f"a secret file, not read ({out.stderr.split(SECRET_FILE, 1)[1].strip()})"
    if "Permission denied" in out.stderr:
        raise CannotVerify(f"needs read access to {path} (as {user} it is denied; run as root or grant the group)",
                           (out.record,))
    if "No such file" in out.stderr:
        return "missing"
    if out.stderr.strip().endswith("not a regular file (not read)") or "Is a directory" in out.stderr:
        return "not a regular file"
    raise Unavailable(f"reading {path} failed (exit {out.exit_status}): {said(out.stderr)}", out.command,
                      (out.record,))
