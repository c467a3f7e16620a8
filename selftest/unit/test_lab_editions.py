"""Editions of the twin, without booting it: what `up --edition` remembers, what `lab suite` then runs, and that the
2026-05 layouts' data say what examples/inventory-2026-05.yaml documents (routes, env keys, launchd labels, addresses)."""
from __future__ import annotations

import shlex

import pytest
import yaml

from lab import api, edition, faults, paths, topology as topo
from lab.hosts import mini_2026_05 as mini, studio_2026_05 as studio

INVENTORY = paths.ROOT / "examples" / "inventory-2026-05.yaml"
SITE = paths.ROOT / "examples" / "site-twin-2026-05.yaml"


@pytest.fixture
def lab_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_DIR", str(tmp_path))
    return tmp_path


def test_the_founding_edition_is_the_default_and_an_edition_is_remembered_until_down(lab_dir):
    assert edition.current() == "founding" and topo.host("orin").service.unit == "llama-server.service"
    edition.remember("2026-05")
    assert edition.current() == "2026-05" and topo.host("orin").stands_for == "192.168.1.93"
    assert topo.host("mini").layout == "mini_2026_05"
    edition.forget()
    assert edition.current() == "founding"
    with pytest.raises(KeyError):
        edition.remember("2027-01")


def test_secrets_are_kept_private_and_forgotten(lab_dir):
    edition.save_secrets({"LLM_LAB_LITELLM_KEY": "sk-canary"})
    assert oct(edition.secrets_file().stat().st_mode & 0o777) == "0o600"
    assert edition.load_secrets() == {"LLM_LAB_LITELLM_KEY": "sk-canary"}
    edition.forget()
    assert edition.load_secrets() == {}


def test_the_suite_runs_the_edition_that_is_up_with_its_inventory_site_and_keys(lab_dir):
    founding = api.suite_command()
    assert " --site lab/site-twin.yaml --baseline lab/baseline-twin.yaml " in founding
    assert "--inventory" not in founding and "orin" not in founding
    edition.remember("2026-05")
    edition.save_secrets({"LLM_LAB_LITELLM_KEY": "sk-canary"})
    command = api.suite_command()
    words = shlex.split(command.split(" && ", 1)[1])
    assert words[words.index("--inventory") + 1] == "examples/inventory-2026-05.yaml"
    assert words[words.index("--site") + 1] == "examples/site-twin-2026-05.yaml" and "--baseline" not in words
    assert words[-2:] == ["-m", "local or studio or dietpi or orin or contract"]
    assert command.startswith("export LLM_LAB_LITELLM_KEY=sk-canary && ")
    assert api.suite_command(["-m", "orin"]).endswith("-m orin")


def test_the_site_file_maps_each_documented_host_to_its_twin_address():
    inventory, site = yaml.safe_load(INVENTORY.read_text()), yaml.safe_load(SITE.read_text())
    documented = {h["id"]: h["address"] for h in inventory["hosts"]}
    assert set(site["hosts"]) == set(documented) == set(topo.HOSTS_2026_05)
    for name, spec in topo.HOSTS_2026_05.items():
        assert site["hosts"][name]["address"] == spec.address and documented[name] == spec.stands_for
    assert set(site["unproven"]) == {"litellm-orch::contract:readiness-db"}


def test_the_router_yaml_holds_the_inventorys_routes_and_fallbacks():
    router = yaml.safe_load(mini.router_yaml())
    inventory = yaml.safe_load(INVENTORY.read_text())["litellm"]
    assert [m["model_name"] for m in router["model_list"]] == [r["name"] for r in inventory["routes"]]
    assert router["router_settings"]["fallbacks"] == [{f["route"]: f["to"]} for f in inventory["fallbacks"]]
    assert router["litellm_settings"]["callbacks"] == ["prometheus"] and router["litellm_settings"]["json_logs"] is False
    assert "general_settings" not in router, "the master key comes from env.local (LITELLM_MASTER_KEY)"


def test_env_local_has_every_key_the_inventory_documents_with_its_values():
    env = dict(line.split("=", 1) for line in mini.env_local(
        {"master": "sk-m", "ccproxy": "t", "db_password": "pw"}).splitlines() if "=" in line and not line.startswith("#"))
    entries = next(f["entries"] for s in yaml.safe_load(INVENTORY.read_text())["services"] if s["id"] == "litellm-orch"
                   for f in s["env_files"] if f["name"] == "env-local")
    for entry in entries:
        assert entry["key"] in env, entry["key"]
        if "value" in entry:
            assert env[entry["key"]] == entry["value"], entry["key"]
    assert env["DATABASE_URL"] == "postgresql://litellm:pw@127.0.0.1:5432/litellm"


def test_studio_lanes_and_retired_labels():
    lane = studio.lane_plist(8101)
    assert lane["Label"] == "com.bebop.mlx-lane.8101" and lane["KeepAlive"] is True
    assert lane["ProgramArguments"][:2] == ["/Users/thestudio/.venv-vllm-metal/bin/vllm", "serve"]
    assert lane["StandardErrorPath"] == "/Users/thestudio/vllm-8101.err.log"
    disabled = studio.disabled_db()
    assert "com.bebop.mlx-lane.8101" not in disabled
    assert {"com.bebop.mlx-lane.8100", "com.bebop.mlx-lane.8102", "com.bebop.mlx-launch"} <= set(disabled)
    llmster = studio.llmster_plist()
    assert llmster["KeepAlive"] is False and llmster["ProgramArguments"][:3] == ["/usr/bin/env", "python3",
                                                                                 studio.ENSURE]


def test_each_edition_has_its_fault_catalog(lab_dir):
    assert faults.edition_catalog() == faults.CATALOG + faults.CONTRACT_CATALOG + faults.FOURTH_HOST_CATALOG
    with pytest.raises(KeyError):
        faults.by_id(["lane-disabled"])
    edition.remember("2026-05")
    assert [f.id for f in faults.by_id(["lane-disabled"])] == ["lane-disabled"]
    ids = [f.id for f in faults.CATALOG_2026_05]
    assert len(ids) == len(set(ids)) and set(faults.GAPS_2026_05) | set(faults.MAY_PASS_2026_05) <= set(ids)
    assert all(f.expect for f in faults.CATALOG_2026_05), "a fault that must fail nothing proves nothing"
