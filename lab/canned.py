"""Canned answers of the lab's services off the LLM path, for the generic stand-in (lab/standins/generic_service.py).

One function per service returns the stand-in's config: its documented listeners (the lab's addresses, which a
host layout maps to the twin's with `relisten`) and its answers, each naming where its shape comes from. Values
that only the real host knows (versions, uuids, commits) are the twin's placeholders and say so. The owner's repo
is bebopbabailey/homelab-llm@1b54b73 ("the owner's" below).
"""
from __future__ import annotations

import base64
import copy

MINI, STUDIO, ORIN = "192.168.1.71", "192.168.1.72", "192.168.1.93"
LOCAL = "127.0.0.1"


def _listen(*pairs, tcp: bool = False) -> list[dict]:
    return [{"address": address, "port": port, **({"tcp": True} if tcp else {})} for address, port in pairs]


def relisten(config: dict, addresses: dict[str, str]) -> dict:
    """The config with each listener's lab address replaced by the twin's (`{"192.168.1.71": "10.213.0.2"}`)."""
    moved = copy.deepcopy(config)
    for listener in moved["listeners"]:
        listener["address"] = addresses.get(listener["address"], listener["address"])
    return moved


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def searxng() -> dict:
    """SearXNG, mini 127.0.0.1:8888 (the owner's searxng.service: granian --host 127.0.0.1 --port 8888)."""
    source = ("searxng searx/webapp.py search(): for format=json, json.dumps({'query', 'number_of_results', "
              "'results', 'answers', 'corrections', 'infoboxes', 'suggestions', 'unresponsive_engines'}) with "
              "Python's default separators, application/json (code index file 4965753); the twin has no engines, "
              "so every list is empty. The owner's probe: GET /search?q=ping&format=json (healthcheck.sh:119)")
    return {"service": "searxng", "listeners": _listen((LOCAL, 8888)), "answers": [
        {"path": "/search", "status": 200, "headers": [["Content-Type", "application/json"]],
         "json": {"query": "ping", "number_of_results": 0, "results": [], "answers": [], "corrections": [],
                  "infoboxes": [], "suggestions": [], "unresponsive_engines": []},
         "json_style": "python", "source": source}]}


def prometheus() -> dict:
    """Prometheus, mini 127.0.0.1:9090 (PLATFORM_DOSSIER.md:46; health /-/ready, /-/healthy)."""
    web = ("prometheus/prometheus web/web.go (code index file 9235498952): "
           "fmt.Fprintf(w, \"%s is Ready.\\n\", o.AppName)")
    plain = [["Content-Type", "text/plain; charset=utf-8"]]  # Go's net/http sniffs text, as Fprintf leaves it
    return {"service": "prometheus", "listeners": _listen((LOCAL, 9090)), "answers": [
        {"method": "GET", "path": "/-/ready", "headers": plain, "body": "Prometheus Server is Ready.\n",
         "source": web},
        {"method": "GET", "path": "/-/healthy", "headers": plain, "body": "Prometheus Server is Healthy.\n",
         "source": web.replace("Ready", "Healthy")},
        {"method": "HEAD", "prefix": "/-/", "source": web + " (router.Head: 200, no body)"}],
        "otherwise": {"status": 404, "headers": plain, "body": "404 page not found\n",
                      "source": "Go net/http NotFound: '404 page not found\\n'"}}


def grafana(version: str = "12.0.0", commit: str = "twin") -> dict:
    """Grafana, mini 127.0.0.1:3001 (grafana.ini http_addr/http_port). Version and commit: twin placeholders."""
    return {"service": "grafana", "listeners": _listen((LOCAL, 3001)), "answers": [
        {"path": "/api/health", "headers": [["Content-Type", "application/json; charset=UTF-8"]],
         "json": {"database": "ok", "version": version, "commit": commit}, "json_style": "indent2",
         "source": "grafana/grafana pkg/api/http_server.go apiHealthHandler: healthResponse{database, version, "
                   "commit}, json.MarshalIndent(data, \"\", \"  \"), application/json; charset=UTF-8 "
                   "(code index file 170964951)"},
        {"path": "/", "status": 302, "headers": [["Location", "/login"]],
         "source": "the owner's services/grafana/RUNBOOK.md:32-35: GET / answers 302 to /login"}]}


def opencode_web(user: str = "opencode", password: str = "") -> dict:
    """OpenCode Web, mini 0.0.0.0:4096 (opencode-web.service); health = 401 without Basic auth (Dossier :43)."""
    unauthorized = {"status": 401, "headers": [["WWW-Authenticate", 'Basic realm="Secure Area"'],
                                               ["Content-Type", "text/plain;charset=UTF-8"]],
                    "body": "Unauthorized",
                    "source": "hono basic-auth middleware (OpenCode's server is Hono, its auth "
                              "OPENCODE_SERVER_PASSWORD): new Response('Unauthorized', {status: 401, headers: "
                              "{'WWW-Authenticate': 'Basic realm=\"Secure Area\"'}}) (code index file 37381387392)"}
    answers = []
    if password:
        answers.append({"method": ["GET", "HEAD"], "prefix": "/",
                        "when": {"header": "authorization", "equals": basic_auth(user, password)},
                        "headers": [["Content-Type", "text/html; charset=utf-8"]],
                        "body": "<!doctype html><title>OpenCode</title>",
                        "source": "twin's own: the web UI behind the credentials (not captured)"})
    return {"service": "opencode-web", "listeners": _listen(("0.0.0.0", 4096)), "answers": answers,
            "otherwise": unauthorized}


def elasticsearch(version: str = "9.3.3") -> dict:
    """Elasticsearch, studio 127.0.0.1:9200 (+ transport 9300, obs S6). Cluster and node names: STUDIO_BASELINE S10;
    version: services/vector-db/SERVICE_SPEC.md:9. uuid, build hash/date, lucene: twin placeholders."""
    product = ["X-elastic-product", "Elasticsearch"]
    root = {"name": "studio-memory-main", "cluster_name": "memory-main", "cluster_uuid": "twinTWINtwinTWINtwin00",
            "version": {"number": version, "build_flavor": "default", "build_type": "tar",
                        "build_hash": "0000000000000000000000000000000000000000",
                        "build_date": "2026-01-01T00:00:00.000000000Z", "build_snapshot": False,
                        "lucene_version": "10.3.1", "minimum_wire_compatibility_version": "8.19.0",
                        "minimum_index_compatibility_version": "8.0.0"},
            "tagline": "You Know, for Search"}
    health = {"cluster_name": "memory-main", "status": "green", "timed_out": False, "number_of_nodes": 1,
              "number_of_data_nodes": 1, "active_primary_shards": 4, "active_shards": 4, "relocating_shards": 0,
              "initializing_shards": 0, "unassigned_shards": 0, "unassigned_primary_shards": 0,
              "delayed_unassigned_shards": 0, "number_of_pending_tasks": 0, "number_of_in_flight_fetch": 0,
              "task_max_waiting_in_queue_millis": 0, "active_shards_percent_as_number": 100.0}
    return {"service": "elasticsearch", "listeners": _listen((LOCAL, 9200)) + _listen((LOCAL, 9300), tcp=True),
            "answers": [
                {"path": "/", "headers": [product, ["content-type", "application/json"]], "json": root,
                 "json_style": "jackson",
                 "source": "Elasticsearch's root API (elastic docs, 'Get cluster info'): name, cluster_name, "
                           "cluster_uuid, version{...}, tagline, pretty-printed; X-elastic-product since 7.14"},
                {"path": "/_cluster/health", "headers": [product, ["content-type", "application/json"]],
                 "json": health,
                 "source": "Elasticsearch cluster health API (elastic docs, 'Cluster health'): its response "
                           "fields in order; a one-node green cluster"}]}


def kibana(version: str = "9.3.3") -> dict:
    """Kibana, studio 127.0.0.1:5601 (services/vector-db/SERVICE_SPEC.md:45). uuid: twin placeholder."""
    return {"service": "kibana", "listeners": _listen((LOCAL, 5601)), "answers": [
        {"path": "/api/status", "headers": [["content-type", "application/json; charset=utf-8"]],
         "json": {"name": "studio-kibana", "uuid": "00000000-0000-4000-8000-000000000000",
                  "version": {"number": version, "build_flavor": "default", "build_snapshot": False},
                  "status": {"overall": {"level": "available", "summary": "All services and plugins are available"}}},
         "source": "Kibana status API (elastic docs, 'Get Kibana's current status'): name, uuid, version, "
                   "status.overall.level/summary; the twin lists no core services or plugins"}]}


def memory_api() -> dict:
    """The Studio's memory API, 0.0.0.0:55440 (the owner's services/vector-db/launchd/com.bebop.memory-api-main.plist;
    pf limits its callers: services/vector-db/SERVICE_SPEC.md:46-49)."""
    return {"service": "memory-api", "listeners": _listen(("0.0.0.0", 55440)), "answers": [
        {"path": "/health", "headers": [["content-type", "application/json"]],
         "json": {"service": "studio-memory-api", "ok": True, "backend": "elastic", "cluster_name": "memory-main",
                  "elastic_url": "http://127.0.0.1:9200", "elastic_version": "9.3.3",
                  "elastic_license": {"type": "basic", "status": "active"},
                  "native_rrf_capable": True, "native_rrf_enabled": True,
                  "embedding_model": "studio-nomic-embed-text-v1.5", "embedding_dims": 768,
                  "embedding_prefix_mode": "search_query/search_document"},
         "source": "the owner's services/vector-db/app/main.py:154-160 ({'service': 'studio-memory-api', "
                   "**backend.health()}) and app/backends/elastic.py:256-271 (its keys); values as "
                   "STUDIO_BASELINE.md:173-180 observed them (the license dict is the twin's)"}]}


def _mcp_initialize(server: str, version: str, source: str) -> dict:
    result = {"jsonrpc": "2.0", "id": 1, "result": {
        "protocolVersion": "2025-06-18",
        "capabilities": {"experimental": {}, "prompts": {"listChanged": False},
                         "resources": {"subscribe": False, "listChanged": False}, "tools": {"listChanged": False}},
        "serverInfo": {"name": server, "version": version}}}
    import json
    return {"method": "POST", "path": "/mcp",
            "headers": [["content-type", "text/event-stream"], ["cache-control", "no-cache, no-transform"],
                        ["mcp-session-id", "00000000000000000000000000000000"]],
            "body": "event: message\r\ndata: " + json.dumps(result, separators=(",", ":")) + "\r\n\r\n",
            "source": source + "; an MCP streamable-HTTP initialize result (modelcontextprotocol spec 2025-06-18, "
                               "python-sdk FastMCP: serverInfo name = the server's, version = the mcp package's). "
                               "Canned: it answers any POST as an initialize with id 1"}


def docs_mcp(token: str) -> dict:
    """Docs MCP, studio 192.168.1.72:8013 /mcp (PLATFORM_DOSSIER.md:53), bearer-authenticated."""
    code = "the owner's services/docs-mcp/docs_mcp.py:733-783 BearerAuthMiddleware"
    return {"service": "docs-mcp", "listeners": _listen((STUDIO, 8013)), "answers": [
        {**_mcp_initialize("docs-mcp", "1.26.0", code + " lets it through; FastMCP('docs-mcp') (:24, 42)"),
         "when": {"header": "authorization", "equals": f"Bearer {token}"}},
        {"method": ["GET", "POST", "DELETE", "HEAD"], "prefix": "/",
         "when": {"header": "authorization", "prefix": "Bearer "}, "status": 403,
         "headers": [["content-type", "application/json"]],
         "json": {"error": "unauthorized", "message": "invalid bearer token"}, "source": code + " (:771-780)"}],
        "otherwise": {"status": 401, "headers": [["www-authenticate", "Bearer"], ["content-type", "application/json"]],
                      "json": {"error": "unauthorized", "message": "missing bearer token"},
                      "source": code + " (:758-768)"}}


def mcp_server(service: str, address: str, port: int, server_name: str, source: str) -> dict:
    """An unauthenticated MCP server (Open Terminal MCP 127.0.0.1:8011, Media Fetch MCP 127.0.0.1:8012)."""
    return {"service": service, "listeners": _listen((address, port)),
            "answers": [_mcp_initialize(server_name, "1.26.0", source)]}


def optillm(models: tuple[str, ...] = ("main",)) -> dict:
    """OptiLLM proxy, studio 192.168.1.72:4020 (runtime-lock.json optillm_proxy; health /v1/models)."""
    return {"service": "optillm-proxy", "listeners": _listen((STUDIO, 4020)), "answers": [
        {"path": "/v1/models", "headers": [["Content-Type", "application/json"]],
         "json": {"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "optillm"}
                                             for m in models]},
         "source": "the twin's own: OpenAI's model list shape (optillm 0.3.12's own list was not read); the "
                   "model is the owner's --model main (plist template :20-21)"}]}


def voice_gateway() -> dict:
    """The Orin's voice gateway, 192.168.1.93:18080 (its ExecStart --host/--port: the owner's
    docs/journal/2026-03-17-voice-gateway-control-plane-doc-hardening.md:13-15)."""
    api = "the owner's services/voice-gateway/src/voice_gateway/api.py"
    return {"service": "voice-gateway", "listeners": _listen((ORIN, 18080)), "answers": [
        {"path": "/health", "headers": [["content-type", "application/json"]],
         "json": {"status": "ok", "service": "voice-gateway", "backend": "speaches"},
         "source": api + ":217-219 HealthResponse(status='ok') with models.py:15-18's defaults"},
        {"path": "/health/readiness", "headers": [["content-type", "application/json"]],
         "json": {"status": "ready", "tts_backend_status": "ok", "stt_backend_status": "ok",
                  "tts_backend_api_base": "http://127.0.0.1:8000/v1", "stt_backend_api_base": "http://127.0.0.1:18081",
                  "public_stt_model": "whisper-1", "public_tts_model": "tts-1",
                  "backend_stt_model": "Systran/faster-distil-whisper-large-v3",
                  "backend_tts_model": "speaches-ai/Kokoro-82M-v1.0-ONNX", "default_voice": "default",
                  "unknown_voice_policy": "fallback"},
         "source": api + ":221-246 (its keys, in order); values from the owner's services/voice-gateway/"
                         "RUNBOOK.md:14-18, 104-121 and settings.py's defaults; unknown_voice_policy is the twin's "
                         "placeholder"}]}


def samba(lan: str = MINI) -> dict:
    """Samba, mini: 139 and 445 on 127.0.0.1 and the LAN address (samba-mini-shares.conf: interfaces = 127.0.0.1
    192.168.1.71, bind interfaces only = yes). Bare TCP: the twin speaks no SMB."""
    return {"service": "samba", "listeners": _listen((LOCAL, 139), (lan, 139), (LOCAL, 445), (lan, 445), tcp=True),
            "answers": []}


def pgvector() -> dict:
    """Postgres + pgvector, studio 127.0.0.1:55432 (the owner's com.bebop.pgvector-main plist). Bare TCP."""
    return {"service": "pgvector", "listeners": _listen((LOCAL, 55432), tcp=True), "answers": []}


def openhands() -> dict:
    """OpenHands, mini 127.0.0.1:4031 -> container 3000 (openhands.service's docker run -p); health = UI root."""
    return {"service": "openhands", "listeners": _listen((LOCAL, 4031)), "answers": [
        {"path": "/", "headers": [["content-type", "text/html; charset=utf-8"]],
         "body": "<!DOCTYPE html><html lang=\"en\"><head><title>OpenHands</title></head><body></body></html>",
         "source": "the twin's own page: the owner's healthcheck.sh probes 127.0.0.1:4031/ for 200 (:92-121); "
                   "OpenHands' real index is its frontend build"}]}


def ccproxy(token: str) -> dict:
    """ccproxy-api, mini 127.0.0.1:4010 (run_ccproxy.sh --host 127.0.0.1 --port 4010 --auth-token)."""
    return {"service": "ccproxy-api", "listeners": _listen((LOCAL, 4010)), "answers": [
        {"path": "/codex/v1/models", "when": {"header": "authorization", "equals": f"Bearer {token}"},
         "headers": [["content-type", "application/json"]],
         "json": {"object": "list", "data": [{"id": "gpt-5.3-codex", "object": "model", "created": 0,
                                              "owned_by": "openai"}]},
         "source": "the twin's own: OpenAI's model list with the model the owner's router names (gpt-5.3-codex, "
                   "router.yaml:31-41); the owner probes it with the bearer (healthcheck.sh:107-111)"}],
        "otherwise": {"status": 401, "headers": [["content-type", "application/json"]],
                      "json": {"detail": "Unauthorized"},
                      "source": "the twin's own: a request without the bearer is refused (ccproxy's body not read)"}}


CATALOG = {"searxng": searxng, "prometheus": prometheus, "grafana": grafana, "opencode-web": opencode_web,
           "elasticsearch": elasticsearch, "kibana": kibana, "memory-api": memory_api, "docs-mcp": docs_mcp,
           "optillm-proxy": optillm, "voice-gateway": voice_gateway, "samba": samba, "pgvector": pgvector,
           "openhands": openhands, "ccproxy-api": ccproxy}
