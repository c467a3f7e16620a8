"""Routes as LiteLLM 1.83.4 reads them, requests per route, auth and the database: the inventory's new fields, each
over realistic answers of a fake lab (test_contract.py's FakeLab, answering as LiteLLM 1.83.4 does where it differs:
x-litellm-model-id on every answer, no attempted-retries/fallbacks headers on streams, the Responses API, the
readiness body with `db`).

The variant inventory is the founding one with the owner's 2026-05 shapes written in (bebopbabailey/homelab-llm
1b54b73, services/litellm-orch/config/router.yaml and docs/INTEGRATIONS.md): two routes on ONE backend URL told
apart by upstream model (`deep` and `code-reasoning` share llmster's 8126 there), a fallback (`fast -> deep` there),
a retired alias (`main`), a route that leaves the lab (`chatgpt-5`), a Responses-API route and a JSON route
(`task-json`), a database (Postgres)."""
from __future__ import annotations

import json
import uuid

import httpx2
import pytest
import yaml
from pydantic import ValidationError

from conformance.checks.contract import contract_checks, latency_summary
from conformance.checks.derive import evaluate
from conformance.checks.finding import Status
from conformance.checks.litellm import fallbacks_of, litellm_checks
from conformance.checks.waivers import Verdict, judge
from conformance.facts.contract import ContractFacts
from conformance.facts.contract_plan import ContractPlan
from conformance.facts.envfile import parse_env_file
from conformance.facts.http import HttpProbe
from conformance.facts.litellm import resolve_router
from conformance.inventory import load_site
from conformance.inventory.schema import Inventory, Site
from conformance.redaction import Redactor
from conformance.site import SiteAddresses

from ._support import ROOT, real_inventory
from .test_contract import MINI, STUDIO, WEBUI_ENV, FakeLab, _lab

ROUTER_PATH = "/home/christopherbailey/litellm-orch/config/router.yaml"
ENV_PATH = "/home/christopherbailey/litellm-orch/config/env.local"
SHARED = f"http://{STUDIO}:8100/v1"  # jerry-chat and jerry-editor: one URL, two upstream models
MODELS = {"jerry-chat": "openai/m-chat", "jerry-editor": "openai/m-editor"}


def _variant(**litellm) -> dict:
    data = yaml.safe_load((ROOT / "inventory.yaml").read_text())
    routes = {r["name"]: r for r in data["litellm"]["routes"]}
    routes["jerry-editor"]["api_base"] = "http://{studio}:8100/v1"
    for name, model in MODELS.items():
        routes[name]["deployments"] = [{"api_base": "http://{studio}:8100/v1", "model": model}]
    routes["jerry-test"] |= {"leaves_lab": True}
    routes["jerry-weak"] |= {"request": {"endpoint": "responses", "prompt": "Summarise: the lab is up."}}
    routes["jerry-architect"] |= {"request": {"prompt": "Give JSON with a summary.", "answer": "json_object",
                                              "json_keys": ["summary"], "max_tokens": 64}}
    data["litellm"] |= {"fallbacks": [{"route": "jerry-chat", "to": ["jerry-architect"], "source": "companion"}],
                        "retired": [{"name": "main", "source": "companion"}],
                        "database": {"enabled": True, "source": "companion"}} | litellm
    return data


def variant(**litellm) -> Inventory:
    return Inventory.model_validate(_variant(**litellm))


def router_text(inventory: Inventory, extra: str = "", editor_model_var: str = "JERRY_EDITOR_MODEL") -> tuple[str, str]:
    """router.yaml and env.local as the Mini holds them for this inventory (every param from os.environ/)."""
    entries, env = [], []
    for r in inventory.litellm.routes:
        p = r.env_prefix
        model_var = editor_model_var if r.name == "jerry-editor" else f"{p}_MODEL"
        entries.append(f"- model_name: {r.name}\n  litellm_params:\n    model: os.environ/{model_var}\n"
                       f"    api_base: os.environ/{p}_API_BASE\n    api_key: os.environ/{p}_API_KEY\n    max_tokens: 4096\n")
        base = r.api_base.replace("{studio}", STUDIO).replace("{mini}", MINI)
        env += [f"{p}_API_BASE={base}", f"{p}_MODEL={MODELS.get(r.name, 'openai/' + r.name)}", f"{p}_API_KEY=dummy"]
    text = "model_list:\n" + "".join(entries) + extra + \
        "router_settings:\n  allowed_fails: 1\n  fallbacks:\n    - {\"jerry-chat\": [\"jerry-architect\"]}\n"
    return text, "\n".join(env) + "\n"


class Text:
    def __init__(self, path: str, text: str | None) -> None:
        self.path, self.text, self.source, self.evidence = path, text or "", f"cat {path}", ()
        self.problem = None if text is not None else "no such file"


class Mini:
    """The Mini's files as the contract's deployment check and the config checks read them."""

    def __init__(self, router: str, env: str) -> None:
        self.files = {ROUTER_PATH: router, ENV_PATH: env, "/etc/open-webui/env": WEBUI_ENV}

    def file_text(self, path):
        return Text(path, self.files.get(path))

    def env_file(self, path):
        return parse_env_file(self.files.get(path, "")), Text(path, self.files.get(path))


MLX_HEADERS = {"server": "uvicorn", "x-process-time": "0.01"}  # as test_contract's mlx backend answers


class Lab1834(FakeLab):
    """FakeLab answering as LiteLLM 1.83.4: x-litellm-model-id of the entry that answered (computed by the real
    function's twin, facts/litellm.deployment_id), no retry/fallback headers on streams, /v1/responses, readiness
    with `db`, JSON when response_format asks for it."""

    router: str = ""
    env: str = ""
    answered_by: dict = {}  # route -> (model_name, index) of the entry the proxy really uses
    readiness: tuple = (200, {"status": "healthy", "db": "connected", "litellm_version": "1.83.4"})

    def proxy(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        if path == "/health/readiness" and self.proxy_up:
            status, body = self.readiness
            return httpx2.Response(status, json=body)
        if path == "/v1/responses" and self.proxy_up:
            return self.responses(request)
        answer = super().proxy(request)
        if answer.status_code == 200 and path == "/v1/chat/completions":
            model = json.loads(request.content)["model"]
            answer.headers["x-litellm-model-id"] = self.model_id(model)
            if json.loads(request.content).get("stream"):
                del answer.headers["x-litellm-attempted-retries"]  # 1.83.4: not on streams
        return answer

    def model_id(self, route: str) -> str:
        name, i = self.answered_by.get(route, (route, 0))
        return resolve_router(self.router, parse_env_file(self.env)).ids[name][i]

    def backend(self, b, request, path):
        if path.endswith("/chat/completions") and json.loads(request.content).get("response_format"):
            body = json.loads(request.content)
            content = json.dumps({"summary": "the lab is up"})
            ident = f"chatcmpl_{uuid.uuid4().hex}"
            if body.get("stream"):
                chunks = [{"id": ident, "object": "chat.completion.chunk", "created": 1, "model": "m",
                           "choices": [{"index": 0, "delta": d, "finish_reason": f}]}
                          for d, f in (({"role": "assistant"}, None), ({"content": content[:10]}, None),
                                       ({"content": content[10:]}, None), ({}, "stop"))]
                sse = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
                return httpx2.Response(200, content=sse.encode(), headers=MLX_HEADERS | {"content-type": "text/event-stream"})
            return httpx2.Response(200, json={"id": ident, "object": "chat.completion", "created": 1, "model": "m",
                                              "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                                           "finish_reason": "stop"}],
                                              "usage": {"prompt_tokens": 5, "completion_tokens": 20, "total_tokens": 25}},
                                  headers=MLX_HEADERS)
        return super().backend(b, request, path)

    def responses(self, request: httpx2.Request) -> httpx2.Response:
        """LiteLLM's Responses answer (its own resp_ id), routed like a chat."""
        body = json.loads(request.content)
        model = body["model"]
        if model not in self.routes:
            return httpx2.Response(400, json={"error": {"message": f"Invalid model name passed in model={model}"}})
        headers = {"x-litellm-model-api-base": self.routes[model], "x-litellm-model-id": self.model_id(model)}
        headers |= {f"llm_provider-{k}": v for k, v in MLX_HEADERS.items()}  # the upstream's headers, passed on
        response = {"id": f"resp_{uuid.uuid4().hex}", "object": "response", "created_at": 1, "model": model,
                    "status": "completed", "output": [{"type": "message", "id": "msg_1", "role": "assistant",
                                                       "status": "completed", "content": [
                                                           {"type": "output_text", "text": "The lab is up.",
                                                            "annotations": []}]}],
                    "parallel_tool_calls": False, "tool_choice": "auto", "tools": [],
                    "usage": {"input_tokens": 9, "output_tokens": 5, "total_tokens": 14}}
        if not body.get("stream"):
            return httpx2.Response(200, json=response, headers=headers | {"x-litellm-attempted-retries": "0"})
        events = [{"type": "response.created", "sequence_number": 0, "response": response | {"status": "in_progress",
                                                                                            "output": []}},
                  {"type": "response.output_text.delta", "sequence_number": 1, "item_id": "msg_1", "output_index": 0,
                   "content_index": 0, "delta": "The lab ", "logprobs": []},
                  {"type": "response.output_text.delta", "sequence_number": 2, "item_id": "msg_1", "output_index": 0,
                   "content_index": 0, "delta": "is up.", "logprobs": []},
                  {"type": "response.completed", "sequence_number": 3, "response": response}]
        sse = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
        return httpx2.Response(200, content=sse.encode(), headers=headers | {"content-type": "text/event-stream"})


def lab_for(inventory: Inventory, **changes) -> Lab1834:
    base = _lab()
    lab = Lab1834(base.backends, base.routes | {"jerry-editor": SHARED},
                  upstream_models={n: m.split("/", 1)[1] for n, m in MODELS.items()})
    lab.router, lab.env = router_text(inventory)
    lab.answered_by = {}
    for key, value in changes.items():
        setattr(lab, key, value)
    return lab


def run(lab: Lab1834, inventory: Inventory, site_unproven: dict | None = None, env: dict | None = None):
    site_model = load_site(ROOT / "lab" / "site-twin.yaml", inventory)
    if site_unproven:
        site_model = site_model.model_copy(update={"unproven": site_unproven})
    site = SiteAddresses(inventory, site_model)
    mini = Mini(lab.router, lab.env)
    facts = ContractFacts(inventory, site, "studio", HttpProbe(transport=httpx2.MockTransport(lab)),
                          host_facts=lambda host: mini, environ=env or {}, redactor=Redactor())
    return facts, {c.id: evaluate(c, facts) for c in contract_checks(inventory)}


def _not_passed(findings) -> dict:
    return {i: f.message for i, f in findings.items() if f.status is not Status.PASSED}


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return variant()


# --- the founding inventory is unchanged ------------------------------------------------------------

def test_the_founding_inventory_has_none_of_the_new_facts_so_its_checks_are_the_same():
    founding = real_inventory()
    assert not founding.litellm.fallbacks and not founding.litellm.retired and founding.litellm.database is None
    assert all(r.called and not r.deployments and r.request is None for r in founding.litellm.routes)
    ids = [c.id for c in contract_checks(founding)]
    assert len(ids) == 5 + 4 * 6 and not [i for i in ids if i.endswith((":deployment", "readiness-db")) or ":retired:" in i]
    site = SiteAddresses(founding, None)
    assert not [c.id for c in litellm_checks(founding, site) if "fallbacks" in c.id or "retired" in c.id
                or c.id.endswith(":deployments")]


# --- routes on one URL, told apart by upstream model; the deployment that answered ---------------------

def test_every_route_answered_by_its_documented_deployment_passes(inv):
    _, findings = run(lab_for(inv), inv)
    assert {i for i in findings if i.endswith(":deployment")} == {"mlx-servers::contract:jerry-chat:deployment",
                                                                   "mlx-servers::contract:jerry-editor:deployment"}
    unexpected = {i: m for i, m in _not_passed(findings).items() if "jerry-test" not in i and "readiness-db" not in i}
    assert not unexpected, unexpected
    chat = findings["mlx-servers::contract:jerry-chat:deployment"]
    assert chat.expected == f"jerry-chat's documented deployment(s): openai/m-chat at {SHARED}"


def test_a_route_answered_by_the_other_routes_entry_on_the_shared_url_is_a_misroute(inv):
    """Both entries call the same URL, so x-litellm-model-api-base cannot tell; the model id can."""
    _, findings = run(lab_for(inv, answered_by={"jerry-editor": ("jerry-chat", 0)}), inv)
    editor = "mlx-servers::contract:jerry-editor"
    assert findings[f"{editor}:backend"].status is Status.PASSED  # the api_base header is the same: it cannot see it
    found = findings[f"{editor}:deployment"]
    assert found.status is Status.FAILED
    assert "proxy misroutes" in found.found and "answered by jerry-chat's entry #1 (openai/m-chat at " in found.found


def test_a_changed_upstream_model_in_env_local_is_an_undocumented_deployment(inv):
    """router.yaml reads jerry-editor's model from jerry-chat's variable: its entry (and id) is another, and the
    proxy answers with that id; the entry is the route's own, but not the documented deployment."""
    lab = lab_for(inv)
    lab.router, lab.env = router_text(inv, editor_model_var="JERRY_CHAT_MODEL")
    _, findings = run(lab, inv)
    found = findings["mlx-servers::contract:jerry-editor:deployment"].found
    assert found == (f"chat/completions: answered by jerry-editor's entry #1, openai/m-chat at {SHARED}, not a "
                     f"documented deployment; chat/completions (stream): answered by jerry-editor's entry #1, "
                     f"openai/m-chat at {SHARED}, not a documented deployment").replace(
        "chat/completions", f"http://{MINI}:4000/v1/chat/completions")


def test_an_id_no_entry_of_router_yaml_has_means_the_proxy_runs_another_config(inv):
    lab = lab_for(inv)
    mini_router = router_text(inv)[0].replace("max_tokens: 4096", "max_tokens: 2048")  # edited, not restarted
    facts, _ = run(lab, inv)
    facts.host_facts = lambda host: Mini(mini_router, lab.env)
    finding = evaluate(next(c for c in contract_checks(inv) if c.id == "mlx-servers::contract:jerry-chat:deployment"),
                       facts)
    assert finding.status is Status.FAILED and "is no entry of" in finding.found and "as read now" in finding.found


def test_a_missing_model_id_header_is_unknown_not_a_pass(inv):
    class NoId(Lab1834):
        def proxy(self, request):
            answer = super().proxy(request)
            answer.headers.pop("x-litellm-model-id", None)
            return answer
    base = lab_for(inv)
    lab = NoId(base.backends, base.routes, upstream_models=base.upstream_models)
    lab.router, lab.env, lab.answered_by = base.router, base.env, {}
    _, findings = run(lab, inv)
    found = findings["mlx-servers::contract:jerry-chat:deployment"]
    assert found.status is Status.FAILED and "which deployment answered is unknown" in found.found


def test_streams_without_retry_headers_are_unknown_never_zero(inv):
    _, findings = run(lab_for(inv), inv)
    backend = findings["mlx-servers::contract:jerry-chat:backend"]
    assert backend.status is Status.PASSED
    assert "retries/fallbacks unknown (no header) for " in backend.found
    assert "(stream): x-litellm-attempted-retries, x-litellm-attempted-fallbacks" in backend.found
    assert "chat/completions: x-litellm-attempted-retries" not in backend.found  # the whole answer said 0


def test_a_nonzero_retry_header_still_fails(inv):
    class Retried(Lab1834):
        def proxy(self, request):
            answer = super().proxy(request)
            if "x-litellm-attempted-retries" in answer.headers:
                answer.headers["x-litellm-attempted-retries"] = "1"
            return answer
    base = lab_for(inv)
    lab = Retried(base.backends, base.routes, upstream_models=base.upstream_models)
    lab.router, lab.env, lab.answered_by = base.router, base.env, {}
    _, findings = run(lab, inv)
    assert "x-litellm-attempted-retries: 1" in findings["ov-server::contract:lil-jerry:backend"].found


# --- fallbacks and retired aliases ---------------------------------------------------------------------

def test_fallbacks_are_read_where_litellm_reads_them():
    text = "model_list: []\nlitellm_settings:\n  fallbacks: [{\"fast\": [\"deep\", \"chatgpt-5\"]}]\n"
    router = resolve_router(text, {})
    assert fallbacks_of(router) == (["fast -> deep, chatgpt-5"], "litellm_settings.fallbacks")
    owner = "model_list: []\nrouter_settings:\n  allowed_fails: 2\n  fallbacks:\n    - {\"fast\": [\"deep\"]}\n"
    assert fallbacks_of(resolve_router(owner, {})) == (["fast -> deep"], "router_settings.fallbacks")
    assert fallbacks_of(resolve_router("model_list: []\n", {}))[0] == []


def _config_findings(inv: Inventory, router: str, env: str) -> dict:
    site = SiteAddresses(inv, load_site(ROOT / "lab" / "site-twin.yaml", inv))
    mini = Mini(router, env)
    return {c.id: evaluate(c, mini) for c in litellm_checks(inv, site)
            if "fallbacks" in c.id or "retired" in c.id or c.id.endswith(":deployments")}


def test_config_checks_of_fallbacks_retired_aliases_and_deployments(inv):
    router, env = router_text(inv)
    findings = _config_findings(inv, router, env)
    assert set(findings) == {"litellm-orch::fallbacks", "litellm-orch::retired:main",
                             "litellm-orch::route:jerry-chat:deployments", "litellm-orch::route:jerry-editor:deployments"}
    assert not _not_passed(findings), _not_passed(findings)
    # main routed again, the fallback gone, a second deployment of jerry-chat
    drifted = router.replace("router_settings:\n  allowed_fails: 1\n  fallbacks:\n    - {\"jerry-chat\": [\"jerry-architect\"]}\n",
                             "router_settings:\n  allowed_fails: 1\n")
    drifted = drifted.replace("model_list:\n", "model_list:\n- model_name: main\n  litellm_params: {model: openai/m}\n"
                              f"- model_name: jerry-chat\n  litellm_params: {{model: openai/other, api_base: {SHARED}}}\n")
    findings = _config_findings(inv, drifted, env)
    assert findings["litellm-orch::fallbacks"].missing == ("jerry-chat -> jerry-architect",)
    assert findings["litellm-orch::retired:main"].found == "1 model_list entry named 'main'"
    deployments = findings["litellm-orch::route:jerry-chat:deployments"]
    assert deployments.status is Status.FAILED and deployments.extra == (f"openai/other at {SHARED}",)
    assert findings["litellm-orch::route:jerry-editor:deployments"].status is Status.PASSED


def test_a_retired_alias_is_refused_by_the_proxy_and_one_routed_again_fails(inv):
    _, findings = run(lab_for(inv), inv)
    assert findings["litellm-orch::contract:retired:main"].status is Status.PASSED
    lab = lab_for(inv)
    lab.routes["main"] = SHARED  # routed again
    lab.answered_by = {"main": ("jerry-chat", 0)}
    _, findings = run(lab, inv)
    main = findings["litellm-orch::contract:retired:main"]
    assert main.status is Status.FAILED
    assert main.found == f"200: answered as if the model existed (LiteLLM called {SHARED})"


# --- requests per route ----------------------------------------------------------------------------------

def test_a_responses_route_and_a_json_route_are_asked_their_own_request(inv):
    lab = lab_for(inv)
    facts, findings = run(lab, inv)
    weak = facts.routes["jerry-weak"].proxy
    assert [a.what.rsplit("/", 1)[1] for a in (*weak.chats, weak.stream)] == ["responses", "responses (stream)"]
    assert weak.chats[0].content == weak.stream.content == "The lab is up."
    for aspect in ("chat", "stream", "backend"):
        assert findings[f"mlx-servers::contract:jerry-weak:{aspect}"].status is Status.PASSED
    # the fake backend answers JSON only when the request carries response_format json_object: it was sent; its
    # 20 completion tokens are within the route's own max_tokens (64), over the contract's 8 (found on the twin)
    architect = facts.routes["jerry-architect"].proxy
    assert json.loads(architect.chats[0].content) == json.loads(architect.stream.content) == {"summary": "the lab is up"}
    assert findings["mlx-servers::contract:jerry-architect:chat"].status is Status.PASSED


def test_a_json_route_answered_in_prose_or_without_its_keys_fails(inv):
    class Prose(Lab1834):
        def backend(self, b, request, path):
            if path.endswith("/chat/completions"):
                body = json.loads(request.content)
                request = httpx2.Request("POST", request.url, json={k: v for k, v in body.items() if k != "response_format"})
            return super().backend(b, request, path)
    base = lab_for(inv)
    lab = Prose(base.backends, base.routes, upstream_models=base.upstream_models)
    lab.router, lab.env, lab.answered_by = base.router, base.env, {}
    _, findings = run(lab, inv)
    chat = findings["mlx-servers::contract:jerry-architect:chat"]
    assert chat.status is Status.FAILED and "the answer is not JSON: 'hello hello" in chat.found
    data = _variant()
    next(r for r in data["litellm"]["routes"] if r["name"] == "jerry-architect")["request"]["json_keys"] = ["summary", "tags"]
    keys = Inventory.model_validate(data)
    _, findings = run(lab_for(keys), keys)
    assert "the JSON answer lacks tags (has summary)" in findings["mlx-servers::contract:jerry-architect:chat"].found


def test_a_responses_answer_that_did_not_complete_fails(inv):
    class Incomplete(Lab1834):
        def responses(self, request):
            answer = super().responses(request)
            if json.loads(request.content).get("stream"):
                return answer
            body = json.loads(answer.content) | {"status": "incomplete", "output": []}
            return httpx2.Response(200, json=body, headers=dict(answer.headers))
    base = lab_for(inv)
    lab = Incomplete(base.backends, base.routes, upstream_models=base.upstream_models)
    lab.router, lab.env, lab.answered_by = base.router, base.env, {}
    _, findings = run(lab, inv)
    found = findings["mlx-servers::contract:jerry-weak:chat"].found
    assert "no output_text" in found and "status ['incomplete'], expected ['completed']" in found


def test_a_route_that_leaves_the_lab_is_not_called_unless_opted_in(inv):
    lab = lab_for(inv)
    facts, findings = run(lab, inv)
    test_ids = {i for i in findings if ":jerry-test:" in i}
    assert {findings[i].status for i in test_ids} == {Status.OPT_IN}
    assert not [s for s in lab.seen if ":8109" in s or "jerry-test" in s]
    assert all(judge(i, findings[i], None, None).verdict is Verdict.NOT_RUN for i in test_ids)
    assert findings["mlx-servers::contract:jerry-test:chat"].message.startswith("not run: opt-in: jerry-test leaves the lab")
    # opted in: called like any other route
    data = _variant()
    next(r for r in data["litellm"]["routes"] if r["name"] == "jerry-test")["opt_in"] = True
    opted = Inventory.model_validate(data)
    lab = lab_for(opted)
    _, findings = run(lab, opted)
    assert {findings[i].status for i in test_ids} == {Status.PASSED}
    assert [s for s in lab.seen if ":8109" in s]


def _undescribed(master_key: dict | None = None, **route) -> dict:
    """The variant with jerry-test as discovery proposes a route whose backend's api it cannot tell: no `api:`,
    `leaves_lab: true` (nothing read says where its backend sends a request)."""
    data = _variant(**({"master_key": master_key} if master_key else {}))
    test = next(r for r in data["litellm"]["routes"] if r["name"] == "jerry-test")
    del test["api"]
    test |= {"leaves_lab": True} | route
    return data


def test_a_route_without_api_is_never_called_its_static_facts_are_checked_and_the_proxy_list_documents_it():
    inv = Inventory.model_validate(_undescribed())
    route = next(r for r in inv.litellm.routes if r.name == "jerry-test")
    assert route.api is None and not route.called
    lab = lab_for(inv)
    facts, findings = run(lab, inv)
    ids = {i for i in findings if ":jerry-test:" in i}
    assert ids == {f"mlx-servers::contract:jerry-test:{a}" for a in ("direct", "chat", "stream", "backend")}
    assert {findings[i].status for i in ids} == {Status.OPT_IN}
    assert findings["mlx-servers::contract:jerry-test:direct"].message.startswith(
        "not run: opt-in: jerry-test is not described for a call: no `api:` (how its backend answers), and "
        "`leaves_lab: true` without `opt_in`")
    assert not [s for s in lab.seen if ":8109" in s or "jerry-test" in s]  # nothing sent to it, either way
    # every other check as with the route described: the proxy lists it, and it is documented
    assert findings["litellm-orch::contract:models"].status is Status.PASSED
    assert not {i: m for i, m in _not_passed(findings).items() if i not in ids}
    titles = {c.id: c.title for c in contract_checks(inv)}
    assert "(api not described)" in titles["mlx-servers::contract:jerry-test:direct"]
    assert [r["api"] for r in latency_summary(facts)["routes"] if r["route"] == "jerry-test"] == [None]
    # its static facts still run: router.yaml's entry reads the env names the inventory says, env.local has them
    site = SiteAddresses(inv, load_site(ROOT / "lab" / "site-twin.yaml", inv))
    mini = Mini(lab.router, lab.env)
    static = {c.id: evaluate(c, mini) for c in litellm_checks(inv, site) if ":route:jerry-test:" in c.id}
    assert set(static) == {f"litellm-orch::route:jerry-test:{p}" for p in ("api-base", "model", "api-key")}
    assert {f.status for f in static.values()} == {Status.PASSED}
    broken = {c.id: evaluate(c, Mini(lab.router, lab.env.replace("JERRY_TEST_API_BASE", "JERRY_TEST_BASE")))
              for c in litellm_checks(inv, site) if c.id == "litellm-orch::route:jerry-test:api-base"}
    assert broken["litellm-orch::route:jerry-test:api-base"].status is Status.FAILED
    # the dry run says why nothing is sent to it
    lines = ContractPlan(inv, site, "mini").planned()
    assert [l for l in lines if "jerry-test" in l] == [
        "route jerry-test: nothing sent (it is not described for a call: no `api:` (how its backend answers), and "
        "`leaves_lab: true` without `opt_in` (add `api:`, and `leaves_lab: false` or `opt_in: true`, to call it); "
        "not run: opt-in)"]
    # with a master key, a keyless chat is sent only for a route the run calls: with none called, none is planned
    keyed = _undescribed(master_key={"enabled": True, "source": "companion"})
    assert any("chat/completions without the key" in l for l in ContractPlan(Inventory.model_validate(keyed), site,
                                                                               "mini").planned())
    for r in keyed["litellm"]["routes"]:
        r.pop("api", None)
        r.pop("opt_in", None)
        r["leaves_lab"] = True
    assert not any("chat/completions without the key" in l for l in ContractPlan(Inventory.model_validate(keyed), site,
                                                                                   "mini").planned())


@pytest.mark.parametrize("route", [{"leaves_lab": False}, {"opt_in": True}])
def test_a_route_the_suite_calls_needs_its_api(route):
    with pytest.raises(ValidationError) as e:
        Inventory.model_validate(_undescribed(**route))
    assert ("a route needs `api:` (one of contract.apis) when the inventory has a contract and the suite calls the "
            "route") in str(e.value)


# --- auth and the database ------------------------------------------------------------------------------------

KEY = "sk-master-canary-77"


def test_with_a_master_key_a_keyless_chat_is_refused_too(inv):
    keyed = variant(master_key={"enabled": True, "source": "companion"})
    facts, findings = run(lab_for(keyed, master_key=KEY), keyed, env={"LLM_LAB_LITELLM_KEY": KEY})
    assert findings["litellm-orch::contract:master-key"].status is Status.PASSED
    assert facts.proxy.chat_without_key.status == 401 and facts.proxy.chat_without_key.what.endswith("chat/completions")

    class ChatUnguarded(Lab1834):  # the key guards the model list but a chat goes through
        def proxy(self, request):
            if request.url.path == "/v1/chat/completions" and "authorization" not in request.headers:
                request.headers["authorization"] = f"Bearer {KEY}"
            return super().proxy(request)
    base = lab_for(keyed, master_key=KEY)
    lab = ChatUnguarded(base.backends, base.routes, upstream_models=base.upstream_models, master_key=KEY)
    lab.router, lab.env, lab.answered_by = base.router, base.env, {}
    _, findings = run(lab, keyed, env={"LLM_LAB_LITELLM_KEY": KEY})
    found = findings["litellm-orch::contract:master-key"].found
    assert findings["litellm-orch::contract:master-key"].status is Status.FAILED
    assert "401 (" in found and "200 (" in found and KEY not in found


@pytest.mark.parametrize("readiness, enabled, status, found", [
    ((200, {"status": "healthy", "db": "connected"}), True, Status.PASSED, "200 with db: 'connected'"),
    ((200, {"status": "healthy", "db": "Not connected"}), False, Status.PASSED, "200 with db: 'Not connected'"),
    # DATABASE_URL missing: LiteLLM runs without a database
    ((200, {"status": "healthy", "db": "Not connected"}), True, Status.FAILED,
     "200 with db: 'Not connected' (LiteLLM was given no database (no DATABASE_URL))"),
    # the database down, allow_requests_on_db_unavailable on
    ((200, {"status": "healthy", "db": "disconnected"}), True, Status.FAILED,
     "200 with db: 'disconnected' (the database is configured but down (allow_requests_on_db_unavailable kept it 200))"),
])
def test_readiness_reports_the_database_as_documented(readiness, enabled, status, found):
    inv = variant(database={"enabled": enabled, "source": "companion"})
    _, findings = run(lab_for(inv, readiness=readiness), inv)
    db = findings["litellm-orch::contract:readiness-db"]
    assert (db.status, db.found) == (status, found)


def test_a_database_down_without_allow_requests_is_503_and_named(inv):
    """LiteLLM 1.83.4's answer then (health_readiness's except: HTTPException 503 'Service Unhealthy (...)')."""
    lab = lab_for(inv, readiness=(503, {"detail": "Service Unhealthy (Can't reach database server at `127.0.0.1:5432`)"}))
    _, findings = run(lab, inv)
    db = findings["litellm-orch::contract:readiness-db"]
    assert db.status is Status.FAILED and db.found.startswith("503: the database is configured but its health check")
    assert "127.0.0.1:5432" in db.found
    assert findings["litellm-orch::contract:readiness"].status is Status.FAILED


# What LiteLLM 1.83.4's own readiness code answers (health_readiness, _db_health_readiness_check and
# PrismaDBExceptionHandler, called for real in its environment with a database client that cannot reach its server,
# raising prisma's own error). Recorded with:
#   .venv/bin/python -c "from selftest.unit.test_routes_litellm import litellm_readiness; print(litellm_readiness())"
READINESS_SIDE = """import asyncio, json
from datetime import datetime
from fastapi import HTTPException
import prisma
import litellm.proxy.proxy_server as ps
from litellm.proxy.health_endpoints import _health_endpoints as he

DOWN = "Can't reach database server at `127.0.0.1:5432`"


class DownDB:  # a configured database that does not answer (prisma's own error type)
    async def health_check(self):
        raise prisma.errors.PrismaError(DOWN)

    async def disconnect(self):
        pass

    async def connect(self):
        raise prisma.errors.PrismaError(DOWN)


def readiness(client, allow):
    ps.prisma_client = client
    ps.general_settings["allow_requests_on_db_unavailable"] = allow
    he.db_health_cache = {"status": "unknown", "last_updated": datetime.now()}
    try:
        body = asyncio.run(he.health_readiness())
        return [200, body["db"]]
    except HTTPException as e:
        return [e.status_code, str(e.detail)]


print(json.dumps({"no database": readiness(None, False), "down": readiness(DownDB(), False),
                  "down, allow_requests_on_db_unavailable": readiness(DownDB(), True)}))
"""
READINESS_RECORDED = {"no database": [200, "Not connected"],
                      "down": [503, "Service Unhealthy (Can't reach database server at `127.0.0.1:5432`)"],
                      "down, allow_requests_on_db_unavailable": [200, "disconnected"]}


def litellm_readiness() -> dict:
    from .test_litellm_deployments import LITELLM_PYTHON
    import os
    import subprocess
    out = subprocess.run([str(LITELLM_PYTHON), "-c", READINESS_SIDE], capture_output=True, text=True, timeout=180,
                         cwd=ROOT, env={"PATH": os.environ.get("PATH", ""), "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                                        "HOME": os.environ.get("HOME", "/")})
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not (ROOT / ".venv-litellm" / "bin" / "python").exists(), reason="no .venv-litellm")
def test_litellm_1_83_4_answers_readiness_as_the_check_reads_it():
    assert litellm_readiness() == READINESS_RECORDED


@pytest.mark.parametrize("case", list(READINESS_RECORDED))
def test_each_readiness_litellm_gives_is_judged_against_an_enabled_database(case):
    """LiteLLM's recorded answers, each through the check with a database documented: only `connected` passes, and
    each other answer is named for what it means."""
    status, said = READINESS_RECORDED[case]
    body = {"status": "healthy", "db": said} if status == 200 else {"detail": said}
    inv = variant()
    _, findings = run(lab_for(inv, readiness=(status, body)), inv)
    db = findings["litellm-orch::contract:readiness-db"]
    assert db.status is Status.FAILED
    assert {"no database": "no DATABASE_URL", "down": "allow_requests_on_db_unavailable is off",
            "down, allow_requests_on_db_unavailable": "configured but down"}[case] in db.found


def test_a_fact_the_site_cannot_prove_is_unproven_by_name_never_green(inv):
    """The twin has no Prisma engines: readiness says 'Not connected' there. Listed in the site file, the check is
    'unproven' with the reason and what was found; the same answer at a site that does not list it fails."""
    lab = lab_for(inv, readiness=(200, {"status": "healthy", "db": "Not connected"}))
    why = "LiteLLM's Prisma engines cannot be downloaded here: db: connected cannot be proven"
    _, findings = run(lab, inv, site_unproven={"litellm-orch::contract:readiness-db": why})
    db = findings["litellm-orch::contract:readiness-db"]
    assert db.status is Status.UNPROVEN and db.message.startswith(f"unproven: at site twin: {why} (found: expected")
    assert judge("litellm-orch::contract:readiness-db", db, None, None).verdict is Verdict.NOT_RUN
    _, findings = run(lab, inv)
    assert findings["litellm-orch::contract:readiness-db"].status is Status.FAILED
    # a passing check listed as unproven is unproven too: the site cannot stand behind it
    lab = lab_for(inv)
    _, findings = run(lab, inv, site_unproven={"litellm-orch::contract:readiness-db": why})
    assert findings["litellm-orch::contract:readiness-db"].status is Status.UNPROVEN


# --- the schema: each new field, wrong ---------------------------------------------------------------------------

@pytest.mark.parametrize("change, words", [
    (lambda d: d["litellm"].update(fallbacks=[{"route": "nope", "to": ["jerry-chat"], "source": "companion"}]),
     "unknown route 'nope'"),
    (lambda d: d["litellm"].update(retired=[{"name": "jerry-chat", "source": "companion"}]),
     "'jerry-chat' is a route and retired at once"),
    (lambda d: d["litellm"]["routes"][0].update(opt_in=True), "opt_in is for a route that leaves_lab"),
    (lambda d: d["litellm"]["routes"][0].update(request={"prompt": "x", "json_keys": ["a"]}),
     "json_keys are the keys of a JSON answer"),
    (lambda d: d["litellm"]["routes"][0].update(deployments=[{"api_base": "http://{nohost}:1/v1", "model": "openai/m"}]),
     "unknown placeholder {nohost}"),
    (lambda d: d["litellm"]["routes"][0].update(deployments=[{"api_base": "http://x/v1", "model": "no-provider"}]),
     "String should match pattern"),
])
def test_a_wrong_new_field_is_refused_with_its_reason(change, words):
    data = _variant()
    change(data)
    with pytest.raises(ValidationError) as e:
        Inventory.model_validate(data)
    assert words in str(e.value)


def test_the_site_file_lists_unproven_checks_by_id():
    site = Site.model_validate({"site": "twin", "unproven": {"litellm-orch::contract:readiness-db": "no Prisma"}})
    assert site.unproven == {"litellm-orch::contract:readiness-db": "no Prisma"}
    assert Site.model_validate({"site": "lab"}).unproven == {}


def test_a_wrong_new_field_is_named_at_its_line(tmp_path):
    """FILE:LINE, as for every inventory error: the loader finds the line of a cross-entry error's location."""
    from conformance.inventory import load_inventory
    from conformance.inventory.loader import InventoryError
    text = (ROOT / "inventory.yaml").read_text()
    anchor = "  routes:\n"
    assert text.count(anchor) == 1
    wrong = text.replace(anchor, "  retired:\n    - {name: main, source: companion}\n"
                                 "  fallbacks:\n    - {route: jerry-chat, to: [no-such-route], source: companion}\n"
                         + anchor)
    path = tmp_path / "inventory.yaml"
    path.write_text(wrong)
    line = wrong.splitlines().index("    - {route: jerry-chat, to: [no-such-route], source: companion}") + 1
    with pytest.raises(InventoryError) as e:
        load_inventory(path)
    assert f"inventory.yaml:{line}:" in str(e.value) and "unknown route 'no-such-route'" in str(e.value)


def test_the_report_shows_unproven_and_opt_in_as_their_own_states(tmp_path):
    """results.json as the plugin writes it: each state loads as itself (not an error), has its badge and words, and
    the verdict names the unproven facts."""
    from datetime import datetime, timezone
    from conformance.report.model import load_run
    from conformance.report.render import write_report
    from .test_report import check, write_run
    checks = [check("litellm-orch::contract:models", kind="contract"),
              check("litellm-orch::contract:readiness-db", "unproven", kind="contract",
                    found="at site twin: no Prisma engines (found: expected ...)"),
              check("ccproxy::contract:chatgpt-5:chat", "not run: opt-in", kind="contract",
                    found="chatgpt-5 leaves the lab and costs the owner money")]
    path = write_run(tmp_path / "reports", datetime(2026, 12, 7, 3, tzinfo=timezone.utc), checks, markers="contract")
    run = load_run(path)
    assert [c.state for c in run.checks] == ["passed", "unproven", "not run: opt-in"]
    html = write_report(path).read_text(encoding="utf-8")
    assert ("1 unproven at this site: litellm-orch::contract:readiness-db; 1 not run: opt-in") in html
    assert 'class="badge st-unproven"' in html and 'class="badge st-not-run-opt-in"' in html


SECOND = ("- model_name: jerry-chat\n  litellm_params:\n    model: openai/m-chat\n"
          f"    api_base: http://{STUDIO}:8101/v1\n    api_key: dummy\n")


def test_several_deployments_of_one_route_each_documented_pass_and_an_undocumented_one_fails():
    """LiteLLM load-balances between a route's entries: whichever answered must be one the inventory documents."""
    data = _variant()
    chat = next(r for r in data["litellm"]["routes"] if r["name"] == "jerry-chat")
    chat["deployments"].append({"api_base": "http://{studio}:8101/v1", "model": "openai/m-chat"})
    both = Inventory.model_validate(data)
    lab = lab_for(both, answered_by={"jerry-chat": ("jerry-chat", 1)})
    lab.router = router_text(both, extra=SECOND)[0]
    _, findings = run(lab, both)
    assert findings["mlx-servers::contract:jerry-chat:deployment"].status is Status.PASSED
    _, findings = run(lab, variant())  # the inventory documents the first entry only
    found = findings["mlx-servers::contract:jerry-chat:deployment"].found
    assert f"answered by jerry-chat's entry #2, openai/m-chat at http://{STUDIO}:8101/v1, not a documented" in found
