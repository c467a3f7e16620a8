"""The OpenAI-API contract's checks: every route answers through LiteLLM, from the backend it should, in
the shape clients expect; and where it does not, which layer broke.

Per route (ids `<backend service>::contract:<route>:<aspect>`):
- direct: the backend itself keeps the contract (health, model list, chat, stream, its documented quirks);
- chat / stream: the same through LiteLLM, with the official openai client;
- backend: the answer came from the documented backend: LiteLLM's x-litellm-model-api-base equals the
  route's api_base AND the answer's fingerprint is that backend's (id shape, usage, the headers it
  sends), with no retry or fallback in between. The body's `model` is not evidence (LiteLLM rewrites it).
Proxy-wide: readiness, the model list, an unknown model, the master key, Open WebUI's own path.

A failure names its layer (`Layer`) by comparing the two ways: a backend that fails directly too is
the backend's fault; one that answers directly but not through the proxy is the proxy's. A route
documented `optional` whose backend is down is not applicable (a skip with a warning) as far as
nothing answered it: when LiteLLM answers it anyway (a fallback, a misroute), the answers are judged
(chat, stream: are they well-formed) and `backend` fails, since they came from elsewhere; only
`direct` stays not applicable. A route that did not finish within its budget fails its own four
checks (`route unfinished`), never another route's. Wording of answers is never judged: real models
answer anything.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from enum import Enum
from functools import partial
from typing import TYPE_CHECKING

from ..facts.backend_auth import missing_key
from ..facts.litellm import RouterConfigError, resolve_router
from ..facts.base import CannotVerify
from ..facts.contract_plan import not_called_reason
from ..facts.request_failure import Failure, UndocumentedAddress
from ..inventory.schema import Api, Inventory
from ..facts.needs import CONTRACT, ENV, ROUTER, Need
from .finding import Check, Finding, Impact, Status, compare, compare_sets, failed, not_applicable, opt_in, unproven
from .http import is_good, judge

if TYPE_CHECKING:  # the contract's client (openai, httpx2) is imported only by a run that asks the contract
    from ..facts.contract import RequestOutcome, ContractFacts, RouteAnswers, RoutePlan, PathAnswers

NOT_EVIDENCE = "the body's `model` is not evidence: LiteLLM rewrites it to the route's name"
UNAUTHENTICATED = "security: the proxy answered a request that carried no key (no master key, as documented)"


class Layer(str, Enum):
    PROXY_DOWN = "proxy down"
    PROXY_MISROUTES = "proxy misroutes"
    PROXY_FAILS = "proxy fails the route"
    PROXY_REFUSES_ACCESS = "proxy refuses access"
    PROXY_ERROR = "proxy error"
    BACKEND_DOWN = "backend down"
    BACKEND_HANGS = "backend hangs"
    BACKEND_REFUSES_ACCESS = "backend refuses access"
    BACKEND_MALFORMED = "backend malformed"
    BACKEND_UNHEALTHY = "backend unhealthy"  # its health request is not answered as its kind documents
    BACKEND_UNGUARDED = "backend unguarded"  # it answers without the key its kind documents
    ROUTE_UNFINISHED = "route unfinished"  # the route's requests overran its budget: no verdict on any layer


def contract_checks(inventory: Inventory) -> Iterator[Check]:
    """Every contract check; a fact the run's site lists as unproven (site file `unproven:`) is reported so."""
    for check in _contract_checks(inventory):
        yield replace(check, evaluate=partial(_unless_unproven, evaluate=check.evaluate, check_id=check.id))


def _unless_unproven(facts: ContractFacts, evaluate, check_id: str) -> Finding:
    """What the check found is kept; a site that cannot prove the fact (the twin: no Prisma engines, so never
    `db: connected`) turns its verdict into `unproven` with the reason: listed by name, never green."""
    finding = evaluate(facts)
    site = getattr(getattr(facts, "site", None), "site", None)
    reason = site.unproven.get(check_id) if site is not None else None
    return unproven(f"at site {site.site}: {reason}", finding) if reason else finding


def _contract_checks(inventory: Inventory) -> Iterator[Check]:
    if inventory.contract is None or inventory.litellm is None:
        return
    proxy_service = inventory.litellm.service
    proxy_host = inventory.service(proxy_service).host
    proxy = partial(Check, host=proxy_host, kind="contract", source=inventory.contract.source, needs=(Need(CONTRACT),))
    yield proxy(id=f"{proxy_service}::contract:readiness", impact=Impact.CRITICAL,
                title="the proxy answers GET /health/readiness with 200 (no model is called)",
                evaluate=_readiness)
    database = inventory.litellm.database
    if database:
        yield proxy(id=f"{proxy_service}::contract:readiness-db", impact=Impact.HIGH, source=database.source,
                    title=f"GET /health/readiness reports db: {_db_word(database.enabled)!r} "
                          f"({'LiteLLM is given DATABASE_URL' if database.enabled else 'no database, as documented'})",
                    evaluate=partial(_readiness_db, enabled=database.enabled))
    yield proxy(id=f"{proxy_service}::contract:models", impact=Impact.HIGH,
                title="the proxy's GET /v1/models (openai client) lists every documented route, and only those",
                evaluate=_models)
    yield proxy(id=f"{proxy_service}::contract:unknown-model", impact=Impact.MEDIUM,
                title="a chat request for an unknown model is refused with 400 'Invalid model name'",
                evaluate=_unknown_model)
    key = inventory.litellm.master_key
    yield proxy(id=f"{proxy_service}::contract:master-key", impact=Impact.HIGH, source=key.source,
                title=(f"a master key is enforced: without it 401, with it (${key.key_env}) answers" if key.enabled
                       else "no master key is enabled, as documented: a request without a key is answered"),
                evaluate=_master_key)
    for alias in inventory.litellm.retired:
        yield proxy(id=f"{proxy_service}::contract:retired:{alias.name}", impact=Impact.MEDIUM, source=alias.source,
                    title=f"a chat request for the retired alias {alias.name} is refused with 400 'Invalid model name'",
                    evaluate=partial(_retired, name=alias.name))
    webui = inventory.contract.open_webui
    if webui:
        yield Check(id=f"{webui.service}::contract:models", host=inventory.service(webui.service).host, kind="contract",
                    needs=(Need(CONTRACT), Need(ENV, webui.env_file)),
                    source=webui.source, impact=Impact.HIGH,
                    title=f"with Open WebUI's own key and base URL ({webui.env_file}), every route is listed",
                    evaluate=_open_webui)
    for route in inventory.litellm.routes:
        svc = inventory.service(route.backend)
        per_route = partial(Check, host=svc.host, kind="contract", source=route.source, needs=(Need(CONTRACT),))
        prefix = f"{route.backend}::contract:{route.name}"
        yield per_route(id=f"{prefix}:direct", impact=Impact.HIGH, evaluate=partial(_direct, route=route.name),
                        title=f"{route.name}'s backend ({_api_named(route)}) answers directly: health, models, chat "
                              "and stream, as its API documents")
        yield per_route(id=f"{prefix}:chat", impact=Impact.CRITICAL, evaluate=partial(_chat, route=route.name),
                        title=f"{route.name} through LiteLLM: a well-formed chat completion")
        yield per_route(id=f"{prefix}:stream", impact=Impact.HIGH, evaluate=partial(_stream, route=route.name),
                        title=f"{route.name} through LiteLLM: a stream of chunks that assembles and ends")
        yield per_route(id=f"{prefix}:backend", impact=Impact.CRITICAL, evaluate=partial(_backend, route=route.name),
                        title=f"{route.name} is answered by its documented backend ({_api_named(route)} at "
                              f"{route.api_base})")
        if route.deployments:
            cfg = inventory.litellm
            # on the proxy's host: router.yaml and env.local are read there
            yield per_route(id=f"{prefix}:deployment", impact=Impact.CRITICAL, host=proxy_host,
                            needs=(Need(CONTRACT), Need(ROUTER, cfg.config), Need(ENV, cfg.env_file)),
                            evaluate=partial(_deployment, route=route.name, host=proxy_host),
                            title=f"{route.name}'s answers name (x-litellm-model-id) a documented deployment of it: "
                                  + "; ".join(f"{d.model} at {d.api_base}" for d in route.deployments))


def _api_named(route) -> str:
    """The route's api in a check's title; a route without one is never called (the schema allows no other)."""
    return route.api or "api not described"


# --- proxy-wide ---------------------------------------------------------------------------------

def _recorded(*answers: RequestOutcome | None) -> None:
    """In a replay, an answer its recording does not hold cannot be judged: cannot verify, never a pass."""
    missing = next((a for a in answers if a is not None and a.failure is Failure.NOT_RECORDED), None)
    if missing:
        raise CannotVerify(missing.reason, missing.evidence)


def _readiness(facts: ContractFacts) -> Finding:
    facts.gather()
    answer = facts.proxy.readiness
    _recorded(answer)
    if answer.ok and answer.status == 200:
        return Finding(Status.PASSED, 200, 200, answer.what, answer.evidence)
    return failed(200, _with_layer(Layer.PROXY_DOWN if _proxy_down(facts) else None, answer.shown()),
                  answer.what, answer.evidence)


def _models(facts: ContractFacts) -> Finding:
    facts.gather()
    answer = facts.proxy.models
    _recorded(answer)
    routes = [p.route.name for p in facts.plans]
    if not answer.ok:
        return failed(routes, _with_layer(_proxy_layer(facts, answer), answer.shown()), answer.what, answer.evidence)
    return compare_sets(routes, answer.model_ids, answer.what, answer.evidence)


def _unknown_model(facts: ContractFacts) -> Finding:
    facts.gather()
    answer = facts.proxy.unknown_model
    _recorded(answer)
    return _refused_as_unknown(answer, facts)


def _refused_as_unknown(answer: RequestOutcome, facts: ContractFacts) -> Finding:
    """LiteLLM's answer to a model it does not route: 400 'Invalid model name'."""
    expected = "400 with 'Invalid model name'"
    text = str(answer.body) if answer.body is not None else answer.reason
    if answer.status == 400 and "Invalid model name" in text:
        return Finding(Status.PASSED, expected, expected, answer.what, answer.evidence)
    if answer.ok:
        said = answer.headers.get("x-litellm-model-api-base")
        found = f"{answer.status}: answered as if the model existed" + (f" (LiteLLM called {said})" if said else "")
    else:
        found = _with_layer(_proxy_layer(facts, answer), answer.shown())
    return failed(expected, found, answer.what, answer.evidence)


def _retired(facts: ContractFacts, name: str) -> Finding:
    """A retired alias must not be routed: the proxy refuses it as it refuses any unknown model."""
    facts.gather()
    answer = facts.proxy.retired[name]
    _recorded(answer)
    return _refused_as_unknown(answer, facts)


def _db_word(enabled: bool) -> str:
    return "connected" if enabled else "Not connected"


def _readiness_db(facts: ContractFacts, enabled: bool) -> Finding:
    """The `db` field of readiness's body. What LiteLLM 1.83.4 answers (litellm/proxy/health_endpoints/
    _health_endpoints.py): health_readiness() returns 200 with db "Not connected" when no prisma_client exists (no
    DATABASE_URL); with one, _db_health_readiness_check() runs prisma_client.health_check() (SELECT 1) and gives
    "connected", or on an error "disconnected" after PrismaDBExceptionHandler.handle_db_exception(e)
    (litellm/proxy/db/exception_handler.py), which re-raises unless the error is a connection error AND
    general_settings.allow_requests_on_db_unavailable is true; a re-raised error reaches health_readiness's
    `except`, which answers 503 "Service Unhealthy (...)". So a database that is configured but down reads
    503 by default, and 200 with db "disconnected" only with allow_requests_on_db_unavailable (those functions,
    called for real with a client whose server is unreachable: selftest/unit/test_routes_litellm.py)."""
    facts.gather()
    answer = facts.proxy.readiness
    _recorded(answer)
    expected = f"200 with db: {_db_word(enabled)!r}"
    body = answer.body if isinstance(answer.body, dict) else {}
    if answer.status == 503:
        detail = facts.redactor.excerpt(str(body.get("detail", body) or answer.reason), 200)
        return failed(expected, "503: the database is configured but its health check failed and "
                      "allow_requests_on_db_unavailable is off (LiteLLM answers 503 then): " + detail,
                      answer.what, answer.evidence)
    if not answer.ok or answer.status != 200:
        return failed(expected, _with_layer(Layer.PROXY_DOWN if _proxy_down(facts) else None, answer.shown()),
                      answer.what, answer.evidence)
    db = body.get("db")
    meaning = {"Not connected": "LiteLLM was given no database (no DATABASE_URL)",
               "disconnected": "the database is configured but down (allow_requests_on_db_unavailable kept it 200)",
               "connected": "the database answered SELECT 1"}.get(db, "a value LiteLLM 1.83.4 does not give")
    found = f"200 with db: {db!r}" if db == _db_word(enabled) else f"200 with db: {db!r} ({meaning})"
    return compare(expected, found, f"{answer.what} (body `db`)", answer.evidence)


def _master_key(facts: ContractFacts) -> Finding:
    facts.gather()
    models = facts.proxy.models
    _recorded(models, facts.proxy.without_key)
    if not facts.key_documented:
        if models.ok:
            return Finding(Status.PASSED, "answered without a key", "answered without a key", models.what,
                           models.evidence, note=UNAUTHENTICATED)
        if models.failure is Failure.AUTH:
            return failed("answered without a key", f"an undocumented master key is enabled: {models.shown()}",
                          models.what, models.evidence)
        return failed("answered without a key", _with_layer(_proxy_layer(facts, models), models.shown()),
                      models.what, models.evidence)
    if facts.master_key() is None:
        # a missing key is a missing privilege of the run
        raise CannotVerify(f"the inventory documents a master key; set ${facts.key_env} to it for the run "
                           "(it is never read from a file and never written out)")
    refused = [a for a in (facts.proxy.without_key, facts.proxy.chat_without_key) if a is not None]
    _recorded(*refused)
    # worded so that no value follows "key:" (the redactor would take it for a secret)
    expected = "401 when no key is sent; answered when the master key is sent"
    found = (", ".join(f"{a.status or a.reason} ({a.what.split(' ', 1)[1]})" for a in refused) + " when no key is sent; "
             f"{'answered' if models.ok else models.shown()} when the master key is sent")
    ok = all(a.failure is Failure.AUTH and a.status == 401 for a in refused) and models.ok
    return Finding(Status.PASSED if ok else Status.FAILED, expected, expected if ok else found, models.what,
                   tuple(r for a in refused for r in a.evidence) + models.evidence)


def _open_webui(facts: ContractFacts) -> Finding:
    facts.gather()
    routes = [p.route.name for p in facts.plans]
    try:
        base, answer = facts.open_webui()
    except UndocumentedAddress as e:  # Open WebUI is pointed elsewhere: a drift, and no key was sent to find out
        return failed(routes, e.reason, e.source, e.evidence)
    _recorded(answer)
    if not answer.ok:
        # without a database, LiteLLM answers a key that is not the master key with 400 "No connected db."
        layer = Layer.PROXY_REFUSES_ACCESS if answer.status in (400, 401, 403) else _proxy_layer(facts, answer)
        return failed(routes, _with_layer(layer, answer.shown() + " (Open WebUI's key)"), answer.what, answer.evidence)
    return compare_sets(routes, answer.model_ids, f"{answer.what} (Open WebUI's key)", answer.evidence)


# --- per route ----------------------------------------------------------------------------------

def _route(facts: ContractFacts, route: str) -> RouteAnswers:
    facts.gather()
    answers = facts.routes[route]
    _recorded(*answers.direct.answers(), *answers.proxy.answers())
    return answers


def _decided_early(answers: RouteAnswers, direct: bool = False) -> Finding | None:
    """A route that did not finish fails; an optional route whose backend is down is not applicable, for
    the proxy's checks only while nothing answered through the proxy (an answer came from elsewhere)."""
    plan = answers.plan
    if not plan.route.called:
        return opt_in(f"{plan.route.name} {not_called_reason(plan.route)}, so no request was sent (its static facts "
                      "are checked)", f"route {plan.route.name}")
    if answers.unfinished:
        evidence = answers.direct.evidence + answers.proxy.evidence
        return failed(f"{plan.route.name}'s requests within its budget",
                      _with_layer(Layer.ROUTE_UNFINISHED, answers.unfinished), f"route {plan.route.name}", evidence)
    down = answers.direct.health
    if plan.route.expected != "optional" or down is None or down.failure is not Failure.REFUSED:
        return None
    if not direct and any(a.ok for a in answers.proxy.answers()):
        return None
    return not_applicable(f"{plan.route.name}'s backend is down (documented optional): {down.shown()}",
                          down.what, down.evidence)


def _direct(facts: ContractFacts, route: str) -> Finding:
    answers = _route(facts, route)
    skip = _decided_early(answers, direct=True)
    if skip:
        return skip
    plan, way = answers.plan, answers.direct
    down = way.health is not None and way.health.failure in (Failure.REFUSED, Failure.TIMEOUT)
    if plan.api.auth is not None and facts.backend_keys.get(plan.api.id) is None and not down:
        # a missing key is a missing privilege of the run: what it guards was not asked
        raise CannotVerify(missing_key(plan.api), way.evidence)
    expected = f"{plan.api.id}'s contract at {plan.direct_base}"
    serving, guard = _direct_problems(way, plan, facts.redactor.excerpt), _guard_problems(way, plan.api)
    if not serving + guard:
        return Finding(Status.PASSED, expected, expected, _way_source(way), way.evidence)
    layer = _backend_layer(way, plan.api) if serving else Layer.BACKEND_UNGUARDED
    return failed(expected, _with_layer(layer, "; ".join(serving + guard)), _way_source(way), way.evidence)


def _chat(facts: ContractFacts, route: str) -> Finding:
    return _through(facts, route, stream=False)


def _stream(facts: ContractFacts, route: str) -> Finding:
    return _through(facts, route, stream=True)


def _through(facts: ContractFacts, route: str, stream: bool) -> Finding:
    answers = _route(facts, route)
    skip = _decided_early(answers)
    if skip:
        return skip
    plan = answers.plan
    answered = [answers.proxy.stream] if stream else answers.proxy.chats
    answered = [a for a in answered if a is not None]
    expected = ("a stream that assembles to content, with one final finish_reason, and ends" if stream
                else "a well-formed chat completion")
    problems = [p for a in answered for p in _answer_problems(a, plan.api, plan, direct=False)]
    if not answered:
        problems = ["no request was sent (the earlier one failed)"]
    evidence = tuple(r for a in answered for r in a.evidence)
    source = answered[0].what if answered else facts.proxy_base
    if not problems:
        return Finding(Status.PASSED, expected, expected, source, evidence)
    layer = _route_layer(facts, answers, answered)
    return failed(expected, _with_layer(layer, "; ".join(dict.fromkeys(problems))), source,
                  evidence + (answers.direct.evidence if layer and layer.name.startswith("BACKEND") else ()))


def _backend(facts: ContractFacts, route: str) -> Finding:
    answers = _route(facts, route)
    skip = _decided_early(answers)
    if skip:
        return skip
    plan = answers.plan
    answered = [a for a in (*answers.proxy.chats, answers.proxy.stream) if a is not None and a.ok and a.ids]
    expected = f"api_base {plan.api_base}, answers fingerprinted {plan.api.id}, no retry or fallback"
    evidence = tuple(r for a in answered for r in a.evidence)
    if not answered:
        first = answers.proxy.first_failure()
        why = first.shown() if first else "no answer through the proxy carried an id"
        return failed(expected, _with_layer(_route_layer(facts, answers, [first] if first else []),
                                            f"nothing to fingerprint: {why}"),
                      first.what if first else facts.proxy_base, first.evidence if first else ())
    found = []
    health = answers.direct.health
    for a in answered:
        said = a.headers.get("x-litellm-model-api-base")
        if said != plan.api_base:
            direct_fine = answers.direct.first_failure() is None
            down = health is not None and health.failure is Failure.REFUSED
            found.append(f"{Layer.PROXY_MISROUTES.value}: LiteLLM called {said or 'no api_base (header missing)'}"
                         + (" (the documented backend answers fine directly)" if direct_fine else "")
                         + (" while the documented backend is down (a fallback or a misroute answered)" if down
                            else ""))
        found += [f"{Layer.PROXY_MISROUTES.value}: {p}" for p in fingerprint_problems(a, plan.api)]
        for header in RETRY_HEADERS:
            if a.headers.get(header, "") not in ("0", ""):
                found.append(f"{header}: {a.headers[header]} (a retry or fallback hides a failure; "
                             "an undocumented fallback is a misroute)")
    found = list(dict.fromkeys(found))
    if not found:
        unknown = retries_unknown(answered)
        shown = expected if not unknown else f"{expected} where known; {unknown}"
        return Finding(Status.PASSED, expected, shown, f"x-litellm-model-api-base of {answered[0].what}", evidence)
    return failed(expected, "; ".join(found), f"x-litellm-model-api-base of {answered[0].what}", evidence)


# LiteLLM's count of retries and fallbacks behind an answer. 1.83.4 sends them on whole answers, not on streams: a
# missing header says nothing (unknown), never "0"
RETRY_HEADERS = ("x-litellm-attempted-retries", "x-litellm-attempted-fallbacks")


def retries_unknown(answered: list[RequestOutcome]) -> str:
    """Which answers do not say whether a retry or fallback happened (the header is missing): '' when all do."""
    missing = [f"{a.what.split(' ', 1)[1]}: {', '.join(h for h in RETRY_HEADERS if h not in a.headers)}"
               for a in answered if any(h not in a.headers for h in RETRY_HEADERS)]
    return ("retries/fallbacks unknown (no header) for " + "; ".join(dict.fromkeys(missing))) if missing else ""


def _deployment(facts: ContractFacts, route: str, host: str) -> Finding:
    """x-litellm-model-id names the deployment that answered: the id LiteLLM computes from its config
    (facts/litellm.py deployment_id). The suite computes every entry's id from router.yaml + env.local as read on
    the proxy's host, finds the entry the header names, and compares it with the route's documented deployments:
    a route answered by another route's entry on a shared URL (told apart only by the upstream model), or by an
    entry that is not documented, fails; so does an id no entry of router.yaml has (the proxy runs another config)."""
    answers = _route(facts, route)
    skip = _decided_early(answers)
    if skip:
        return skip
    plan = answers.plan
    cfg = facts.inventory.litellm
    documented = [(facts.site.render(d.api_base), d.model) for d in plan.route.deployments]
    expected = f"{route}'s documented deployment(s): " + "; ".join(f"{m} at {b}" for b, m in documented)
    host_facts = facts.host_facts(host)
    text = host_facts.file_text(cfg.config)
    env, env_text = host_facts.env_file(cfg.env_file)
    evidence = text.evidence + env_text.evidence
    if text.problem:
        return failed(expected, f"{cfg.config}: {text.problem}", cfg.config, evidence)
    try:
        router = resolve_router(text.text, env)
    except RouterConfigError as e:
        return failed(expected, f"{cfg.config}: {e}", cfg.config, evidence)
    answered = [a for a in (*answers.proxy.chats, answers.proxy.stream) if a is not None and a.ok]
    evidence += tuple(r for a in answered for r in a.evidence)
    if not answered:
        first = answers.proxy.first_failure()
        return failed(expected, f"nothing answered through the proxy: {first.shown() if first else 'no request'}",
                      first.what if first else facts.proxy_base, evidence)
    found = []
    for a in answered:
        model_id = a.headers.get("x-litellm-model-id")
        what = a.what.split(" ", 1)[1]
        if not model_id:
            found.append(f"{what}: no x-litellm-model-id header (which deployment answered is unknown)")
            continue
        entry = router.deployment_of(model_id)
        if entry is None:
            found.append(f"{what}: x-litellm-model-id {model_id} is no entry of {cfg.config} as read now "
                         "(the proxy runs another config, or was not restarted after a change)")
            continue
        name, i, params = entry
        base, model = (str(params[k].value) if k in params else "<none>" for k in ("api_base", "model"))
        if name != route:
            found.append(f"{Layer.PROXY_MISROUTES.value}: {what} answered by {name}'s entry #{i + 1} "
                         f"({model} at {base})")
        elif (base, model) not in documented:
            found.append(f"{what}: answered by {route}'s entry #{i + 1}, {model} at {base}, not a documented deployment")
    found = list(dict.fromkeys(found))
    source = f"x-litellm-model-id of {answered[0].what}, ids computed from {cfg.config} + {cfg.env_file}"
    if not found:
        return Finding(Status.PASSED, expected, expected, source, evidence)
    return failed(expected, "; ".join(found), source, evidence)


# --- what makes an answer right ------------------------------------------------------------------

def fingerprint_problems(answer: RequestOutcome, api: Api) -> list[str]:
    """What in this answer (through the proxy) says it did not come from a backend of this API."""
    problems = []
    stream = answer.what.endswith("(stream)")
    if _responses(answer):  # LiteLLM's own response ids and usage: the api_base and the deployment id are the proof
        return [f"no {h} header from upstream (llm_provider-{h}), which {api.id} always sends"
                for h in api.provider_headers if f"llm_provider-{h}" not in answer.headers]
    pattern = api.ids.stream if stream else api.ids.chat
    wrong = sorted({i for i in answer.ids if not re.fullmatch(pattern, i or "")})
    if wrong:
        problems.append(f"id {wrong[0]!r} is not {api.id}'s ({pattern})")
    if not stream:
        tokens = sum((answer.usage or {}).get(k) or 0 for k in ("prompt_tokens", "completion_tokens"))
        if api.usage == "absent" and tokens:
            problems.append(f"usage {answer.usage} where {api.id} reports none")
        if api.usage == "present" and not tokens:
            problems.append(f"no usage where {api.id} always reports it")
    for header in api.provider_headers:
        if f"llm_provider-{header}" not in answer.headers:
            problems.append(f"no {header} header from upstream (llm_provider-{header}), which {api.id} always sends")
    return problems


def _responses(answer: RequestOutcome) -> bool:
    """An answer of the Responses API (POST .../responses), not a chat completion."""
    return re.search(r"/responses( \(stream\))?$", answer.what) is not None


def _route_answer_problems(answer: RequestOutcome, plan: RoutePlan) -> list[str]:
    """A route's own request (`request:`): a Responses answer completed with text; a JSON answer is a JSON object
    with the documented keys."""
    request = plan.route.request
    problems = []
    if _responses(answer):
        if not answer.content.strip():
            problems.append("no output_text")
        if answer.finish_reasons[-1:] != ["completed"]:
            problems.append(f"status {answer.finish_reasons[-1:] or 'missing'}, expected ['completed']")
        obj = answer.body.get("object") if isinstance(answer.body, dict) else None
        if obj != "response":
            problems.append(f"object {obj!r}, expected 'response'")
    if request.answer == "json_object":
        try:
            value = json.loads(answer.content)
        except ValueError:
            return problems + [f"the answer is not JSON: {answer.content[:80]!r}"]
        if not isinstance(value, dict):
            problems.append(f"the answer is JSON but not an object: {type(value).__name__}")
        else:
            missing = [k for k in request.json_keys if k not in value]
            if missing:
                problems.append(f"the JSON answer lacks {', '.join(missing)} (has {', '.join(value) or 'no key'})")
    return problems


def _max_tokens(plan: RoutePlan, direct: bool) -> int:
    """The max_tokens the request was sent with: a route's own request may say its own (through the proxy)."""
    request = plan.route.request
    return (request.max_tokens if not direct and request and request.max_tokens else None) or plan.budget.max_tokens


def _answer_problems(answer: RequestOutcome, api: Api, plan: RoutePlan, direct: bool) -> list[str]:
    if not answer.ok:
        return [answer.shown()]
    if not direct and plan.route.request is not None:
        problems = _route_answer_problems(answer, plan)
        if _responses(answer):
            return problems
    else:
        problems = []
    stream = answer.what.endswith("(stream)")
    if not answer.content.strip():
        problems.append("no content")
    if "assistant" not in answer.roles:
        problems.append(f"role {answer.roles[:1] or 'missing'}, expected assistant")
    if len(answer.finish_reasons) != 1:
        problems.append(f"{len(answer.finish_reasons)} finish_reason(s), expected exactly one")
    elif answer.finish_reasons[0] not in api.finish_reasons:
        problems.append(f"finish_reason {answer.finish_reasons[0]!r}, expected one of {api.finish_reasons}")
    if stream:
        if not answer.done_marker:
            problems.append("the stream did not end with data: [DONE]")
        if direct and api.stream_usage and not (answer.usage_in_last_chunk and answer.usage):
            problems.append(f"no usage in the final chunk, which {api.id} sends")
    else:
        obj = answer.body.get("object") if isinstance(answer.body, dict) else None
        if obj != "chat.completion":
            problems.append(f"object {obj!r}, expected 'chat.completion'")
    usage = answer.usage or {}
    if api.usage == "present" and (not stream or (direct and api.stream_usage)):
        p, c, t = (usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens"))
        if not all(isinstance(v, int) for v in (p, c, t)):
            problems.append(f"usage {usage or None}, which {api.id} always reports")
        elif p + c != t:
            problems.append(f"usage inconsistent: prompt {p} + completion {c} != total {t}")
        elif api.honours_max_tokens and c > _max_tokens(plan, direct):
            problems.append(f"{c} completion tokens, more than max_tokens {_max_tokens(plan, direct)}")
    if direct:
        pattern = api.ids.stream if stream else api.ids.chat
        wrong = sorted({i for i in answer.ids if not re.fullmatch(pattern, i or "")})
        if wrong:
            problems.append(f"id {wrong[0]!r} is not {api.id}'s ({pattern})")
    return problems


def _direct_problems(way: PathAnswers, plan: RoutePlan, excerpt) -> list[str]:
    """What the backend's own answers get wrong: its health (as its kind documents a healthy answer), its model
    list, its chats and stream."""
    problems = []
    if way.health is not None and not _healthy(way.health, plan.api):
        problems.append(_health_shown(way.health, plan.api, excerpt))
        if way.health.failure in (Failure.REFUSED, Failure.TIMEOUT):
            return problems
    if way.models is not None:
        if not way.models.ok:
            problems.append(way.models.shown())
        elif not way.models.model_ids:
            problems.append(f"{way.models.what}: no model listed")
        elif plan.api.models.loaded_only and (unlisted := [m for m in _upstream_models(plan)
                                                           if m not in way.models.model_ids]):
            problems.append(f"{way.models.what}: {', '.join(unlisted)} not listed (the route's documented upstream "
                            f"model; {plan.api.id}'s list names the models it has loaded)")
    for answer in (*way.chats, way.stream):
        if answer is not None:
            problems += _answer_problems(answer, plan.api, plan, direct=True)
    return list(dict.fromkeys(problems))


def _upstream_models(plan: RoutePlan) -> list[str]:
    """The ids the route's documented deployments on its own api_base ask the backend for: LiteLLM sends an
    `openai/<id>` model as `<id>` (other providers' names are not read)."""
    return [d.model.removeprefix("openai/") for d in plan.route.deployments
            if d.api_base == plan.route.api_base and d.model.startswith("openai/")]


def _judged(answer: RequestOutcome) -> bool:
    """An answer whose status and body say something (not a connection that failed, not a refused key)."""
    return answer.status is not None and answer.failure in (None, Failure.STATUS)


def _healthy(answer: RequestOutcome, api: Api) -> bool:
    return _judged(answer) and is_good(api.health, answer.status, answer.raw)


def _health_shown(answer: RequestOutcome, api: Api, excerpt) -> str:
    if not _judged(answer):
        return answer.shown()
    expected, found = judge(api.health, answer.status, answer.raw, excerpt)
    return f"{answer.what}: {found}, not {expected} ({api.id}'s healthy answer)"


def _guard_problems(way: PathAnswers, api: Api) -> list[str]:
    """A kind with a key must refuse its model list asked without it (401), as its guard documents."""
    refused = way.without_key
    if refused is None or (refused.status == 401 and refused.failure is Failure.AUTH):
        return []
    return [f"{refused.what} sent without a key got {refused.status or refused.reason}, not 401 "
            f"({api.id}'s guard on {', '.join(api.auth.guards)})"]


def _way_source(way: PathAnswers) -> str:
    answers = way.answers()
    return answers[0].what if answers else "no request"


# --- which layer broke ---------------------------------------------------------------------------

def _with_layer(layer: Layer | None, text: str) -> str:
    return f"{layer.value}: {text}" if layer else text


def _proxy_down(facts: ContractFacts) -> bool:
    return facts.proxy.readiness.failure in (Failure.REFUSED, Failure.TIMEOUT)


def _proxy_layer(facts: ContractFacts, answer: RequestOutcome) -> Layer | None:
    if _proxy_down(facts) or answer.failure is Failure.REFUSED:
        return Layer.PROXY_DOWN
    if answer.failure is Failure.AUTH:
        return Layer.PROXY_REFUSES_ACCESS
    return Layer.PROXY_ERROR if answer.failure else None


def _backend_layer(way: PathAnswers, api: Api) -> Layer | None:
    """What the direct answers say about the backend."""
    first = way.first_failure()
    health = way.health
    if health is not None and (first is None or first is health) and _judged(health) and not _healthy(health, api):
        return Layer.BACKEND_UNHEALTHY
    if first is None:
        return Layer.BACKEND_MALFORMED if way.answers() else None  # answered, but not as documented
    return {Failure.REFUSED: Layer.BACKEND_DOWN, Failure.TIMEOUT: Layer.BACKEND_HANGS,
            Failure.AUTH: Layer.BACKEND_REFUSES_ACCESS}.get(first.failure, Layer.BACKEND_MALFORMED)


def _route_layer(facts: ContractFacts, answers: RouteAnswers, through: list[RequestOutcome]) -> Layer | None:
    """Through-the-proxy trouble: the proxy's when the backend keeps its contract directly, else the backend's."""
    if _proxy_down(facts) or any(a.failure is Failure.REFUSED for a in through):
        return Layer.PROXY_DOWN
    if _direct_problems(answers.direct, answers.plan, facts.redactor.excerpt):
        return _backend_layer(answers.direct, answers.plan.api)
    if any(a.failure is Failure.AUTH for a in through):
        return Layer.PROXY_REFUSES_ACCESS
    return Layer.PROXY_FAILS


def latency_summary(facts: ContractFacts) -> dict:
    """Per route, directly and through LiteLLM: the streamed request's TTFT and total (one request, so the
    first token never comes after the end), the non-streamed total, tokens/s; and the proxy's overhead on
    the non-streamed total (results.json)."""
    routes = []
    for name, answers in facts.routes.items():
        direct, proxy = _timings(answers.direct), _timings(answers.proxy)
        overhead = (round(proxy["chat_seconds"] - direct["chat_seconds"], 4)
                    if proxy["chat_seconds"] is not None and direct["chat_seconds"] is not None else None)
        api = answers.plan.api.id if answers.plan.api else None  # a route never called may have none
        routes.append({"route": name, "backend": answers.plan.route.backend, "host": answers.plan.host,
                       "api": api, "expected": answers.plan.route.expected,
                       "direct": direct, "proxy": proxy, "overhead_seconds": overhead,
                       "route_seconds": round(answers.seconds, 4)})
    return {"proxy": facts.proxy_base, "wall_seconds": round(facts.wall_seconds, 4), "routes": routes}


def _timings(way: PathAnswers) -> dict:
    chats = [a for a in way.chats if a.ok]
    totals = sorted(a.seconds for a in chats)
    stream = way.stream if way.stream is not None and way.stream.ok else None
    rates = [r for r in (*(a.tokens_per_second for a in chats), stream.tokens_per_second if stream else None) if r]
    first = next(iter(way.chats), None)
    return {"status": first.status if first else None,
            # the same streamed request: its first token, and its end
            "ttft_seconds": round(stream.ttft, 4) if stream and stream.ttft is not None else None,
            "stream_seconds": round(stream.seconds, 4) if stream else None,
            "chat_seconds": round(totals[len(totals) // 2], 4) if totals else None,  # non-streamed: the median
            "tokens_per_second": rates[0] if rates else None}
