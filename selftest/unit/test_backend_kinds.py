"""A backend kind is data: examples/backend-kinds.yaml's vLLM and llmster entries, added to inventory.yaml's
`contract.apis` with no code, and two routes pointed at them (jerry-test at a vLLM server, jerry-weak at LM Studio's
llmster). Every check of those routes, the Studio's (the routed ports' listen and health) and the contract's,
against fakes that answer as each server does (over httpx2's MockTransport, test_contract.py's fake lab; no socket).

What each fake answers, and where that comes from:
- vLLM (the vllm 0.34.0 wheel, vllm/entrypoints/...): GET /health 200 with an empty body, 503 empty when the engine
  is dead (serve/instrumentator/health.py 22-33); with --api-key, a path starting with /v1 (also /v2, /inference,
  /cohere) without `Authorization: Bearer <key>` is 401 {"error":"Unauthorized"}, /health is not guarded
  (serve/middleware/authenticate.py 11, 59-60); /v1/models `{"object":"list","data":[{"id":<served name>,
  "object":"model","created":..,"owned_by":"vllm","root":..,"parent":null,"max_model_len":..,"permission":[]}]}`
  (openai/models/serving.py 64-77, ModelCard in serve/engine/protocol.py 105-113); an unknown model 404
  {"error":{"message":"The model `x` does not exist.","type":"NotFoundError","param":"model","code":404}}
  (openai/models/serving.py 53-62); chat id `chatcmpl-` + 16 hex (openai/chat_completion/serving.py 321-323,
  utils/__init__.py 11-12), usage in a whole answer, none in a stream without include_usage
  (serve/utils/api_utils.py 273-285), finish_reason length when max_tokens ends it; `server: uvicorn`.
- llmster (LM Studio, closed source: its docs and public captures, as examples/backend-kinds.yaml cites them): an
  unknown path 200 {"error":"Unexpected endpoint or method. (GET /x)"} (lmstudio-bug-tracker issue 618's capture, with
  `X-Powered-By: Express`, `Content-Type: application/json; charset=utf-8`); a request without the token 401
  {"error":{"type":"invalid_request","code":"invalid_api_key","message":"An LM Studio API token is required ..."}}
  (agustif/opencode-lmstudio issue 41, LM Studio 0.4.18), a wrong one 401 "Malformed LM Studio API token provided"
  (reported by clients, third-party); /v1/models {"data":[{"id":..,"object":"model","owned_by":"organization_owner"}],
  "object":"list"}; chat ids `chatcmpl-` + 21 lowercase base-36 (LM Studio's v0 docs example
  chatcmpl-i3gkjwthhw96whukek9tz), usage in a whole answer, no usage in a stream without include_usage.
"""
from __future__ import annotations

import json
import random
import string
import uuid
from pathlib import Path

import httpx2
import pytest
import yaml

from conformance.checks.derive import evaluate, host_checks
from conformance.checks.contract import contract_checks
from conformance.checks.finding import Status
from conformance.facts.contract import ContractFacts
from conformance.facts.contract_plan import ContractPlan
from conformance.facts.http import HttpProbe
from conformance.inventory import load_inventory, load_site
from conformance.redaction import Redactor
from conformance.site import SiteAddresses
from lab.faults import contract_checks as route_checks

from ._support import INVENTORY, ROOT, FakeMac
from .test_contract import AS_IS, MINI, STUDIO, WEBUI_ENV, Backend, FakeLab, FakeMini, _lab, _not

VLLM_KEY, LLMSTER_KEY = "vllm-key-canary-5e21a9", "sk-lm-canary-88c0d4e1"
KEYS = {"LLM_LAB_VLLM_KEY": VLLM_KEY, "LLM_LAB_LLMSTER_KEY": LLMSTER_KEY}
VLLM_PORT, LLMSTER_PORT = 8109, 8103  # jerry-test's and jerry-weak's ports on the Studio
VLLM_MODEL, LLMSTER_MODEL = "Qwen/Qwen2.5-0.5B-Instruct", "llama-3.2-3b-instruct"


def kinds_inventory(tmp_path: Path, up: set[str] = frozenset(), deployments: dict | None = None):
    """inventory.yaml with the two kinds of examples/backend-kinds.yaml added, as an owner would add them (the
    routes in `up` documented `expected: up`; `deployments`: route -> its documented upstream model)."""
    data = yaml.safe_load(INVENTORY.read_text())
    data["contract"]["apis"] += yaml.safe_load((ROOT / "examples" / "backend-kinds.yaml").read_text())
    for route in data["litellm"]["routes"]:
        route["api"] = {"jerry-test": "vllm", "jerry-weak": "llmster"}.get(route["name"], route["api"])
        if route["name"] in up:
            route["expected"] = "up"
        if route["name"] in (deployments or {}):
            route["deployments"] = [{"api_base": route["api_base"], "model": deployments[route["name"]]}]
    (tmp_path / "inventory.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return load_inventory(tmp_path / "inventory.yaml")


class KindsLab(FakeLab):
    """test_contract's fake lab, with a vLLM server on 8109 and llmster on 8103 (modes: ok, engine-dead, no-key)."""

    def backend(self, b: Backend, request: httpx2.Request, path: str) -> httpx2.Response:
        if b.api == "vllm":
            return _vllm(b, request, path)
        if b.api == "llmster":
            return _llmster(b, request, path)
        return super().backend(b, request, path)


def _bearer(request: httpx2.Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" else None


def _vllm(b: Backend, request: httpx2.Request, path: str) -> httpx2.Response:
    headers = {"server": "uvicorn"}
    if b.mode != "no-key" and path.startswith(("/v1", "/v2", "/inference", "/cohere")) and _bearer(request) != VLLM_KEY:
        return httpx2.Response(401, json={"error": "Unauthorized"}, headers=headers)
    if path == "/health":
        return httpx2.Response(503 if b.mode == "engine-dead" else 200, headers=headers)
    if path == "/v1/models":
        card = {"id": b.model, "object": "model", "created": 1, "owned_by": "vllm", "root": f"/models/{b.model}",
                "parent": None, "max_model_len": 32768, "permission": []}
        return httpx2.Response(200, json={"object": "list", "data": [card]}, headers=headers)
    body = json.loads(request.content)
    if body["model"] != b.model:
        return httpx2.Response(404, json={"error": {"message": f"The model `{body['model']}` does not exist.",
                                                    "type": "NotFoundError", "param": "model", "code": 404}},
                               headers=headers)
    if b.mode == "engine-dead":
        return httpx2.Response(500, json={"error": {"message": "EngineDeadError", "type": "InternalServerError",
                                                    "code": 500}}, headers=headers)
    ident = f"chatcmpl-{uuid.uuid4().int & (1 << 64) - 1:016x}"
    n = body.get("max_tokens") or 16
    return _completion(ident, body, n, "length", headers, usage=not body.get("stream"))


def _llmster(b: Backend, request: httpx2.Request, path: str) -> httpx2.Response:
    headers = {"x-powered-by": "Express", "content-type": "application/json; charset=utf-8"}
    if path not in ("/v1/models", "/v1/chat/completions"):  # answered before the token is looked at (issue 618, #7)
        return httpx2.Response(200, content=json.dumps(
            {"error": f"Unexpected endpoint or method. ({request.method} {path})"}).encode(), headers=headers)
    token = _bearer(request)
    if token != LLMSTER_KEY:
        message = ("An LM Studio API token is required to make requests to this server, but none was provided using "
                   "the Authorization header using the 'Bearer' scheme (i.e., 'Authorization: Bearer $LM_API_TOKEN')."
                   if token is None else f"Malformed LM Studio API token provided: {token[:10]}**************.")
        return httpx2.Response(401, content=json.dumps({"error": {"type": "invalid_request", "code": "invalid_api_key",
                                                                  "message": message}}).encode(), headers=headers)
    if path == "/v1/models":
        return httpx2.Response(200, content=json.dumps({"data": [{"id": b.model, "object": "model",
                                                                  "owned_by": "organization_owner"}],
                                                        "object": "list"}).encode(), headers=headers)
    body = json.loads(request.content)
    ident = "chatcmpl-" + "".join(random.choices(string.ascii_lowercase + string.digits, k=21))
    return _completion(ident, body, body.get("max_tokens") or 16, "length", headers, usage=not body.get("stream"))


def _completion(ident: str, body: dict, n: int, finish: str, headers: dict, usage: bool) -> httpx2.Response:
    if body.get("stream"):
        def events():
            yield _event(ident, {"role": "assistant", "content": ""})
            for _ in range(n):
                yield _event(ident, {"content": "hi "})
            yield _event(ident, {}, finish)
            yield b"data: [DONE]\n\n"
        return httpx2.Response(200, content=b"".join(events()), headers=headers | {"content-type": "text/event-stream"})
    answer = {"id": ident, "object": "chat.completion", "created": 1, "model": body["model"],
              "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi " * n}, "finish_reason": finish}]}
    if usage:
        answer["usage"] = {"prompt_tokens": 9, "completion_tokens": n, "total_tokens": 9 + n}
    return httpx2.Response(200, content=json.dumps(answer).encode(), headers=headers | {"content-type": "application/json"})


def _event(ident: str, delta: dict, finish: str | None = None) -> bytes:
    chunk = {"id": ident, "object": "chat.completion.chunk", "created": 1, "model": "m",
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(chunk)}\n\n".encode()


def kinds_lab(vllm: str = "ok", llmster: str = "ok") -> KindsLab:
    base = _lab()
    backends = dict(base.backends)
    backends[(STUDIO, VLLM_PORT)] = Backend("vllm", VLLM_MODEL, mode=vllm)
    backends[(STUDIO, LLMSTER_PORT)] = Backend("llmster", LLMSTER_MODEL, mode=llmster)
    # LiteLLM sends each backend the route's api_key and upstream model from env.local
    return KindsLab(backends, base.routes, upstream_keys={"jerry-test": VLLM_KEY, "jerry-weak": LLMSTER_KEY},
                    upstream_models={"jerry-test": VLLM_MODEL, "jerry-weak": LLMSTER_MODEL})


def _contract(tmp_path, lab: FakeLab, env: dict | None = None, redactor: Redactor | None = None, up=frozenset(),
              deployments: dict | None = None):
    inventory = kinds_inventory(tmp_path, up, deployments)
    site = SiteAddresses(inventory, load_site(ROOT / "lab" / "site-twin.yaml", inventory))
    facts = ContractFacts(inventory, site, "studio", HttpProbe(transport=httpx2.MockTransport(lab)),
                          host_facts=lambda host: FakeMini(WEBUI_ENV), environ=KEYS if env is None else env,
                          redactor=redactor or Redactor(enabled=True))
    return facts, {c.id: evaluate(c, facts) for c in contract_checks(inventory)}


def _studio(tmp_path, lab: FakeLab, env: dict[str, str], monkeypatch, redactor: Redactor | None = None):
    """The Studio's routed-port checks (listen, health) of the kinds' inventory; the keys in the run's environment."""
    for name in KEYS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    inventory = kinds_inventory(tmp_path)
    site = SiteAddresses(inventory, load_site(ROOT / "lab" / "site-twin.yaml", inventory))
    facts = FakeMac(tmp_path).mac_facts(inventory, redactor=redactor or Redactor(enabled=True),
                                        http=HttpProbe(transport=httpx2.MockTransport(lab)))
    checks = [c for c in host_checks(inventory, site, "studio") if c.kind in ("mlx-listen", "mlx-health")]
    return facts, {c.id: evaluate(c, facts) for c in checks}


HEALTH_VLLM, HEALTH_LLMSTER = f"mlx-servers::health:{VLLM_PORT}", f"mlx-servers::health:{LLMSTER_PORT}"
DIRECT_VLLM, DIRECT_LLMSTER = "mlx-servers::contract:jerry-test:direct", "mlx-servers::contract:jerry-weak:direct"


def test_the_two_kinds_are_inventory_data_and_a_lab_that_keeps_their_contract_passes(tmp_path, monkeypatch):
    facts, findings = _contract(tmp_path, kinds_lab())
    assert not _not(findings), {i: findings[i].message for i in _not(findings)}
    assert len(findings) == 5 + 4 * 6  # the same checks, the same ids: the kinds changed nothing else
    _, studio = _studio(tmp_path, kinds_lab(), KEYS, monkeypatch)
    assert not _not(studio), {i: studio[i].message for i in _not(studio)}
    assert set(studio) == {f"mlx-servers::{a}:{p}" for p in (8100, 8101, 8102, 8103, 8109) for a in ("listen", "health")}


def test_each_kind_asks_what_it_declares_with_its_key_only_where_it_guards(tmp_path, monkeypatch):
    lab = kinds_lab()
    seen = []
    lab.answer = lambda request, answer=lab.answer: seen.append(
        (request.method, str(request.url), _bearer(request))) or answer(request)
    _contract(tmp_path, lab)
    _studio(tmp_path, lab, KEYS, monkeypatch)
    vllm, llmster = f"http://{STUDIO}:{VLLM_PORT}", f"http://{STUDIO}:{LLMSTER_PORT}"
    direct = [s for s in seen if s[1].startswith((vllm, llmster))]
    assert ("GET", f"{vllm}/health", None) in direct and not [s for s in direct if s[1] == f"{vllm}/health" and s[2]]
    assert ("GET", f"{vllm}/v1/models", VLLM_KEY) in direct and ("GET", f"{vllm}/v1/models", None) in direct
    assert ("POST", f"{vllm}/v1/chat/completions", VLLM_KEY) in direct
    # llmster: no /health at all; its health is the model list, with its key (and once without, to be refused)
    assert not [s for s in direct if s[1] == f"{llmster}/health"]
    assert [s[2] for s in direct if s[1] == f"{llmster}/v1/models"].count(LLMSTER_KEY) == 3  # studio, contract x2
    assert [s[2] for s in direct if s[1] == f"{llmster}/v1/models"].count(None) == 1
    # a key goes only to its own kind's backend, never to the other or to the proxy
    assert not [s for s in seen if s[2] == VLLM_KEY and not s[1].startswith(vllm)]
    assert not [s for s in seen if s[2] == LLMSTER_KEY and not s[1].startswith(llmster)]


def test_the_keys_are_learned_and_reach_no_evidence(tmp_path, monkeypatch):
    redactor = Redactor(enabled=True)
    facts, _ = _contract(tmp_path, kinds_lab(), redactor=redactor)
    studio_facts, _ = _studio(tmp_path, kinds_lab(), KEYS, monkeypatch, redactor=redactor)
    text = "\n".join(r.render(AS_IS) for r in [*facts.http.records, *studio_facts.http.records])
    assert VLLM_KEY not in text and LLMSTER_KEY not in text  # no request header is recorded
    assert redactor(f"echoed {VLLM_KEY} and {LLMSTER_KEY}") == "echoed <redacted> and <redacted>"


def test_without_its_key_a_kind_cannot_be_verified_directly_and_what_it_does_not_guard_is_still_judged(
        tmp_path, monkeypatch):
    lab = kinds_lab()
    _, findings = _contract(tmp_path, lab, env={})
    assert {i: findings[i].status for i in _not(findings)} == {DIRECT_VLLM: Status.CANNOT_VERIFY,
                                                               DIRECT_LLMSTER: Status.CANNOT_VERIFY}
    assert "needs vllm's key in $LLM_LAB_VLLM_KEY for the run" in findings[DIRECT_VLLM].message
    assert not [r for r in lab.seen if f":{LLMSTER_PORT}/" in r]  # llmster guards all: nothing was sent it directly
    assert [r for r in lab.seen if f":{VLLM_PORT}/" in r] == [f"GET http://{STUDIO}:{VLLM_PORT}/health"]
    _, studio = _studio(tmp_path, kinds_lab(), {}, monkeypatch)
    assert {i: studio[i].status for i in _not(studio)} == {HEALTH_LLMSTER: Status.CANNOT_VERIFY}  # vLLM's /health: open
    assert "needs llmster's key in $LLM_LAB_LLMSTER_KEY" in studio[HEALTH_LLMSTER].message


def test_a_dead_vllm_engine_is_unhealthy_on_every_check_that_meets_it(tmp_path, monkeypatch):
    _, findings = _contract(tmp_path, kinds_lab(vllm="engine-dead"))
    assert _not(findings) == route_checks("jerry-test", "direct", "chat", "stream", "backend")
    assert findings[DIRECT_VLLM].found.startswith(
        f"backend unhealthy: GET http://{STUDIO}:{VLLM_PORT}/health: 503, an empty body, not 200, an empty body "
        "(vllm's healthy answer)")
    assert findings["mlx-servers::contract:jerry-test:chat"].found.startswith("backend unhealthy: ")
    _, studio = _studio(tmp_path, kinds_lab(vllm="engine-dead"), KEYS, monkeypatch)
    assert set(_not(studio)) == {HEALTH_VLLM}
    assert (studio[HEALTH_VLLM].expected, studio[HEALTH_VLLM].found) == ("200, an empty body", "503, an empty body")


def test_a_vllm_started_without_its_api_key_is_named_unguarded(tmp_path):
    _, findings = _contract(tmp_path, kinds_lab(vllm="no-key"))
    assert _not(findings) == {DIRECT_VLLM}
    assert findings[DIRECT_VLLM].found == (
        f"backend unguarded: GET http://{STUDIO}:{VLLM_PORT}/v1/models sent without a key got 200, not 401 "
        "(vllm's guard on /v1, /v2, /inference, /cohere)")


def test_a_wrong_key_is_refused_access_and_never_quoted(tmp_path, monkeypatch):
    wrong = {**KEYS, "LLM_LAB_LLMSTER_KEY": "sk-lm-wrong-canary-0042"}
    _, findings = _contract(tmp_path, kinds_lab(), env=wrong)
    assert _not(findings) == {DIRECT_LLMSTER}
    assert findings[DIRECT_LLMSTER].found.startswith("backend refuses access: ")
    _, studio = _studio(tmp_path, kinds_lab(), wrong, monkeypatch)
    assert set(_not(studio)) == {HEALTH_LLMSTER}
    assert studio[HEALTH_LLMSTER].found == "401, object=None"
    text = " ".join(f.message for f in (*findings.values(), *studio.values()))
    assert "sk-lm-wrong" not in text


def test_a_body_the_kind_does_not_document_fails_health(tmp_path, monkeypatch):
    """vLLM's /health is empty; an answer with a body there is another server (an mlx-openai-server on its port)."""
    lab = kinds_lab()
    lab.backends[(STUDIO, VLLM_PORT)] = Backend("mlx", VLLM_MODEL)
    _, studio = _studio(tmp_path, lab, KEYS, monkeypatch)
    assert set(_not(studio)) == {HEALTH_VLLM}
    assert studio[HEALTH_VLLM].found.startswith("200, a body of 15 bytes: ")


def test_the_answers_of_another_kind_on_a_route_fail_its_fingerprint(tmp_path):
    """llmster's ids and its X-Powered-By are not vLLM's, nor the other way round: a misroute between the two is seen."""
    lab = kinds_lab()
    lab.routes["jerry-test"] = f"http://{STUDIO}:{LLMSTER_PORT}/v1"
    lab.routes["jerry-weak"] = f"http://{STUDIO}:{VLLM_PORT}/v1"
    lab.upstream_keys = {"jerry-test": LLMSTER_KEY, "jerry-weak": VLLM_KEY}
    lab.upstream_models = {"jerry-test": LLMSTER_MODEL, "jerry-weak": VLLM_MODEL}
    _, findings = _contract(tmp_path, lab)
    assert _not(findings) == {"mlx-servers::contract:jerry-test:backend", "mlx-servers::contract:jerry-weak:backend"}
    assert "no x-powered-by header from upstream" in findings["mlx-servers::contract:jerry-weak:backend"].found


def test_a_keyed_kind_costs_its_route_one_request_more_and_the_dry_run_says_which_carry_the_key(tmp_path):
    inventory = kinds_inventory(tmp_path)
    plan = ContractPlan(inventory, SiteAddresses(inventory), "mini")
    budgets = {p.route.name: p.budget for p in plan.plans}
    assert budgets["jerry-test"].most_requests == budgets["jerry-chat"].most_requests + 1 == 7
    lines = plan.planned()
    at = lines.index(next(l for l in lines if l.startswith("route jerry-test")))
    assert lines[at + 1:at + 6] == [
        "  GET http://192.168.1.72:8109/health", "  GET http://192.168.1.72:8109/v1/models with $LLM_LAB_VLLM_KEY",
        "  GET http://192.168.1.72:8109/v1/models without the key (must be refused)",
        "  POST http://192.168.1.72:8109/v1/chat/completions with $LLM_LAB_VLLM_KEY",
        "  POST http://192.168.1.71:4000/v1/chat/completions"]


@pytest.mark.parametrize("kind, examples, others", [
    ("vllm", ("chatcmpl-9f2c4e1a0b3d5c7e", "chatcmpl-" + uuid.uuid4().hex), ("chatcmpl_" + uuid.uuid4().hex,
                                                                            "chatcmpl-0", "chatcmpl-i3gkjwthhw96whukek9tz")),
    ("llmster", ("chatcmpl-i3gkjwthhw96whukek9tz", "chatcmpl-ezdun9glec5h6nkjyb89ni"), ("chatcmpl_" + uuid.uuid4().hex,
                                                                                       "chatcmpl-0", "chatcmpl-stream")),
])
def test_the_id_shapes_match_the_documented_ids_and_not_the_other_kinds(tmp_path, kind, examples, others):
    import re
    shapes = kinds_inventory(tmp_path).api(kind).ids
    assert all(re.fullmatch(shapes.chat, e) for e in examples)
    assert not any(re.fullmatch(shapes.chat, o) for o in others)


def test_a_kinds_declaration_is_checked_where_it_is_written():
    from pydantic import ValidationError
    from conformance.inventory.schema import BackendAuth, Health
    with pytest.raises(ValidationError, match="JSON fields or an empty body, not both"):
        Health(json_fields={"status": "ok"}, empty_body=True)
    with pytest.raises(ValidationError, match="a guarded path starts with '/'"):
        BackendAuth(key_env="LLM_LAB_VLLM_KEY", guards=["v1"])
    with pytest.raises(ValidationError):
        BackendAuth(key_env="not a variable name")
    auth = BackendAuth(key_env="LLM_LAB_VLLM_KEY", guards=["/v1"])
    assert auth.guards_path("/v1/models") and not auth.guards_path("/health")
    assert BackendAuth(key_env="K").guards_path("/health")  # by default the key guards every path


def test_a_health_path_alone_is_how_older_inventories_and_their_recordings_said_it(tmp_path):
    """`health: /health` (before a kind declared its healthy answer) still loads: that path, 200, any body."""
    text = INVENTORY.read_text().replace("health: {path: /health, json_fields: {status: ok}}", "health: /health")
    assert text.count("health: /health\n") == 2
    (tmp_path / "inventory.yaml").write_text(text)
    health = load_inventory(tmp_path / "inventory.yaml").api("mlx-openai-server").health
    assert (health.path, health.status, health.json_fields, health.empty_body) == ("/health", 200, {}, False)


def test_a_backend_that_is_down_fails_as_down_even_without_its_key(tmp_path):
    """Without the key :direct cannot be verified, unless the unguarded health already says the backend is down."""
    _, findings = _contract(tmp_path, kinds_lab(vllm="down"), env={}, up={"jerry-test"})
    assert (findings[DIRECT_VLLM].status, findings[DIRECT_VLLM].found) == (
        Status.FAILED, f"backend down: GET http://{STUDIO}:{VLLM_PORT}/health: connection refused")
    _, findings = _contract(tmp_path, kinds_lab(vllm="down"), env={})  # documented optional: not applicable
    assert findings[DIRECT_VLLM].status is Status.NOT_APPLICABLE


def test_llmster_must_list_the_routes_documented_upstream_model(tmp_path):
    """LM Studio with JIT off lists only its loaded models (docs 1_developer/3_openai-compat/models.md) and answers
    any request with its one loaded model: the route's documented model missing from the list is the drift, even
    though a chat is answered."""
    listed = _contract(tmp_path, kinds_lab(), deployments={"jerry-weak": f"openai/{LLMSTER_MODEL}"})[1]
    assert listed[DIRECT_LLMSTER].status is Status.PASSED, listed[DIRECT_LLMSTER].message
    (tmp_path / "unloaded").mkdir()
    unloaded = _contract(tmp_path / "unloaded", kinds_lab(), deployments={"jerry-weak": "openai/gpt-oss-20b"})[1]
    assert unloaded[DIRECT_LLMSTER].status is Status.FAILED
    assert "gpt-oss-20b not listed (the route's documented upstream model" in unloaded[DIRECT_LLMSTER].message
