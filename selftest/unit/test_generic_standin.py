"""The generic stand-in on loopback with each canned service of lab/canned.py: the documented answers, and its rules.

Each service's config is its catalog entry moved onto loopback addresses (the lab's LAN address onto 127.0.0.2,
which Linux routes to lo) and free ports, as a host layout moves it onto the twin's addresses.
"""
from __future__ import annotations

import base64
import json
import socket
import subprocess
import time

import httpx
import pytest

from lab import canned
from lab.paths import STANDINS
from selftest.standins import PYTHON, StandIn, environment, free_port, start

TOKEN = "docs-token"
LOOPBACK = {"127.0.0.1": "127.0.0.1", "0.0.0.0": "127.0.0.1", canned.MINI: "127.0.0.2", canned.STUDIO: "127.0.0.2",
            canned.ORIN: "127.0.0.2"}


def configs() -> dict[str, dict]:
    return {"searxng": canned.searxng(), "prometheus": canned.prometheus(), "grafana": canned.grafana(),
            "opencode-web": canned.opencode_web(password="s3cret"), "elasticsearch": canned.elasticsearch(),
            "kibana": canned.kibana(), "memory-api": canned.memory_api(), "docs-mcp": canned.docs_mcp(TOKEN),
            "optillm-proxy": canned.optillm(), "voice-gateway": canned.voice_gateway(), "samba": canned.samba(),
            "pgvector": canned.pgvector(), "openhands": canned.openhands(), "ccproxy-api": canned.ccproxy(TOKEN)}


class Service:
    """One generic stand-in serving one catalog entry; `url(port)` reaches the documented port's stand-in."""

    def __init__(self, directory, config: dict):
        config = canned.relisten(config, LOOPBACK)
        self.ports: dict[int, int] = {}
        for listener in config["listeners"]:
            self.ports.setdefault(listener["port"], free_port())
            listener["port"] = self.ports[listener["port"]]
        self.config = config
        path = directory / "config.json"
        path.write_text(json.dumps(config))
        argv = [PYTHON, str(STANDINS / "generic_service.py"), "--config", str(path)]
        first = config["listeners"][0]
        if first.get("tcp"):
            self.process = StandIn(argv, directory / "out.log", environment())
            wait_tcp(self.process, first["address"], first["port"])
        else:
            self.process = start(argv, directory / "out.log", environment(),
                                 f"http://{first['address']}:{first['port']}/")

    def url(self, documented_port: int, path: str) -> str:
        port = self.ports[documented_port]
        address = next(listener["address"] for listener in self.config["listeners"] if listener["port"] == port)
        return f"http://{address}:{port}{path}"


def wait_tcp(process: StandIn, address: str, port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection((address, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    process.stop()
    pytest.fail(process.output())


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    started = {}
    try:
        for name, config in configs().items():
            started[name] = Service(tmp_path_factory.mktemp(name), config)
        yield started
    finally:
        for service in started.values():
            service.process.stop()


def get(service: Service, port: int, path: str, **kw) -> httpx.Response:
    return httpx.get(service.url(port, path), timeout=5.0, **kw)


def test_every_canned_answer_names_its_source():
    for name, config in configs().items():
        for answer in config["answers"] + ([config["otherwise"]] if "otherwise" in config else []):
            assert answer.get("source"), f"{name}: an answer without a source"


def test_a_config_answer_without_a_source_is_refused(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"service": "x", "listeners": [{"address": "127.0.0.1", "port": free_port()}],
                                "answers": [{"path": "/", "body": "made up"}]}))
    done = subprocess.run([PYTHON, str(STANDINS / "generic_service.py"), "--config", str(path)],
                          capture_output=True, text=True, timeout=10)
    assert done.returncode == 78 and "names its source" in done.stderr


def test_searxng_answers_a_json_search_in_python_s_separators(services):
    answer = get(services["searxng"], 8888, "/search?q=ping&format=json")
    assert answer.headers["content-type"] == "application/json" and '"results": []' in answer.text
    assert list(answer.json()) == ["query", "number_of_results", "results", "answers", "corrections", "infoboxes",
                                   "suggestions", "unresponsive_engines"]


def test_prometheus_ready_healthy_and_go_s_404(services):
    prometheus = services["prometheus"]
    assert get(prometheus, 9090, "/-/ready").text == "Prometheus Server is Ready.\n"
    assert get(prometheus, 9090, "/-/healthy").text == "Prometheus Server is Healthy.\n"
    head = httpx.head(prometheus.url(9090, "/-/ready"), timeout=5.0)
    assert (head.status_code, head.content) == (200, b"")
    missing = get(prometheus, 9090, "/metrics")
    assert (missing.status_code, missing.text) == (404, "404 page not found\n")


def test_grafana_health_is_go_s_indented_json_and_root_redirects_to_login(services):
    health = get(services["grafana"], 3001, "/api/health")
    assert health.text.startswith('{\n  "database": "ok",\n  "version": ')
    assert health.headers["content-type"] == "application/json; charset=UTF-8"
    root = get(services["grafana"], 3001, "/")
    assert (root.status_code, root.headers["location"]) == (302, "/login")


def test_opencode_web_is_401_without_basic_auth(services):
    opencode = services["opencode-web"]
    refused = get(opencode, 4096, "/")
    assert (refused.status_code, refused.text) == (401, "Unauthorized")
    assert refused.headers["www-authenticate"] == 'Basic realm="Secure Area"'
    assert get(opencode, 4096, "/", auth=("opencode", "wrong")).status_code == 401
    assert get(opencode, 4096, "/", auth=("opencode", "s3cret")).status_code == 200


def test_elasticsearch_root_and_cluster_health_and_its_transport_port(services):
    es = services["elasticsearch"]
    root = get(es, 9200, "/")
    assert root.headers["x-elastic-product"] == "Elasticsearch" and '  "name" : "studio-memory-main",' in root.text
    assert root.json()["version"]["number"] == "9.3.3" and root.json()["tagline"] == "You Know, for Search"
    health = get(es, 9200, "/_cluster/health").json()
    assert (health["cluster_name"], health["status"]) == ("memory-main", "green")
    socket.create_connection(("127.0.0.1", es.ports[9300]), timeout=2).close()


def test_kibana_memory_api_optillm_and_voice_gateway_health(services):
    assert get(services["kibana"], 5601, "/api/status").json()["status"]["overall"]["level"] == "available"
    memory = get(services["memory-api"], 55440, "/health").json()
    assert (memory["service"], memory["ok"], memory["backend"]) == ("studio-memory-api", True, "elastic")
    assert get(services["optillm-proxy"], 4020, "/v1/models").json()["data"][0]["id"] == "main"
    assert get(services["voice-gateway"], 18080, "/health").json() == {"status": "ok", "service": "voice-gateway",
                                                                       "backend": "speaches"}
    assert get(services["voice-gateway"], 18080, "/health/readiness").json()["status"] == "ready"
    assert get(services["openhands"], 4031, "/").headers["content-type"] == "text/html; charset=utf-8"


def test_docs_mcp_refuses_without_and_with_a_wrong_bearer_and_initializes_with_it(services):
    docs = services["docs-mcp"]
    url = docs.url(8013, "/mcp")
    missing = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "initialize"}, timeout=5.0)
    assert (missing.status_code, missing.headers["www-authenticate"]) == (401, "Bearer")
    assert missing.json() == {"error": "unauthorized", "message": "missing bearer token"}
    wrong = httpx.post(url, json={}, headers={"authorization": "Bearer nope"}, timeout=5.0)
    assert (wrong.status_code, wrong.json()["message"]) == (403, "invalid bearer token")
    ok = httpx.post(url, json={}, headers={"authorization": f"Bearer {TOKEN}"}, timeout=5.0)
    assert ok.status_code == 200 and ok.headers["content-type"] == "text/event-stream"
    event = json.loads(ok.text.split("data: ", 1)[1])
    assert event["result"]["serverInfo"]["name"] == "docs-mcp"


def test_ccproxy_models_need_the_bearer(services):
    ccproxy = services["ccproxy-api"]
    assert get(ccproxy, 4010, "/codex/v1/models").status_code == 401
    models = get(ccproxy, 4010, "/codex/v1/models", headers={"authorization": f"Bearer {TOKEN}"})
    assert models.json()["data"][0]["id"] == "gpt-5.3-codex"


def test_samba_listens_bare_tcp_on_both_addresses_of_both_ports_and_says_nothing(services):
    samba = services["samba"]
    addresses = sorted({l["address"] for l in samba.config["listeners"]})
    assert addresses == ["127.0.0.1", "127.0.0.2"]
    for documented in (139, 445):
        for address in addresses:
            with socket.create_connection((address, samba.ports[documented]), timeout=2) as conn:
                conn.settimeout(0.3)
                with pytest.raises(socket.timeout):
                    conn.recv(1)  # held open, nothing sent: no SMB spoken
    socket.create_connection(("127.0.0.1", services["pgvector"].ports[55432]), timeout=2).close()


def test_the_listen_option_replaces_the_config_s_listeners(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(canned.openhands()))
    port = free_port()
    process = start([PYTHON, str(STANDINS / "generic_service.py"), "--config", str(path), "--listen",
                     f"127.0.0.1:{port}"], tmp_path / "out.log", environment(), f"http://127.0.0.1:{port}/")
    try:
        assert "<title>OpenHands</title>" in httpx.get(f"http://127.0.0.1:{port}/").text
        assert 'openhands 127.0.0.1 "GET / HTTP/1.1" 200' in process.output()
    finally:
        process.stop()


def test_basic_auth_helper_is_the_standard_header():
    assert canned.basic_auth("opencode", "pw") == "Basic " + base64.b64encode(b"opencode:pw").decode()
