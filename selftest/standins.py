"""Running the twin's stand-ins on loopback in unit self-tests: free ports, executables, processes.

A stand-in runs as the twin runs it: on Debian's /usr/bin/python3 (stdlib only), as its own process, on
127.0.0.1 and a free port. Each test stops only the processes it started, by their handles or recorded pids.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from lab.paths import STANDINS

PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
START_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(**extra: str) -> dict[str, str]:
    """The test's environment without proxies (loopback only), with the stand-in's controls."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


def executable(directory: Path, name: str, script: str) -> Path:
    """An executable `name` that runs the stand-in `script` (what a host layout installs at a documented path)."""
    path = directory / name
    path.write_text(f'#!/bin/sh\nexec {PYTHON} {STANDINS / script} "$@"\n')
    path.chmod(0o755)
    return path


class StandIn:
    """One stand-in process, its output in a log file."""

    def __init__(self, argv: list[str], log: Path, env: dict[str, str]):
        self.log_path = log
        self.log = open(log, "wb")
        self.process = subprocess.Popen(argv, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_http(self, url: str, ok=lambda response: True) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the stand-in exited {self.process.returncode}:\n{self.output()}")
            try:
                if ok(httpx.get(url, timeout=1.0)):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.03)
        pytest.fail(f"{url} did not answer within {START_TIMEOUT:.0f} s:\n{self.output()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()


def start(argv: list[str], log: Path, env: dict[str, str], url: str, ok=lambda response: True) -> StandIn:
    standin = StandIn(argv, log, env)
    try:
        standin.wait_http(url, ok)
    except BaseException:
        standin.stop()
        raise
    return standin


def kill_pid(pid: int | None) -> None:
    """End a process this test made (a daemon it started detached), by its pid."""
    if not pid:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if not running(pid):
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def running(pid: int) -> bool:
    """Alive and not a zombie (a detached daemon is reaped by whoever adopted it, maybe later)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
