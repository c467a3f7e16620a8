"""Checks of LiteLLM's configuration: router.yaml resolved with env.local, and its JSON logs."""
from __future__ import annotations

from collections.abc import Iterator

from ..facts import journal as journal_facts
from ..facts.linux import CannotVerify, LinuxFacts
from ..facts.litellm import RouterConfig, RouterConfigError, resolve_router
from ..facts.plan import UnitKey
from ..inventory.schema import Inventory, LiteLLM, Route
from ..site import SiteView
from .finding import Check, Finding, Status, compare, compare_sets

UNAUTHENTICATED = "security: the proxy accepts unauthenticated requests (no master key)"


def litellm_checks(inventory: Inventory, site: SiteView) -> Iterator[Check]:
    cfg = inventory.litellm
    if cfg is None:
        return
    service = inventory.service(cfg.service)
    sid, host = service.id, service.host
    yield Check(f"{sid}::json-logs-setting", host, f"{cfg.config} sets litellm_settings.json_logs: {str(cfg.json_logs).lower()}",
                cfg.source, lambda f: _json_logs_setting(f, cfg), 0.5, "litellm-config")
    for j in service.journal:
        if j.json_lines:
            key = UnitKey(j.scope, j.unit_user, j.unit)
            yield Check(f"{sid}::json-logs-journal", host, f"the journal of {j.unit}'s current run has JSON lines",
                        j.source, lambda f, k=key: _json_in_journal(f, k), 0.5, "journal")
    yield Check(f"{sid}::router-settings", host, f"router.yaml router_settings has {', '.join(cfg.router_settings)}",
                "companion", lambda f: _router_settings(f, cfg), 0.3, "litellm-config")
    yield Check(f"{sid}::master-key", host, f"proxy master key is {'enabled' if cfg.master_key.enabled else 'not enabled (planned)'}",
                cfg.master_key.source, lambda f: _master_key(f, cfg), 0.5, "litellm-config")
    for route in cfg.routes:
        base = site.render(route.api_base)
        yield Check(f"{sid}::route:{route.name}:api-base", host,
                    f"route {route.name} -> {base} via os.environ/{route.env_prefix}_API_BASE", route.source,
                    lambda f, r=route, b=base: _route_value(f, cfg, r, "api_base", "_API_BASE", b), 0.9, "route")
        yield Check(f"{sid}::route:{route.name}:model", host,
                    f"route {route.name} model is openai/<upstream id> via os.environ/{route.env_prefix}_MODEL", route.source,
                    lambda f, r=route: _route_model(f, cfg, r), 0.7, "route")
        yield Check(f"{sid}::route:{route.name}:api-key", host,
                    f"route {route.name} api_key is set via os.environ/{route.env_prefix}_API_KEY", route.source,
                    lambda f, r=route: _route_key(f, cfg, r), 0.5, "route")


def _router(facts: LinuxFacts, cfg: LiteLLM) -> tuple[RouterConfig, tuple]:
    text = facts.file_text(cfg.config)
    if text is None:
        raise _Missing(cfg.config)
    env_file = facts.env_file(cfg.env_file)
    env, env_evidence = (env_file[0], env_file[1].evidence) if env_file else ({}, ())
    try:
        return resolve_router(text.text, env), text.evidence + env_evidence
    except RouterConfigError as e:
        raise CannotVerify(f"{cfg.config}: {e}", text.evidence) from None


class _Missing(Exception):
    pass


def _guard(fn):
    def wrapped(facts, cfg, *args):
        try:
            return fn(facts, cfg, *args)
        except _Missing as e:
            return Finding(Status.FAILED, f"{e} present", "file missing", str(e))
    return wrapped


@_guard
def _json_logs_setting(facts: LinuxFacts, cfg: LiteLLM) -> Finding:
    router, evidence = _router(facts, cfg)
    found = router.litellm_settings.get("json_logs") if isinstance(router.litellm_settings, dict) else None
    return compare(cfg.json_logs, found, f"{cfg.config} (litellm_settings.json_logs)", evidence)


def _json_in_journal(facts: LinuxFacts, key: UnitKey) -> Finding:
    fact = facts.journal(key)
    json_count, total = journal_facts.json_lines(fact.value)
    found = f"{json_count} JSON line(s) of {total}"
    status = Status.PASSED if json_count > 0 else Status.FAILED
    return Finding(status, "at least 1 JSON line", found, fact.source, fact.evidence)


@_guard
def _router_settings(facts: LinuxFacts, cfg: LiteLLM) -> Finding:
    router, evidence = _router(facts, cfg)
    settings = router.router_settings if isinstance(router.router_settings, dict) else {}
    # only the documented keys count: others (tuning the lab may add) are neither missing nor wrong
    present = [k for k in cfg.router_settings if k in settings]
    return compare_sets(cfg.router_settings, present, f"{cfg.config} (router_settings)", evidence)


@_guard
def _master_key(facts: LinuxFacts, cfg: LiteLLM) -> Finding:
    router, evidence = _router(facts, cfg)
    general = router.general_settings if isinstance(router.general_settings, dict) else {}
    env_file = facts.env_file(cfg.env_file)
    in_env = bool(env_file and env_file[0].get("LITELLM_MASTER_KEY"))
    enabled = bool(general.get("master_key")) or in_env
    source = f"{cfg.config} (general_settings.master_key), {cfg.env_file} (LITELLM_MASTER_KEY)"
    finding = compare("enabled" if cfg.master_key.enabled else "not enabled", "enabled" if enabled else "not enabled", source, evidence)
    if not enabled and finding.status is Status.PASSED:
        return Finding(finding.status, finding.expected, finding.found, source, evidence, note=UNAUTHENTICATED)
    return finding


@_guard
def _route_value(facts: LinuxFacts, cfg: LiteLLM, route: Route, param: str, suffix: str, expected: str) -> Finding:
    router, evidence = _router(facts, cfg)
    variable = f"{route.env_prefix}{suffix}"
    want = f"os.environ/{variable} = {expected}"
    value = router.routes.get(route.name, {}).get(param)
    if route.name not in router.routes:
        found = f"no route {route.name!r} in model_list"
    elif value is None:
        found = f"no {param}"
    elif value.variable is None:
        found = f"literal {value.raw}"
    else:
        found = f"{value.raw} = {value.value if not value.unresolved else '<not set in ' + cfg.env_file + '>'}"
    return compare(want, found, f"{cfg.config} + {cfg.env_file}", evidence)


@_guard
def _route_model(facts: LinuxFacts, cfg: LiteLLM, route: Route) -> Finding:
    router, evidence = _router(facts, cfg)
    variable = f"{route.env_prefix}_MODEL"
    value = router.routes.get(route.name, {}).get("model")
    want = f"os.environ/{variable} = openai/<upstream id>"
    if value is None:
        found = f"no route {route.name!r}" if route.name not in router.routes else "no model"
    elif value.variable != variable:
        found = f"{value.raw}"
    elif value.unresolved:
        found = f"{value.raw} = <not set in {cfg.env_file}>"
    elif str(value.value).startswith("openai/") and len(str(value.value)) > len("openai/"):
        found = want
    else:
        found = f"{value.raw} = {value.value}"
    return compare(want, found, f"{cfg.config} + {cfg.env_file}", evidence)


@_guard
def _route_key(facts: LinuxFacts, cfg: LiteLLM, route: Route) -> Finding:
    router, evidence = _router(facts, cfg)
    variable = f"{route.env_prefix}_API_KEY"
    value = router.routes.get(route.name, {}).get("api_key")
    want = f"os.environ/{variable} <set>"
    if value is None:
        found = "no api_key"
    elif value.variable != variable:
        found = "api_key written literally in router.yaml" if value.variable is None else f"os.environ/{value.variable}"
    else:
        found = want if value.value else f"os.environ/{variable} <not set>"
    return compare(want, found, f"{cfg.config} + {cfg.env_file}", evidence)
