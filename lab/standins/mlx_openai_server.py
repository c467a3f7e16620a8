#!/usr/bin/python3
"""`mlx-openai-server` stand-in (twin, studio): `launch --model-path P --host H --port N --log-file F`.

Answers `GET /health` and `GET /v1/models` as mlx-openai-server 1.8.1 does in single-model mode. Read in
cubist38/mlx-openai-server at 4b7d4b61586dd08b5ca1149b73003e85272ff652 (version 1.8.1, pyproject.toml
line 3):

- app/cli.py 140-230, 398-475: `launch` options (`--model-path`, `--model-type` lm|multimodal|...,
  `--context-length`, `--served-model-name`, `--port` default 8000 (175), `--host` default 0.0.0.0 (176),
  `--queue-timeout` 300, `--queue-size` 100, `--log-file` (211), `--no-log-file`, `--log-level`); an
  unknown option is a usage error (click: exit 2); no `--model-path` and no `--config` is a UsageError.
- app/api/endpoints.py 332-368 `health()`: single-model (no registry) -> 200
  `{"status":"ok","model_id":<handler.model_path>,"model_status":"initialized"}`
  (app/schemas/openai.py 67-74 HealthCheckResponse: status, model_id, model_status).
- app/api/endpoints.py 371-422 `models()` -> app/handler/mlx_lm.py 250-262 `get_models()`:
  `{"object":"list","data":[{"id":<model_path>,"object":"model","created":<load time>,"owned_by":"local",
  "metadata":null}]}` (schemas/openai.py 436-450: Model has `metadata: dict | None = None`, which FastAPI
  serializes as null; `created` = int(time.time()) at load, mlx_lm.py 209). The id is the model path
  unless `--served-model-name` is given (app/server.py 190-191).
- app/server.py 560-570: every response carries `X-Process-Time`; uvicorn adds `server: uvicorn`.
  Bodies are compact JSON (FastAPI's JSONResponse); an unknown path is FastAPI's 404 `{"detail":"Not Found"}`.
- app/server.py 89-131 `configure_logging`: unless `--no-log-file`, log lines are appended to
  `--log-file` (default logs/app.log) as `{time:YYYY-MM-DD HH:mm:ss} | {level} | {message}` (130); the
  console handler prints `<time> | <LEVEL padded to 8> | <module>:<function>:<line> | ✦ <message>` to
  stdout (colours left out here). app/main.py 255-281 `start()`: the startup banner (print_startup_banner,
  76-133) is logged before the file handler exists, then `Starting server on H:P` (server.py 604),
  `Server configuration complete.`, `Starting Uvicorn server...`, and the lifespan's
  `Initializing MLX handler with model path: P` / `MLX handler initialized successfully` (server.py 178-195).
- A model that cannot be loaded: the lifespan logs `Failed to initialize MLX handler: ...` and raises
  (server.py 198-200); uvicorn then reports the startup failure and `Server.serve()` returns, so
  `start()` returns and the process exits 0 without ever listening. Here: a `--model-path` that is an
  absolute path that does not exist.

Not implemented (a later issue adds them): `POST /v1/chat/completions` and the other endpoints answer
501 with a body that says the twin does not implement them. One process per port; stdlib only.
"""
import argparse
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

VERSION = "1.8.1"
MODEL_TYPES = ["lm", "multimodal", "image-generation", "image-edit", "embeddings", "whisper"]


class Log:
    """loguru's two sinks as mlx-openai-server configures them: stdout, and the --log-file."""

    def __init__(self):
        self.file = None

    def to_file(self, path: str) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.file = open(path, "a", buffering=1, encoding="utf-8")

    def __call__(self, message: str, level: str = "INFO", where: str = "app.server:setup_server:604") -> None:
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        print(f"{now} | {level:<8} | {where} | ✦ {message}", flush=True)
        if self.file:
            self.file.write(f"{now} | {level} | {message}\n")


log = Log()


class Server(ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True


def make_handler(model_id: str, created: int):
    class Handler(BaseHTTPRequestHandler):
        server_version = "uvicorn"
        sys_version = ""
        protocol_version = "HTTP/1.1"

        def version_string(self) -> str:
            return self.server_version

        def _json(self, code: int, obj, started: float) -> None:
            body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
            self.send_response(code)
            self.send_header("content-length", str(len(body)))
            self.send_header("content-type", "application/json")
            self.send_header("x-process-time", str(time.time() - started))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self):
            started = time.time()
            path = self.path.split("?", 1)[0]
            if path == "/health":
                self._json(200, {"status": "ok", "model_id": model_id, "model_status": "initialized"}, started)
            elif path == "/v1/models":
                self._json(200, {"object": "list", "data": [{"id": model_id, "object": "model", "created": created,
                                                             "owned_by": "local", "metadata": None}]}, started)
            elif path.startswith("/v1/"):
                self._not_implemented(started)
            else:
                self._json(404, {"detail": "Not Found"}, started)

        def do_POST(self):
            started = time.time()
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            if self.path.split("?", 1)[0].startswith("/v1/"):
                self._not_implemented(started)
            else:
                self._json(404, {"detail": "Not Found"}, started)

        def _not_implemented(self, started: float) -> None:
            self._json(501, {"error": {"message": f"twin stand-in of mlx-openai-server: {self.command} "
                                                  f"{self.path} is not implemented yet", "type": "not_implemented",
                                       "param": None, "code": "501"}}, started)

        def log_message(self, fmt, *args):  # uvicorn's access log (stderr)
            host, port = self.client_address[:2]
            print(f'INFO:     {host}:{port} - "{self.requestline}" {args[1] if len(args) > 1 else ""}',
                  file=sys.stderr, flush=True)

    return Handler


def parse(argv: list[str]) -> argparse.Namespace:
    if not argv or argv[0].startswith("-"):  # app/main.py main(): `launch` is the default subcommand
        argv = ["launch", *argv]
    parser = argparse.ArgumentParser(prog="mlx-openai-server")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("launch")
    p.add_argument("--config", dest="config_file")
    p.add_argument("--model-path")
    p.add_argument("--model-type", default="lm", choices=MODEL_TYPES)
    p.add_argument("--context-length", type=int)
    p.add_argument("--served-model-name")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--queue-timeout", type=int, default=300)
    p.add_argument("--queue-size", type=int, default=100)
    p.add_argument("--log-file")
    p.add_argument("--no-log-file", action="store_true")
    p.add_argument("--log-level", default="INFO", type=str.upper,
                   choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])
    args = parser.parse_args(argv)
    if args.config_file:
        parser.error("twin stand-in: --config (multi-handler mode) is not implemented")
    if not args.model_path:
        parser.error("Either --config (multi-handler YAML) or --model-path (single model) is required.")
    return args


def main(argv: list[str]) -> int:
    args = parse(argv)
    banner = [f"✨ MLX Server v{VERSION} Starting ✨", f"🔮 Model Path: {args.model_path}"]
    if args.served_model_name:
        banner.append(f"🔮 Served Model Name: {args.served_model_name}")
    banner += [f"🔮 Model Type: {args.model_type}"]
    if args.context_length:
        banner.append(f"🔮 Context Length: {args.context_length}")
    banner += [f"🌐 Host: {args.host}", f"🔌 Port: {args.port}", f"⏱️ Queue Timeout: {args.queue_timeout} seconds",
               f"📊 Queue Size: {args.queue_size}", f"📝 Log Level: {args.log_level}",
               "📝 File Logging: Disabled" if args.no_log_file else f"📝 Log File: {args.log_file or 'logs/app.log'}"]
    for line in ["━" * 42, *banner[:1], "━" * 42, *banner[1:], "━" * 42]:
        log(line, where="app.main:print_startup_banner:77")
    if not args.no_log_file:
        log.to_file(args.log_file or "logs/app.log")
    log(f"Starting server on {args.host}:{args.port}")
    log("Server configuration complete.", where="app.main:start:275")
    log("Starting Uvicorn server...", where="app.main:start:276")
    log(f"Initializing MLX handler with model path: {args.model_path}", where="app.server:lifespan:178")
    if args.model_path.startswith("/") and not Path(args.model_path).exists():
        log(f"Failed to initialize MLX handler: no model at {args.model_path}", "ERROR", "app.server:lifespan:199")
        print("ERROR:    Application startup failed. Exiting.", file=sys.stderr, flush=True)
        return 0
    created = int(time.time())
    log("MLX handler initialized successfully", where="app.server:lifespan:195")
    model_id = args.served_model_name or args.model_path
    server = Server((args.host, args.port), make_handler(model_id, created))
    print(f"INFO:     Uvicorn running on http://{args.host}:{args.port} (Press CTRL+C to quit)", file=sys.stderr,
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
