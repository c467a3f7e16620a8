#!/usr/bin/python3
"""`lms` stand-in (twin, studio): LM Studio's CLI, the commands a wrapper like the owner's uses.

Read in lmstudio-ai/lms at f26090fec0bd98a839c2026bf84c0beeb187417a, the CLI commit the owner pins
(platform/ops/runtime-lock.json: lms_cli_commit f26090f); file:line below are of that commit. Output goes where
lms sends it: its logger writes to stderr (src/logLevel.ts createLogger: a Console on process.stderr; info lines
without a prefix, warnings prefixed `W`, errors `Error:`; no colours, stderr is not a terminal), while
`console.info`/`console.log` and JSON go to stdout. The state all commands read and change is the llmster
stand-in's (llmster.py next to this file: its docstring describes the file); a command that needs the daemon
starts it when it is not running, as `createClient` does (src/createClient.ts:138-160, findOrStartLlmster).

- `lms daemon up [--json]` (src/subcommands/daemon/up.ts:18-52): stdout `llmster started (PID: N).`, or `The
  daemon is already running (PID: N).`; with --json `{"status":"running","pid":N,"isDaemon":true,"version":V}`.
- `lms daemon status [--json]` (daemon/status.ts:18-41): stdout `llmster v<version> is running (PID: N)` or
  `LM Studio is not running`; --json `{"status":"running","pid":N,"isDaemon":true}` | `{"status":"not-running"}`.
  Exit 0 either way. It never starts the daemon.
- `lms daemon down` (daemon/down.ts): `Daemon is not running.` (exit 1), or `Shutting down llmster...`, `Done.`.
- `lms server start [--port N] [--bind ADDR] [--cors]` (server.ts:69-138): the bind defaults to
  $LMS_SERVER_HOST, then 127.0.0.1; the port to the last one used, then 1234. A bind other than 127.0.0.1 warns
  `W Server will accept connections from the network. Only use this if you know what you are doing!`; then the
  server is checked at `GET /lmstudio-greeting` up to 5 times, 1 s apart: `Success! Server is now running on port
  N`, or `Error: Failed to verify the server is running. Please try to use another port.` and exit 1.
- `lms server stop` (server.ts:140-167): `Stopped the server on port N.`, or `Error: The server is not running.`
  and exit 1. `lms server status [--json]` (server.ts:169-207): `The server is running on port N.` | `The server
  is not running.`; --json `{"running":true,"port":N}` on stdout (no port when it was never started).
- `lms load <model> [--identifier ID] [--context-length N] [--parallel N] [--ttl S] [--gpu X] [-y]`
  (load.ts): the model is searched among the downloaded ones (`fuzzy`, load.ts:293-296; the twin's ranking:
  llmster.resolve_model_key); none: `Model not found` and the text of load.ts:300-318, exit 1. Loaded: `Model
  loaded successfully in <elapsed>.` + a line `(<size>)` (formatSizeBytes1024: `11.28 GiB`), then `To use the
  model in the API/SDK, use the identifier "ID".` (load.ts:538-553). The instance's config: what was given over
  LM Studio's defaults (llmster.DEFAULT_LOAD). Without -y lms prompts; the twin cannot: it says so, exit 1. An
  identifier already loaded: refused with the twin's own message, exit 1 (LM Studio's answer is not captured).
- `lms unload <identifier>` | `--all` (unload.ts:36-200): `Model "ID" unloaded.`; an identifier not loaded:
  `Model Not Found` and its text, and exit 0 (the action returns, unload.ts:169-185); `--all`: `Unloading "ID"...`
  per model, then `Unloaded N models.` | `Unloaded 1 model.` | `No models to unload.`.
- `lms ps [--json]` (list.ts:427-581): --json prints one JSON array on stdout, each loaded instance as the SDK's
  LLMInstanceInfo (lmstudio-ai/lmstudio-js packages/lms-shared-types/src/ModelInfoBase.ts and
  llm/LLMModelInfo.ts: type, modelKey, format, displayName, publisher, path, sizeBytes, indexedModelIdentifier,
  deviceIdentifier, paramsString, architecture, quantization {name, bits}, identifier, ttlMs, lastUsedTime,
  vision, trainedForToolUse, maxContextLength, contextLength) without `instanceReference`, plus `status`,
  `queued`, `parallel` (ModelProcessingStatus.ts: idle); without --json, `No models are currently loaded.` and
  its hint, or a table IDENTIFIER MODEL STATUS SIZE CONTEXT PARALLEL DEVICE TTL with 4-space column gaps
  (columnify's padding approximated: every column but the last padded to its width).

Any other command: `error: unknown command '<name>'` (commander's wording), exit 1.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import llmster  # noqa: E402  (next to this file)
import twinhttp  # noqa: E402

DEFAULT_PORT = 1234  # src/createClient.ts:13
DAEMON_START_TIMEOUT = 10.0
SERVER_ACK_TIMEOUT = 3.0  # how long `server start` waits for the daemon to act, before the greeting checks


def err(line: str = "") -> None:
    print(line, file=sys.stderr, flush=True)


def out(line: str = "") -> None:
    print(line, flush=True)


def fail(line: str, status: int = 1) -> int:
    err(f"Error: {line}")
    return status


# --- the daemon -----------------------------------------------------------------------------------------------

def running_daemon() -> int | None:
    return llmster.daemon_pid(llmster.read_state())


def ensure_daemon(announce: bool) -> int:
    """The daemon's pid, starting it when it is not running (findOrStartLlmster)."""
    pid = running_daemon()
    if pid:
        return pid
    if announce:  # lmstudio docs 3_cli/1_serve/server-status.md's example: `Waking up LM Studio service...`
        err("Waking up LM Studio service...")
    log_path = os.environ.get("LLMSTER_TWIN_LOG") or os.path.join(os.path.dirname(llmster.STATE_FILE), "llmster.log")
    twinhttp.detached([sys.executable, os.path.join(twinhttp.own_dir(), "llmster.py"), "daemon"], log_path)
    deadline = time.monotonic() + DAEMON_START_TIMEOUT
    while time.monotonic() < deadline:
        pid = running_daemon()
        if pid:
            return pid
        time.sleep(0.05)
    err("Error: Failed to start or connect to local LM Studio API server.")  # createClient.ts:158
    sys.exit(1)


def greeting(host: str, port: int) -> bool:
    """`checkHttpServer` (createClient.ts:18-40): 200 and `{"lmstudio": true}` within 500 ms."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/lmstudio-greeting", timeout=0.5) as answer:
            return answer.status == 200 and json.load(answer).get("lmstudio") is True
    except (OSError, ValueError, urllib.error.URLError):
        return False


def cmd_daemon(args) -> int:
    state = llmster.read_state()
    if args.action == "status":
        pid = llmster.daemon_pid(state)
        if args.json:
            out(json.dumps({"status": "running", "pid": pid, "isDaemon": True} if pid else {"status": "not-running"},
                           separators=(",", ":")))
        else:
            out(f"llmster v{state.get('version')} is running (PID: {pid})" if pid else "LM Studio is not running")
        return 0
    if args.action == "down":
        pid = llmster.daemon_pid(state)
        if not pid:
            err("Daemon is not running.")
            return 1
        err("Shutting down llmster...")
        os.kill(pid, 15)
        deadline = time.monotonic() + 10
        while twinhttp.process_alive(pid, "llmster.py") and time.monotonic() < deadline:
            time.sleep(0.05)
        err("Done.")
        return 0
    was_running = llmster.daemon_pid(state)
    pid = ensure_daemon(announce=False)
    version = llmster.read_state().get("version")
    if args.json:
        out(json.dumps({"status": "running", "pid": pid, "isDaemon": True, "version": version},
                       separators=(",", ":")))
    else:
        out(f"The daemon is already running (PID: {pid})." if was_running else f"llmster started (PID: {pid}).")
    return 0


def cmd_server(args) -> int:
    if args.action == "status":
        state = llmster.read_state()
        server = state["server"]
        port = server.get("port") if server.get("requested") else None
        running = bool(port) and bool(llmster.daemon_pid(state)) and greeting(server.get("bind") or "127.0.0.1", port)
        if args.json:
            sys.stdout.write(json.dumps({"running": running, **({"port": port} if port else {})},
                                        separators=(",", ":")) + "\n")
        else:
            err(f"The server is running on port {port}." if running else "The server is not running.")
        return 0
    if args.action == "stop":
        state = llmster.read_state()
        server = state["server"]
        if not server.get("requested") or not greeting(server.get("bind") or "127.0.0.1", server["port"]):
            return fail("The server is not running.")
        with llmster.changing_state() as state:
            state["server"].update(running=False)
        _wait(lambda: not llmster.read_state()["server"].get("listening"), SERVER_ACK_TIMEOUT)
        err(f"Stopped the server on port {server['port']}.")
        return 0
    ensure_daemon(announce=True)
    if args.cors:
        err("W CORS is enabled. This means any website you visit can use the LM Studio server.")
    bind = args.bind or os.environ.get("LMS_SERVER_HOST") or "127.0.0.1"
    state = llmster.read_state()
    port = args.port if args.port is not None else (state["server"].get("port") if state["server"].get("requested")
                                                    else DEFAULT_PORT)
    if bind != "127.0.0.1":
        err("W Server will accept connections from the network. Only use this if you know what you are doing!")
    requested = time.time()
    with llmster.changing_state() as state:
        state["server"].update(running=True, bind=bind, port=port, cors=bool(args.cors), requested=requested,
                               listening=None, error=None)
    _wait(lambda: _acted(requested), SERVER_ACK_TIMEOUT)
    for attempt in range(5):  # checkHttpServerWithRetries(..., 5): 1 s between attempts
        if greeting(bind, port):
            err(f"Success! Server is now running on port {port}")
            return 0
        if attempt < 4:
            time.sleep(1)
    return fail("Failed to verify the server is running. Please try to use another port.")


def _acted(requested: float) -> bool:
    server = llmster.read_state()["server"]
    return server.get("requested") != requested or bool(server.get("listening") or server.get("error"))


def _wait(done, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.05)


def size_1024(size: int) -> str:
    """formatSizeBytes1024 (src/formatBytes.ts)."""
    units = ["Bytes", "KiB", "MiB", "GiB", "TiB"]
    if size == 0:
        return "0 Bytes"
    index = min(int(math.floor(math.log(size) / math.log(1024))), len(units) - 1)
    return f"{size / 1024 ** index:.{0 if index == 0 else 2}f} {units[index]}"


def size_1000(size: int) -> str:
    """formatSizeBytes1000 (src/formatBytes.ts)."""
    for limit, unit in ((1e3, None), (1e6, "KB"), (1e9, "MB"), (1e12, "GB")):
        if size < limit:
            return f"{size} B" if unit is None else f"{size / (limit / 1e3):.2f} {unit}"
    return f"{size / 1e12:.2f} TB"


def elapsed(ms: float) -> str:
    """formatElapsedTime (src/formatElapsedTime.ts) for loads under a minute."""
    return f"{ms / 1000:.2f}s" if ms >= 1000 else f"{ms:.2f}ms"


def cmd_load(args) -> int:
    ensure_daemon(announce=True)
    if not args.yes:
        return fail("twin stand-in of lms: interactive model selection is not implemented; pass -y")
    started = time.monotonic()
    with llmster.changing_state() as state:
        keys = llmster.resolve_model_key(state["catalog"], args.model or "")
        if not args.model or not keys:
            err("Model not found\n\n"
                f'No model found that matches model key "{args.model}".\n\n'
                "To see a list of all downloaded models, run:\n\n    lms ls\n\n"
                "To select a model interactively, remove the --yes flag:\n\n    lms load")
            return 1
        config = {"context_length": args.context_length, "parallel": args.parallel}
        try:
            instance = llmster.add_instance(state, keys[0], args.identifier, config, args.ttl)
        except ValueError as e:
            err(f"Error: twin stand-in of lms: {e}")
            return 1
        size = state["catalog"][keys[0]].get("size_bytes")
    ms = (time.monotonic() - started) * 1000
    err(f"Model loaded successfully in {elapsed(ms)}." + (f"\n({size_1024(size)})" if size is not None else ""))
    err(f'To use the model in the API/SDK, use the identifier "{instance["identifier"]}".')
    return 0


def cmd_unload(args) -> int:
    ensure_daemon(announce=True)
    if args.all and args.identifier:
        err("Invalid Usage\n\nYou cannot provide [path] when the flag --all is set.")
        return 0
    with llmster.changing_state() as state:
        instances = llmster.loaded_instances(state)
        if args.all:
            state["loaded"] = []
        elif args.identifier is not None:
            state["loaded"] = [i for i in instances if i["identifier"] != args.identifier]
    if args.all:
        for instance in instances:
            err(f'Unloading "{instance["identifier"]}"...')
        err("No models to unload." if not instances else
            "Unloaded 1 model." if len(instances) == 1 else f"Unloaded {len(instances)} models.")
        return 0
    if args.identifier is None:
        return fail("twin stand-in of lms: interactive model selection is not implemented; name the identifier")
    if not any(i["identifier"] == args.identifier for i in instances):
        err(f'Model Not Found\n\nCannot find a model with the identifier "{args.identifier}".\n\n'
            "To see a list of loaded models, run:\n\n    lms ps")
        return 0
    err(f'Model "{args.identifier}" unloaded.')
    return 0


def instance_info(state: dict, instance: dict) -> dict:
    model = state["catalog"].get(instance["model_key"]) or {}
    quantization = model.get("quantization") or {}
    info = {"type": model.get("type", "llm"), "modelKey": instance["model_key"], "format": model.get("format"),
            "displayName": model.get("display_name"), "publisher": model.get("publisher"),
            "path": model.get("path", instance["model_key"]), "sizeBytes": model.get("size_bytes"),
            "indexedModelIdentifier": model.get("path", instance["model_key"]), "deviceIdentifier": None,
            "paramsString": model.get("params_string"), "architecture": model.get("architecture"),
            "quantization": {"name": quantization.get("name"), "bits": quantization.get("bits_per_weight")},
            "identifier": instance["identifier"], "ttlMs": instance["ttl"] * 1000 if instance.get("ttl") else None,
            "lastUsedTime": None, "vision": bool((model.get("capabilities") or {}).get("vision")),
            "trainedForToolUse": bool((model.get("capabilities") or {}).get("trained_for_tool_use")),
            "maxContextLength": model.get("max_context_length"),
            "contextLength": instance["config"]["context_length"]}
    return {**info, "status": "idle", "queued": 0, "parallel": instance["config"].get("parallel")}


def cmd_ps(args) -> int:
    ensure_daemon(announce=True)
    state = llmster.read_state()
    infos = [instance_info(state, i) for i in llmster.loaded_instances(state)]
    if args.json:
        out(json.dumps(infos, separators=(",", ":")))
        return 0
    if not infos:
        err("No models are currently loaded.\n\nTo load a model, run:\n\n    lms load <model path>")
        return 0
    rows = [["IDENTIFIER", "MODEL", "STATUS", "SIZE", "CONTEXT", "PARALLEL", "DEVICE", "TTL"]]
    for info in sorted(infos, key=lambda i: i["identifier"]):
        rows.append([info["identifier"], info["modelKey"], info["status"].upper(), size_1000(info["sizeBytes"] or 0),
                     str(info["contextLength"]), str(info["parallel"] or "-"), "Local", ""])
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    out()
    for row in rows:
        out("    ".join(cell.ljust(widths[c]) if c < len(row) - 1 else cell for c, cell in enumerate(row)).rstrip())
    out()
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lms", add_help=True)
    sub = p.add_subparsers(dest="command")

    def with_log_flags(command: argparse.ArgumentParser) -> argparse.ArgumentParser:
        command.add_argument("--log-level")
        command.add_argument("--quiet", action="store_true")
        command.add_argument("--verbose", action="store_true")
        return command

    daemon = sub.add_parser("daemon").add_subparsers(dest="action", required=True)
    for action in ("up", "status", "down"):
        with_log_flags(daemon.add_parser(action)).add_argument("--json", action="store_true")
    server = sub.add_parser("server").add_subparsers(dest="action", required=True)
    start = with_log_flags(server.add_parser("start"))
    start.add_argument("-p", "--port", type=int)
    start.add_argument("--bind")
    start.add_argument("--cors", action="store_true")
    with_log_flags(server.add_parser("stop"))
    with_log_flags(server.add_parser("status")).add_argument("--json", action="store_true")
    load = with_log_flags(sub.add_parser("load"))
    load.add_argument("model", nargs="?")
    load.add_argument("--identifier")
    load.add_argument("-c", "--context-length", type=int)
    load.add_argument("--parallel", type=int)
    load.add_argument("--ttl", type=int)
    load.add_argument("--gpu")
    load.add_argument("-y", "--yes", action="store_true")
    unload = with_log_flags(sub.add_parser("unload"))
    unload.add_argument("identifier", nargs="?")
    unload.add_argument("-a", "--all", action="store_true")
    with_log_flags(sub.add_parser("ps")).add_argument("--json", action="store_true")
    return p


COMMANDS = {"daemon": cmd_daemon, "server": cmd_server, "load": cmd_load, "unload": cmd_unload, "ps": cmd_ps}


def main(argv: list[str]) -> int:
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        err(f"error: unknown command '{argv[0]}'")
        return 1
    args = parser().parse_args(argv)
    if args.command is None:
        parser().print_help(sys.stderr)
        return 1
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
