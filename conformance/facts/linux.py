"""Facts of one Linux host, gathered once per session in a few batched round trips.

Batches: (1) identity + every unit of every scope, (2) every documented path + every file
the checks read, (3) every listener, (4) the journal of units whose logs are checked.
Each accessor raises CannotVerify when the suite's user lacks the privilege to know.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..evidence import CommandRecord
from ..runner import Output, Runner
from . import journal as journal_facts
from .envfile import parse_env_file, read_command
from .paths import PathFact, hash_command, parse_sha256, parse_stat, readlink_command, stat_command
from .plan import FactPlan, UnitKey
from .sockets import LISTENERS_COMMAND, Listening, parse_ss
from .systemd import UnitProperties, parse_show, show_command


class CannotVerify(Exception):
    """The fact exists but the suite's user may not read it; the reason says what is needed."""

    def __init__(self, reason: str, evidence: tuple[CommandRecord, ...] = ()):
        super().__init__(reason)
        self.reason = reason
        self.evidence = evidence


@dataclass(frozen=True)
class Fact:
    """A gathered value with the command that produced it."""

    value: object
    output: Output
    what: str = ""  # narrows a batched command to the part this fact came from

    @property
    def source(self) -> str:
        return f"{self.output.command} [{self.what}]" if self.what else self.output.command

    @property
    def evidence(self) -> tuple[CommandRecord, ...]:
        return (self.output.record,)


class _PathFact(Fact):
    """One path of the stat sweep; its source names the path, not the whole sweep."""

    @property
    def source(self) -> str:
        return f"stat {self.what} (one stat sweep over {len(self.output.argv) - 4} paths)"


@dataclass(frozen=True)
class FileText:
    path: str
    text: str
    output: Output

    @property
    def evidence(self) -> tuple[CommandRecord, ...]:
        return (self.output.record,)


class LinuxFacts:
    def __init__(self, plan: FactPlan, runner: Runner) -> None:
        self.plan = plan
        self.runner = runner

    @property
    def user(self) -> str:
        return self.runner.user

    # --- batch 1: identity and units -------------------------------------------------------
    @cached_property
    def _units_batch(self) -> tuple[Output, Output, dict[tuple[str, str | None], Output | CannotVerify]]:
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
        outs = self.runner.run(commands)
        by_scope: dict[tuple[str, str | None], Output | CannotVerify] = dict(refused)
        by_scope.update(zip(scopes, outs[2:]))
        return outs[0], outs[1], by_scope

    @property
    def groups(self) -> list[str]:
        return self._units_batch[1].stdout.split()

    def unit(self, key: UnitKey) -> Fact:
        out = self._units_batch[2][(key.scope, key.user)]
        if isinstance(out, CannotVerify):
            raise out
        props = parse_show(out.stdout, self.plan.units_by_scope()[(key.scope, key.user)]).get(key.name)
        if props is None:
            raise CannotVerify(f"systemctl gave no properties for {key.name} (exit {out.exit_status}): "
                               f"{out.stderr.strip()[:200] or 'no output'}", (out.record,))
        return Fact(props, out)

    # --- batch 2: paths and file contents --------------------------------------------------
    @cached_property
    def _files_batch(self) -> tuple[Output, dict[str, Output], dict[str, Output], Output | None]:
        paths, links, reads, hashed = self.plan.paths(), self.plan.symlinks(), self.plan.reads(), self.plan.hashed()
        outs = self.runner.run([stat_command(paths)] + [readlink_command(p) for p in links]
                               + [read_command(p) for p in reads] + ([hash_command(hashed)] if hashed else []))
        reads_end = 1 + len(links) + len(reads)
        return (outs[0], dict(zip(links, outs[1:1 + len(links)])), dict(zip(reads, outs[1 + len(links):reads_end])),
                outs[reads_end] if hashed else None)

    def file_hash(self, path: str) -> Fact:
        """sha256 of a file, None when it is missing; CannotVerify when the suite's user may not read it."""
        out = self._files_batch[3]
        digest = parse_sha256(out.stdout).get(path) if out else None
        if digest is None and out and f"{path}: Permission denied" in out.stderr:
            raise CannotVerify(f"needs read access to {path} to hash it", (out.record,))
        return Fact(digest, out, what=path)

    def path(self, path: str) -> Fact:
        out = self._files_batch[0]
        fact: PathFact = parse_stat(out.stdout, out.stderr, self.plan.paths())[path]
        if fact.denied:
            raise CannotVerify(f"needs permission to look into the parent directory of {path}", (out.record,))
        return _PathFact(fact, out, path)

    def link_target(self, path: str) -> Fact:
        out = self._files_batch[1][path]
        return Fact(out.stdout.strip() if out.exit_status == 0 else None, out)

    def file_text(self, path: str) -> FileText | None:
        """The file's text, or None when it does not exist."""
        out = self._files_batch[2][path]
        if out.exit_status != 0:
            if "Permission denied" in out.stderr:
                raise CannotVerify(f"needs read access to {path} (as {self.user} it is denied; run as root or grant the group)", (out.record,))
            if "No such file" in out.stderr:
                return None
            raise CannotVerify(f"could not read {path}: {out.stderr.strip()[:200]}", (out.record,))
        return FileText(path, out.stdout, out)

    def env_file(self, path: str) -> tuple[dict[str, str], FileText] | None:
        text = self.file_text(path)
        if text is None:
            return None
        env = parse_env_file(text.text)
        for key, value in env.items():
            if self.plan.is_secret_key(key):
                self.runner.redact.learn(value)
        return env, text

    # --- batch 3: listeners ----------------------------------------------------------------
    @cached_property
    def _listeners(self) -> Output:
        return self.runner.run_one(LISTENERS_COMMAND)

    def listeners(self) -> Fact:
        out = self._listeners
        if out.exit_status != 0:
            raise CannotVerify(f"`ss` failed (exit {out.exit_status}): {out.stderr.strip()[:200]}", (out.record,))
        listening: list[Listening] = parse_ss(out.stdout)
        return Fact(listening, out)

    # --- batch 4: journals (needs each unit's current InvocationID from batch 1) -------------
    @cached_property
    def _journal_batch(self) -> dict[UnitKey, Output | CannotVerify]:
        wanted: dict[UnitKey, list[str]] = {}
        result: dict[UnitKey, Output | CannotVerify] = {}
        for key in self.plan.journals():
            try:
                props: UnitProperties = self.unit(key).value
            except CannotVerify as e:
                result[key] = e
                continue
            invocation = props.get("InvocationID")
            if not invocation:
                result[key] = CannotVerify(f"{key.name} has no current run (InvocationID empty; ActiveState={props.get('ActiveState')})")
                continue
            if key.scope == "user" and key.user != self.user:
                result[key] = CannotVerify(f"needs to run as {key.user} to read its user journal")
                continue
            wanted[key] = journal_facts.journal_command(invocation, key.scope)
        if wanted:
            result.update(zip(wanted, self.runner.run(list(wanted.values()))))
        return result

    def journal(self, key: UnitKey) -> Fact:
        out = self._journal_batch[key]
        if isinstance(out, CannotVerify):
            raise out
        if (journal_facts.denied(out.stderr, out.stdout) or (out.exit_status != 0 and not out.stdout)
                or (not out.stdout.strip() and not self._sees_whole_journal_of(key))):
            raise CannotVerify(f"needs membership in systemd-journal (or root) to read the journal of {key.name}"
                               f" ({self.user} is in: {' '.join(self.groups) or 'no groups'})", (out.record,))
        return Fact(out.stdout, out)

    def _sees_whole_journal_of(self, key: UnitKey) -> bool:
        """`journalctl -q` hides what the user may not read without a word (exit 0, no output):
        only root, the journal reader groups, or the unit's own User= see a system unit's lines."""
        if key.scope == "user" or self.user == "root" or set(self.groups) & set(journal_facts.READER_GROUPS):
            return True
        return self.unit(key).value.get("User") == self.user
