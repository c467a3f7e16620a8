"""Facts of one Linux host, gathered once per session in at most three batched round trips.

Batches: (1) identity + every unit of every scope + every listener (+ the platform testinfra
probes for, `uname -s`, `uname -m` and /etc/os-release, when an owner's test uses `host`), (2)
every documented path + every file the checks read + the hashes of protected files, (3) the second
look, what needs an earlier answer: the journal of units whose logs are checked (round trip 1's
InvocationID) and each alias of a documented ssh config (read in round trip 2), resolved by `ssh -G`.
`gather()` sends them all before any check runs, and learns every
secret value they carry, so no message is formed before the redactor knows what to hide.
Accessors raise CannotVerify when the suite's user lacks a privilege, Unavailable when the
host did not answer; a failed round trip is remembered and never sent again.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from ..redaction import Redactor, is_secret_name
from ..runner import BatchFailed, LocalBackend, Output, Runner
from ..runner.secret_files import SECRET_FILE
from ..runner.sshconfig import Files, Resolved, ResolveFailed, failure, includes, list_aliases, parse_resolved, \
    resolve_command
from . import journal as journal_facts
from .base import MAX_READ_BYTES, CannotVerify, Fact, FileText, Unavailable, hide_unparsed, remembered
from .envfile import parse_env_assignments
from .litellm import secret_values as yaml_secret_values
from .paths import PathFact, hash_command, parse_sha256, parse_stat, read_command, readlink_command, stat_command
from .plan import FactPlan, UnitKey
from .sockets import LISTENERS_COMMAND, Listening, parse_ss
from .systemd import UnitProperties, parse_show, show_command

ROUND_TRIPS = 3
# What testinfra's SystemInfo asks a Linux host (systeminfo.py: `uname -s`, `cat /etc/os-release`, `uname -m`),
# answered in round trip 1 when an owner's test uses `host` (conformance/testinfra_host.py serves it from here).
PLATFORM_COMMANDS = (("uname", "-s"), ("uname", "-m"), tuple(read_command("/etc/os-release", MAX_READ_BYTES)))


class _PathFact(Fact):
    """One path of the stat sweep; its source names the path, not the whole sweep."""

    @property
    def source(self) -> str:
        return f"stat {self.what} (one stat sweep over {len(self.output.argv) - 4} paths)"


def _unavailable(e: BatchFailed) -> Unavailable:
    return Unavailable(f"the round trip to {e}", "", e.records)


def answered(out: Output) -> Output:
    """The output, unless its command was killed at its deadline (or, in a replay, is not in the recording)."""
    if out.not_recorded:
        raise CannotVerify(f"not in the recording: `{out.command}` ({out.stderr.strip()})", (out.record,))
    if out.timed_out:
        raise Unavailable(f"`{out.command}` did not finish within its deadline on {out.record.host}", out.command,
                          (out.record,))
    return out


@dataclass(frozen=True)
class SshConfigFact:
    """A documented ssh config: each alias it lists, as `ssh -G` on the host resolves it (or why it could not)."""

    path: str
    aliases: dict[str, Resolved | ResolveFailed]
    evidence: tuple

    @property
    def source(self) -> str:
        return f"ssh -G -F {self.path} -- ALIAS, for each alias of {self.path}"


class _FirstTrip(NamedTuple):
    user: Output
    groups: Output
    units: dict[tuple[str, str | None], Output | CannotVerify]
    listeners: Output
    platform: dict[tuple[str, ...], Output]


class LinuxFacts:
    os = "linux"

    def __init__(self, plan: FactPlan, runner: Runner, redactor: Redactor | None = None, http=None,
                 files: Files | None = None) -> None:
        self.plan = plan
        self.runner = runner
        self.redactor = redactor or Redactor()
        self.http = http  # the run's HttpProbe, for checks that ask over HTTP from the run's own host
        # the host's own files, readable here when the run stands on it: an ssh config's Includes are followed there
        self.files = files if files is not None else (Files() if isinstance(runner.backend, LocalBackend) else None)
        self.platform_wanted = False  # an owner's test uses `host` here: answer testinfra's platform probes too

    @property
    def user(self) -> str:
        return self.runner.user

    def said(self, text: str, limit: int = 200) -> str:
        """A host's message for a failure's one line: redacted first, then cut."""
        return self.redactor.excerpt(text, limit)

    def gather(self) -> None:
        """Send every round trip now and learn the secrets in what came back (failures are remembered: each
        check that needs a round trip that failed or was refused gets its reason, and nothing is sent again)."""
        for batch in ("_units_batch", "_files_batch", "_second_look"):
            try:
                getattr(self, batch)
            except Exception:
                pass
        self._learn_secrets()

    # --- batch 1: identity, units, listeners (and the platform) -----------------------------
    def planned(self) -> list[list[list[str]]]:
        """The round trips a run will send (what --dry-run lists); the journal's needs round trip 1's answer."""
        commands = self._first_commands()
        paths = self.plan.paths()
        files = (([stat_command(paths)] if paths else []) + [readlink_command(p) for p in self.plan.symlinks()]
                 + [read_command(p, MAX_READ_BYTES) for p in self.plan.reads()] + [hash_command(p) for p in self.plan.hashed()]
                 + ["# and `head -c` of every EnvironmentFile= the units name, as round trip 1 shows them"])
        second = [journal_facts.journal_command("<InvocationID from round trip 1>", k.scope) for k in self.plan.journals()]
        second += [resolve_command("<each alias it lists>", path) for path in self.plan.ssh_configs()]
        return [commands, files] + ([second] if second else [])

    def _first_commands(self) -> list[list[str]]:
        commands, _, _ = self._units_commands()
        return commands + [LISTENERS_COMMAND] + ([list(c) for c in PLATFORM_COMMANDS] if self.platform_wanted else [])

    def _units_commands(self):
        commands = [["id", "-un"], ["id", "-Gn"]]
        scopes: list[tuple[str, str | None]] = []
        refused: dict[tuple[str, str | None], CannotVerify] = {}
        for (scope, owner), names in self.plan.units_by_scope().items():
            if scope == "system":
                commands.append(show_command(names))
            elif owner == self.user:
                commands.append(show_command(names, "user"))
            elif self.user == "root":
                commands.append(show_command(names, "user", machine_user=owner))
            else:
                refused[(scope, owner)] = CannotVerify(f"needs to run as root or as {owner} to read {owner}'s user units")
                continue
            scopes.append((scope, owner))
        return commands, scopes, refused

    @remembered
    def _units_batch(self) -> _FirstTrip:
        _, scopes, refused = self._units_commands()
        try:
            outs = iter(self.runner.run(self._first_commands()))
        except BatchFailed as e:
            raise _unavailable(e) from None
        user, groups = next(outs), next(outs)
        by_scope: dict[tuple[str, str | None], Output | CannotVerify] = dict(refused)
        by_scope.update((scope, next(outs)) for scope in scopes)
        listeners = next(outs)
        return _FirstTrip(user, groups, by_scope, listeners, {out.argv: out for out in outs})

    def platform(self) -> dict[tuple[str, ...], Output]:
        """The answers to testinfra's platform probes (PLATFORM_COMMANDS), by argv; empty when not asked or not
        answered."""
        try:
            return dict(self._units_batch.platform)
        except Unavailable:
            return {}

    @property
    def groups(self) -> list[str]:
        return answered(self._units_batch.groups).stdout.split()

    def unit(self, key: UnitKey) -> Fact:
        out = self._units_batch.units[(key.scope, key.user)]
        if isinstance(out, CannotVerify):
            raise out
        props = parse_show(answered(out).stdout, self.plan.units_by_scope()[(key.scope, key.user)]).get(key.name)
        if props is None:  # e.g. the user manager cannot be reached: a broken thing, not a privilege
            raise Unavailable(f"systemctl gave no properties for {key} (exit {out.exit_status}): "
                              f"{self.said(out.stderr, 300) or 'no output'}", out.command, (out.record,))
        return Fact(props, out)

    # --- batch 2: paths, file contents, hashes ----------------------------------------------
    @remembered
    def _files_batch(self) -> tuple[Output | None, dict[str, Output], dict[str, Output], dict[str, Output]]:
        paths, links, hashed = self.plan.paths(), self.plan.symlinks(), self.plan.hashed()
        reads = list(dict.fromkeys(self.plan.reads() + self._units_environment_files()))
        commands = ([stat_command(paths)] if paths else []) + [readlink_command(p) for p in links] \
            + [read_command(p, MAX_READ_BYTES) for p in reads] + [hash_command(p) for p in hashed]
        if not commands:  # nothing documented to look at on this host: no round trip
            return None, {}, {}, {}
        try:
            outs = iter(self.runner.run(commands))
        except BatchFailed as e:
            raise _unavailable(e) from None
        sweep = next(outs) if paths else None
        return (sweep, {p: next(outs) for p in links}, {p: next(outs) for p in reads}, {p: next(outs) for p in hashed})

    def path(self, path: str) -> Fact:
        out = answered(self._files_batch[0])
        fact: PathFact = parse_stat(out.stdout, out.stderr, self.plan.paths())[path]
        if fact.denied:
            raise CannotVerify(f"needs permission to look into the parent directory of {path}", (out.record,))
        return _PathFact(fact, out, path)

    def link_target(self, path: str) -> Fact:
        out = answered(self._files_batch[1][path])
        return Fact(out.stdout.strip() if out.exit_status == 0 else None, out)

    def file_text(self, path: str) -> FileText:
        """The file's text; `problem` says why there is none (missing, not a regular file, too large)."""
        out = answered(self._files_batch[2][path])
        problem = _read_problem(out, path, self.user, self.said)
        if problem is None and len(out.stdout.encode("utf-8", errors="replace")) > MAX_READ_BYTES:
            problem = f"larger than {MAX_READ_BYTES // 1024} KiB (not read further)"
        return FileText(path, out.stdout if problem is None else "", out, problem)

    def file_hash(self, path: str) -> Fact:
        """sha256 of a regular file; None when it is missing or not a regular file (`what` says which)."""
        out = answered(self._files_batch[3][path])
        problem = _read_problem(out, path, self.user, self.said)
        digest = parse_sha256(out.stdout).get(path) if problem is None else None
        if problem is None and digest is None:
            raise Unavailable(f"sha256sum gave no digest for {path} (exit {out.exit_status}): {self.said(out.stderr)}",
                              out.command, (out.record,))
        return Fact(digest, out, what=problem or "")

    def env_file(self, path: str) -> tuple[dict[str, str], FileText]:
        """KEY -> value as systemd reads the file (empty when the file has a problem), and the file."""
        text = self.file_text(path)
        return {k: v for k, (v, _) in parse_env_assignments(text.text).items()}, text

    def _units_environment_files(self) -> list[str]:
        """Every EnvironmentFile= the documented units really read (a master key could hide in any)."""
        try:
            scopes = self._units_batch.units
        except Exception:  # round trip 1 did not come back: no file of it to read (its checks say why)
            return []
        found: list[str] = []
        for (scope, owner), out in scopes.items():
            if isinstance(out, Output) and not out.timed_out:
                try:
                    units = parse_show(out.stdout, self.plan.units_by_scope()[(scope, owner)]).values()
                except Exception:  # noqa: BLE001 - the units' own checks say so; the documented files are still read
                    continue
                for props in units:
                    found += [f for f in props.environment_files if f.startswith("/")]
        return [f for f in found if not self.runner.secret_files.named(f)]  # the inventory's secrets too

    # --- listeners (round trip 1) ----------------------------------------------------------
    def listeners(self) -> Fact:
        out = answered(self._units_batch.listeners)
        if out.exit_status != 0:
            raise Unavailable(f"`ss` failed (exit {out.exit_status}): {self.said(out.stderr)}", out.command, (out.record,))
        listening: list[Listening] = parse_ss(out.stdout)
        return Fact(listening, out)

    # --- batch 3: the second look (journals: round trip 1's InvocationIDs; ssh configs: round trip 2's read) ----
    @remembered
    def _second_look(self) -> tuple[dict[UnitKey, Output | Exception], dict[str, dict[str, Output] | Exception]]:
        wanted: dict[UnitKey, list[str]] = {}
        journals: dict[UnitKey, Output | Exception] = {}
        for key in self.plan.journals():
            try:
                props: UnitProperties = self.unit(key).value
            except Exception as e:  # round trip 1's failure or refusal, or a privilege: this journal's reason
                journals[key] = e
                continue
            invocation = props.get("InvocationID")
            if not invocation:
                journals[key] = Unavailable(f"{key} has no current run to read the journal of "
                                            f"(InvocationID empty; ActiveState={props.get('ActiveState')})")
                continue
            if key.scope == "user" and key.user != self.user:
                journals[key] = CannotVerify(f"needs to run as {key.user} to read its user journal")
                continue
            wanted[key] = journal_facts.journal_command(invocation, key.scope)
        configs: dict[str, list[str] | Exception] = {}
        for path in self.plan.ssh_configs():
            try:
                configs[path] = self._ssh_aliases(path)
            except Exception as e:  # unreadable (its check says why), or Includes only a run on the host can follow
                configs[path] = e
        resolves = [(path, alias) for path, aliases in configs.items() if isinstance(aliases, list) for alias in aliases]
        ssh: dict[str, dict[str, Output] | Exception] = {p: a for p, a in configs.items() if isinstance(a, Exception)}
        ssh.update({p: {} for p, a in configs.items() if isinstance(a, list)})
        commands = list(wanted.values()) + [resolve_command(alias, path) for path, alias in resolves]
        if commands:
            try:
                outs = self.runner.run(commands)
            except BatchFailed as e:
                journals.update((key, _unavailable(e)) for key in wanted)
                ssh.update((path, _unavailable(e)) for path, _ in resolves)
            else:
                journals.update(zip(wanted, outs))
                for (path, alias), out in zip(resolves, outs[len(wanted):]):
                    ssh[path][alias] = out
        return journals, ssh

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
        looked = self._second_look[1][path]
        if isinstance(looked, Exception):
            raise looked
        aliases: dict[str, Resolved | ResolveFailed] = {}
        for alias, out in looked.items():
            if out.timed_out:
                aliases[alias] = ResolveFailed(f"ssh -G {alias} did not finish within its deadline")
            elif out.exit_status != 0:
                aliases[alias] = failure(alias, out.exit_status, out.stderr)
            else:
                try:
                    aliases[alias] = parse_resolved(alias, out.stdout)
                except ResolveFailed as e:
                    aliases[alias] = e
        return SshConfigFact(path, aliases, tuple(out.record for out in looked.values()))

    def journal(self, key: UnitKey) -> Fact:
        out = self._second_look[0][key]
        if isinstance(out, Exception):
            raise out
        answered(out)
        if journal_facts.denied(out.stderr, out.stdout) or (not out.stdout.strip() and not self._sees_whole_journal_of(key)):
            raise CannotVerify(f"needs membership in systemd-journal (or root) to read the journal of {key.name}"
                               f" ({self.user} is in: {' '.join(self.groups) or 'no groups'})", (out.record,))
        if out.exit_status != 0:
            raise Unavailable(f"journalctl failed (exit {out.exit_status}): {self.said(out.stderr)}", out.command,
                              (out.record,))
        return Fact(out.stdout, out)

    def _sees_whole_journal_of(self, key: UnitKey) -> bool:
        """`journalctl -q` hides what the user may not read without a word (exit 0, no output):
        only root, the journal reader groups, or the unit's own User= see a system unit's lines."""
        if key.scope == "user" or self.user == "root" or set(self.groups) & set(journal_facts.READER_GROUPS):
            return True
        return self.unit(key).value.get("User") == self.user

    # --- secrets: learned from everything read, before any check forms a message ------------
    def _learn_secrets(self) -> None:
        try:
            reads = self._files_batch[2]
        except Exception:  # nothing came back: nothing to learn
            reads = {}
        yaml_files = set(self.plan.yaml_reads())
        for path, out in reads.items():
            if out.exit_status != 0 or out.timed_out:
                continue
            try:
                if path in yaml_files:
                    found = yaml_secret_values(out.stdout)
                else:
                    found = [(v, span) for k, (v, span) in parse_env_assignments(out.stdout).items()
                             if self.plan.is_secret_key(k)]
            except Exception:  # noqa: BLE001 - whatever the parser's failure, the file is hidden and gathering goes on
                hide_unparsed(out, self.redactor)
                continue
            for value, (start, end) in found:
                self.redactor.learn(value)
                self.redactor.learn(out.stdout[start:end])  # as written: a continued value is split by lines
            if self.redactor.enabled:  # the self-test switch turns the whole boundary off, spans included
                out.record.mask(span for _, span in found)
        try:
            scopes = self._units_batch.units
        except Exception:  # round trip 1 did not come back: no file of it to read (its checks say why)
            scopes = {}
        for (scope, owner), out in scopes.items():
            if isinstance(out, Output) and not out.timed_out:
                try:
                    units = parse_show(out.stdout, self.plan.units_by_scope()[(scope, owner)]).values()
                except Exception:  # noqa: BLE001 - see hide_unparsed
                    hide_unparsed(out, self.redactor)
                    continue
                for props in units:
                    for value in props.secret_values(is_secret_name):
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
