"""dietpi in the booted twin: a real home-assistant.service (root, Restart=always, journald) serving Home
Assistant's HTTP front door on 8123, and Dropbear as the SSH server, as DietPi has it."""
from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

from conformance.facts import sockets
from lab import topology as topo
from lab.hosts import dietpi

HOST = "dietpi"
ADDRESS = topo.HOSTS[HOST].address


def get(path: str):
    """(status, headers, body) of GET http://dietpi:8123/path, redirects not followed."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)
    try:
        with opener.open(f"http://{ADDRESS}:8123{path}", timeout=5) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_home_assistant_is_a_root_system_service_that_restarts_always_and_logs_to_the_journal(twin):
    show = twin.exec_in(HOST, ["systemctl", "show", "-p", "FragmentPath,User,Restart,ActiveState,MainPID,"
                               "StandardOutput,StandardError,ExecStart", "home-assistant.service"], check=True).stdout
    props = dict(line.split("=", 1) for line in show.splitlines())
    assert props["FragmentPath"] == "/etc/systemd/system/home-assistant.service"
    assert (props["User"], props["Restart"], props["ActiveState"]) == ("", "always", "active")
    assert (props["StandardOutput"], props["StandardError"]) == ("journal", "inherit")
    assert f"path={dietpi.HASS} ; argv[]={dietpi.HASS} -c {dietpi.HA_CONFIG}" in props["ExecStart"]
    user = twin.exec_in(HOST, ["ps", "-o", "user=", "-p", props["MainPID"]], check=True).stdout.strip()
    assert user == "root"
    listening = set(sockets.parse_ss(twin.exec_in(HOST, ["ss", "-ltnH"], check=True).stdout))
    assert sockets.Listening("0.0.0.0", 8123) in listening
    # the owner reads the journal as a member of systemd-journal
    journal = twin.exec_in(HOST, ["journalctl", "-u", "home-assistant.service", "-n", "20", "--no-pager"],
                           user=topo.OWNER, check=True).stdout
    assert "[homeassistant.bootstrap] Home Assistant initialized" in journal
    assert "systemd-journal" in twin.exec_in(HOST, ["id", "-nG"], user=topo.OWNER, check=True).stdout.split()


def test_home_assistant_answers_like_home_assistant(twin):
    status, headers, body = get("/manifest.json")
    assert (status, headers["Content-Type"]) == (200, "application/manifest+json")
    manifest = json.loads(body)
    assert (manifest["name"], manifest["start_url"], manifest["theme_color"]) == ("Home Assistant", "/?homescreen=1", "#03A9F4")
    assert body == json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode(), "json_dumps_sorted: compact, sorted"
    status, headers, body = get("/api/")
    assert (status, body, headers["Content-Type"]) == (401, b"401: Unauthorized", "text/plain; charset=utf-8")
    assert headers["WWW-Authenticate"] == (f'Bearer resource_metadata="http://{ADDRESS}:8123'
                                           '/.well-known/oauth-protected-resource"')
    assert get("/api/states")[0] == 401
    status, headers, body = get("/")
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8"), "onboarded: the frontend"
    assert b"<title>Home Assistant</title>" in body and headers["X-Frame-Options"] == "SAMEORIGIN"
    assert get("/no-such-panel")[0:3:2] == (404, b"404: Not Found")


def test_a_fresh_instance_redirects_to_onboarding(twin):
    storage = f"{dietpi.HA_CONFIG}/.storage/onboarding"
    twin.exec_in(HOST, ["mv", storage, f"{storage}.away"], check=True)
    try:
        status, headers, _ = get("/")
        assert (status, headers["Location"]) == (302, "/onboarding.html")
        assert get("/onboarding.html")[0] == 200
    finally:
        twin.exec_in(HOST, ["mv", f"{storage}.away", storage], check=True)
    assert get("/")[0] == 200


def test_the_ssh_server_is_dropbear_and_no_openssh_runs(twin):
    with socket.create_connection((ADDRESS, 22), timeout=5) as s:
        banner = s.recv(256).split(b"\r\n", 1)[0].decode()  # the server's KEXINIT may follow at once
    assert banner.startswith("SSH-2.0-dropbear"), banner
    states = twin.exec_in(HOST, ["systemctl", "is-active", "dropbear.service", "ssh.service"]).stdout.split()
    assert states == ["active", "inactive"]
    assert twin.exec_in(HOST, ["sh", "-c", "ls /etc/ssh/ssh_host_* 2>/dev/null | wc -l"]).stdout.strip() == "0"
