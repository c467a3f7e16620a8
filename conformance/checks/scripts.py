"""Checks of the MLX launch scripts kept on the Mini (they start the servers on the Studio)."""
from __future__ import annotations

import re
from collections.abc import Iterator

from ..facts.linux import LinuxFacts
from ..inventory.schema import LaunchScripts
from .finding import Check, Finding, Status, compare


def script_checks(cfg: LaunchScripts | None) -> Iterator[Check]:
    if cfg is None:
        return
    for name in cfg.scripts:
        path = f"{cfg.dir}/{name}"
        yield Check(f"{cfg.service}::script:{name}:present", cfg.host, f"{path} exists", cfg.source,
                    lambda f, p=path: _present(f, p), 0.5, "script")
        yield Check(f"{cfg.service}::script:{name}:launch-flags", cfg.host,
                    f"{name} launches with {cfg.launch_flags} for ports {cfg.port_range[0]}-{cfg.port_range[1]}",
                    cfg.source, lambda f, p=path: _launch_flags(f, cfg, p), 0.7, "script")
    documented = cfg.launch_flags.format(port=cfg.documented_port)
    yield Check(f"{cfg.service}::script:documented-launch", cfg.host, f"a launch script carries `{documented}`",
                cfg.source, lambda f: _documented_launch(f, cfg, documented), 0.5, "script")


def _present(facts: LinuxFacts, path: str) -> Finding:
    fact = facts.path(path)
    return compare("file", fact.value.type if fact.value.exists else "missing", fact.source, fact.evidence)


def join_continuations(text: str) -> str:
    """Shell line continuations joined, with the spaces around them collapsed to one."""
    return re.sub(r"[ \t]*\\\n\s*", " ", text)


def launches(text: str) -> list[int]:
    """Ports of every `--port N` the script passes (continuation lines joined)."""
    joined = join_continuations(text)
    return [int(p) for p in re.findall(r"--port[ =](\d+)", joined)]


def _launch_flags(facts: LinuxFacts, cfg: LaunchScripts, path: str) -> Finding:
    text = facts.file_text(path)
    if text is None:
        return Finding(Status.FAILED, "a launch with the documented flags", "file missing", path)
    joined = join_continuations(text.text)
    ports = launches(text.text)
    wanted = [cfg.launch_flags.format(port=p) for p in ports]
    lo, hi = cfg.port_range
    bad = [w for w, p in zip(wanted, ports) if w not in joined or not lo <= p <= hi]
    if not ports:
        return Finding(Status.FAILED, cfg.launch_flags, "no --port in the script", path, text.evidence)
    expected = [cfg.launch_flags.format(port=p) for p in ports]
    found = [w if w not in bad else _actual_line(joined, p) for w, p in zip(wanted, ports)]
    return compare(expected, found, path, text.evidence)


def _actual_line(text: str, port: int) -> str:
    for line in text.splitlines():
        if re.search(rf"--port[ =]{port}\b", line):
            return line.strip()
    return f"--port {port}"


def _documented_launch(facts: LinuxFacts, cfg: LaunchScripts, documented: str) -> Finding:
    evidence, holders = (), []
    for name in cfg.scripts:
        text = facts.file_text(f"{cfg.dir}/{name}")
        if text is None:
            continue
        evidence += text.evidence
        if documented in join_continuations(text.text):
            holders.append(name)
    found = f"in {', '.join(holders)}" if holders else "in no script"
    status = Status.PASSED if holders else Status.FAILED
    return Finding(status, f"`{documented}` in a launch script", found, f"{cfg.dir}/{{{','.join(cfg.scripts)}}}", evidence)
