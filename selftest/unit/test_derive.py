"""The real inventory.yaml loads, and the Mini's derived checks cover every founding fact of the Mini."""
import pytest

from conformance.checks.derive import host_checks
from conformance.site import SiteAddresses
from ._support import real_inventory

# Every fact the founding document (03-SERVICE_INVENTORY.md) states about the Mini, as check ids.
FOUNDING_MINI_CHECKS = [
    # LiteLLM proxy (litellm-orch)
    "litellm-orch::unit-file", "litellm-orch::exec-start", "litellm-orch::restart", "litellm-orch::restart-sec",
    "litellm-orch::logs", "litellm-orch::json-logs-setting", "litellm-orch::json-logs-journal",
    "litellm-orch::path:owner-repo", "litellm-orch::path:env-local", "litellm-orch::path:router-yaml",
    "litellm-orch::listen:4000",
    # Open WebUI
    "open-webui::unit-file", "open-webui::exec-start", "open-webui::enabled", "open-webui::active",
    "open-webui::user-unit-absent", "open-webui::restart", "open-webui::restart-sec", "open-webui::logs",
    "open-webui::path:install-dir", "open-webui::path:data-dir", "open-webui::path:secret-key", "open-webui::path:env-file",
    "open-webui::env:OPENAI_API_BASE_URL", "open-webui::env:DATA_DIR", "open-webui::listen:3000",
    # OpenVINO LLM server (user unit)
    "ov-server::unit-file", "ov-server::exec-start", "ov-server::restart", "ov-server::restart-sec", "ov-server::logs",
    "ov-server::enabled", "ov-server::path:owner-repo", "ov-server::path:env-file", "ov-server::path:registry",
    "ov-server::env:OV_REGISTRY_PATH", "ov-server::path:default-target-wants", "ov-server::listen:9000",
    "ov-server::path:linger",  # derived from "enabled in default.target.wants"
    # MLX launch scripts, kept on the Mini
    "mlx-servers::script:run-mlx-studio.sh:present", "mlx-servers::script:run-mlx-gptoss-architect.sh:present",
    "mlx-servers::script:run-mlx-test-model.sh:present", "mlx-servers::script:run-mlx-studio.sh:launch-flags",
    "mlx-servers::script:documented-launch",
    # Ollama (must not be modified: checked read-only)
    "ollama::unit-file", "ollama::exec-start", "ollama::environment:OLLAMA_HOST", "ollama::drop-ins",
    "ollama::path:override", "ollama::restart", "ollama::restart-sec", "ollama::logs", "ollama::listen:11434",
    # Home Assistant: the DietPi's address as the owner's ssh config on the Mini has it
    "home-assistant::ssh-config:dietpi",
]


@pytest.fixture(scope="module")
def inventory():
    return real_inventory()


@pytest.fixture(scope="module")
def checks(inventory):
    return host_checks(inventory, SiteAddresses(inventory), "mini")


def test_real_inventory_loads_with_the_documented_hosts(inventory):
    assert {h.id: h.address for h in inventory.hosts} == {
        "mini": "192.168.1.71", "studio": "192.168.1.72", "dietpi": "192.168.1.70"}
    assert [r.name for r in inventory.litellm.routes] == [
        "jerry-chat", "jerry-editor", "jerry-architect", "jerry-weak", "jerry-test", "lil-jerry"]
    assert inventory.litellm.master_key.enabled is False


def test_check_ids_are_unique(checks):
    ids = [c.id for c in checks]
    assert len(ids) == len(set(ids))


def test_every_founding_fact_of_the_mini_has_a_check(checks):
    missing = sorted(set(FOUNDING_MINI_CHECKS) - {c.id for c in checks})
    assert missing == []


def test_local_checks_are_all_on_the_mini(checks):
    assert {c.host for c in checks} == {"mini"}
    assert not any(c.id.startswith("home-assistant::listen") for c in checks)  # port 8123 is the DietPi's


def test_every_check_says_where_its_fact_comes_from(checks):
    assert {c.source for c in checks} <= {"founding", "companion", "derived"}
    assert all(c.title and c.kind for c in checks)


def test_derived_facts_are_labelled_derived(checks):
    by_id = {c.id: c for c in checks}
    assert by_id["ov-server::path:linger"].source == "derived"
    assert by_id["litellm-orch::active"].source == "derived"
    assert by_id["open-webui::active"].source == "founding"


def test_each_route_has_base_model_and_key_checks(checks, inventory):
    ids = {c.id for c in checks}
    for route in inventory.litellm.routes:
        for aspect in ("api-base", "model", "api-key"):
            assert f"litellm-orch::route:{route.name}:{aspect}" in ids


def test_other_hosts_get_only_their_own_checks():
    inventory = real_inventory()
    assert [c.id for c in host_checks(inventory, SiteAddresses(inventory), "dietpi")] == [
        "home-assistant::enabled", "home-assistant::active", "home-assistant::run-as", "home-assistant::logs",
        "home-assistant::unit-file", "home-assistant::listen:8123", "home-assistant::http:frontend"]
    studio = [c.id for c in host_checks(inventory, SiteAddresses(inventory), "studio")]
    assert studio[:2] == ["mlx-servers::host:os", "mlx-servers::launchd:com.bebop.mlx-launch:loaded"]
    assert {f"mlx-servers::listen:{p}" for p in (8100, 8101, 8102, 8103, 8109)} <= set(studio)
    assert all(c.host == "studio" for c in host_checks(inventory, SiteAddresses(inventory), "studio"))
