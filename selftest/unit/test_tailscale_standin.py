"""The tailscale stand-in: `tailscale serve status --json` prints the state file as Go marshals an ipn.ServeConfig.

The state is the owner's documented mappings (seven `svc:*` services, the TCP 4443 forward) and the `:8123`
forward their baseline observed, written in an order and with empty fields Go would not print.
"""
from __future__ import annotations

import json
import subprocess

from selftest.standins import environment, executable

TAILNET = "tailfd1400.ts.net"


def service(name: str, port: int) -> dict:
    return {"Tun": False, "Web": {f"{name}.{TAILNET}:443": {"Handlers": {"/": {"Proxy": f"http://127.0.0.1:{port}",
                                                                               "Path": "", "Text": ""}}}},
            "TCP": {"443": {"HTTPS": True, "TCPForward": ""}}}


STATE = {
    "Services": {f"svc:{name}": service(name, port) for name, port in
                 [("search", 8888), ("chat", 3000), ("code", 8080), ("codeagent", 4096), ("grafana", 3001),
                  ("gateway", 4000), ("hands", 4031)]},
    "Web": {f"themini.{TAILNET}:8123": {"Handlers": {"/": {"Proxy": "http://192.168.1.40:8123"}}}},
    "TCP": {"8123": {"HTTPS": True}, "4443": {"TCPForward": "127.0.0.1:4000"}},
    "AllowFunnel": {},
}


def status(tmp_path, state) -> subprocess.CompletedProcess:
    path = tmp_path / "serve.json"
    if state is not None:
        path.write_text(json.dumps(state))
    binary = executable(tmp_path, "tailscale", "tailscale.py")
    return subprocess.run([str(binary), "serve", "status", "--json"], env=environment(TAILSCALE_TWIN_STATE=str(path)),
                          capture_output=True, text=True, timeout=10)


def test_the_serve_config_is_printed_as_go_marshals_it(tmp_path):
    done = status(tmp_path, STATE)
    assert done.returncode == 0 and done.stdout.endswith("}\n")
    printed = json.loads(done.stdout)
    assert list(printed) == ["TCP", "Web", "Services"], "declaration order; the empty AllowFunnel is omitted"
    assert list(printed["TCP"]) == ["4443", "8123"], "map keys sorted as strings"
    assert printed["TCP"]["4443"] == {"TCPForward": "127.0.0.1:4000"} and printed["TCP"]["8123"] == {"HTTPS": True}
    assert list(printed["Services"]) == sorted(STATE["Services"])
    hands = printed["Services"]["svc:hands"]
    assert hands == {"TCP": {"443": {"HTTPS": True}}, "Web": {f"hands.{TAILNET}:443": {"Handlers": {
        "/": {"Proxy": "http://127.0.0.1:4031"}}}}}, "empty fields and Tun false are left out"
    assert printed["Web"][f"themini.{TAILNET}:8123"]["Handlers"]["/"]["Proxy"] == "http://192.168.1.40:8123"
    assert done.stdout.startswith('{\n  "TCP": {\n    "4443": {\n      "TCPForward": "127.0.0.1:4000"\n    },')


def test_go_escapes_html_characters(tmp_path):
    state = {"Web": {"a:443": {"Handlers": {"/": {"Text": "<b>&</b>"}}}}}
    assert '"Text": "\\u003cb\\u003e\\u0026\\u003c/b\\u003e"' in status(tmp_path, state).stdout


def test_no_config_is_an_empty_object(tmp_path):
    assert status(tmp_path, None).stdout == "{}\n"
    assert status(tmp_path, {}).stdout == "{}\n"


def test_anything_else_says_it_is_not_implemented(tmp_path):
    binary = executable(tmp_path, "tailscale", "tailscale.py")
    done = subprocess.run([str(binary), "status", "--json"], capture_output=True, text=True, timeout=10)
    assert done.returncode == 64 and "only `tailscale serve status --json`" in done.stderr
