"""Checks of documented paths and env-file entries."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from functools import partial

from ..inventory.schema import EnvFile, EnvValue, PathEntry, Service
from ..facts.needs import ENV, LINK, PATH, Need
from .finding import Check, Finding, compare, unreadable

SET = "<set>"  # what a secret's presence is shown as; its value never is


def path_checks(service: Service) -> Iterator[Check]:
    for p in service.paths:
        title = f"{p.path} is a {p.type}" + (f" -> {p.target}" if p.target else "") + (" (secret: never read)" if p.secret else "")
        needs = (Need(PATH, p.path),) + ((Need(LINK, p.path),) if p.target else ())
        yield Check(id=f"{service.id}::path:{p.name}", host=service.host, kind="path", title=title, source=p.source,
                    needs=needs,
                    evaluate=partial(_path, entry=p))


def _path(facts, entry: PathEntry) -> Finding:
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
            yield Check(id=prefix + entry.key, host=service.host, kind="env", title=title, source=entry.source,
                        needs=(Need(ENV, env_file.path),),
                        evaluate=partial(_env, env_file=env_file, entry=entry))


def _env(facts, env_file: EnvFile, entry: EnvValue) -> Finding:
    """A secret (or an entry documented by its key only) is compared as set / not set, never by value."""
    by_presence = entry.secret or entry.value is None
    expected = f"{entry.key} {SET}" if by_presence else entry.value
    env, text = facts.env_file(env_file.path)
    problem = unreadable(text, expected)
    if problem:
        return problem
    if entry.key not in env:
        found = f"{entry.key} not set"
    elif by_presence:
        found = f"{entry.key} {SET}" if env[entry.key] != "" else f"{entry.key} <empty>"
    else:
        found = env[entry.key]
    return compare(expected, found, env_file.path, text.evidence)
