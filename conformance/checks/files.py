"""Checks of documented paths and env-file entries."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from ..facts.linux import LinuxFacts
from ..inventory.schema import EnvFile, EnvValue, PathEntry, Service
from .finding import Check, Finding, Status, compare

SET = "<set>"  # what a secret's presence is shown as; its value never is


def path_checks(service: Service) -> Iterator[Check]:
    for p in service.paths:
        title = f"{p.path} is a {p.type}" + (f" -> {p.target}" if p.target else "") + (" (secret: never read)" if p.secret else "")
        yield Check(f"{service.id}::path:{p.name}", service.host, title, p.source, lambda f, p=p: _path(f, p), 0.7, "path")


def _path(facts: LinuxFacts, entry: PathEntry) -> Finding:
    fact = facts.path(entry.path)
    st = fact.value
    found = st.type if st.exists else "missing"
    if found != entry.type or not entry.target:
        finding = compare(entry.type, found, fact.source, fact.evidence)
        if entry.secret and st.exists and st.mode and int(st.mode, 8) & 0o077:
            return replace(finding, note=f"security: secret file is readable beyond its owner (mode {st.mode})")
        return finding
    link = facts.link_target(entry.path)
    return compare(f"symlink -> {entry.target}", f"symlink -> {link.value}", link.source, fact.evidence + link.evidence)


def env_checks(service: Service) -> Iterator[Check]:
    for env_file in service.env_files:
        prefix = f"{service.id}::env:" if len(service.env_files) == 1 else f"{service.id}::env:{env_file.name}:"
        for entry in env_file.entries:
            shown = SET if entry.secret or entry.value is None else entry.value
            title = f"{env_file.path} sets {entry.key}" + ("" if shown == SET else f"={entry.value}")
            yield Check(prefix + entry.key, service.host, title, entry.source,
                        lambda f, e=entry, ef=env_file: _env(f, ef, e), 0.7, "env")


def _env(facts: LinuxFacts, env_file: EnvFile, entry: EnvValue) -> Finding:
    expected = SET if entry.secret or entry.value is None else entry.value
    parsed = facts.env_file(env_file.path)
    if parsed is None:
        return Finding(Status.FAILED, f"{entry.key}={expected}", "file missing", env_file.path)
    env, text = parsed
    if entry.key not in env:
        found = f"{entry.key} not set"
    elif expected == SET:
        found = SET if env[entry.key] != "" else "<empty>"
    else:
        found = env[entry.key]
    if expected == SET:
        return compare(f"{entry.key} {SET}", f"{entry.key} {found}" if found in (SET, "<empty>") else found, env_file.path, text.evidence)
    return compare(expected, found, env_file.path, text.evidence)
