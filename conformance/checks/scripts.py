"""Checks of the MLX launch scripts kept on the Mini (they start the servers on the Studio)."""
from __future__ import annotations

import shlex
from collections.abc import Iterator
from functools import partial

from ..facts.scripts import Launch, launches, long_options
from ..inventory.schema import LaunchScripts
from ..facts.needs import PATH, TEXT, Need
from .finding import Check, Finding, Impact, compare, failed, unreadable


def script_checks(cfg: LaunchScripts | None) -> Iterator[Check]:
    if cfg is None:
        return
    lo, hi = cfg.port_range
    for name in cfg.scripts:
        path = f"{cfg.dir}/{name}"
        yield Check(id=f"{cfg.service}::script:{name}:present", host=cfg.host, kind="script", title=f"{path} exists",
                    source=cfg.source, impact=Impact.MEDIUM, evaluate=partial(_present, path=path),
                    needs=(Need(PATH, path),))
        yield Check(id=f"{cfg.service}::script:{name}:launch-flags", host=cfg.host, kind="script",
                    title=f"every launch in {name} passes {cfg.launch_flags} with a port in {lo}-{hi}",
                    source=cfg.source, evaluate=partial(_launch_flags, cfg=cfg, path=path), needs=(Need(TEXT, path),))
    documented = cfg.launch_flags.format(port=cfg.documented_port)
    yield Check(id=f"{cfg.service}::script:documented-launch", host=cfg.host, kind="script",
                title=f"a launch script runs a command with `{documented}`", source=cfg.source, impact=Impact.MEDIUM,
                evaluate=partial(_documented_launch, cfg=cfg, documented=documented),
                needs=tuple(Need(TEXT, f"{cfg.dir}/{name}") for name in cfg.scripts))


def _present(facts, path: str) -> Finding:
    fact = facts.path(path)
    return compare("file", fact.value.type if fact.value.exists else "missing", fact.source, fact.evidence)


def _documented_options(cfg: LaunchScripts, port: str) -> dict[str, str]:
    return long_options(shlex.split(cfg.launch_flags.format(port=port)))


def _as_documented(launch: Launch, cfg: LaunchScripts) -> bool:
    lo, hi = cfg.port_range
    wanted = _documented_options(cfg, launch.port)
    in_range = launch.port.isdigit() and lo <= int(launch.port) <= hi
    return in_range and all(launch.options.get(flag) == value for flag, value in wanted.items())


def _launch_flags(facts, cfg: LaunchScripts, path: str) -> Finding:
    flags = list(_documented_options(cfg, "{port}"))
    text = facts.file_text(path)
    problem = unreadable(text, cfg.launch_flags)
    if problem:
        return problem
    found_launches = launches(text.text)
    if not found_launches:
        return failed(cfg.launch_flags, "no command line passes --port", path, text.evidence)
    lo, hi = cfg.port_range
    expected = [cfg.launch_flags.format(port=l.port) if l.port.isdigit() and lo <= int(l.port) <= hi
                else f"{cfg.launch_flags} with a port in {lo}-{hi}" for l in found_launches]
    found = [cfg.launch_flags.format(port=l.port) if _as_documented(l, cfg) else l.shown(flags) for l in found_launches]
    return compare(expected, found, path, text.evidence)


def _documented_launch(facts, cfg: LaunchScripts, documented: str) -> Finding:
    evidence, holders = (), []
    for name in cfg.scripts:
        text = facts.file_text(f"{cfg.dir}/{name}")
        evidence += text.evidence
        if any(l.port == str(cfg.documented_port) and _as_documented(l, cfg) for l in launches(text.text)):
            holders.append(name)
    found = f"in {', '.join(holders)}" if holders else "in no script"
    return compare(f"in {', '.join(holders) or 'a launch script'}", found, f"{cfg.dir}/{{{','.join(cfg.scripts)}}}", evidence)
