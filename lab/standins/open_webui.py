#!/home/christopherbailey/llm-lab-conformance/.venv/bin/python
"""`open-webui` stand-in (twin): `open-webui serve --host H --port P` answers GET /health like Open WebUI.

The real one needs GBs of models and node assets; the suite only sees its unit, env, port and /health.
"""
import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "0.6.18"


class Server(ThreadingHTTPServer):
    request_queue_size = 128  # the stdlib default (5) drops connections under a burst of probes
    daemon_threads = True


class Handler(BaseHTTPRequestHandler):
    server_version = "uvicorn"

    def _json(self, code: int, obj) -> None:
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/health":
            self._json(200, {"status": True})
        elif self.path == "/api/version":
            self._json(200, {"version": VERSION})
        elif self.path == "/":
            body = b"<!doctype html><title>Open WebUI</title><p>Open WebUI (twin stand-in)</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self._json(404, {"detail": "Not Found"})

    def log_message(self, fmt, *args):
        print(f"INFO:     {self.address_string()} - {fmt % args}", flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="open-webui")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    print(f"Open WebUI {VERSION} (twin stand-in): DATA_DIR={os.environ.get('DATA_DIR')}, "
          f"OPENAI_API_BASE_URL={os.environ.get('OPENAI_API_BASE_URL')}", flush=True)
    server = Server((args.host, args.port), Handler)
    print(f"INFO:     Uvicorn running on http://{args.host}:{args.port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
