"""router.yaml resolved like the proxy resolves it (`os.environ/NAME` from env.local), and its checks."""
import pytest

from conformance.checks.derive import evaluate
from conformance.checks.finding import Status
from conformance.checks.litellm import UNAUTHENTICATED, litellm_checks
from conformance.facts.envfile import parse_env_file
from conformance.facts.litellm import RouterConfigError, resolve_router
from conformance.inventory.schema import Site
from conformance.site import SiteAddresses
from ._support import FakeMini, fixture, mini_system_show, real_inventory

ENV_LOCAL = "/home/christopherbailey/litellm-orch/config/env.local"
ROUTES = ["jerry-chat", "jerry-editor", "jerry-architect", "jerry-weak", "jerry-test", "lil-jerry"]


@pytest.fixture(scope="module")
def router():
    return resolve_router(fixture("router.yaml"), parse_env_file(fixture("env.local")))


def test_all_six_routes_in_order_one_deployment_each(router):
    assert list(router.deployments) == ROUTES
    assert {len(d) for d in router.deployments.values()} == {1}


def only(router, route: str) -> dict:
    [params] = router.deployments[route]
    return params


def test_values_are_resolved_from_env_local(router):
    base = only(router, "jerry-weak")["api_base"]
    assert (base.raw, base.variable, base.value) == ("os.environ/JERRY_WEAK_API_BASE", "JERRY_WEAK_API_BASE",
                                                     "http://192.168.1.72:8103/v1")
    assert only(router, "lil-jerry")["model"].value == "openai/qwen2.5-3b-instruct-int4-ov"
    assert not any(v.unresolved for [params] in router.deployments.values() for v in params.values())


def test_literal_values_stay_literal(router):
    timeout = only(router, "lil-jerry")["timeout"]
    assert (timeout.raw, timeout.value, timeout.variable) == (120, 120, None)


def test_settings_sections(router):
    assert router.litellm_settings["json_logs"] is True
    assert set(router.router_settings) == {"allowed_fails", "cooldown_time", "retry_policy"}
    assert router.general_settings == {}


def test_a_variable_missing_from_env_local_is_unresolved():
    router = resolve_router(fixture("router.yaml"), parse_env_file(fixture("env.local-missing-weak-base")))
    base = only(router, "jerry-weak")["api_base"]
    assert base.unresolved and base.value is None and base.variable == "JERRY_WEAK_API_BASE"
    assert not only(router, "jerry-chat")["api_base"].unresolved


def test_invalid_yaml_is_a_router_config_error():
    with pytest.raises(RouterConfigError, match="not valid YAML"):
        resolve_router("model_list: [\n", {})


def test_a_list_at_the_top_is_a_router_config_error():
    with pytest.raises(RouterConfigError, match="not a mapping"):
        resolve_router("- a\n- b\n", {})


def test_entries_without_model_name_are_skipped():
    router = resolve_router("model_list:\n  - litellm_params: {model: x}\n  - model_name: y\n", {})
    assert list(router.deployments) == ["y"]


def test_two_entries_with_one_model_name_are_two_deployments_in_file_order():
    text = ("model_list:\n  - model_name: y\n    litellm_params: {api_base: http://a/v1}\n"
            "  - model_name: z\n    litellm_params: {api_base: http://z/v1}\n"
            "  - model_name: y\n    litellm_params: {api_base: http://b/v1}\n")
    router = resolve_router(text, {})
    assert list(router.deployments) == ["y", "z"]
    assert [d["api_base"].value for d in router.deployments["y"]] == ["http://a/v1", "http://b/v1"]


# --- the checks, evaluated on a fake Mini that holds the fixture files at the documented paths ---

def _findings(tmp_path, env_local: str, site: Site | None = None, router_text: str | None = None, show: str | None = None,
              files: dict[str, str] | None = None, inventory=None):
    inventory = inventory or real_inventory()
    cfg = inventory.litellm
    mini = FakeMini(tmp_path).file(cfg.config, router_text or fixture("router.yaml")).file(cfg.env_file, env_local)
    mini.show("system", show or mini_system_show())
    for path, text in (files or {}).items():
        mini.file(path, text)
    facts = mini.facts(inventory)
    checks = list(litellm_checks(inventory, SiteAddresses(inventory, site)))
    return {c.id: evaluate(c, facts) for c in checks if c.kind in ("route", "litellm-config")}


def test_documented_router_passes_every_config_and_route_check(tmp_path):
    findings = _findings(tmp_path, fixture("env.local"))
    assert len(findings) == 3 + 3 * len(ROUTES)
    failed = {i: f.message for i, f in findings.items() if f.status is not Status.PASSED}
    assert failed == {}


def test_no_master_key_passes_with_a_security_note(tmp_path):
    finding = _findings(tmp_path, fixture("env.local"))["litellm-orch::master-key"]
    assert finding.status is Status.PASSED and finding.note == UNAUTHENTICATED


def test_a_master_key_in_env_local_fails_the_not_enabled_fact(tmp_path):
    finding = _findings(tmp_path, fixture("env.local") + "LITELLM_MASTER_KEY=sk-1234567890\n")["litellm-orch::master-key"]
    assert finding.status is Status.FAILED
    assert (finding.expected, finding.found) == ("not enabled", f"enabled ({ENV_LOCAL} LITELLM_MASTER_KEY)")
    assert "sk-1234567890" not in finding.message


def test_a_master_key_in_the_units_environment_fails_the_not_enabled_fact(tmp_path):
    show = mini_system_show().replace("Environment=\n", "Environment=LITELLM_MASTER_KEY=sk-unit-key-123 X=1\n", 1)
    finding = _findings(tmp_path, fixture("env.local"), show=show)["litellm-orch::master-key"]
    assert finding.status is Status.FAILED
    assert finding.found == "enabled (litellm-orch.service Environment=LITELLM_MASTER_KEY)"


def test_a_master_key_in_another_environment_file_of_the_unit_fails(tmp_path):
    show = mini_system_show().replace("Environment=\n", "Environment=\nEnvironmentFiles=/etc/litellm/extra.env (ignore_errors=yes)\n", 1)
    finding = _findings(tmp_path, fixture("env.local"), show=show,
                        files={"/etc/litellm/extra.env": "LITELLM_MASTER_KEY=abc\n"})["litellm-orch::master-key"]
    assert finding.status is Status.FAILED
    assert finding.found == "enabled (/etc/litellm/extra.env LITELLM_MASTER_KEY)"


def test_a_corrupt_router_yaml_fails_its_checks_never_cannot_verify(tmp_path):
    findings = _findings(tmp_path, fixture("env.local"), router_text="model_list: [\n  - {model_name: x\n\x00garbage")
    assert {f.status for f in findings.values()} == {Status.FAILED}
    assert "not valid YAML" in findings["litellm-orch::json-logs-setting"].found


def test_unresolved_variable_fails_only_its_route_check(tmp_path):
    findings = _findings(tmp_path, fixture("env.local-missing-weak-base"))
    failed = {i for i, f in findings.items() if f.status is Status.FAILED}
    assert failed == {"litellm-orch::route:jerry-weak:api-base"}
    assert "<not set in" in findings["litellm-orch::route:jerry-weak:api-base"].found


def test_route_api_base_is_expected_at_the_sites_address(tmp_path):
    twin = Site(site="twin", hosts={"studio": {"address": "10.213.0.12"}})
    findings = _findings(tmp_path, fixture("env.local"), site=twin)
    chat = findings["litellm-orch::route:jerry-chat:api-base"]
    assert chat.status is Status.FAILED
    assert chat.expected == "os.environ/JERRY_CHAT_API_BASE = http://10.213.0.12:8100/v1"
    assert findings["litellm-orch::route:lil-jerry:api-base"].status is Status.PASSED  # localhost: not mapped


def test_json_logs_off_fails_the_setting_check(tmp_path):
    text = fixture("router.yaml").replace("json_logs: true", "json_logs: false")
    finding = _findings(tmp_path, fixture("env.local"), router_text=text)["litellm-orch::json-logs-setting"]
    assert finding.status is Status.FAILED and finding.found is False


def test_literal_api_key_in_router_yaml_fails_the_api_key_check(tmp_path):
    text = fixture("router.yaml").replace("api_key: os.environ/JERRY_TEST_API_KEY", "api_key: sk-literal-123456")
    finding = _findings(tmp_path, fixture("env.local"), router_text=text)["litellm-orch::route:jerry-test:api-key"]
    assert finding.status is Status.FAILED
    assert "sk-literal" not in finding.message


def test_missing_router_yaml_fails_instead_of_raising(tmp_path):
    inventory = real_inventory()
    facts = FakeMini(tmp_path).facts(inventory)
    check = next(c for c in litellm_checks(inventory, SiteAddresses(inventory)) if c.id == "litellm-orch::router-settings")
    finding = evaluate(check, facts)
    assert finding.status is Status.FAILED and finding.found == f"{inventory.litellm.config}: missing"


# a second deployment of jerry-test (LiteLLM load-balances between the two): the inventory documents one
SECOND_TEST_DEPLOYMENT = ("  - model_name: jerry-test\n    litellm_params:\n      model: os.environ/JERRY_TEST_MODEL\n"
                          "      api_base: http://192.168.1.72:8108/v1\n      api_key: os.environ/JERRY_TEST_API_KEY\n")


def test_a_second_deployment_of_a_route_fails_its_route_checks_showing_each(tmp_path):
    text = fixture("router.yaml").replace("\nrouter_settings:", SECOND_TEST_DEPLOYMENT + "\nrouter_settings:", 1)
    assert text != fixture("router.yaml")
    findings = _findings(tmp_path, fixture("env.local"), router_text=text)
    failed = {i: f for i, f in findings.items() if f.status is not Status.PASSED}
    assert set(failed) == {f"litellm-orch::route:jerry-test:{a}" for a in ("api-base", "model", "api-key")}
    base = failed["litellm-orch::route:jerry-test:api-base"].found
    assert base.startswith("2 deployments of 'jerry-test' in model_list (LiteLLM load-balances between them): ")
    assert "#1 os.environ/JERRY_TEST_API_BASE = http://192.168.1.72:8109/v1" in base
    assert "#2 literal http://192.168.1.72:8108/v1" in base
    key = failed["litellm-orch::route:jerry-test:api-key"].found
    assert key.count("os.environ/JERRY_TEST_API_KEY <set>") == 2  # each deployment judged, never by value


# --- a route names its variables, or has its params written in router.yaml (route.env, route.literal) ---------

# the owner's 2026-05 router.yaml: route `fast` reads LLMSTER_FAST_*, and writes `api_key: dummy` in router.yaml
# (bebopbabailey/homelab-llm services/litellm-orch/config/router.yaml); here on the place of jerry-chat
OWNERS_CHAT = ("  - model_name: jerry-chat\n    litellm_params:\n      model: os.environ/LLMSTER_FAST_MODEL\n"
               "      api_base: os.environ/LLMSTER_FAST_API_BASE\n      api_key: dummy\n")
OWNERS_ENV = ("LLMSTER_FAST_API_BASE=http://192.168.1.72:8100/v1\n"
              "LLMSTER_FAST_MODEL=openai/llmster-gpt-oss-20b-mxfp4-gguf\n")
CHAT_ROUTE = '{name: jerry-chat, api_base: "http://{studio}:8100/v1", backend: mlx-servers, api: mlx-openai-server,'


def _router_with_owners_chat() -> str:
    text = fixture("router.yaml")
    start = text.index("  - model_name: jerry-chat")
    end = text.index("  - model_name: jerry-editor")
    return text[:start] + OWNERS_CHAT + text[end:]


def _inventory_with(tmp_path, old: str, new: str):
    from conformance.inventory import load_inventory
    from ._support import INVENTORY
    text = INVENTORY.read_text()
    assert old in text
    (tmp_path / "inventory.yaml").write_text(text.replace(old, new, 1))
    return load_inventory(tmp_path / "inventory.yaml")


def test_a_route_that_names_its_variables_and_writes_its_key_in_router_yaml_passes(tmp_path):
    inventory = _inventory_with(tmp_path, CHAT_ROUTE, CHAT_ROUTE + " env: {api_base: LLMSTER_FAST_API_BASE, "
                                "model: LLMSTER_FAST_MODEL}, literal: [api_key],")
    findings = _findings(tmp_path, fixture("env.local") + OWNERS_ENV, router_text=_router_with_owners_chat(),
                         inventory=inventory)
    assert {i: f.message for i, f in findings.items() if f.status is not Status.PASSED} == {}
    titles = {c.id: c.title for c in litellm_checks(inventory, SiteAddresses(inventory))}
    assert titles["litellm-orch::route:jerry-chat:api-base"] == \
        "route jerry-chat -> http://192.168.1.72:8100/v1 via os.environ/LLMSTER_FAST_API_BASE"
    assert titles["litellm-orch::route:jerry-chat:api-key"] == "route jerry-chat api_key is written in router.yaml"
    # the other routes keep the names derived from theirs
    assert titles["litellm-orch::route:jerry-weak:model"].endswith("via os.environ/JERRY_WEAK_MODEL")


def test_the_derived_names_are_the_default_and_another_name_fails_naming_what_router_yaml_says(tmp_path):
    findings = _findings(tmp_path, fixture("env.local") + OWNERS_ENV, router_text=_router_with_owners_chat())
    failed = {i: f for i, f in findings.items() if f.status is not Status.PASSED}
    assert set(failed) == {f"litellm-orch::route:jerry-chat:{a}" for a in ("api-base", "model", "api-key")}
    assert failed["litellm-orch::route:jerry-chat:api-base"].found == \
        "os.environ/LLMSTER_FAST_API_BASE = http://192.168.1.72:8100/v1"
    assert failed["litellm-orch::route:jerry-chat:api-key"].found == "api_key written literally in router.yaml"


def test_an_api_base_written_in_router_yaml_is_compared_as_written(tmp_path):
    inventory = _inventory_with(tmp_path, CHAT_ROUTE, CHAT_ROUTE + " literal: [api_base],")
    written = fixture("router.yaml").replace("api_base: os.environ/JERRY_CHAT_API_BASE",
                                             "api_base: http://192.168.1.72:8100/v1")
    findings = _findings(tmp_path, fixture("env.local"), router_text=written, inventory=inventory)
    base = findings["litellm-orch::route:jerry-chat:api-base"]
    assert (base.status, base.found) == (Status.PASSED, "literal http://192.168.1.72:8100/v1")
    elsewhere = written.replace("http://192.168.1.72:8100/v1", "http://192.168.1.72:8108/v1")
    base = _findings(tmp_path, fixture("env.local"), router_text=elsewhere, inventory=inventory)[
        "litellm-orch::route:jerry-chat:api-base"]
    assert (base.status, base.expected, base.found) == (Status.FAILED, "literal http://192.168.1.72:8100/v1",
                                                        "literal http://192.168.1.72:8108/v1")
    # documented as written, but router.yaml reads it from env.local: a drift too
    base = _findings(tmp_path, fixture("env.local"), inventory=inventory)["litellm-orch::route:jerry-chat:api-base"]
    assert base.status is Status.FAILED and base.found.startswith("os.environ/JERRY_CHAT_API_BASE = ")


def test_a_param_is_given_one_way():
    from pydantic import ValidationError
    from conformance.inventory.schema import Route
    with pytest.raises(ValidationError, match="named in `env` and `literal`"):
        Route(name="fast", api_base="http://x:1/v1", backend="b", source="companion",
              env={"api_key": "LLMSTER_FAST_API_KEY"}, literal=["api_key"])


def test_a_documented_master_key_in_env_local_passes_and_says_where(tmp_path):
    """Once a regression: a documented (enabled) master key never passed: found carried where it was enabled."""
    inventory = real_inventory()
    litellm = inventory.litellm.model_copy(update={"master_key": inventory.litellm.master_key.model_copy(update={"enabled": True})})
    inventory = inventory.model_copy(update={"litellm": litellm})
    finding = _findings(tmp_path, fixture("env.local") + "LITELLM_MASTER_KEY=sk-1234567890\n",
                        inventory=inventory)["litellm-orch::master-key"]
    assert finding.status is Status.PASSED and finding.found == "enabled", finding.message
    assert f"enabled by {ENV_LOCAL} LITELLM_MASTER_KEY" in finding.source and "sk-1234567890" not in finding.message
