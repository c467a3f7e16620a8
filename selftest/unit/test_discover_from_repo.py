"""Discovery from the owner's repo (`--from-repo`): a small checkout with the owner's LAYOUT, built in tmp_path.

The owner's repo (bebopbabailey/homelab-llm) has no LICENSE, so none of its files is copied here: each file below
holds a few short lines of facts (labels, ports, keys) as they stand at commit 1b54b73, its source path named in
the comment above it. Secret values are canaries of our own.
"""
import json
import plistlib
import subprocess

import pytest

from conformance.discover.from_repo import checkout_commit, propose
from conformance.discover.unit_file import environment_assignments, parse_unit_file
from conformance.inventory.schema import EnvFile, Host, LaunchdJob, Listener, Package, Route, Service, Unit

CANARY_PASSWORD = "canary-db-pass-7d1e"
CANARY_UI = "canary-ui-pass-3b9a"
SECTION_MODELS = {"hosts": Host, "services": Service, "units": Unit, "listen": Listener, "env_files": EnvFile,
                  "litellm.routes": Route, "launchd": LaunchdJob, "packages": Package}

FILES = {
    # platform/registry/services.jsonl (one record per line; fields cut to the ones read)
    "platform/registry/services.jsonl": "\n".join(json.dumps(r) for r in [
        {"service_id": "litellm-orch", "path": "services/litellm-orch", "host_targets": ["mini"], "service_kind": "gateway",
         "maturity": "supported", "exposure": "lan"},
        {"service_id": "searxng", "path": "services/searxng", "host_targets": ["mini"]},
        {"service_id": "optillm-proxy", "path": "services/optillm-proxy", "host_targets": ["studio"]},
        {"service_id": "ov-llm-server", "path": "services/ov-llm-server", "host_targets": ["mini"]},
        {"service_id": "orchestration-cockpit", "path": "services/orchestration-cockpit", "host_targets": ["mini"]},
        {"service_id": "vector-db", "path": "services/vector-db", "host_targets": ["studio"]},
        {"service_id": "voice-gateway", "path": "services/voice-gateway", "host_targets": ["mini", "orin"]},
    ]) + "\n",
    # platform/ops/runtime-lock.json (litellm, llmster, optillm_proxy, mlx sections; values as at 1b54b73)
    "platform/ops/runtime-lock.json": json.dumps({
        "version": 2,
        "service_refs": {"litellm-orch": {"path": "services/litellm-orch"}, "optillm-proxy": {"path": "services/optillm-proxy"}},
        "optillm_proxy": {"package": {"name": "optillm", "version": "0.3.12", "source": "pypi"},
                          "deploy": {"label": "com.bebop.optillm-proxy"},
                          "runtime": {"bind_host": "192.168.1.72", "port": 4020}},
        "litellm": {"router_config_ref": {"service_id": "litellm-orch", "relpath": "config/router.yaml"},
                    "bind_host": "0.0.0.0", "port": 4000, "canonical_lan_base_url": "http://192.168.1.71:4000/v1"},
        "mlx": {"bind_host": "192.168.1.72", "lanes": {"8101": "com.bebop.mlx-lane.8101"}},
        "approved_lane_targets": {"main": {"canonical_backend": "vllm-metal"}},
        "llmster": {"label": "com.bebop.llmster-gpt.8126", "port": 8126, "bind_host": "192.168.1.72"},
    }),
    # platform/ops/templates/studio_scheduling_policy.json (managed_labels, retired_labels)
    "platform/ops/templates/studio_scheduling_policy.json": json.dumps({
        "managed_labels": {
            "com.bebop.llmster-gpt.8126": {"lane": "inference", "plist_path": "/Library/LaunchDaemons/com.bebop.llmster-gpt.8126.plist"},
            "com.bebop.optillm-proxy": {"lane": "inference", "plist_path": "/Library/LaunchDaemons/com.bebop.optillm-proxy.plist"},
            "com.bebop.pgvector-main": {"lane": "background", "plist_path": "/Library/LaunchDaemons/com.bebop.pgvector-main.plist"},
            "com.bebop.kibana-memory-main": {"lane": "background", "plist_path": "/Library/LaunchDaemons/com.bebop.kibana-memory-main.plist"},
            "com.bebop.mlx-lane.8101": {"lane": "inference", "plist_path": "/Library/LaunchDaemons/com.bebop.mlx-lane.8101.plist"},
        },
        "retired_labels": {"com.bebop.mlx-launch": {"plist_path": "/Library/LaunchDaemons/com.bebop.mlx-launch.plist",
                                                    "action": "quarantine"}},
    }),
    # platform/ops/systemd/litellm-orch.service
    "platform/ops/systemd/litellm-orch.service": """[Unit]
Description=LiteLLM Proxy (litellm-orch)

[Service]
User=christopherbailey
WorkingDirectory=/home/christopherbailey/homelab-llm/services/litellm-orch
EnvironmentFile=/home/christopherbailey/homelab-llm/services/litellm-orch/config/env.local
Environment=LITELLM_LOG=INFO
ExecStart=/home/christopherbailey/homelab-llm/services/litellm-orch/scripts/run-service.sh
Restart=always
RestartSec=2

[Install]
WantedBy=multi-user.target
""",
    # platform/ops/systemd/searxng.service
    "platform/ops/systemd/searxng.service": """[Service]
User=christopherbailey
EnvironmentFile=/etc/searxng/env
ExecStart=/home/christopherbailey/homelab-llm/services/searxng/app/.venv/bin/granian searx.webapp:app --interface wsgi --host 127.0.0.1 --port 8888
Restart=always
RestartSec=2

[Install]
WantedBy=multi-user.target
""",
    # platform/ops/systemd/optillm-proxy.service (the registry puts optillm-proxy on the Studio, a launchd host)
    "platform/ops/systemd/optillm-proxy.service": """[Service]
User=christopherbailey
ExecStart=/home/christopherbailey/homelab-llm/services/optillm-proxy/.venv/bin/optillm --host 192.168.1.72 --port 4020
Restart=always

[Install]
WantedBy=multi-user.target
""",
    # platform/ops/systemd/orchestration-cockpit-graph.service (ExecStart reads a variable; an optional env file)
    "platform/ops/systemd/orchestration-cockpit-graph.service": """[Service]
User=christopherbailey
EnvironmentFile=/etc/orchestration-cockpit/graph.env
EnvironmentFile=-/etc/orchestration-cockpit/graph.secret.env
ExecStart=/bin/bash -lc 'exec "$ORCHESTRATION_COCKPIT_REPO_ROOT/services/orchestration-cockpit/scripts/run_langgraph_dev.sh"'
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
""",
    # services/ov-llm-server/ov-server.service (WantedBy=default.target: system or user scope alike)
    "services/ov-llm-server/ov-server.service": """[Service]
ExecStart=/home/christopherbailey/.local/bin/uv run uvicorn main:app --host 0.0.0.0 --port 9000 --workers 1
Restart=on-failure
RestartSec=3

[Install]
WantedBy=default.target
""",
    # services/litellm-orch/config/router.yaml (three of its model_list entries, router_settings.fallbacks)
    "services/litellm-orch/config/router.yaml": """model_list:
- model_name: deep
  litellm_params:
    model: os.environ/LLMSTER_DEEP_MODEL
    api_base: os.environ/LLMSTER_DEEP_API_BASE
    api_key: dummy
- model_name: fast
  litellm_params:
    model: os.environ/LLMSTER_FAST_MODEL
    api_base: os.environ/LLMSTER_FAST_API_BASE
    api_key: dummy
- model_name: chatgpt-5
  litellm_params:
    model: openai/gpt-5.3-codex
    api_base: os.environ/CCPROXY_ADAPTER_API_BASE
    api_key: dummy
router_settings:
  allowed_fails: 2
  fallbacks:
    - {"fast": ["deep"]}
litellm_settings:
  json_logs: false
""",
    # services/litellm-orch/config/env.example (keys as there; the secret values are our canaries)
    "services/litellm-orch/config/env.example": f"""UI_USERNAME=admin
UI_PASSWORD={CANARY_UI}
DATABASE_URL=postgresql://litellm:{CANARY_PASSWORD}@127.0.0.1:5432/litellm
LLMSTER_FAST_API_BASE=http://192.168.1.72:8126/v1
LLMSTER_FAST_MODEL=openai/llmster-gpt-oss-20b-mxfp4-gguf
LLMSTER_DEEP_API_BASE=http://192.168.1.72:8126/v1
LLMSTER_DEEP_MODEL=openai/llmster-gpt-oss-120b-mxfp4-gguf
CCPROXY_ADAPTER_API_BASE=http://127.0.0.1:4011/v1
""",
    # services/litellm-orch/pyproject.toml (the pin)
    "services/litellm-orch/pyproject.toml": '[project]\nname = "litellm-orch"\ndependencies = [\n    "litellm[proxy]==1.83.4",\n]\n',
}

PLISTS = {
    # platform/ops/templates/com.bebop.llmster-gpt.8126.plist (Label, ProgramArguments' interpreter, bind, port, logs)
    "platform/ops/templates/com.bebop.llmster-gpt.8126.plist": {
        "Label": "com.bebop.llmster-gpt.8126",
        "ProgramArguments": ["/usr/bin/env", "python3", "/Users/thestudio/bin/llmster_ensure_server.py", "--bind",
                             "192.168.1.72", "--port", "8126", "--api-key-env", "LLMSTER_API_KEY"],
        "KeepAlive": False, "StandardErrorPath": "/Users/thestudio/Library/Logs/llmster-gpt.err"},
    # platform/ops/templates/com.bebop.optillm-proxy.plist
    "platform/ops/templates/com.bebop.optillm-proxy.plist": {
        "Label": "com.bebop.optillm-proxy",
        "ProgramArguments": ["/Users/thestudio/optillm-proxy/.venv/bin/optillm", "--host", "192.168.1.72", "--port", "4020"],
        "StandardErrorPath": "/Users/thestudio/Library/Logs/optillm-proxy.err"},
    # services/vector-db/launchd/com.bebop.pgvector-main.plist (postgres -c listen_addresses, -c port)
    "services/vector-db/launchd/com.bebop.pgvector-main.plist": {
        "Label": "com.bebop.pgvector-main",
        "ProgramArguments": ["/opt/homebrew/opt/postgresql@16/bin/postgres", "-c", "listen_addresses=127.0.0.1",
                             "-c", "port=55432"],
        "StandardErrorPath": "/Users/thestudio/data/memory-main/logs/pgvector-main.err"},
    # services/vector-db/launchd/com.bebop.kibana-memory-main.plist (no port anywhere in the repo)
    "services/vector-db/launchd/com.bebop.kibana-memory-main.plist": {
        "Label": "com.bebop.kibana-memory-main",
        "ProgramArguments": ["/Users/thestudio/optillm-proxy/layer-data/vector-db/runtime/kibana-current/bin/kibana"],
        "EnvironmentVariables": {"KBN_PATH_CONF": "/Users/thestudio/optillm-proxy/layer-data/vector-db/runtime/kibana-config",
                                 "ELASTICSEARCH_HOSTS": "http://127.0.0.1:9200"},  # the URL is ours, as memory-api's MEMORY_ELASTIC_URL
        "StandardErrorPath": "/Users/thestudio/data/memory-main/logs/kibana-memory-main.err"},
}


def build(root, files=FILES, plists=PLISTS):
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    for rel, plist in plists.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(plistlib.dumps(plist))
    return root


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    root = build(tmp_path_factory.mktemp("homelab-llm"))
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "layout"], check=True)
    commit = subprocess.run(git + ["rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    return root, commit


@pytest.fixture(scope="module")
def found(checkout):
    """Proposals as this branch's schema states launchd jobs (no state; ports needed): the same on any schema."""
    from conformance.discover import from_repo

    with pytest.MonkeyPatch.context() as m:
        m.setattr(from_repo, "_launchd_states_in_schema", lambda: False)
        return propose(checkout[0])


@pytest.fixture(scope="module")
def found_for_this_schema(checkout):
    return propose(checkout[0])


def of(found, section, **match):
    return [p for p in found.proposals if p.section == section and all(p.entry.get(k) == v for k, v in match.items())]


def one(found, section, **match):
    [p] = of(found, section, **match)
    return p


# ------------------------------------------------------------------------------------------------ unit files


def test_unit_file_joins_continued_lines_keeps_repeated_keys_and_skips_comments():
    unit = parse_unit_file("""[Service]
# a comment=not a key
EnvironmentFile=/etc/openhands/env
EnvironmentFile=-/etc/openhands/secret.env
ExecStart=/usr/bin/docker run --rm \\
  -p 127.0.0.1:${OPENHANDS_HOST_PORT}:3000 \\
  ${OPENHANDS_APP_IMAGE}
Environment="A=b c" D=e
""")
    assert unit.values("Service", "EnvironmentFile") == ["/etc/openhands/env", "-/etc/openhands/secret.env"]
    assert unit.last("Service", "ExecStart").split() == ["/usr/bin/docker", "run", "--rm", "-p",
                                                         "127.0.0.1:${OPENHANDS_HOST_PORT}:3000", "${OPENHANDS_APP_IMAGE}"]
    assert environment_assignments(unit.values("Service", "Environment")) == {"A": "b c", "D": "e"}
    assert unit.values("Service", "a comment") == []


def test_an_empty_assignment_resets_a_list_as_systemd_does():
    unit = parse_unit_file("[Service]\nEnvironmentFile=/a\nEnvironmentFile=\nEnvironmentFile=/b\n")
    assert unit.values("Service", "EnvironmentFile") == ["/b"]


# ------------------------------------------------------------------------------------------------ proposals


@pytest.mark.parametrize("which", ["found", "found_for_this_schema"])
def test_every_proposal_is_an_entry_of_the_inventory_schema_from_a_named_file_at_the_commit(checkout, which, request):
    root, commit = checkout
    found = request.getfixturevalue(which)
    assert checkout_commit(root) == commit
    proposals, not_derived = found  # a pair, as the discover command unpacks it
    assert (proposals, not_derived) == (found.proposals, found.not_derived)
    assert found.proposals
    for p in found.proposals:
        SECTION_MODELS[p.section].model_validate(p.entry)
        assert p.source == "companion"
        assert commit[:7] in p.why and commit[:7] in p.entry["why"]
        assert p.evidence and all(e.at == commit and (root / e.what).is_file() for e in p.evidence)
        assert p.evidence[0].what in p.why


def test_a_folder_that_is_no_git_checkout_has_an_unknown_commit(tmp_path):
    found = propose(str(build(tmp_path)))  # a path given as text, as a command line gives it
    assert checkout_commit(tmp_path) == "unknown"
    assert all(e.at == "unknown" for p in found.proposals for e in p.evidence)


def test_units_carry_what_their_files_say(found):
    unit = one(found, "units", name="litellm-orch.service")
    assert unit.parent == "litellm-orch"
    assert {k: v for k, v in unit.entry.items() if k not in ("why",)} == {
        "name": "litellm-orch.service", "scope": "system", "source": "companion",
        "exec_start": "/home/christopherbailey/homelab-llm/services/litellm-orch/scripts/run-service.sh",
        "restart": "always", "restart_sec": 2.0,
        "environment_files": ["/home/christopherbailey/homelab-llm/services/litellm-orch/config/env.local"],
        "environment": {"LITELLM_LOG": "INFO"}, "run_as": "christopherbailey"}
    assert "platform/ops/systemd/litellm-orch.service" in unit.why


def test_a_unit_whose_exec_start_reads_its_env_file_keeps_its_other_facts_and_an_optional_env_file_is_no_fact(found):
    unit = one(found, "units", name="orchestration-cockpit-graph.service")
    assert unit.parent == "orchestration-cockpit"  # the registry's id it extends
    assert "exec_start" not in unit.entry
    assert unit.entry["environment_files"] == ["/etc/orchestration-cockpit/graph.env"]
    assert any("orchestration-cockpit-graph.service" in line and "expands variables" in line for line in found.not_derived)


def test_what_the_repo_cannot_decide_is_listed_never_guessed(found):
    lines = "\n".join(found.not_derived)
    # scope: WantedBy=default.target exists for system and user managers
    assert not of(found, "units", name="ov-server.service")
    assert "scope of ov-server.service" in lines
    # a systemd unit the registry puts on the Studio, whose jobs are launchd's
    assert not of(found, "units", name="optillm-proxy.service")
    assert "platform/ops/systemd/optillm-proxy.service" in lines
    # a service the registry puts on two hosts; a job with no port; a route whose backend nothing listens for
    assert "host orin" in lines
    assert "com.bebop.kibana-memory-main: no port" in lines
    assert "route chatgpt-5" in lines and not of(found, "litellm.routes", name="chatgpt-5")
    assert "com.bebop.mlx-lane.8101" in lines  # managed, but no plist of the repo renders it


def test_hosts_take_their_address_from_their_own_binds_and_their_os_from_their_service_manager(found):
    assert {(p.entry["id"], p.entry["os"], p.entry["address"]) for p in of(found, "hosts")} == {
        ("mini", "linux", "192.168.1.71"), ("studio", "darwin", "192.168.1.72")}
    assert all(p.entry["source"] == "derived" for p in of(found, "hosts"))


def test_listeners_name_their_host_by_id_and_one_port_is_proposed_once(found):
    listeners = {(p.parent, p.entry["address"], p.entry["port"]) for p in of(found, "listen")}
    assert listeners == {("litellm-orch", "0.0.0.0", 4000), ("searxng", "127.0.0.1", 8888),
                         ("ov-llm-server", "0.0.0.0", 9000), ("llmster", "{studio}", 8126),
                         ("optillm-proxy", "{studio}", 4020), ("vector-db", "127.0.0.1", 55432)}
    llmster = one(found, "listen", port=8126)
    assert "com.bebop.llmster-gpt.8126.plist" in llmster.why and "runtime-lock.json" in llmster.why


def test_an_address_bound_on_two_hosts_is_nobodys(tmp_path):
    files = dict(FILES)
    files["platform/ops/systemd/searxng.service"] = FILES["platform/ops/systemd/searxng.service"].replace(
        "--host 127.0.0.1", "--host 192.168.1.72")
    found = propose(build(tmp_path, files))
    assert "address 192.168.1.72: bound on mini, studio" in "\n".join(found.not_derived)
    assert one(found, "listen", port=8126).entry["address"] == "192.168.1.72"
    assert {p.entry["id"] for p in of(found, "hosts")} == {"mini"}


def test_routes_read_their_env_names_and_resolve_api_base_to_a_host_id(found):
    deep = one(found, "litellm.routes", name="deep")
    assert {k: v for k, v in deep.entry.items() if k != "why"} == {
        "name": "deep", "api_base": "http://{studio}:8126/v1", "backend": "llmster", "expected": "up",
        "env": {"api_base": "LLMSTER_DEEP_API_BASE", "model": "LLMSTER_DEEP_MODEL"}, "literal": ["api_key"],
        "source": "companion"}
    assert deep.review == ("expected",)
    assert "fallbacks" in "\n".join(found.not_derived)


def test_launchd_jobs_from_plists_and_the_policy(found):
    job = one(found, "launchd", label="com.bebop.llmster-gpt.8126")
    assert {k: v for k, v in job.entry.items() if k != "why"} == {
        "service": "llmster", "host": "studio", "plist": "/Library/LaunchDaemons/com.bebop.llmster-gpt.8126.plist",
        "label": "com.bebop.llmster-gpt.8126", "runtime_dir": "/Users/thestudio/bin",
        "log_pattern": "/Users/thestudio/Library/Logs/llmster-gpt.err", "ports": [8126, 8126], "listening": "up",
        "source": "companion"}
    assert set(job.review) == {"listening", "log_pattern"}
    assert one(found, "launchd", label="com.bebop.pgvector-main").entry["ports"] == [55432, 55432]
    assert "retired launchd label com.bebop.mlx-launch" in "\n".join(found.not_derived)


def test_env_example_gives_keys_never_values(found):
    env = one(found, "env_files")
    assert env.parent == "litellm-orch"
    assert env.entry["path"] == "/home/christopherbailey/homelab-llm/services/litellm-orch/config/env.local"
    keys = {e["key"]: e for e in env.entry["entries"]}
    assert list(keys)[:3] == ["UI_USERNAME", "UI_PASSWORD", "DATABASE_URL"]
    assert keys["UI_PASSWORD"]["secret"] and keys["DATABASE_URL"]["secret"] and "secret" not in keys["UI_USERNAME"]
    assert not any("value" in e for e in env.entry["entries"])


def test_no_secret_value_reaches_a_proposal_or_a_note(found):
    everything = repr(found)
    assert CANARY_PASSWORD not in everything and CANARY_UI not in everything


def test_pinned_versions_whose_environment_the_repo_does_not_place_are_named_for_their_host(found):
    lines = "\n".join(found.not_derived)
    # no uv.lock in services/litellm-orch here: the unit's WorkingDirectory is no uv project's environment
    assert "package litellm 1.83.4 of litellm-orch on mini: no unit or plist of litellm-orch runs a .venv" in lines
    # the plist's program runs from a .venv; which Python made it no file says
    assert ("package optillm 0.3.12 of optillm-proxy on studio: /Users/thestudio/optillm-proxy/.venv is its "
            "environment, and which Python made it") in lines
    assert not of(found, "packages")
    assert "backend vllm-metal is named, its version is pinned nowhere" in lines


def test_the_checkout_is_only_read(tmp_path):
    root = build(tmp_path)
    before = sorted((p.relative_to(root).as_posix(), p.stat().st_mtime_ns) for p in root.rglob("*"))
    propose(root)
    assert sorted((p.relative_to(root).as_posix(), p.stat().st_mtime_ns) for p in root.rglob("*")) == before


def test_an_empty_folder_proposes_nothing_and_says_what_is_missing(tmp_path):
    found = propose(tmp_path)
    assert found.proposals == []
    assert any("services.jsonl: absent" in line for line in found.not_derived)
    assert any("router.yaml: absent" in line for line in found.not_derived)


def test_where_litellm_calls_is_a_listener_named_when_no_file_says_whose(found):
    lines = "\n".join(found.not_derived)
    assert "CCPROXY_ADAPTER_API_BASE calls mini:4011" in lines
    assert "DATABASE_URL calls mini:5432" in lines  # host and port only: the password is never read out
    assert "LLMSTER_FAST_API_BASE calls" not in lines  # llmster's listener is proposed
    # a plist's env value: a loopback URL is on the job's own host
    assert "com.bebop.kibana-memory-main.plist: ELASTICSEARCH_HOSTS calls studio:9200" in lines


def test_a_required_unit_no_file_gives_and_a_units_unknown_listener_are_named(tmp_path):
    files = dict(FILES)
    files["platform/registry/services.jsonl"] += json.dumps(
        {"service_id": "openhands", "path": "services/openhands", "host_targets": ["mini"]}) + "\n"
    # platform/ops/systemd/openhands.service (Requires=docker.service; the port published from its env file)
    files["platform/ops/systemd/openhands.service"] = """[Unit]
Requires=docker.service

[Service]
ExecStart=/usr/bin/docker run --rm \\
  -p 127.0.0.1:${OPENHANDS_HOST_PORT}:3000 \\
  ${OPENHANDS_APP_IMAGE}

[Install]
WantedBy=multi-user.target
"""
    # platform/ops/systemd/ccproxy-api.service (a script: no address or port on its command line)
    files["platform/ops/systemd/ccproxy-api.service"] = """[Service]
ExecStart=/home/christopherbailey/homelab-llm/experiments/ccproxy-api/scripts/run_ccproxy.sh

[Install]
WantedBy=multi-user.target
"""
    files["platform/registry/services.jsonl"] += json.dumps(
        {"service_id": "ccproxy-api", "path": "experiments/ccproxy-api", "host_targets": ["mini"]}) + "\n"
    found = propose(build(tmp_path, files))
    lines = "\n".join(found.not_derived)
    assert "mini docker.service: required (Requires=) by openhands.service" in lines
    assert "openhands.service ExecStart of openhands listens on 127.0.0.1:${OPENHANDS_HOST_PORT}" in lines
    assert "ccproxy-api.service names no address and port" in lines
    assert one(found, "units", name="openhands.service").entry["run_as"] == "root"
    assert not of(found, "listen", port=3000)  # the container's port is not the host's


def test_a_command_line_or_environment_with_a_secret_is_not_proposed(tmp_path):
    files = dict(FILES)
    files["platform/ops/systemd/searxng.service"] = FILES["platform/ops/systemd/searxng.service"].replace(
        "--port 8888", "--port 8888 --api-key canary-flag-9f2c").replace(
        "[Service]", "[Service]\nEnvironment=UPSTREAM=https://u:canary-url-5e1d@example.invalid/ PLAIN=1")
    found = propose(build(tmp_path, files))
    assert "canary-flag-9f2c" not in repr(found) and "canary-url-5e1d" not in repr(found)
    unit = one(found, "units", name="searxng.service")
    assert "exec_start" not in unit.entry and unit.entry["environment"] == {"PLAIN": "1"}
    assert "ExecStart of searxng.service carries a secret-looking value" in "\n".join(found.not_derived)


def test_an_ssh_option_named_like_a_key_is_a_setting_not_a_secret(tmp_path):
    # services/open-webui/systemd/open-webui-elasticsearch-bridge.service (ssh -o StrictHostKeyChecking=yes -L ...)
    files = dict(FILES)
    files["platform/registry/services.jsonl"] += json.dumps(
        {"service_id": "open-webui", "path": "services/open-webui", "host_targets": ["mini"]}) + "\n"
    files["services/open-webui/systemd/open-webui-elasticsearch-bridge.service"] = """[Service]
User=christopherbailey
ExecStart=/usr/bin/ssh -NT -o ExitOnForwardFailure=yes -o StrictHostKeyChecking=yes -L 127.0.0.1:19200:127.0.0.1:9200 studio

[Install]
WantedBy=multi-user.target
"""
    found = propose(build(tmp_path, files))
    unit = one(found, "units", name="open-webui-elasticsearch-bridge.service")
    assert "StrictHostKeyChecking=yes" in unit.entry["exec_start"]
    assert one(found, "listen", port=19200).entry["address"] == "127.0.0.1"


def test_broken_files_are_named_never_a_traceback(tmp_path):
    files = dict(FILES)
    files["platform/ops/runtime-lock.json"] = "{not json"
    files["platform/ops/templates/studio_scheduling_policy.json"] = "[]"
    files["platform/registry/services.jsonl"] = FILES["platform/registry/services.jsonl"] + '["a list"]\n'
    root = build(tmp_path, files)
    (root / "services/vector-db/launchd/com.bebop.broken.plist").write_bytes(b"<plist><dict><key>Label")
    found = propose(root)
    lines = "\n".join(found.not_derived)
    assert "runtime-lock.json: not JSON" in lines
    assert "studio_scheduling_policy.json: not a scheduling policy" in lines
    assert "services.jsonl:8: not a service record" in lines
    assert "com.bebop.broken.plist: not a plist" in lines
    assert one(found, "units", name="searxng.service")  # what the other files give is still proposed


def test_where_the_schema_states_a_jobs_state_retired_and_port_less_jobs_and_lanes_are_proposed(tmp_path, monkeypatch):
    """The 2026-05 edition's LaunchdJob (state, per-lane states, program, stdout/stderr, no ports needed): on a
    schema that has it, every proposal of the checkout also validates (test_every_proposal_... runs there)."""
    from conformance.discover import from_repo

    schema_has_states = from_repo._launchd_states_in_schema()
    monkeypatch.setattr(from_repo, "_launchd_states_in_schema", lambda: True)
    files = dict(FILES)
    lock = json.loads(FILES["platform/ops/runtime-lock.json"])
    lock["mlx"]["lanes"] = {"8100": "com.bebop.mlx-lane.8100", "8101": "com.bebop.mlx-lane.8101"}
    lock["mlx"]["retired_shadow_labels"] = {"8123": "com.bebop.mlx-shadow.8123"}
    files["platform/ops/runtime-lock.json"] = json.dumps(lock)
    policy = json.loads(FILES["platform/ops/templates/studio_scheduling_policy.json"])
    policy["managed_labels"]["com.bebop.mlx-lane.8100"] = {"plist_path": "/Library/LaunchDaemons/com.bebop.mlx-lane.8100.plist"}
    policy["retired_labels"]["com.bebop.mlx-shadow.8123"] = {"plist_path": "/Library/LaunchDaemons/com.bebop.mlx-shadow.8123.plist"}
    files["platform/ops/templates/studio_scheduling_policy.json"] = json.dumps(policy)
    found = propose(build(tmp_path, files))

    kibana = one(found, "launchd", label="com.bebop.kibana-memory-main")
    assert {k: v for k, v in kibana.entry.items() if k != "why"} == {
        "service": "vector-db", "host": "studio", "plist": "/Library/LaunchDaemons/com.bebop.kibana-memory-main.plist",
        "label": "com.bebop.kibana-memory-main", "state": "active",
        "program": "/Users/thestudio/optillm-proxy/layer-data/vector-db/runtime/kibana-current/bin/kibana",
        "stderr": "/Users/thestudio/data/memory-main/logs/kibana-memory-main.err", "source": "companion"}
    llmster = one(found, "launchd", label="com.bebop.llmster-gpt.8126").entry
    assert (llmster["keep_alive"], llmster["port"], llmster["ports"], llmster["state"]) == (False, 8126, [8126, 8126], "active")
    lanes = one(found, "launchd", label="com.bebop.mlx-lane.{port}")
    assert (lanes.entry["plist"], lanes.entry["lanes"], lanes.review) == (
        "/Library/LaunchDaemons/com.bebop.mlx-lane.{port}.plist",
        [{"port": 8100, "state": "active"}, {"port": 8101, "state": "active"}], ("lanes",))
    shadows = one(found, "launchd", label="com.bebop.mlx-shadow.{port}")
    assert shadows.entry["lanes"] == [{"port": 8123, "state": "retired"}] and shadows.entry["service"] == "mlx"
    assert one(found, "services", id="mlx").entry["host"] == "studio"
    lines = "\n".join(found.not_derived)
    assert "retired launchd label com.bebop.mlx-launch: must not be loaded, and no file says which service" in lines
    assert "mlx-lane" not in lines and "mlx-shadow" not in lines
    if schema_has_states:  # this tree's schema states them: each proposal must be one of its entries
        for p in found.proposals:
            SECTION_MODELS[p.section].model_validate(p.entry)


# ------------------------------------------------------------------------------------------------ against an inventory


def inserted(inventory_data: dict, proposals) -> dict:
    """The inventory with the proposals inserted where the writer inserts them (new list entries only)."""
    data = json.loads(json.dumps(inventory_data))
    services = {s["id"]: s for s in data["services"]}
    for p in proposals:
        if p.section in ("hosts", "services", "launchd"):
            data.setdefault(p.section, []).append(dict(p.entry))
            if p.section == "services":
                services[p.entry["id"]] = data["services"][-1]
        elif p.section == "litellm.routes":
            data["litellm"]["routes"].append(dict(p.entry))
    for p in proposals:
        if p.parent is not None:
            services[p.parent].setdefault(p.section, []).append(dict(p.entry))
    return data


def test_against_the_founding_inventory_only_the_new_is_proposed_and_the_result_loads(checkout):
    import yaml

    from conformance.discover.undocumented import undocumented
    from conformance.inventory.schema import Inventory
    from ._support import ROOT, real_inventory

    with pytest.MonkeyPatch.context() as m:  # this branch's launchd entry (on any schema: the founding's jobs have ports)
        from conformance.discover import from_repo
        m.setattr(from_repo, "_launchd_states_in_schema", lambda: False)
        found = propose(checkout[0])
    new = undocumented(found, real_inventory())
    # the founding inventory documents mini and studio at these addresses, and LiteLLM on 0.0.0.0:4000
    assert not of(new, "hosts") and not of(new, "listen", port=4000)
    # ov-llm-server's one item, 0.0.0.0:9000, is the founding's ov-server's: no empty service goes in
    assert {p.entry["id"] for p in of(new, "services")} == {"searxng", "orchestration-cockpit", "vector-db", "llmster",
                                                            "optillm-proxy"}
    # litellm-orch.service: the founding states its ExecStart, env file, Restart=always, RestartSec=2; the repo's
    # new facts are proposed under it, a different value is a line for the owner, never a second statement
    unit = one(new, "units", name="litellm-orch.service")
    assert (unit.parent, set(unit.entry) - {"name", "scope", "source", "why"}) == ("litellm-orch", {"environment_files", "environment", "run_as"})
    lines = "\n".join(new.not_derived)
    assert "differs from the inventory: unit litellm-orch.service on mini: exec_start" in lines
    assert "restart " not in lines.split("litellm-orch.service on mini: ", 1)[1].split("\n")[0]  # always, as documented
    # its contract's apis are ov-llm-server and mlx-openai-server: no api says how llmster answers, so its routes go
    # in never called (`leaves_lab: true`, no api), both for review
    deep = one(new, "litellm.routes", name="deep")
    assert ("api" not in deep.entry, deep.entry["leaves_lab"], deep.review[-2:]) == (True, True, ("leaves_lab", "api"))
    assert all(p.entry["leaves_lab"] and "api" not in p.entry for p in of(new, "litellm.routes"))
    base = yaml.safe_load((ROOT / "inventory.yaml").read_text())
    Inventory.model_validate(inserted(base, new.proposals))

    # with an api named as the backend, the routes go in, their api for review
    base["contract"]["apis"].append(dict(base["contract"]["apis"][0], id="llmster"))
    new = undocumented(found, Inventory.model_validate(base))
    deep = one(new, "litellm.routes", name="deep")
    assert (deep.entry["api"], "api" in deep.review) == ("llmster", True)
    Inventory.model_validate(inserted(base, new.proposals))


def test_proposing_what_the_inventory_already_has_proposes_nothing(checkout, found):
    import yaml

    from conformance.discover.undocumented import undocumented
    from conformance.inventory.schema import Inventory
    from ._support import ROOT

    base = yaml.safe_load((ROOT / "inventory.yaml").read_text())
    once = undocumented(found, Inventory.model_validate(base))
    patched = inserted(base, once.proposals)
    twice = undocumented(found, Inventory.model_validate(patched))
    assert twice.proposals == []  # a re-run on the patched inventory: nothing new
