"""mini: the Linux host of the lab ("the Mini"), laid out exactly as the service inventory documents it.

Real systemd units at the documented paths with the documented ExecStart/Restart/env files; the programs
behind them are stand-ins (lab/standins) except LiteLLM, which is the real proxy.
"""
import json
import os
import secrets

from .. import app_data, paths, topology as topo
from ..proc import run
from ..tree import Tree
from . import Context, Service, base

OWN = topo.OWNER
H = topo.OWNER_HOME
UV = f"{H}/.local/bin/uv"
ORCH = f"{H}/litellm-orch"
OV_DIR = f"{H}/ov-llm-server"
OV_MODELS = f"{H}/models/converted_models"
WEBUI = f"{H}/open-webui"

SERVICES = [
    Service("litellm-orch.service", "system", 4000, "/health/readiness"),
    Service("open-webui.service", "system", 3000, "/health"),
    Service("ollama.service", "system", 11434, "/api/version"),
    Service("ov-server.service", "user", 9000, "/health"),
]
MANAGED_USERS = [OWN]
BIND_CHECKOUT = True  # LiteLLM, uvicorn and the suite itself run from the checkout's .venv

LITELLM_UNIT = f"""\
[Unit]
Description=LiteLLM proxy (litellm-orch)
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User={OWN}
Group={OWN}
WorkingDirectory={ORCH}
EnvironmentFile={ORCH}/config/env.local
Environment=LITELLM_LOCAL_MODEL_COST_MAP=True
# twin only (no route out): to count a streamed answer's tokens for a llama model, LiteLLM fetches a tokenizer
# from the Hugging Face hub, retrying for ~31 s INSIDE its event loop: the whole proxy stops answering.
# Offline, the hub fails at once and LiteLLM counts with its bundled tiktoken.
Environment=HF_HUB_OFFLINE=1
ExecStart={UV} run litellm --config {ORCH}/config/router.yaml --host 0.0.0.0 --port 4000
Restart=always
RestartSec=2

[Install]
WantedBy=multi-user.target
"""

WEBUI_UNIT = f"""\
[Unit]
Description=Open WebUI
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User={OWN}
Group={OWN}
WorkingDirectory={WEBUI}
EnvironmentFile=/etc/open-webui/env
ExecStart={WEBUI}/.venv/bin/open-webui serve --host 0.0.0.0 --port 3000
Restart=always
RestartSec=3

[Install]
WantedBy=multi-user.target
"""

WEBUI_ENV = f"""\
OPENAI_API_BASE_URL=http://127.0.0.1:4000/v1
OPENAI_API_KEY=sk-twin-open-webui-{{secret}}
ENABLE_OPENAI_API=true
DATA_DIR={H}/.open-webui
"""

OV_UNIT = f"""\
[Unit]
Description=OpenVINO LLM server (ov-llm-server)

[Service]
Type=simple
WorkingDirectory={OV_DIR}
EnvironmentFile={H}/.config/ov-llm-server/ov-server.env
ExecStart={UV} run uvicorn main:app --host 0.0.0.0 --port 9000 --workers 1
Restart=on-failure
RestartSec=3

[Install]
WantedBy=default.target
"""

# as Ollama's install script writes it
OLLAMA_UNIT = """\
[Unit]
Description=Ollama Service
After=network-online.target

[Service]
ExecStart=/usr/local/bin/ollama serve
User=ollama
Group=ollama
Restart=always
RestartSec=3
Environment="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

[Install]
WantedBy=default.target
"""

OLLAMA_OVERRIDE = """\
[Service]
Environment="OLLAMA_HOST=0.0.0.0:11434"
"""

MLX_SCRIPT = """\
#!/usr/bin/env bash
# Start the MLX OpenAI server(s) on the Studio for {what}.
set -euo pipefail
cd /opt/mlx-launch
source .venv/bin/activate

{launches}
"""
MLX_LAUNCH = ('mlx-openai-server launch --model-path {model} --model-type lm --context-length 32768 '
              '--host 0.0.0.0 --port {port} --log-file "/tmp/mlx-{port}.log"')

OWNER_SSH_CONFIG = "".join(  # every other twin host, by its name
    f"Host {name}\n    HostName {spec.address}\n    User {OWN}\n\n" for name, spec in topo.HOSTS.items() if name != "mini")


def provision(tree: Tree, ctx: Context) -> None:
    base.add_owner(tree, ctx)
    # Twin-only: logind keeps the owner's manager when his last session ends, so a planted
    # "linger off" drifts only the documented fact (the linger file) and not, 10 s later, ov-server.
    tree.write("/etc/systemd/logind.conf.d/50-twin.conf", "[Login]\nUserStopDelaySec=infinity\n")
    tree.write(f"{H}/.ssh/config", OWNER_SSH_CONFIG, 0o600, OWN)
    # Twin-only: root on mini reaches the other hosts as the owner does (the same config, key and known
    # hosts), so the suite can run as root on the Mini against every host.
    tree.write("/root/.ssh/config", OWNER_SSH_CONFIG, 0o600)
    tree.write("/root/.ssh/id_ed25519", ctx.owner_private, 0o600)
    tree.write("/root/.ssh/known_hosts", base.known_hosts(ctx), 0o644)
    tree.install(paths.STANDINS / "uv.py", UV, 0o755, OWN)
    _litellm_orch(tree)
    _open_webui(tree)
    _ov_server(tree)
    _ollama(tree)


def _enable(tree: Tree, unit: str, target="multi-user.target") -> None:
    tree.symlink(f"/etc/systemd/system/{unit}", f"/etc/systemd/system/{target}.wants/{unit}")


def _litellm_orch(tree: Tree) -> None:
    tree.mkdir(ORCH, 0o755, OWN)
    tree.write(f"{ORCH}/config/router.yaml", _router_yaml(), 0o644, OWN)
    tree.write(f"{ORCH}/config/env.local", _env_local(), 0o600, OWN)
    for script, what in app_data.MLX_SCRIPTS.items():
        launches = [MLX_LAUNCH.format(model=r.upstream, port=r.port) for r in app_data.mlx_routes(script)]
        body = (" &\n".join(launches) + " &\nwait\n") if len(launches) > 1 else f"exec {launches[0]}\n"
        tree.write(f"{ORCH}/scripts/{script}", MLX_SCRIPT.format(what=what, launches=body), 0o755, OWN)
    tree.write("/etc/systemd/system/litellm-orch.service", LITELLM_UNIT)
    _enable(tree, "litellm-orch.service")


def _router_yaml() -> str:
    lines = ["# LiteLLM routes of the lab: every upstream comes from env.local (os.environ/NAME)", "model_list:"]
    for r in app_data.ROUTES:
        p = r.env_prefix
        lines += [f"  - model_name: {r.name}", "    litellm_params:",
                  f"      model: os.environ/{p}_MODEL", f"      api_base: os.environ/{p}_API_BASE",
                  f"      api_key: os.environ/{p}_API_KEY"]
    lines += ["", "router_settings:", "  allowed_fails: 3", "  cooldown_time: 30", "  retry_policy:",
              "    BadRequestErrorRetries: 0", "    AuthenticationErrorRetries: 0", "    TimeoutErrorRetries: 1",
              "    RateLimitErrorRetries: 2", "    ContentPolicyViolationErrorRetries: 0",
              "    InternalServerErrorRetries: 1",
              "", "litellm_settings:", "  json_logs: true",
              "", "# master_key: planned, not enabled yet", "general_settings: {}", ""]
    return "\n".join(lines)


def _env_local() -> str:
    lines = ["# upstreams of litellm-orch (router.yaml reads them as os.environ/NAME)"]
    for r in app_data.ROUTES:
        p = r.env_prefix
        lines += [f"{p}_MODEL=openai/{r.upstream}", f"{p}_API_BASE={r.api_base}",
                  f"{p}_API_KEY=sk-twin-{r.name}-{secrets.token_hex(8)}"]
    return "\n".join(lines) + "\n"


def _open_webui(tree: Tree) -> None:
    tree.mkdir(f"{H}/.open-webui", 0o755, OWN)  # DATA_DIR
    tree.install(paths.STANDINS / "open_webui.py", f"{WEBUI}/.venv/bin/open-webui", 0o755, OWN)
    tree.write(f"{WEBUI}/.webui_secret_key", secrets.token_urlsafe(24), 0o600, OWN)
    tree.mkdir("/etc/open-webui", 0o755)
    tree.write("/etc/open-webui/env", WEBUI_ENV.format(secret=secrets.token_hex(8)), 0o640, f"root:{OWN}")
    tree.write("/etc/systemd/system/open-webui.service", WEBUI_UNIT)
    _enable(tree, "open-webui.service")


def _ov_server(tree: Tree) -> None:
    model_path = f"{OV_MODELS}/{app_data.OV_DEFAULT_MODEL}"
    tree.mkdir(model_path, 0o755, OWN)
    from .. import ovmodel  # the twin's venv only: OpenVINO is no dependency of the suite
    built = tree.path(model_path)
    ovmodel.build(built)  # ~1 s: the tiny model ov-llm-server really answers with (real OpenVINO GenAI inference)
    uid, gid = tree.ids(OWN)
    for path in [built, *built.rglob("*")]:
        os.chown(path, uid, gid)
    registry = {"default_model": app_data.OV_DEFAULT_MODEL,
                "models": {app_data.OV_DEFAULT_MODEL: {"path": model_path, "device": "CPU"}}}
    tree.write(f"{OV_MODELS}/registry.json", json.dumps(registry, indent=2) + "\n", 0o644, OWN)
    tree.install(paths.STANDINS / "ov_server.py", f"{OV_DIR}/main.py", 0o644, OWN)
    tree.write(f"{H}/.config/ov-llm-server/ov-server.env",
               f"OV_REGISTRY_PATH={OV_MODELS}/registry.json\nOV_DEVICE=CPU\nOV_MODEL_PATH={model_path}\n",
               0o644, OWN)
    unit = f"{H}/.config/systemd/user/ov-server.service"
    tree.write(unit, OV_UNIT, 0o644, OWN)
    tree.symlink(unit, f"{H}/.config/systemd/user/default.target.wants/ov-server.service", OWN)


def _ollama(tree: Tree) -> None:
    run(["useradd", "--root", tree.root, "-r", "-s", "/bin/false", "-U", "-m", "-d", "/usr/share/ollama", "ollama"])
    tree.install(paths.STANDINS / "ollama.py", "/usr/local/bin/ollama", 0o755)
    tree.write("/etc/systemd/system/ollama.service", OLLAMA_UNIT)
    tree.write("/etc/systemd/system/ollama.service.d/override.conf", OLLAMA_OVERRIDE)
    _enable(tree, "ollama.service", "default.target")
