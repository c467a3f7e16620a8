"""mini, 2026-05 edition: the Mini as bebopbabailey/homelab-llm@1b54b73 documents it ("the owner's" below).

Canon read: docs/PLATFORM_DOSSIER.md (ports table, units, env files, Tailscale Serve), platform/ops/systemd/*.service,
services/open-webui/systemd/* (three drop-ins and the Elasticsearch bridge), services/litellm-orch/config/router.yaml,
env.example and scripts/run-service.sh. No file of that repository is copied: units and configs are written here from
their documented facts (paths, ExecStart, Restart, env files, ports, binds).

What runs:
- litellm-orch.service (the owner's unit: run-service.sh from the service root): the adapter (lab/standins/
  chatgpt5_adapter.py, FastAPI) on 127.0.0.1:4011 and the REAL LiteLLM 1.83.4 on 0.0.0.0:4000 with the owner's
  router.yaml shape (the nine aliases, `fast -> deep`, `callbacks: ["prometheus"]`, json_logs false) and the master
  key from env.local. Twin-only, in `.venv/bin/litellm` (a wrapper, not the unit): DATABASE_URL is unset before
  LiteLLM starts, because its database layer needs Prisma engines that cannot be downloaded here (LiteLLM exits
  "Unable to find Prisma binaries" with it set), so readiness says `db: "Not connected"`: `db: connected` is
  unproven in the twin. Also LITELLM_LOCAL_MODEL_COST_MAP and HF_HUB_OFFLINE (lab/README.md, founding edition).
  The owner's custom guardrails (Python modules beside router.yaml) are not in the twin's router.yaml.
- postgresql (Debian's package units, postgresql@15-main) on 127.0.0.1:5432 with the owner's database `litellm`
  owned by role `litellm` (env.example DATABASE_URL), a fresh cluster made once and cached in $LAB_DIR/cache.
- Open WebUI with its three drop-ins and open-webui-elasticsearch-bridge.service (a real ssh tunnel to studio's
  127.0.0.1:9200), ov-server (system unit, real OpenVINO inference: the documented OV_DEVICE=GPU stays in the env
  file, OV_TWIN_DEVICE=CPU in the unit), Ollama as in the founding edition.
- Off the LLM path (lab/standins/generic_service.py with lab/canned.py's answers, started by a twin wrapper at each
  unit's documented program path): ccproxy-api, qwen-agent-proxy, opencode-web, media-fetch-mcp, searxng,
  prometheus, grafana-server, code-server, Samba (smbd on 139/445 at 127.0.0.1 and the LAN address; nmbd idles);
  openhands and open-terminal-mcp run by `docker run` (lab/standins/docker.py at /usr/bin/docker; docker.service is
  the twin's engine-less dockerd), open-terminal (8010) too; tailscaled idles and `tailscale serve status --json`
  (lab/standins/tailscale.py) prints the Dossier's seven Serve mappings. The orchestration-cockpit units are
  installed and not enabled ("inactive by default").
"""
from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import tempfile

from .. import canned, edition, paths, topology as topo
from ..proc import run
from ..tree import Tree
from . import Context, Service, base, mini
from .one_service import STANDINS_DIR, install_standins, write_canned

OWN = topo.OWNER
H = topo.OWNER_HOME
REPO = f"{H}/homelab-llm"
ORCH = f"{REPO}/services/litellm-orch"
WEBUI = f"{REPO}/services/open-webui"
OV_DIR = f"{H}/ov-llm-server"
UV = f"{H}/.local/bin/uv"
CANNED_DIR = "/var/lib/twin-services"
DOCKER_IMAGES = "/var/lib/docker-twin/images"
STUDIO = topo.HOSTS_2026_05["studio"]
ORIN = topo.HOSTS_2026_05["orin"]
MINI = topo.HOSTS_2026_05["mini"]
TAILNET = "tailfd1400.ts.net"  # docs/PLATFORM_DOSSIER.md (Tailnet HTTPS)

SERVICES = [
    Service("litellm-orch.service", "system", 4000, "/health/readiness"),
    Service("open-webui.service", "system", 3000, "/health"),
    Service("ollama.service", "system", 11434, "/api/version"),
    Service("ov-server.service", "system", 9000, "/health"),
    Service("opencode-web.service", "system", 4096, None),  # 401 by design: its listener is checked by the suite
]
MANAGED_USERS = [OWN]
BIND_CHECKOUT = True
# systemd's unit search path without /lib/systemd/system: Debian 12's systemd (rootprefix /) finds a unit installed in
# /usr/lib/systemd/system through the /lib -> usr/lib link first and reports FragmentPath /lib/...; the owner's Ubuntu
# 24.04 reports /usr/lib/... (docs/PLATFORM_DOSSIER.md: prometheus.service, grafana-server.service). The rest is
# systemd's default order (systemd.unit(5)), generators included.
PID1_ENV = {"SYSTEMD_UNIT_PATH": ":".join((
    "/etc/systemd/system.control", "/run/systemd/system.control", "/run/systemd/transient",
    "/run/systemd/generator.early", "/etc/systemd/system", "/etc/systemd/system.attached", "/run/systemd/system",
    "/run/systemd/system.attached", "/run/systemd/generator", "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system", "/run/systemd/generator.late"))}

# route -> (env prefix of its model and api_base, or None for a literal; literal model; max_tokens)
# (services/litellm-orch/config/router.yaml)
ROUTES = [
    ("deep", "LLMSTER_DEEP", None, 16384), ("code-reasoning", "LLMSTER_DEEP", None, 16384),
    ("fast", "LLMSTER_FAST", None, 16384), ("chatgpt-5", "CCPROXY_ADAPTER", "openai/gpt-5.3-codex", 16384),
    ("task-transcribe", "LLMSTER_FAST", None, 4096), ("task-transcribe-vivid", "LLMSTER_DEEP", None, 4096),
    ("task-json", "LLMSTER_FAST", None, 1024), ("task-youtube-summary", "LLMSTER_DEEP", None, 4096),
]
LLMSTER_MODELS = {"LLMSTER_FAST": "openai/llmster-gpt-oss-20b-mxfp4-gguf",
                  "LLMSTER_DEEP": "openai/llmster-gpt-oss-120b-mxfp4-gguf"}  # env.example

UNIT = """\
[Unit]
Description={description}
{unit_extra}Wants=network-online.target
After=network-online.target

[Service]
Type=simple
{service}
[Install]
WantedBy=multi-user.target
"""


def _unit(tree: Tree, path: str, description: str, service: list[str], unit_extra: list[str] = (),
          enable: bool = True) -> None:
    name = os.path.basename(path)
    mask = tree.path(f"/etc/systemd/system/{name}")
    if not path.startswith("/etc/") and mask.is_symlink():
        mask.unlink()  # a base-image unit of this name was masked (lab/hosts/masking.py): the layout's replaces it
    tree.write(path, UNIT.format(description=description, unit_extra="".join(f"{x}\n" for x in unit_extra),
                                 service="".join(f"{x}\n" for x in service)))
    if enable:
        tree.symlink(path, f"/etc/systemd/system/multi-user.target.wants/{name}")


# the arguments `--host H --port P` of a unit's command line, as the generic stand-in's `--listen H:P`
HOST_PORT_ARGS = ('host=; port=\nwhile [ $# -gt 0 ]; do case "$1" in --host) host=$2; shift;; --port) port=$2; shift;; '
                  'esac; shift; done\n')


def _generic(tree: Tree, spec: topo.HostSpec, name: str, config: dict, program: str, owner: str = "root",
             host_port_args: bool = False) -> None:
    """A twin wrapper at a documented program path: it runs the generic stand-in with the service's canned config.
    The unit's arguments are ignored (the documented command line stays in the unit), except `--host`/`--port`
    when `host_port_args`: then they are where it listens, as the real server's are."""
    path = f"{CANNED_DIR}/{name}.json"
    write_canned(tree, spec, config, path)
    parse, listen = (HOST_PORT_ARGS, ' ${host:+--listen "$host:$port"}') if host_port_args else ("", "")
    tree.write(program, f"#!/bin/sh\n# twin: {name} is the generic stand-in with canned answers (lab/canned.py)\n"
                        f"{parse}exec /usr/bin/python3 {STANDINS_DIR}/generic_service.py --config {path}{listen}\n",
               0o755, owner)


def _quiet(name: str, address: str, port: int, why: str) -> dict:
    """A listener whose answers the twin does not model (a bare 404, as no answer matches)."""
    return {"service": name, "listeners": [{"address": address, "port": port}], "answers": [],
            "otherwise": {"status": 404, "body": "", "source": f"the twin's own: {why}"}}


def _idle(tree: Tree, program: str, what: str) -> None:
    tree.write(program, f"#!/bin/sh\n# twin: {what} (no engine here); it only keeps its unit active\n"
                        "exec sleep infinity\n", 0o755)


def provision(tree: Tree, ctx: Context) -> None:
    base.add_owner(tree, ctx)
    tree.write("/etc/systemd/logind.conf.d/50-twin.conf", "[Login]\nUserStopDelaySec=infinity\n")
    for home, owner in ((H, OWN), ("/root", "root")):
        tree.write(f"{home}/.ssh/config", mini.OWNER_SSH_CONFIG, 0o600, owner)
    tree.write("/root/.ssh/id_ed25519", ctx.owner_private, 0o600)
    tree.write("/root/.ssh/known_hosts", base.known_hosts(ctx), 0o644)
    tree.install(paths.STANDINS / "uv.py", UV, 0o755, OWN)
    install_standins(tree)
    tree.mkdir(CANNED_DIR, 0o755)
    tree.mkdir("/etc/homelab-llm", 0o755)
    keys = {"master": f"sk-twin-master-{secrets.token_hex(12)}", "ccproxy": secrets.token_hex(16),
            "llmster": _llmster_key(), "db_password": _postgres(tree)}
    edition.save_secrets({"LLM_LAB_LITELLM_KEY": keys["master"], "LLM_LAB_LLMSTER_KEY": keys["llmster"]})
    _litellm_orch(tree, keys)
    _open_webui(tree, keys)
    _ov_server(tree)
    mini._ollama(tree)
    _off_the_llm_path(tree, ctx.spec, keys)
    _docker(tree, ctx.spec)
    _samba(tree, ctx.spec)
    _tailscale(tree)


def _llmster_key() -> str:
    """llmster's API token (LM Studio's format `sk-lm-<8>:<20>`), the same for studio's layout and mini's env."""
    known = edition.load_secrets().get("LLM_LAB_LLMSTER_KEY")
    return known or f"sk-lm-{secrets.token_hex(4)}:{secrets.token_hex(10)}"


# ------------------------------------------------------------------ PostgreSQL
PG_VERSION = "15"
PG_BIN = f"/usr/lib/postgresql/{PG_VERSION}/bin"
PG_DATA = f"/var/lib/postgresql/{PG_VERSION}/main"


def _postgres(tree: Tree) -> str:
    """Debian's cluster 15/main with role and database `litellm`; returns the role's password. The data directory
    is made once (initdb + single-user mode, ~1 s) and cached in $LAB_DIR/cache, then copied into the host."""
    cache = paths.lab_dir() / "cache" / f"postgresql-{PG_VERSION}-main"
    pw_file = cache.with_suffix(".password")
    if not (cache / "PG_VERSION").exists() or not pw_file.exists():
        shutil.rmtree(cache, ignore_errors=True)
        cache.parent.mkdir(parents=True, exist_ok=True)
        password = secrets.token_hex(12)
        work = tempfile.mkdtemp(prefix="twin-pg-")  # LAB_DIR is root's 0700: postgres builds the cluster here
        os.chmod(work, 0o755)
        data = os.path.join(work, "main")
        try:
            os.mkdir(data, 0o700)
            os.chown(data, pwd.getpwnam("postgres").pw_uid, pwd.getpwnam("postgres").pw_gid)
            run(["runuser", "-u", "postgres", "--", f"{PG_BIN}/initdb", "-D", data, "-U", "postgres",
                 "--auth-local=peer", "--auth-host=scram-sha-256", "--no-sync"])
            sql = (f"CREATE ROLE litellm LOGIN PASSWORD '{password}';\n"
                   "CREATE DATABASE litellm OWNER litellm;\n")
            run(["runuser", "-u", "postgres", "--", f"{PG_BIN}/postgres", "--single", "-D", data, "postgres"],
                input=sql)
            run(["cp", "-a", data, str(cache)])
        finally:
            shutil.rmtree(work, ignore_errors=True)
        fd = os.open(pw_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(password)
    target = tree.path(PG_DATA)
    if target.exists() or target.is_symlink():
        shutil.rmtree(target)  # the base image's own cluster (if any) is not the owner's
    run(["cp", "-a", str(cache), str(target)])
    # unmask Debian's units (base.provision masked the base image's postgresql units)
    for unit in ("postgresql.service", "postgresql@.service"):
        link = tree.path(f"/etc/systemd/system/{unit}")
        if link.is_symlink():
            link.unlink()
    tree.symlink("/lib/systemd/system/postgresql.service", "/etc/systemd/system/multi-user.target.wants/postgresql.service")
    return pw_file.read_text().strip()


# ------------------------------------------------------------------ LiteLLM + the chatgpt-5 adapter
RUN_SERVICE = """\
#!/usr/bin/env bash
# litellm-orch's start script, as the owner's services/litellm-orch/scripts/run-service.sh does it: env.local
# exported, the chatgpt-5 adapter on 127.0.0.1:4011 in the background, then LiteLLM in the foreground.
set -euo pipefail

if [[ -f "config/env.local" ]]; then
  set -a
  source "config/env.local"
  set +a
fi

export LITELLM_LOG="${LITELLM_LOG:-INFO}"
export PORT="${PORT:-4000}"
export CHATGPT5_ADAPTER_HOST="${CHATGPT5_ADAPTER_HOST:-127.0.0.1}"
export CHATGPT5_ADAPTER_PORT="${CHATGPT5_ADAPTER_PORT:-4011}"
export CCPROXY_ADAPTER_API_BASE="${CCPROXY_ADAPTER_API_BASE:-http://${CHATGPT5_ADAPTER_HOST}:${CHATGPT5_ADAPTER_PORT}/v1}"
venv_bin="${PWD}/.venv/bin"

"${venv_bin}/python" -m uvicorn chatgpt5_adapter:app --host "${CHATGPT5_ADAPTER_HOST}" --port "${CHATGPT5_ADAPTER_PORT}" &
adapter_pid=$!
cleanup() { kill "${adapter_pid}" >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM

exec "${venv_bin}/litellm" --config config/router.yaml --host 0.0.0.0 --port "${PORT}"
"""

LITELLM_WRAPPER = f"""\
#!/bin/sh
# twin: the service's .venv/bin/litellm is the checkout's LiteLLM 1.83.4 (.venv-litellm). Twin-only environment:
# - DATABASE_URL unset: LiteLLM's database layer needs Prisma engines, which cannot be downloaded here (with it set,
#   LiteLLM exits "Unable to find Prisma binaries"), so readiness answers db "Not connected" (unproven in the twin);
# - no cost-map download and no Hugging Face hub (no route out; lab/README.md).
unset DATABASE_URL
export LITELLM_LOCAL_MODEL_COST_MAP=True HF_HUB_OFFLINE=1
exec {topo.CHECKOUT_IN_TWIN}/.venv-litellm/bin/python -m litellm.proxy.proxy_cli "$@"
"""

LITELLM_UNIT = [
    f"User={OWN}", f"WorkingDirectory={ORCH}", f"EnvironmentFile={ORCH}/config/env.local",
    "Environment=LITELLM_LOG=INFO", "Environment=ENFORCE_PRISMA_MIGRATION_CHECK=true",
    f"ExecStart={ORCH}/scripts/run-service.sh", "Restart=always", "RestartSec=2", "LimitNOFILE=65536"]


def router_yaml() -> str:
    """The owner's router.yaml shape: the aliases, their max_tokens, fallbacks, retry policy, callbacks."""
    lines = ["model_list:"]
    for name, prefix, literal, max_tokens in ROUTES:
        model = literal or f"os.environ/{prefix}_MODEL"
        lines += [f"- model_name: {name}", "  litellm_params:", f"    model: {model}",
                  f"    api_base: os.environ/{prefix}_API_BASE", "    api_key: dummy", f"    max_tokens: {max_tokens}"]
    lines += ["router_settings:", "  allowed_fails: 2", "  cooldown_time: 15", "  fallbacks:",
              '    - {"fast": ["deep"]}', "  retry_policy:", "    Timeout: 1", "    APIConnectionError: 1",
              "    RateLimitError: 0", "    ServiceUnavailableError: 1",
              "litellm_settings:", "  json_logs: false", "  drop_params: true", "  modify_params: true",
              "  set_verbose: true", '  callbacks: ["prometheus"]', ""]
    return "\n".join(lines)


def env_local(keys: dict) -> str:
    llmster = f"http://{STUDIO.address}:8126/v1"
    values = {
        "UI_USERNAME": "admin", "UI_PASSWORD": secrets.token_hex(8),
        "SEARXNG_API_BASE": "http://127.0.0.1:8888", "SEARXNG_API_KEY": "", "HEALTH_CHECK_TIMEOUT_SECONDS": "5",
        "DATABASE_URL": f"postgresql://litellm:{keys['db_password']}@127.0.0.1:5432/litellm",
        "LITELLM_MASTER_KEY": keys["master"],
        "LLMSTER_FAST_API_BASE": llmster, "LLMSTER_FAST_MODEL": LLMSTER_MODELS["LLMSTER_FAST"],
        "LLMSTER_DEEP_API_BASE": llmster, "LLMSTER_DEEP_MODEL": LLMSTER_MODELS["LLMSTER_DEEP"],
        "CCPROXY_API_BASE": "http://127.0.0.1:4010/codex/v1", "CCPROXY_AUTH_TOKEN": keys["ccproxy"],
        "CCPROXY_ADAPTER_API_BASE": "http://127.0.0.1:4011/v1",
        "VOICE_GATEWAY_API_BASE": f"http://{ORIN.address}:18080/v1", "VOICE_GATEWAY_API_KEY": secrets.token_hex(8),
        "MEMORY_API_BEARER_TOKEN": secrets.token_hex(12),
    }
    return "# litellm-orch env (services/litellm-orch/config/env.example keys; twin values)\n" + "".join(
        f"{k}={v}\n" for k, v in values.items())


def _litellm_orch(tree: Tree, keys: dict) -> None:
    tree.mkdir(ORCH, 0o755, OWN)
    tree.write(f"{ORCH}/config/router.yaml", router_yaml(), 0o644, OWN)
    tree.write(f"{ORCH}/config/env.local", env_local(keys), 0o600, OWN)
    tree.write(f"{ORCH}/scripts/run-service.sh", RUN_SERVICE, 0o755, OWN)
    tree.install(paths.STANDINS / "chatgpt5_adapter.py", f"{ORCH}/chatgpt5_adapter.py", 0o644, OWN)
    tree.mkdir(f"{ORCH}/.venv/bin", 0o755, OWN)
    # a wrapper, not a symlink: a venv's python finds its pyvenv.cfg next to the path it was started as
    tree.write(f"{ORCH}/.venv/bin/python", f"#!/bin/sh\n# twin: the checkout's LiteLLM venv (FastAPI, uvicorn)\n"
                                          f"exec {topo.CHECKOUT_IN_TWIN}/.venv-litellm/bin/python \"$@\"\n", 0o755, OWN)
    tree.write(f"{ORCH}/.venv/bin/litellm", LITELLM_WRAPPER, 0o755, OWN)
    # the environment the inventory pins LiteLLM in (`litellm-orch::package:litellm`): the owner's uv venv is on
    # Python 3.12; here it is the checkout's .venv-litellm (Debian's Python), the very LiteLLM the unit runs, at the
    # documented folder. The suite reads its .dist-info names (ls), never runs it.
    [site_packages] = sorted((paths.ROOT / ".venv-litellm" / "lib").glob("python3.*/site-packages"))
    tree.symlink(f"{topo.CHECKOUT_IN_TWIN}/{site_packages.relative_to(paths.ROOT)}",
                 f"{ORCH}/.venv/lib/python3.12/site-packages", OWN)
    _unit(tree, "/etc/systemd/system/litellm-orch.service", "LiteLLM Proxy (litellm-orch)", LITELLM_UNIT)


# ------------------------------------------------------------------ Open WebUI, its drop-ins and bridge
def _open_webui(tree: Tree, keys: dict) -> None:
    tree.mkdir(f"{H}/.open-webui", 0o755, OWN)
    tree.mkdir(WEBUI, 0o755, OWN)
    tree.install(paths.STANDINS / "open_webui.py", f"{WEBUI}/.venv/bin/open-webui", 0o755, OWN)
    tree.mkdir("/etc/open-webui", 0o755)
    fetch_filter = ",".join(["!localhost", "!127.0.0.1"] + [f"!{h.address}" for h in topo.HOSTS_2026_05.values()])
    env = {"OPENAI_API_BASE_URL": "http://127.0.0.1:4000/v1", "OPENAI_API_KEY": keys["master"],
           "ENABLE_OPENAI_API": "true", "DATA_DIR": f"{H}/.open-webui",
           "WEB_SEARCH_ENGINE": "searxng", "SEARXNG_QUERY_URL": "http://127.0.0.1:8888/search?q=<query>&format=json",
           "WEB_SEARCH_RESULT_COUNT": "3", "WEB_SEARCH_CONCURRENT_REQUESTS": "1", "WEB_LOADER_ENGINE": "safe_web",
           "WEB_LOADER_TIMEOUT": "10", "WEB_LOADER_CONCURRENT_REQUESTS": "2",
           "WEB_FETCH_FILTER_LIST": fetch_filter, "WEB_SEARCH_DOMAIN_FILTER_LIST": fetch_filter}
    tree.write("/etc/open-webui/env", "".join(f"{k}={v}\n" for k, v in env.items()), 0o640, f"root:{OWN}")
    _unit(tree, "/etc/systemd/system/open-webui.service", "Open WebUI", [
        f"User={OWN}", f"Group={OWN}", f"WorkingDirectory={WEBUI}", "EnvironmentFile=/etc/open-webui/env",
        f"ExecStart={WEBUI}/.venv/bin/open-webui serve --host 0.0.0.0 --port 3000", "Restart=always", "RestartSec=3"])
    d = "/etc/systemd/system/open-webui.service.d"
    # docs/PLATFORM_DOSSIER.md names the query-generation policy drop-in; its content is the twin's placeholder
    tree.write(f"{d}/25-querygen-prompt-policy.conf", "[Service]\n# twin: the query-generation prompt policy\n"
                                                     "Environment=ENABLE_SEARCH_QUERY_GENERATION=true\n")
    studio = STUDIO.address
    knowledge = {"VECTOR_DB": "elasticsearch", "ELASTICSEARCH_URL": "http://127.0.0.1:19200",
                 "ELASTICSEARCH_INDEX_PREFIX": "open_webui_collections", "RAG_EMBEDDING_ENGINE": "openai",
                 "RAG_OPENAI_API_BASE_URL": f"http://{studio}:55440/v1", "RAG_EMBEDDING_MODEL": "studio-nomic-embed-text-v1.5"}
    sync = f"{WEBUI}/scripts/openwebui_knowledge_sync.py"
    tree.write(f"{d}/80-knowledge-backend-sync.conf", "[Service]\n" + "".join(
        f'Environment="{k}={v}"\n' for k, v in knowledge.items()) + f"ExecStartPost=/usr/bin/python3 {sync}\n")
    tree.write(sync, "# twin: the owner's knowledge sync has nothing to sync here\n", 0o644, OWN)
    tree.write(f"{d}/81-knowledge-bridge-dependency.conf", "[Unit]\nWants=open-webui-elasticsearch-bridge.service\n"
                                                          "After=open-webui-elasticsearch-bridge.service\n")
    _unit(tree, "/etc/systemd/system/open-webui-elasticsearch-bridge.service",
          "Open WebUI Elasticsearch bridge (SSH tunnel to the Studio)", [
              f"User={OWN}", "ExecStart=/usr/bin/ssh -NT -o ExitOnForwardFailure=yes -o ServerAliveInterval=30 "
              "-o ServerAliveCountMax=3 -o StrictHostKeyChecking=yes -L 127.0.0.1:19200:127.0.0.1:9200 studio",
              "Restart=always", "RestartSec=3"])


def _ov_server(tree: Tree) -> None:
    from .. import app_data, ovmodel
    models = f"{H}/models/converted_models"
    model_path = f"{models}/{app_data.OV_DEFAULT_MODEL}"
    tree.mkdir(model_path, 0o755, OWN)
    built = tree.path(model_path)
    ovmodel.build(built)
    uid, gid = tree.ids(OWN)
    for p in [built, *built.rglob("*")]:
        os.chown(p, uid, gid)
    registry = {"default_model": app_data.OV_DEFAULT_MODEL,
                "models": {app_data.OV_DEFAULT_MODEL: {"path": model_path, "device": "CPU"}}}
    tree.write(f"{models}/registry.json", json.dumps(registry, indent=2) + "\n", 0o644, OWN)
    tree.install(paths.STANDINS / "ov_server.py", f"{OV_DIR}/main.py", 0o644, OWN)
    tree.write("/etc/homelab-llm/ov-server.env", f"OV_DEVICE=GPU\nOV_REGISTRY_PATH={models}/registry.json\n"
                                                 f"OV_MODEL_PATH={model_path}\nOV_LOG_LEVEL=INFO\n", 0o644)
    _unit(tree, "/etc/systemd/system/ov-server.service", "OpenVINO LLM server (ov-llm-server)", [
        f"User={OWN}", f"WorkingDirectory={OV_DIR}", "EnvironmentFile=/etc/homelab-llm/ov-server.env",
        "Environment=PYTHONUNBUFFERED=1",
        "# twin: no Intel GPU here; the stand-in infers on the CPU (the env file keeps the documented OV_DEVICE)",
        "Environment=OV_TWIN_DEVICE=CPU",
        f"ExecStart={UV} run uvicorn main:app --host 0.0.0.0 --port 9000 --workers 1", "Restart=on-failure",
        "RestartSec=3"])


# ------------------------------------------------------------------ services off the LLM path
def _owned_unit(tree, path, description, program_line, env_files=(), restart="always", restart_sec=2, user=OWN,
                working=None, enable=True, unit_extra=()):
    lines = ([f"User={user}"] if user else []) + ([f"WorkingDirectory={working}"] if working else [])
    lines += [f"EnvironmentFile={f}" for f in env_files]
    lines += [f"ExecStart={program_line}", f"Restart={restart}", f"RestartSec={restart_sec}"]
    _unit(tree, path, description, lines, unit_extra, enable)


def _env(tree: Tree, path: str, values: dict, mode=0o640, owner=f"root:{OWN}") -> None:
    tree.write(path, "".join(f"{k}={v}\n" for k, v in values.items()), mode, owner)


def _off_the_llm_path(tree: Tree, spec: topo.HostSpec, keys: dict) -> None:
    sysd = "/etc/systemd/system"
    # ccproxy-api (platform/ops/systemd/ccproxy-api.service)
    run_cc = f"{REPO}/experiments/ccproxy-api/scripts/run_ccproxy.sh"
    _generic(tree, spec, "ccproxy-api", canned.ccproxy(keys["ccproxy"]), run_cc, OWN)
    _env(tree, "/etc/homelab-llm/ccproxy.env", {"CCPROXY_AUTH_TOKEN": keys["ccproxy"]}, 0o600, OWN)
    _owned_unit(tree, f"{sysd}/ccproxy-api.service", "CCProxy API (Codex sidecar)", run_cc,
                ["/etc/homelab-llm/ccproxy.env"], working=f"{REPO}/experiments/ccproxy-api")
    # qwen-agent-proxy (experimental, localhost-only)
    run_qa = f"{REPO}/experiments/qwen-agent-proxy/scripts/run_qwen_agent_proxy.sh"
    _generic(tree, spec, "qwen-agent-proxy", _quiet("qwen-agent-proxy", "127.0.0.1", 4021,
                                                    "the experimental proxy's answers are not documented"), run_qa, OWN)
    for f in ("qwen-agent-proxy.env", "qwen-agent-proxy.secret.env"):
        _env(tree, f"/etc/homelab-llm/{f}", {"QWEN_AGENT_PROXY_PORT": "4021"})
    _owned_unit(tree, f"{sysd}/qwen-agent-proxy.service", "Qwen-Agent proxy (experimental)", run_qa,
                ["/etc/homelab-llm/qwen-agent-proxy.env", "/etc/homelab-llm/qwen-agent-proxy.secret.env"])
    # opencode-web
    password = secrets.token_hex(8)
    _generic(tree, spec, "opencode-web", canned.opencode_web(password=password), f"{H}/.opencode/bin/opencode", OWN)
    tree.mkdir("/etc/opencode", 0o755)
    _env(tree, "/etc/opencode/env", {"OPENCODE_SERVER_USERNAME": "opencode", "OPENCODE_SERVER_PASSWORD": password})
    _owned_unit(tree, f"{sysd}/opencode-web.service", "OpenCode Web",
                f"{H}/.opencode/bin/opencode web --hostname 0.0.0.0 --port 4096", ["/etc/opencode/env"],
                restart="on-failure", working=REPO)
    # media-fetch-mcp (the owner runs it with `uv run ... python -m media_fetch_mcp`; here a twin wrapper)
    run_mf = f"{REPO}/services/media-fetch-mcp/scripts/twin-run.sh"
    _generic(tree, spec, "media-fetch-mcp", canned.mcp_server(
        "media-fetch-mcp", "127.0.0.1", 8012, "media-fetch-mcp",
        "the owner's platform/ops/systemd/media-fetch-mcp.service (--host 127.0.0.1 --port 8012, /mcp)"), run_mf, OWN)
    _env(tree, "/etc/homelab-llm/media-fetch-mcp.env", {"MEDIA_FETCH_MCP_HOST": "127.0.0.1", "MEDIA_FETCH_MCP_PORT": "8012"})
    _owned_unit(tree, f"{sysd}/media-fetch-mcp.service", "Media Fetch MCP", run_mf,
                ["/etc/homelab-llm/media-fetch-mcp.env"], working=f"{REPO}/services/media-fetch-mcp")
    # searxng
    granian = f"{REPO}/services/searxng/app/.venv/bin/granian"
    _generic(tree, spec, "searxng", canned.searxng(), granian, OWN, host_port_args=True)
    tree.mkdir("/etc/searxng", 0o755)
    _env(tree, "/etc/searxng/env", {"SEARXNG_SETTINGS_PATH": "/etc/searxng/settings.yml"})
    tree.write("/etc/searxng/settings.yml", "use_default_settings: true\nserver:\n  bind_address: 127.0.0.1\n"
                                            "  port: 8888\nsearch:\n  formats: [html, json]\n", 0o644)
    _owned_unit(tree, f"{sysd}/searxng.service", "SearXNG",
                f"{granian} searx.webapp:app --interface wsgi --host 127.0.0.1 --port 8888", ["/etc/searxng/env"],
                working=f"{REPO}/services/searxng/app")
    # prometheus and grafana (distribution packages: units in /usr/lib/systemd/system)
    _generic(tree, spec, "prometheus", canned.prometheus(), "/usr/bin/prometheus")
    tree.mkdir("/etc/homelab-llm/prometheus", 0o755)
    tree.write("/etc/homelab-llm/prometheus/prometheus.yml",
               "scrape_configs:\n  - job_name: litellm\n    metrics_path: /metrics/\n"
               "    static_configs:\n      - targets: ['127.0.0.1:4000']\n", 0o644)
    tree.write("/etc/default/prometheus", 'ARGS="--config.file=/etc/homelab-llm/prometheus/prometheus.yml '
                                          '--web.listen-address=127.0.0.1:9090"\n', 0o644)
    _owned_unit(tree, "/usr/lib/systemd/system/prometheus.service", "Monitoring system and time series database",
                "/usr/bin/prometheus $ARGS", ["/etc/default/prometheus"], user=None, restart="on-failure")
    _generic(tree, spec, "grafana", canned.grafana(), "/usr/sbin/grafana-server")
    tree.mkdir("/etc/homelab-llm/grafana/provisioning", 0o755)
    tree.write("/etc/homelab-llm/grafana/grafana.ini", "[server]\nhttp_addr = 127.0.0.1\nhttp_port = 3001\n", 0o644)
    tree.write("/etc/default/grafana-server", "CONF_FILE=/etc/homelab-llm/grafana/grafana.ini\n", 0o644)
    _owned_unit(tree, "/usr/lib/systemd/system/grafana-server.service", "Grafana instance",
                "/usr/sbin/grafana-server --config=${CONF_FILE}", ["/etc/default/grafana-server"], user=None,
                restart="on-failure")
    # code-server, behind Tailscale Serve only
    _generic(tree, spec, "code-server", _quiet("code-server", "127.0.0.1", 8080,
                                               "code-server's UI is not modelled; Tailscale Serve forwards to it"),
             "/usr/bin/code-server")
    _owned_unit(tree, f"{sysd}/code-server.service", "code-server (twin unit)", "/usr/bin/code-server")
    # orchestration-cockpit (prototype, inactive by default: installed, not enabled)
    tree.mkdir("/etc/orchestration-cockpit", 0o755)
    for part in ("graph", "ui"):
        _env(tree, f"/etc/orchestration-cockpit/{part}.env", {"COCKPIT_BIND": "127.0.0.1"})
        _owned_unit(tree, f"{sysd}/orchestration-cockpit-{part}.service", f"orchestration-cockpit {part}",
                    f"{REPO}/experiments/orchestration-cockpit/scripts/run-{part}.sh",
                    [f"/etc/orchestration-cockpit/{part}.env"], restart="on-failure", restart_sec=5, enable=False)


def _docker(tree: Tree, spec: topo.HostSpec) -> None:
    """docker.service (the twin's engine-less dockerd), /usr/bin/docker (lab/standins/docker.py) and the images the
    owner's units run, as canned configs; openhands and open-terminal-mcp as platform/ops/systemd/ writes them."""
    run(["groupadd", "--root", str(tree.root), "-f", "docker"])
    tree.symlink(f"{STANDINS_DIR}/docker.py", "/usr/bin/docker")
    _idle(tree, "/usr/bin/dockerd", "docker's engine is not modelled: docker.py runs each container's stand-in itself")
    _owned_unit(tree, "/etc/systemd/system/docker.service", "Docker Application Container Engine (twin: no engine)",
                "/usr/bin/dockerd", user=None)
    tree.mkdir(DOCKER_IMAGES, 0o755)
    tree.mkdir("/var/lib/docker-twin/containers", 0o1777)
    images = {"docker.openhands.dev/openhands/openhands:1.6": canned.openhands(),
              "ghcr.io/open-webui/open-terminal:latest": canned.mcp_server(
                  "open-terminal-mcp", "127.0.0.1", 8011, "open-terminal",
                  "the owner's platform/ops/systemd/open-terminal-mcp.service (mcp --transport streamable-http)"),
              "ghcr.io/open-webui/open-terminal:api": _quiet("open-terminal", "127.0.0.1", 8010,
                                                             "Open Terminal's human-UX API is not modelled")}
    for image, config in images.items():
        write_canned(tree, spec, config, f"{DOCKER_IMAGES}/{image.replace('/', '_').replace(':', '_')}.json")
    oh = {"OPENHANDS_CONTAINER_NAME": "openhands-app", "OPENHANDS_HOST_PORT": "4031",
          "OPENHANDS_APP_IMAGE": "docker.openhands.dev/openhands/openhands:1.6",
          "OPENHANDS_RUNTIME_IMAGE": "docker.openhands.dev/openhands/runtime:1.6-nikolaik",
          "OPENHANDS_AGENT_SERVER_IMAGE_REPOSITORY": "ghcr.io/openhands/agent-server",
          "OPENHANDS_AGENT_SERVER_IMAGE_TAG": "1.6", "OPENHANDS_LOG_ALL_EVENTS": "false",
          "OPENHANDS_WORKSPACE_DIR": f"{H}/openhands/workspace", "OPENHANDS_PERSISTENCE_DIR": f"{H}/.openhands"}
    tree.mkdir("/etc/openhands", 0o755)
    _env(tree, "/etc/openhands/env", oh, 0o644, "root")
    name = "${OPENHANDS_CONTAINER_NAME}"
    _unit(tree, "/etc/systemd/system/openhands.service", "OpenHands UI (Mini Phase A, managed Docker runtime)", [
        f"User={OWN}", "SupplementaryGroups=docker", f"WorkingDirectory={REPO}/services/openhands",
        "EnvironmentFile=/etc/openhands/env", "EnvironmentFile=-/etc/openhands/secret.env",
        f"ExecStartPre=-/usr/bin/docker rm -f {name}",
        "ExecStartPre=/usr/bin/install -d -m 0755 ${OPENHANDS_WORKSPACE_DIR}",
        "ExecStartPre=/usr/bin/install -d -m 0755 ${OPENHANDS_PERSISTENCE_DIR}",
        f"ExecStart=/usr/bin/docker run --rm --name {name} --pull never -p 127.0.0.1:${{OPENHANDS_HOST_PORT}}:3000 "
        "--env OH_SECRET_KEY -e OPENHANDS_PERSISTENCE_DIR=/.openhands "
        "-v ${OPENHANDS_PERSISTENCE_DIR}:/.openhands --add-host host.docker.internal:host-gateway ${OPENHANDS_APP_IMAGE}",
        f"ExecStop=-/usr/bin/docker stop {name}", "Restart=always", "RestartSec=5", "TimeoutStartSec=180",
        "TimeoutStopSec=30"], ["After=docker.service", "Requires=docker.service"])
    tree.mkdir(f"{REPO}/services/openhands", 0o755, OWN)
    otm = {"OPEN_TERMINAL_MCP_CONTAINER_NAME": "open-terminal-mcp", "OPEN_TERMINAL_MCP_CPUS": "1",
           "OPEN_TERMINAL_MCP_MEMORY": "1g", "OPEN_TERMINAL_MCP_HOST_PORT": "8011",
           "OPEN_TERMINAL_MCP_REPO_PATH": REPO, "OPEN_TERMINAL_MCP_HOME_VOLUME": "open-terminal-mcp-home",
           "OPEN_TERMINAL_MCP_IMAGE": "ghcr.io/open-webui/open-terminal:latest"}
    tree.mkdir("/etc/open-terminal-mcp", 0o755)
    _env(tree, "/etc/open-terminal-mcp/env", otm, 0o644, "root")
    name = "${OPEN_TERMINAL_MCP_CONTAINER_NAME}"
    _unit(tree, "/etc/systemd/system/open-terminal-mcp.service", "Open Terminal MCP (Mini, read-only repo slice)", [
        "EnvironmentFile=/etc/open-terminal-mcp/env", f"ExecStartPre=-/usr/bin/docker rm -f {name}",
        f"ExecStart=/usr/bin/docker run --rm --name {name} --pull never --cpus ${{OPEN_TERMINAL_MCP_CPUS}} "
        "--memory ${OPEN_TERMINAL_MCP_MEMORY} -p 127.0.0.1:${OPEN_TERMINAL_MCP_HOST_PORT}:8000 "
        "-e OPEN_TERMINAL_ENABLE_TERMINAL=false -e OPEN_TERMINAL_ENABLE_NOTEBOOKS=false "
        "-v ${OPEN_TERMINAL_MCP_REPO_PATH}:/lab/homelab-llm:ro -v ${OPEN_TERMINAL_MCP_HOME_VOLUME}:/home/user "
        "${OPEN_TERMINAL_MCP_IMAGE} mcp --transport streamable-http --host 0.0.0.0 --port 8000 --cwd /lab/homelab-llm",
        f"ExecStop=-/usr/bin/docker stop {name}", "Restart=always", "RestartSec=5", "TimeoutStartSec=120",
        "TimeoutStopSec=30"], ["After=docker.service", "Requires=docker.service"])
    # Open Terminal's API container (127.0.0.1:8010): the Dossier names no unit; the twin's runs it the same way
    _unit(tree, "/etc/systemd/system/open-terminal.service", "Open Terminal (twin unit for the documented container)", [
        "ExecStartPre=-/usr/bin/docker rm -f open-terminal",
        "ExecStart=/usr/bin/docker run --rm --name open-terminal --pull never -p 127.0.0.1:8010:8000 "
        "ghcr.io/open-webui/open-terminal:api", "ExecStop=-/usr/bin/docker stop open-terminal", "Restart=always",
        "RestartSec=5"], ["After=docker.service", "Requires=docker.service"])


def _samba(tree: Tree, spec: topo.HostSpec) -> None:
    """smbd on 139/445 at 127.0.0.1 and the Mini's LAN address (platform/ops/templates/samba-mini-shares.conf:
    `interfaces = 127.0.0.1 <LAN>`, `bind interfaces only = yes`); bare TCP, the twin speaks no SMB."""
    _generic(tree, spec, "samba", canned.samba(), "/usr/sbin/smbd")
    _idle(tree, "/usr/sbin/nmbd", "NetBIOS name service (UDP) is not modelled")
    tree.mkdir("/etc/samba", 0o755)
    tree.write("/etc/samba/smb.conf", f"[global]\n   interfaces = 127.0.0.1 {spec.address}\n"
                                      "   bind interfaces only = yes\n\n[mini-root]\n   path = /\n   read only = yes\n"
                                      "   valid users = christopherbailey\n\n[seagate]\n   path = /mnt/seagate\n"
                                      "   valid users = christopherbailey\n", 0o644)
    for daemon in ("smbd", "nmbd"):
        _owned_unit(tree, f"/lib/systemd/system/{daemon}.service", f"Samba {daemon}",
                    f"/usr/sbin/{daemon} --foreground --no-process-group", user=None, restart="on-failure")


def serve_config() -> dict:
    """The Dossier's Tailscale Serve mappings on the Mini (docs/PLATFORM_DOSSIER.md, Tailnet HTTPS): one `svc:*`
    service per name, HTTPS 443 proxied to the local port, as tailscaled keeps an ipn.ServeConfig."""
    mappings = [("code", 8080), ("chat", 3000), ("codeagent", 4096), ("grafana", 3001), ("gateway", 4000),
                ("hands", 4031), ("search", 8888)]
    return {"Services": {f"svc:{name}": {
        "TCP": {"443": {"HTTPS": True}},
        "Web": {f"{name}.{TAILNET}:443": {"Handlers": {"/": {"Proxy": f"http://127.0.0.1:{port}"}}}}}
        for name, port in mappings}}


def _tailscale(tree: Tree) -> None:
    tree.symlink(f"{STANDINS_DIR}/tailscale.py", "/usr/bin/tailscale")
    _idle(tree, "/usr/sbin/tailscaled", "no tailnet here: `tailscale serve status --json` reads the twin's state")
    tree.mkdir("/var/lib/tailscale-twin", 0o755)
    tree.write("/var/lib/tailscale-twin/serve.json", json.dumps(serve_config(), indent=1) + "\n", 0o644)
    _owned_unit(tree, "/lib/systemd/system/tailscaled.service", "Tailscale node agent (twin: no tailnet)",
                "/usr/sbin/tailscaled", user=None, restart="on-failure")
