"""`--from-repo` reading more of the owner's files: env templates a unit's ExecStart expands, the scripts an
ExecStart runs, grafana.ini, the dated unit backups and the Samba block; and what the inventory has only from files
the reader does not read.

Each fixture is a few short lines with the owner's layout and facts at commit 1b54b73 (its source path named above
it), never a copy of their file: the owner's repo has no LICENSE.
"""
import json

from conformance.discover import command_line
from conformance.discover.from_repo import propose
from conformance.discover.undocumented import unstated
from conformance.inventory.schema import Inventory

from .test_discover_from_repo import FILES, build, of, one

REGISTRY = "platform/registry/services.jsonl"


def with_services(*records) -> dict:
    files = dict(FILES)
    files[REGISTRY] = FILES[REGISTRY] + "".join(json.dumps(r) + "\n" for r in records)
    return files


# ------------------------------------------------------------------------------------------------ shell words


def test_expand_takes_the_env_value_then_the_default_and_leaves_an_unknown_variable_as_written():
    env = {"PORT": "4100"}
    assert command_line.expand("${PORT:-4000}", env) == "4100"
    assert command_line.expand("${ADAPTER_PORT:-4011}", env) == "4011"
    assert command_line.expand("127.0.0.1:${PORT}:8000", env) == "127.0.0.1:4100:8000"
    assert command_line.expand("$PORT/$HOME_DIR", env) == "4100/$HOME_DIR"


# the shape of services/litellm-orch/scripts/run-service.sh at 1b54b73: defaults exported, a uvicorn started in
# the background over continued lines, the main program exec'd
RUN_SERVICE = """#!/usr/bin/env bash
set -euo pipefail
export PORT="${PORT:-4000}"
export ADAPTER_HOST="${ADAPTER_HOST:-127.0.0.1}"
export ADAPTER_PORT="${ADAPTER_PORT:-4011}"
venv_bin="${PWD}/.venv/bin"

"${venv_bin}/python" -m uvicorn adapter:app \\
  --host "${ADAPTER_HOST}" \\
  --port "${ADAPTER_PORT}" &
adapter_pid=$!

exec "${venv_bin}/litellm" --config config/router.yaml --host 0.0.0.0 --port "${PORT}"
"""


def test_a_script_binds_its_commands_with_its_defaults_unless_the_env_file_sets_them():
    assert command_line.script_binds(RUN_SERVICE, {}) == [("127.0.0.1", "4011", True), ("0.0.0.0", "4000", False)]
    assert command_line.script_binds(RUN_SERVICE, {"PORT": "4100"})[1] == ("0.0.0.0", "4100", False)


def test_a_script_bind_whose_address_or_port_is_unknown_is_not_returned():
    # the shape of experiments/qwen-agent-proxy/scripts/run_qwen_agent_proxy.sh, without its defaults
    script = 'exec uv run python -m uvicorn svc:app \\\n  --host "${PROXY_HOST}" \\\n  --port "${PROXY_PORT}"\n'
    assert command_line.script_binds(script, {}) == []
    assert command_line.script_binds(script, {"PROXY_HOST": "127.0.0.1", "PROXY_PORT": "4021"}) == [
        ("127.0.0.1", "4021", False)]
    assert command_line.script_binds('echo "unbalanced\n', {}) == []


# ------------------------------------------------------------------------------------------------ proposals


def test_an_exec_start_script_of_the_checkout_gives_its_listeners_and_a_sidecar_route_is_for_review(tmp_path):
    files = dict(FILES)
    files["services/litellm-orch/scripts/run-service.sh"] = RUN_SERVICE.replace("ADAPTER_", "CHATGPT5_ADAPTER_")
    found = propose(build(tmp_path, files))
    main, adapter = one(found, "listen", port=4000), one(found, "listen", port=4011)
    assert main.entry["address"] == "0.0.0.0" and adapter.entry["address"] == "127.0.0.1"
    assert main.parent == adapter.parent == "litellm-orch"
    assert "services/litellm-orch/scripts/run-service.sh" in adapter.why and "beside its main one" in adapter.why
    route = one(found, "litellm.routes", name="chatgpt-5")
    assert route.entry["backend"] == "litellm-orch" and "backend" in route.review
    assert "CCPROXY_ADAPTER_API_BASE calls mini:4011" not in "\n".join(found.not_derived)


def test_a_units_env_file_template_gives_the_port_its_exec_start_publishes(tmp_path):
    files = with_services({"service_id": "openhands", "path": "services/openhands", "host_targets": ["mini"]})
    # platform/ops/systemd/openhands.service (docker run -p 127.0.0.1:${OPENHANDS_HOST_PORT}:3000)
    files["platform/ops/systemd/openhands.service"] = """[Service]
EnvironmentFile=/etc/openhands/env
ExecStart=/usr/bin/docker run --rm -p 127.0.0.1:${OPENHANDS_HOST_PORT}:3000 ${OPENHANDS_APP_IMAGE}

[Install]
WantedBy=multi-user.target
"""
    # platform/ops/templates/openhands.env.example (the template of /etc/openhands/env)
    files["platform/ops/templates/openhands.env.example"] = "OPENHANDS_HOST_PORT=4031\nOPENHANDS_APP_IMAGE=oh:1.5\n"
    found = propose(build(tmp_path, files))
    listener = one(found, "listen", port=4031)
    assert listener.entry["address"] == "127.0.0.1" and listener.parent == "openhands"
    assert "platform/ops/templates/openhands.env.example" in listener.why
    lines = "\n".join(found.not_derived)
    assert "listens on 127.0.0.1:${OPENHANDS_HOST_PORT}" not in lines
    assert "only as a template (platform/ops/templates/openhands.env.example)" in lines
    assert "exec_start" not in one(found, "units", name="openhands.service").entry  # the unit's line is unexpanded


def test_a_template_found_by_the_env_files_folder_and_name_and_a_secret_value_is_never_used(tmp_path):
    files = with_services({"service_id": "cockpit", "path": "services/cockpit", "host_targets": ["mini"]})
    files["platform/ops/systemd/cockpit.service"] = """[Service]
EnvironmentFile=/etc/cockpit/graph.env
ExecStart=/opt/graph --host ${GRAPH_HOST} --port ${GRAPH_PORT}

[Install]
WantedBy=multi-user.target
"""
    # the shape of platform/ops/templates/orchestration-cockpit.graph.env.example: <folder>.<name>.example
    files["platform/ops/templates/cockpit.graph.env.example"] = "GRAPH_HOST=127.0.0.1\nGRAPH_PORT=2024\n"
    assert one(propose(build(tmp_path / "a", files)), "listen", port=2024).entry["address"] == "127.0.0.1"
    files["platform/ops/templates/cockpit.graph.env.example"] = "GRAPH_HOST=127.0.0.1\nGRAPH_PORT=2024\nAPI_KEY=canary-k-41\n"
    files["platform/ops/systemd/cockpit.service"] = files["platform/ops/systemd/cockpit.service"].replace(
        "--port ${GRAPH_PORT}", "--port ${GRAPH_PORT} --key-file /k/${API_KEY}")
    found = propose(build(tmp_path / "b", files))
    assert "canary-k-41" not in repr(found)


def test_grafana_ini_states_grafanas_listener(tmp_path):
    files = with_services({"service_id": "grafana", "path": "services/grafana", "host_targets": ["mini"]})
    # services/grafana/config/grafana.ini ([server] http_addr, http_port; `;` comments)
    files["services/grafana/config/grafana.ini"] = "[server]\n; a comment\nhttp_addr = 127.0.0.1\nhttp_port = 3001\n"
    found = propose(build(tmp_path / "a", files))
    listener = one(found, "listen", port=3001)
    assert listener.parent == "grafana" and listener.entry["address"] == "127.0.0.1"
    assert "services/grafana/config/grafana.ini" in listener.why
    assert one(found, "services", id="grafana").entry["host"] == "mini"
    files["services/grafana/config/grafana.ini"] = "[server]\nhttp_port = 3001\n"
    found = propose(build(tmp_path / "b", files))
    assert not of(found, "listen", port=3001)
    assert "http_addr and http_port are not both stated" in "\n".join(found.not_derived)


def test_a_dated_unit_backup_and_the_samba_block_are_named_not_proposed(tmp_path):
    files = dict(FILES)
    # platform/ops/systemd/backup/<unit>.<timestamp> (a unit with no current file, one with one)
    files["platform/ops/systemd/backup/open-webui.service.20260106234329"] = "[Service]\nExecStart=/x --port 3000\n"
    files["platform/ops/systemd/backup/litellm-orch.service.20260106234329"] = "[Service]\nExecStart=/x\n"
    # platform/ops/templates/samba-mini-shares.conf ([global] interfaces, bind interfaces only)
    files["platform/ops/templates/samba-mini-shares.conf"] = (
        "# BEGIN block\n[global]\n   interfaces = 127.0.0.1 192.168.1.71\n   bind interfaces only = yes\n[share]\n   path = /\n")
    found = propose(build(tmp_path, files))
    lines = "\n".join(found.not_derived)
    assert "a dated backup of open-webui.service" in lines and "dated backup of litellm-orch.service" not in lines
    assert not of(found, "listen", port=3000)
    assert "Samba listens on 127.0.0.1 and 192.168.1.71 only; its ports (smb ports not stated" in lines


# ------------------------------------------------------------------------------------------------ against an inventory


def test_what_the_inventory_has_only_from_files_not_read_is_listed_and_nothing_else(tmp_path):
    found = propose(build(tmp_path))
    inventory = Inventory.model_validate({
        "version": 1,
        "hosts": [{"id": "mini", "os": "linux", "address": "192.168.1.71", "source": "companion"}],
        "services": [
            {"id": "ollama", "host": "mini", "purpose": "p", "source": "companion", "why": "docs/PLATFORM_DOSSIER.md (Ollama)",
             "units": [{"name": "ollama.service", "scope": "system", "source": "companion", "why": "docs/PLATFORM_DOSSIER.md"}],
             "listen": [{"address": "0.0.0.0", "port": 11434, "source": "companion", "why": "docs/PLATFORM_DOSSIER.md ports"}]},
            # a file the reader reads names it: not excused here (propose proposes it, or says why not itself)
            {"id": "ccproxy", "host": "mini", "purpose": "p", "source": "companion", "why": "platform/ops/systemd/ccproxy-api.service",
             "listen": [{"address": "127.0.0.1", "port": 4010, "source": "companion", "why": "docs/PLATFORM_DOSSIER.md"}]},
            # the founding document's entries carry no why: their source says where they come from
            {"id": "open-webui", "host": "mini", "purpose": "p", "source": "founding",
             "units": [{"name": "open-webui.service", "scope": "system", "source": "founding"}]},
            # proposed: nothing to say
            {"id": "searxng", "host": "mini", "purpose": "p", "source": "companion", "why": "docs/PLATFORM_DOSSIER.md",
             "listen": [{"address": "127.0.0.1", "port": 8888, "source": "companion", "why": "docs/PLATFORM_DOSSIER.md"}]},
        ]})
    lines = unstated(found, inventory)
    assert lines == [
        "inventory unit mini ollama.service: stated only in files --from-repo does not read (the inventory's why: "
        "docs/PLATFORM_DOSSIER.md)",
        "inventory listener mini 11434: stated only in files --from-repo does not read (the inventory's why: "
        "docs/PLATFORM_DOSSIER.md ports; docs/PLATFORM_DOSSIER.md (Ollama))",
        "inventory unit mini open-webui.service: stated only in files --from-repo does not read (the inventory's "
        "source: founding)"]


# ------------------------------------------------------------------------------------------------ pinned packages


def test_a_pin_is_proposed_in_the_uv_projects_venv_with_its_python_and_a_launchd_programs_venv(tmp_path):
    files = dict(FILES)
    # services/litellm-orch/uv.lock and .python-version (a uv project on Python 3.12)
    files["services/litellm-orch/uv.lock"] = "version = 1\n"
    files["services/litellm-orch/.python-version"] = "3.12\n"
    # services/optillm-proxy/pyproject.toml (requires-python allowing one minor version only)
    files["services/optillm-proxy/pyproject.toml"] = '[project]\nname = "optillm-proxy"\nrequires-python = ">=3.11,<3.12"\n'
    found = propose(build(tmp_path, files))
    litellm = one(found, "packages", name="litellm")
    assert litellm.parent == "litellm-orch" and litellm.review == ("site_packages",)
    assert litellm.entry["version"] == "1.83.4" and litellm.entry["source"] == "companion"
    assert litellm.entry["site_packages"] == \
        "/home/christopherbailey/homelab-llm/services/litellm-orch/.venv/lib/python3.12/site-packages"
    assert "services/litellm-orch/pyproject.toml" in litellm.why and "uv.lock" in litellm.why
    optillm = one(found, "packages", name="optillm")
    assert optillm.parent == "optillm-proxy"
    assert optillm.entry["site_packages"] == "/Users/thestudio/optillm-proxy/.venv/lib/python3.11/site-packages"
    assert "platform/ops/runtime-lock.json" in optillm.why


def test_a_documented_package_is_not_proposed_again_and_another_version_is_a_line(tmp_path):
    from conformance.discover.undocumented import undocumented

    files = dict(FILES)
    files["services/litellm-orch/uv.lock"] = "version = 1\n"
    files["services/litellm-orch/.python-version"] = "3.12.4\n"
    found = propose(build(tmp_path, files))
    site = one(found, "packages", name="litellm").entry["site_packages"]

    def documenting(version):
        return Inventory.model_validate({
            "version": 1, "hosts": [{"id": "mini", "os": "linux", "address": "192.168.1.71", "source": "companion"}],
            "services": [{"id": "litellm-orch", "host": "mini", "purpose": "p", "source": "companion",
                          "packages": [{"name": "litellm", "version": version, "site_packages": site,
                                        "source": "companion"}]}]})

    assert not of(undocumented(found, documenting("1.83.4")), "packages")
    new = undocumented(found, documenting("1.82.0"))
    assert not of(new, "packages")
    assert "package litellm of litellm-orch: version '1.82.0' documented, '1.83.4' in the repo" in "\n".join(new.not_derived)


def test_an_exec_start_climbing_out_of_the_checkout_is_not_read(tmp_path):
    outside = tmp_path / "outside" / "scripts" / "run.sh"
    outside.parent.mkdir(parents=True)
    outside.write_text("exec /opt/x --host 0.0.0.0 --port 4999\n")
    files = with_services({"service_id": "climber", "path": "services/climber", "host_targets": ["mini"]})
    files["platform/ops/systemd/climber.service"] = (
        "[Service]\nExecStart=/home/u/homelab-llm/../../../outside/scripts/run.sh\n\n[Install]\nWantedBy=multi-user.target\n")
    found = propose(build(tmp_path / "repo", files))
    assert not of(found, "listen", port=4999)
