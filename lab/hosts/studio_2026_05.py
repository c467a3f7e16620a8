"""studio, 2026-05 edition: the Mac Studio as bebopbabailey/homelab-llm@1b54b73 documents it ("the owner's").

Canon read: platform/ops/runtime-lock.json (llmster label, port, bind, auth; the MLX lanes and retired shadow
labels), platform/ops/templates/studio_scheduling_policy.json (managed and retired labels), the plists of
platform/ops/templates/ and services/*/launchd/, platform/ops/scripts/mlxctl (how a lane's plist is rendered). The
plists here are written from those facts (labels, programs, arguments, KeepAlive, logs), addresses moved to the
twin's; none is copied. The macOS userland, launchd and launchctl are the founding studio's (lab/hosts/studio.py).

- `com.bebop.mlx-lane.8101` runs `vllm serve` (lab/standins/vllm_serve.py at the owner's
  /Users/thestudio/.venv-vllm-metal/bin/vllm) on the LAN address; 8100 and 8102 have their plists and are disabled
  in launchd's disabled database (`launchctl print-disabled system`), so they are not loaded. The retired labels
  (the policy's `retired_labels`, the runtime lock's shadow labels) have no plist and are disabled.
- `com.bebop.llmster-gpt.8126`: KeepAlive false, `/usr/bin/env python3 /Users/thestudio/bin/llmster_ensure_server.py`
  with the owner's arguments: `lms daemon up`, `lms server start`, the two load specs; then the job exits and the
  daemon (its own session) serves 8126 with the API token on. Twin-only: the owner keeps LLMSTER_API_KEY out of the
  plist; the twin's ensure-server script reads it from /var/lib/llmster-twin/api-key (0600, thestudio's).
- OptiLLM (LAN:4020), Docs MCP (LAN:8013, bearer), the memory API (0.0.0.0:55440), Elasticsearch (127.0.0.1:9200,
  9300), Kibana (127.0.0.1:5601) and pgvector (127.0.0.1:55432) are the generic stand-in with lab/canned.py's
  answers, started by twin wrappers at the plists' documented program paths.
- The owner's Studio account `thestudio` (the jobs' UserName, its home /Users/thestudio) exists; logins are still
  the founding studio's owner account (the suite's ssh user).
"""
from __future__ import annotations

import json
import os
import plistlib

from .. import canned, edition, topology as topo
from ..proc import run
from ..tree import Tree
from . import Context, Service, base, studio
from .one_service import STANDINS_DIR, install_standins, write_canned

SSH_SERVER = studio.SSH_SERVER
TMPFS = studio.TMPFS
ROOT_LINKS = studio.ROOT_LINKS
MANAGED_USERS: list[str] = []

TS = "thestudio"
TS_HOME = f"/Users/{TS}"
TS_UID = 1002
LAN = topo.HOSTS_2026_05["studio"].address
MINI = topo.HOSTS_2026_05["mini"].address
LAUNCH_DAEMONS = "/Library/LaunchDaemons"
DISABLED_DB = "/private/var/db/com.apple.xpc.launchd/disabled.plist"
CANNED_DIR = "/var/lib/twin-services"

VLLM = f"{TS_HOME}/.venv-vllm-metal/bin/vllm"
LANE_PREFIX = "com.bebop.mlx-lane"
ACTIVE_LANES = (8101,)
DISABLED_LANES = (8100, 8102)
LANE_MODELS = {8100: "mlx-qwen3-coder-next-80b-a3b-mxfp4", 8101: "mlx-qwen3-next-80b-mxfp4-a3b-instruct",
               8102: "mlx-gpt-oss-20b-mxfp4"}  # 8101: runtime-lock.json approved_lane_targets.main; others: twin's
RETIRED = ("com.bebop.mlx-launch", "com.bebop.mlx-omni.8100", "com.bebop.mlx-omni.8120", "com.bebop.llama-router.8100",
           "com.bebop.mlx-shadow.8123", "com.bebop.mlx-shadow.8124", "com.bebop.mlx-shadow.8125",
           "com.deploy.mlx.server", "com.bebop.optillm-proxy-deep", "com.bebop.optillm-local-balanced",
           "com.bebop.optillm-local-high")  # studio_scheduling_policy.json retired_labels
LLMSTER_LABEL = "com.bebop.llmster-gpt.8126"
LMS = f"{TS_HOME}/.lmstudio/llmster/0.0.7-4/.bundle/lms"
ENSURE = f"{TS_HOME}/bin/llmster_ensure_server.py"
LLMSTER_STATE = "/var/lib/llmster-twin/state.json"
LLMSTER_KEY_FILE = "/var/lib/llmster-twin/api-key"
LOAD_SPECS = ("gpt-oss-20b|llmster-gpt-oss-20b-mxfp4-gguf|32768|4|512|true|4|true",
              "gpt-oss-120b|llmster-gpt-oss-120b-mxfp4-gguf|32768|2|512|true|4|true")

OPTILLM = f"{TS_HOME}/optillm-proxy"
VECTOR = f"{OPTILLM}/layer-data/vector-db"
MEM_LOGS = f"{TS_HOME}/data/memory-main/logs"
BACKGROUND = {"ProcessType": "Background", "Nice": 10, "LowPriorityIO": True, "LowPriorityBackgroundIO": True}

SERVICES = ([Service(f"{LANE_PREFIX}.{p}:{p}", "launchd", p, "/health") for p in ACTIVE_LANES]
            + [Service(f"{LLMSTER_LABEL}:8126", "launchd", 8126, "/lmstudio-greeting"),
               Service("com.bebop.optillm-proxy:4020", "launchd", 4020, "/v1/models"),
               Service("com.bebop.memory-api-main:55440", "launchd", 55440, "/health")])

ENSURE_WRAPPER = f"""\
#!/usr/bin/python3
# twin: the owner's llmster_ensure_server.py is the twin's (lab/standins/llmster_ensure_server.py). The owner keeps
# LLMSTER_API_KEY outside the plist; the twin reads it from {LLMSTER_KEY_FILE} when the job's environment lacks it.
import os, runpy, sys
if not os.environ.get("LLMSTER_API_KEY"):
    try:
        with open("{LLMSTER_KEY_FILE}") as f:
            os.environ["LLMSTER_API_KEY"] = f.read().strip()
    except OSError:
        pass
sys.argv[0] = "{STANDINS_DIR}/llmster_ensure_server.py"
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def lane_plist(port: int) -> dict:
    """As mlxctl renders a lane (platform/ops/scripts/mlxctl, the per-lane supervisor): vllm serve under KeepAlive."""
    model = f"{TS_HOME}/models/{LANE_MODELS[port]}"
    return {"Label": f"{LANE_PREFIX}.{port}",
            "ProgramArguments": [VLLM, "serve", model, "--served-model-name", LANE_MODELS[port], "--host", LAN,
                                 "--port", str(port), "--max-model-len", "32768"],
            "EnvironmentVariables": {"PATH": f"/opt/homebrew/bin:{TS_HOME}/.local/bin:{TS_HOME}/.venv-vllm-metal/bin:"
                                             "/usr/bin:/bin:/usr/sbin:/sbin"},
            "RunAtLoad": True, "KeepAlive": True, "ThrottleInterval": 30, "ProcessType": "Interactive",
            "WorkingDirectory": "/opt/mlx-launch",
            "StandardOutPath": f"{TS_HOME}/vllm-{port}.log", "StandardErrorPath": f"{TS_HOME}/vllm-{port}.err.log"}


def llmster_plist() -> dict:
    """platform/ops/templates/com.bebop.llmster-gpt.8126.plist's keys."""
    args = ["/usr/bin/env", "python3", ENSURE, "--lms-bin", LMS, "--bind", LAN, "--port", "8126",
            "--api-key-env", "LLMSTER_API_KEY"]
    for spec in LOAD_SPECS:
        args += ["--load-spec", spec]
    return {"Label": LLMSTER_LABEL, "UserName": TS, "WorkingDirectory": TS_HOME, "ProgramArguments": args,
            "EnvironmentVariables": {"HOME": TS_HOME, "PYTHONUNBUFFERED": "1"}, "KeepAlive": False,
            "RunAtLoad": True, "ProcessType": "Interactive",
            "StandardOutPath": f"{TS_HOME}/Library/Logs/llmster-gpt.log",
            "StandardErrorPath": f"{TS_HOME}/Library/Logs/llmster-gpt.err"}


def generic_jobs() -> list[tuple[dict, str, dict]]:
    """(plist, canned config name, canned config) of the Studio's services off the LLM path (name None: a nightly
    calendar job, whose script the twin does not run)."""
    def job(label, program, args, workdir, logs, extra):
        return {"Label": label, "ProgramArguments": [program, *args], "RunAtLoad": True, "KeepAlive": True,
                "WorkingDirectory": workdir, "StandardOutPath": f"{logs}.log", "StandardErrorPath": f"{logs}.err",
                **extra}
    es = f"{VECTOR}/runtime/elasticsearch-current"
    kb = f"{VECTOR}/runtime/kibana-current"
    pg = f"{TS_HOME}/data/memory-main/postgres/data"
    return [
        (job("com.bebop.optillm-proxy", f"{OPTILLM}/.venv/bin/optillm",
             ["--host", LAN, "--port", "4020", "--base-url", f"http://{MINI}:4000/v1", "--model", "main",
              "--plugins-dir", OPTILLM], OPTILLM, f"{TS_HOME}/Library/Logs/optillm-proxy",
             {"UserName": TS, "ProcessType": "Interactive"}), "optillm-proxy", canned.optillm()),
        (job("com.bebop.docs-mcp-main", f"{OPTILLM}/layer-tools/docs-mcp/.venv/bin/python",
             ["-m", "docs_mcp", "--transport", "streamable-http", "--host", LAN, "--port", "8013"],
             f"{OPTILLM}/layer-tools/docs-mcp", f"{TS_HOME}/data/docs-mcp/logs/docs-mcp-main", BACKGROUND),
         "docs-mcp", None),
        (job("com.bebop.memory-api-main", f"{VECTOR}/.venv/bin/python",
             ["-m", "uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "55440", "--workers", "1"],
             VECTOR, f"{MEM_LOGS}/memory-api-main", {"UserName": TS, **BACKGROUND}), "memory-api", canned.memory_api()),
        (job("com.bebop.elasticsearch-memory-main", f"{es}/bin/elasticsearch", [], es,
             f"{MEM_LOGS}/elasticsearch-memory-main", {"UserName": TS, **BACKGROUND}), "elasticsearch",
         canned.elasticsearch()),
        (job("com.bebop.kibana-memory-main", f"{kb}/bin/kibana", [], kb, f"{MEM_LOGS}/kibana-memory-main",
             {"UserName": TS, **BACKGROUND}), "kibana", canned.kibana()),
        *[({"Label": f"com.bebop.memory-{what}-nightly",
             "ProgramArguments": ["/bin/bash", "-lc", f"cd {VECTOR} && ./scripts/run_{what}.sh"],
             "StartCalendarInterval": at, "StandardOutPath": f"{MEM_LOGS}/memory-{what}-nightly.log",
             "StandardErrorPath": f"{MEM_LOGS}/memory-{what}-nightly.err", "UserName": TS, **BACKGROUND}, None, None)
           for what, at in (("ingest", {"Hour": 3, "Minute": 10}), ("backup", {"Hour": 4, "Minute": 5}))],
        (job("com.bebop.pgvector-main", "/opt/homebrew/opt/postgresql@16/bin/postgres",
             ["-D", pg, "-c", "listen_addresses=127.0.0.1", "-c", "port=55432"], pg, f"{MEM_LOGS}/pgvector-main",
             {"UserName": TS, **BACKGROUND}), "pgvector", canned.pgvector()),
    ]


def write_plist(tree: Tree, payload: dict) -> None:
    target = tree.path(f"{LAUNCH_DAEMONS}/{payload['Label']}.plist")
    target.write_bytes(plistlib.dumps(payload, fmt=plistlib.FMT_XML, sort_keys=False))
    os.chown(target, 0, 0)
    os.chmod(target, 0o644)


def disabled_db() -> dict:
    return {**{f"{LANE_PREFIX}.{p}": True for p in DISABLED_LANES}, **{label: True for label in RETIRED}}


def provision(tree: Tree, ctx: Context) -> None:
    base.add_owner(tree, ctx, groups=(), linger=False, home=studio.HOME, shell="/bin/zsh")
    tree.write(f"{studio.HOME}/.zshenv", studio.ZSHENV, 0o644, topo.OWNER)
    tree.write(f"{studio.HOME}/.zshrc", "# twin (studio): present, so zsh does not start its newuser wizard\n",
               0o644, topo.OWNER)
    run(["useradd", "--root", str(tree.root), "-m", "-d", TS_HOME, "-s", "/bin/zsh", "-U", "-u", str(TS_UID),
         "-c", "The Studio", TS])
    tree.mkdir(studio.TMPFS, 0o1777)
    tree.write("/etc/tmpfiles.d/tmp.conf", studio.TMPFILES_TMP)
    studio._userland(tree)
    studio._launchd(tree)
    install_standins(tree)
    tree.mkdir(LAUNCH_DAEMONS, 0o755)
    tree.mkdir("/opt/mlx-launch", 0o755)
    for d in ("Library/Logs", "bin", "data/memory-main/logs", "data/docs-mcp/logs", "models"):
        tree.mkdir(f"{TS_HOME}/{d}", 0o755, TS)
    _lanes(tree)
    _llmster(tree)
    _generic(tree, ctx.spec)
    tree.mkdir(os.path.dirname(DISABLED_DB), 0o755)
    tree.path(DISABLED_DB).write_bytes(plistlib.dumps(disabled_db(), fmt=plistlib.FMT_XML))


def _lanes(tree: Tree) -> None:
    tree.mkdir(os.path.dirname(VLLM), 0o755, TS)
    tree.symlink(f"{STANDINS_DIR}/vllm_serve.py", VLLM, TS)
    for port in ACTIVE_LANES + DISABLED_LANES:
        tree.mkdir(f"{TS_HOME}/models/{LANE_MODELS[port]}", 0o755, TS)
        tree.write(f"{TS_HOME}/models/{LANE_MODELS[port]}/config.json", '{"twin": "no weights"}\n', 0o644, TS)
        tree.write(f"{TS_HOME}/vllm-{port}.err.log", "", 0o644)
        write_plist(tree, lane_plist(port))


def _llmster(tree: Tree) -> None:
    from ..standins import llmster
    tree.mkdir(os.path.dirname(LMS), 0o755, TS)
    tree.symlink(f"{STANDINS_DIR}/lms.py", LMS, TS)
    tree.write(ENSURE, ENSURE_WRAPPER, 0o755, TS)
    key = edition.load_secrets().get("LLM_LAB_LLMSTER_KEY")
    if not key:
        raise RuntimeError("studio (2026-05) is provisioned after mini, which makes llmster's key")
    state = llmster.default_state()
    state["auth"] = {"required": True, "tokens": [key]}
    tree.mkdir("/var/lib/llmster-twin", 0o755, TS)
    tree.write(LLMSTER_STATE, json.dumps(state, indent=1) + "\n", 0o644, TS)
    tree.write(LLMSTER_KEY_FILE, key + "\n", 0o600, TS)
    write_plist(tree, llmster_plist())


def _generic(tree: Tree, spec: topo.HostSpec) -> None:
    token = edition.load_secrets().get("LLM_LAB_DOCS_MCP_TOKEN", "twin-docs-mcp-token")
    for plist, name, config in generic_jobs():
        if name is None:  # a calendar job (services/vector-db/launchd/*-nightly.plist): loaded, started at its hour
            write_plist(tree, plist)
            continue
        config = config or canned.docs_mcp(token)
        path = f"{CANNED_DIR}/{name}.json"
        write_canned(tree, spec, config, path)
        program = plist["ProgramArguments"][0]
        tree.mkdir(os.path.dirname(program), 0o755, TS)
        tree.write(program, f"#!/bin/sh\n# twin: {name} is the generic stand-in with canned answers (lab/canned.py)\n"
                            f"exec /usr/bin/python3 {STANDINS_DIR}/generic_service.py --config {path}\n", 0o755, TS)
        tree.mkdir(plist["WorkingDirectory"], 0o755, TS)
        write_plist(tree, plist)
