"""The docker stand-in on loopback, no engine: the owner's unit lines run the generic stand-in in the foreground.

`docker run --rm --name N --pull never ... -p 127.0.0.1:HP:3000 IMAGE` is started as systemd starts the owner's
openhands.service (a foreground process, its PID the service's); `docker ps`, `stop` and `rm -f` are run as the
unit's ExecStop/ExecStartPre and the owner's RUNBOOK run them. Image configs and container state are temporary.
"""
from __future__ import annotations

import json
import re
import subprocess
import time

import httpx
import pytest

from lab import canned
from selftest.standins import environment, executable, free_port, running, start

IMAGE = "docker.openhands.dev/openhands/openhands:1.5"
OWNER_FORMAT = r"table {{.Names}}\t{{.Image}}\t{{.Status}}\t{{.Ports}}"


@pytest.fixture
def docker(tmp_path):
    images, state = tmp_path / "images", tmp_path / "containers"
    images.mkdir()
    (images / "docker.openhands.dev_openhands_openhands_1.5.json").write_text(
        json.dumps({**canned.openhands(), "cmd": "/app/entrypoint.sh"}))
    env = environment(DOCKER_TWIN_IMAGES=str(images), DOCKER_TWIN_STATE=str(state))
    binary = executable(tmp_path, "docker", "docker.py")
    started = []

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(binary), *argv], env=env, capture_output=True, text=True, timeout=30)

    def up(name: str, port: int):
        argv = [str(binary), "run", "--rm", "--name", name, "--pull", "never", "--cpus", "1.5", "--memory", "1g",
                "-p", f"127.0.0.1:{port}:3000", "--env", "OH_SECRET_KEY", "-e", "LOG_ALL_EVENTS=true", "-v",
                "/var/run/docker.sock:/var/run/docker.sock", "--add-host", "host.docker.internal:host-gateway", IMAGE]
        container = start(argv, tmp_path / f"{name}.log", env, f"http://127.0.0.1:{port}/")
        started.append(container)
        return container

    run.up, run.tmp = up, tmp_path
    yield run
    for container in started:
        container.stop()


def test_run_serves_the_published_port_in_the_foreground_with_the_image_s_answers(docker):
    port = free_port()
    container = docker.up("openhands-app", port)
    assert "<title>OpenHands</title>" in httpx.get(f"http://127.0.0.1:{port}/", timeout=5.0).text
    assert container.process.poll() is None, "docker run stays in the foreground: systemd supervises that pid"
    listing = docker("ps", "--format", OWNER_FORMAT).stdout.splitlines()
    assert listing[0].split() == ["NAMES", "IMAGE", "STATUS", "PORTS"]
    assert re.fullmatch(rf"openhands-app {{3,}}{re.escape(IMAGE)} {{3}}Up (Less than a second|\d+ seconds?) +"
                        rf"127\.0\.0\.1:{port}->3000/tcp", listing[1])


def test_docker_ps_default_table_is_docker_s(docker):
    docker.up("openhands-app", free_port())
    header, row = docker("ps").stdout.splitlines()
    assert re.fullmatch(r"CONTAINER ID {3}IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES", header)
    assert re.match(r"[0-9a-f]{12} {3}docker\.openhands\.dev/openhands/openhands:1\.5 {3}\"/app/entrypoint\.sh\" +"
                    r"(Less than a second|\d+ seconds?) ago +Up ", row)
    assert row.endswith("openhands-app")
    assert re.fullmatch(r"[0-9a-f]{12}\n", docker("ps", "-q").stdout)


def test_a_live_name_conflicts_and_an_unknown_image_is_refused(docker):
    docker.up("openhands-app", free_port())
    again = docker("run", "--rm", "--name", "openhands-app", "--pull", "never", "-p", f"127.0.0.1:{free_port()}:3000",
                   IMAGE)
    assert again.returncode == 125
    assert again.stderr.startswith('docker: Error response from daemon: Conflict. The container name "/openhands-app"')
    missing = docker("run", "--rm", "--name", "x", "--pull", "never", "local/open-terminal-mcp:0.11.29")
    assert (missing.returncode, missing.stderr.strip()) == (
        125, "docker: Error response from daemon: No such image: local/open-terminal-mcp:0.11.29.")


def test_stop_ends_the_container_and_rm_f_kills_it(docker):
    first = docker.up("openhands-app", free_port())
    stopped = docker("stop", "openhands-app")
    assert (stopped.returncode, stopped.stdout) == (0, "openhands-app\n")
    first.process.wait(10)
    assert docker("ps", "-a", "-q").stdout == "", "a --rm container is gone once stopped"
    second = docker.up("openhands-app", free_port())
    pid = second.process.pid
    assert docker("rm", "-f", "openhands-app").stdout == "openhands-app\n"
    second.process.wait(10)
    assert not running(pid) and second.process.returncode == -9
    gone = docker("rm", "-f", "openhands-app")
    assert (gone.returncode, gone.stderr.strip()) == (1, "Error response from daemon: No such container: openhands-app")
    assert docker("stop", "nothing").returncode == 1


def test_rm_without_force_refuses_a_running_container(docker):
    docker.up("openhands-app", free_port())
    refused = docker("rm", "openhands-app")
    assert refused.returncode == 1 and "container is running" in refused.stderr
    time.sleep(0.1)
    assert "openhands-app" in docker("ps").stdout
