"""Checks of LiteLLM's configuration: router.yaml resolved with env.local, and its JSON logs."""
from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from ..facts import journal as journal_facts
from ..facts.litellm import Deployment, RouterConfig, RouterConfigError, resolve_router
from ..facts.service import UnitKey
from ..inventory.schema import Inventory, LiteLLM, Route
from ..site import SiteAddresses
from ..facts.needs import ENV, JOURNAL, ROUTER, SERVICE, SERVICE_ENV, Need
from .finding import Check, Finding, Impact, Status, compare, compare_sets, failed

UNAUTHENTICATED = "security: the proxy accepts unauthenticated requests (no master key)"
MASTER_KEY_VARIABLE = "LITELLM_MASTER_KEY"  # LiteLLM enables a master key from this variable too


def litellm_checks(inventory: Inventory, site: SiteAddresses) -> Iterator[Check]:
    cfg = inventory.litellm
    if cfg is None:
        return
    service = inventory.service(cfg.service)
    sid, host = service.id, service.host
    router = (Need(ROUTER, cfg.config), Need(ENV, cfg.env_file))  # router.yaml, its os.environ/ names from env.local
    config = partial(Check, host=host, kind="litellm-config", source=cfg.source, needs=router)
    yield config(id=f"{sid}::json-logs-setting", impact=Impact.MEDIUM,
                 title=f"{cfg.config} sets litellm_settings.json_logs: {str(cfg.json_logs).lower()}",
                 evaluate=partial(_json_logs_setting, cfg=cfg))
    for j in service.journal:
        if j.json_lines:
            share = f"{journal_facts.JSON_SHARE:.0%}"
            yield Check(id=f"{sid}::json-logs-journal", host=host, kind="journal", source=j.source, impact=Impact.MEDIUM,
                        title=f"the journal of {j.unit}'s current run is JSON: at least {share} of its last "
                              f"{journal_facts.JOURNAL_WINDOW} lines, the start-up banner excepted",
                        evaluate=partial(_json_in_journal, key=UnitKey(j.scope, j.unit_user, j.unit)),
                        needs=(Need(SERVICE, UnitKey(j.scope, j.unit_user, j.unit)),
                               Need(JOURNAL, UnitKey(j.scope, j.unit_user, j.unit))))
    yield config(id=f"{sid}::router-settings", source="companion", impact=Impact.LOW,
                 title=f"router.yaml router_settings has {', '.join(cfg.router_settings)}",
                 evaluate=partial(_router_settings, cfg=cfg))
    units = [UnitKey(u.scope, u.user if u.scope == "user" else None, u.name) for u in service.units if u.present]
    # the unit's environment, and every env file it reads, may enable a key too
    yield config(id=f"{sid}::master-key", source=cfg.master_key.source, impact=Impact.MEDIUM,
                 needs=router + ((Need(SERVICE, units[0]), Need(SERVICE_ENV, units[0])) if units else ()),
                 title=f"proxy master key is {'enabled' if cfg.master_key.enabled else 'not enabled (planned)'} "
                       f"(router.yaml general_settings.master_key, or {MASTER_KEY_VARIABLE} in the unit's environment "
                       f"or env files)",
                 evaluate=partial(_master_key, cfg=cfg, unit=units[0] if units else None))
    if cfg.fallbacks:
        yield config(id=f"{sid}::fallbacks", impact=Impact.MEDIUM, source=cfg.fallbacks[0].source,
                     title="router.yaml's fallbacks are the documented ones: "
                           + ", ".join(_fallback(f.route, f.to) for f in cfg.fallbacks),
                     evaluate=partial(_fallbacks, cfg=cfg))
    for alias in cfg.retired:
        yield config(id=f"{sid}::retired:{alias.name}", impact=Impact.MEDIUM, source=alias.source,
                     title=f"retired alias {alias.name} is not in router.yaml's model_list (it must not be routed)",
                     evaluate=partial(_retired, cfg=cfg, name=alias.name))
    for route in cfg.routes:
        base = site.render(route.api_base)
        check = partial(Check, host=host, kind="route", source=route.source, needs=router)
        yield check(id=f"{sid}::route:{route.name}:api-base", impact=Impact.CRITICAL,
                    title=f"route {route.name} -> {base} {_given(route, 'api_base')}",
                    evaluate=partial(_route_api_base, cfg=cfg, route=route, expected=base))
        yield check(id=f"{sid}::route:{route.name}:model",
                    title=f"route {route.name} model is openai/<upstream id> {_given(route, 'model')}",
                    evaluate=partial(_route_model, cfg=cfg, route=route))
        yield check(id=f"{sid}::route:{route.name}:api-key", impact=Impact.MEDIUM,
                    title=f"route {route.name} api_key is " + ("set " if route.variable("api_key") else "")
                    + _given(route, "api_key"),
                    evaluate=partial(_route_key, cfg=cfg, route=route))
        if route.deployments:
            documented = [(site.render(d.api_base), d.model) for d in route.deployments]
            yield check(id=f"{sid}::route:{route.name}:deployments", impact=Impact.HIGH,
                        title=f"route {route.name} has {len(documented)} deployment(s) in model_list: "
                              + "; ".join(f"{m} at {b}" for b, m in documented),
                        evaluate=partial(_route_deployments, cfg=cfg, route=route, documented=documented))


def _given(route: Route, param: str) -> str:
    """How router.yaml gives the param, as the inventory documents it (route.env, route.literal)."""
    variable = route.variable(param)
    return f"via os.environ/{variable}" if variable else "written in router.yaml"


class _Unreadable(Exception):
    """router.yaml or env.local cannot be compared: the finding says why (missing, not a file, not YAML)."""

    def __init__(self, found: str, source: str, evidence: tuple):
        super().__init__(found)
        self.found, self.source, self.evidence = found, source, evidence


def _router(facts, cfg: LiteLLM) -> tuple[RouterConfig, tuple]:
    text = facts.file_text(cfg.config)
    if text.problem:
        raise _Unreadable(f"{cfg.config}: {text.problem}", cfg.config, text.evidence)
    env, env_text = facts.env_file(cfg.env_file)
    try:
        return resolve_router(text.text, env), text.evidence + env_text.evidence
    except RouterConfigError as e:
        raise _Unreadable(f"{cfg.config}: {e}", cfg.config, text.evidence) from None


def _with_router(evaluate):
    """A broken router.yaml fails the check (expected the documented value, found why it cannot be read)."""
    def wrapped(facts, cfg: LiteLLM, expected_on_error: str = "a readable router.yaml", **kw) -> Finding:
        try:
            return evaluate(facts, cfg, **kw)
        except _Unreadable as e:
            return failed(expected_on_error, e.found, e.source, e.evidence)
    wrapped.__name__ = evaluate.__name__
    return wrapped


@_with_router
def _json_logs_setting(facts, cfg: LiteLLM) -> Finding:
    router, evidence = _router(facts, cfg)
    found = router.litellm_settings.get("json_logs") if isinstance(router.litellm_settings, dict) else None
    return compare(cfg.json_logs, found, f"{cfg.config} (litellm_settings.json_logs)", evidence)


def _json_in_journal(facts, key: UnitKey) -> Finding:
    fact = facts.journal(key)
    json_count, counted = journal_facts.json_after_startup(fact.value)
    expected = f"at least {journal_facts.JSON_SHARE:.0%} JSON lines after start-up"
    ok = counted > 0 and json_count >= journal_facts.JSON_SHARE * counted
    # the share, not the counts: a passing value that changes every night would be news in every report
    found = (f"{json_count / counted:.0%} JSON lines after start-up" + ("" if ok else f" ({json_count} of {counted})")
             if counted else "no line after start-up")
    return Finding(Status.PASSED if ok else Status.FAILED, expected, found, fact.source, fact.evidence)


@_with_router
def _router_settings(facts, cfg: LiteLLM) -> Finding:
    router, evidence = _router(facts, cfg)
    settings = router.router_settings if isinstance(router.router_settings, dict) else {}
    # only the documented keys count: others (tuning the lab may add) are neither missing nor wrong
    present = [k for k in cfg.router_settings if k in settings]
    return compare_sets(cfg.router_settings, present, f"{cfg.config} (router_settings)", evidence)


@_with_router
def _master_key(facts, cfg: LiteLLM, unit: UnitKey | None) -> Finding:
    """Any way LiteLLM would enable a master key counts: its config, or the variable in its environment."""
    router, evidence = _router(facts, cfg)
    general = router.general_settings if isinstance(router.general_settings, dict) else {}
    where = ["router.yaml general_settings.master_key"] if general.get("master_key") else []
    env_files = [cfg.env_file]
    if unit is not None:
        state = facts.service(unit)
        evidence += state.evidence
        if state.value.detail.environment.get(MASTER_KEY_VARIABLE):
            where.append(f"{unit.name} Environment={MASTER_KEY_VARIABLE}")
        env_files += [f for f in state.value.environment_files if f not in env_files]
    for path in env_files:
        env, text = facts.env_file(path)
        evidence += text.evidence
        if env.get(MASTER_KEY_VARIABLE):
            where.append(f"{path} {MASTER_KEY_VARIABLE}")
    enabled = "enabled" if where else "not enabled"
    source = f"{cfg.config} (general_settings.master_key); {MASTER_KEY_VARIABLE} in the unit's Environment= and " \
             f"{', '.join(env_files)}"
    finding = compare("enabled" if cfg.master_key.enabled else "not enabled",
                      f"enabled ({'; '.join(where)})" if where else enabled, source, evidence)
    if not where and finding.status is Status.PASSED:
        return Finding(finding.status, finding.expected, finding.found, source, evidence, note=UNAUTHENTICATED)
    return finding


def _deployments(router: RouterConfig, route: Route, found_in) -> str:
    """What the route's entries of model_list hold, as `found_in(litellm_params)` says it.

    Several entries with one model_name are several deployments LiteLLM load-balances between: the
    inventory documents one, so the finding names how many there are and what each holds (never only the last).
    """
    deployments = router.deployments.get(route.name)
    if not deployments:
        return f"no route {route.name!r} in model_list"
    if len(deployments) == 1:
        return found_in(deployments[0])
    return (f"{len(deployments)} deployments of {route.name!r} in model_list (LiteLLM load-balances between them): "
            + "; ".join(f"#{i} {found_in(d)}" for i, d in enumerate(deployments, 1)))


@_with_router
def _route_api_base(facts, cfg: LiteLLM, route: Route, expected: str) -> Finding:
    router, evidence = _router(facts, cfg)
    variable = route.variable("api_base")
    want = f"os.environ/{variable} = {expected}" if variable else f"literal {expected}"

    def found_in(params: Deployment) -> str:
        value = params.get("api_base")
        if value is None:
            return "no api_base"
        if value.variable is None:
            return f"literal {value.raw}"
        return f"{value.raw} = {value.value if not value.unresolved else '<not set in ' + cfg.env_file + '>'}"
    return compare(want, _deployments(router, route, found_in), f"{cfg.config} + {cfg.env_file}", evidence)


@_with_router
def _route_model(facts, cfg: LiteLLM, route: Route) -> Finding:
    router, evidence = _router(facts, cfg)
    variable = route.variable("model")
    want = f"os.environ/{variable} = openai/<upstream id>" if variable else "literal openai/<upstream id>"

    def found_in(params: Deployment) -> str:
        value = params.get("model")
        if value is None:
            return "no model"
        if value.variable != variable:
            return f"{value.raw}" if value.variable else f"literal {value.raw}"
        if value.unresolved:
            return f"{value.raw} = <not set in {cfg.env_file}>"
        if str(value.value).startswith("openai/") and len(str(value.value)) > len("openai/"):
            return want
        return f"{value.raw} = {value.value}" if variable else f"literal {value.raw}"
    return compare(want, _deployments(router, route, found_in), f"{cfg.config} + {cfg.env_file}", evidence)


@_with_router
def _route_key(facts, cfg: LiteLLM, route: Route) -> Finding:
    """A secret: compared as set / not set / written literally, never by value."""
    router, evidence = _router(facts, cfg)
    variable = route.variable("api_key")
    written = "api_key written literally in router.yaml"
    want = f"os.environ/{variable} <set>" if variable else written

    def found_in(params: Deployment) -> str:
        value = params.get("api_key")
        if value is None:
            return "no api_key"
        if value.variable != variable:
            return written if value.variable is None else f"os.environ/{value.variable}"
        if variable is None:
            return written if value.value not in (None, "") else "api_key written empty in router.yaml"
        return want if value.value else f"os.environ/{variable} <not set>"
    return compare(want, _deployments(router, route, found_in), f"{cfg.config} + {cfg.env_file}", evidence)


def _fallback(route: str, to: list) -> str:
    return f"{route} -> {', '.join(map(str, to))}"


def fallbacks_of(router: RouterConfig) -> tuple[list[str], str]:
    """router.yaml's fallbacks as `route -> a, b` lines, and where they were found. LiteLLM reads them from
    router_settings (a Router argument) or litellm_settings (litellm.fallbacks); each a list of one-key maps,
    `[{"fast": ["deep"]}]`."""
    found, where = [], []
    for section, settings in (("router_settings", router.router_settings), ("litellm_settings", router.litellm_settings)):
        listed = settings.get("fallbacks") if isinstance(settings, dict) else None
        if not listed:
            continue
        where.append(f"{section}.fallbacks")
        for entry in listed if isinstance(listed, list) else [listed]:
            if isinstance(entry, dict):
                found += [_fallback(str(k), v if isinstance(v, list) else [v]) for k, v in entry.items()]
            else:
                found.append(f"unreadable entry {entry!r}")
    return found, " and ".join(where) or "router_settings.fallbacks, litellm_settings.fallbacks"


@_with_router
def _fallbacks(facts, cfg: LiteLLM) -> Finding:
    router, evidence = _router(facts, cfg)
    found, where = fallbacks_of(router)
    return compare_sets([_fallback(f.route, f.to) for f in cfg.fallbacks], found, f"{cfg.config} ({where})", evidence)


@_with_router
def _retired(facts, cfg: LiteLLM, name: str) -> Finding:
    router, evidence = _router(facts, cfg)
    entries = len(router.deployments.get(name, []))
    found = f"{entries} model_list entr{'y' if entries == 1 else 'ies'} named {name!r}" if entries else f"no route {name!r}"
    return compare(f"no route {name!r}", found, f"{cfg.config} (model_list)", evidence)


@_with_router
def _route_deployments(facts, cfg: LiteLLM, route: Route, documented: list[tuple[str, str]]) -> Finding:
    """Every documented deployment is an entry of the route, and no other entry is: (api_base, model) as router.yaml
    resolves them with env.local."""
    router, evidence = _router(facts, cfg)

    def shown(params: Deployment) -> str:
        base, model = params.get("api_base"), params.get("model")
        return f"{_value(model)} at {_value(base)}"
    expected = [f"{m} at {b}" for b, m in documented]
    found = [shown(d) for d in router.deployments.get(route.name, [])]
    return compare_sets(expected, found, f"{cfg.config} + {cfg.env_file} (model_list entries named {route.name!r})",
                        evidence)


def _value(value) -> str:
    if value is None:
        return "<none>"
    return "<not set>" if value.unresolved else str(value.value)
