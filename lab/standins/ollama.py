#!/usr/bin/python3
"""`ollama` stand-in (twin): `ollama serve` answers the liveness endpoints on OLLAMA_HOST.

Serves GET / ("Ollama is running"), GET /api/version and GET /api/tags (no models), as the real server does.
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "0.11.4"


class Server(ThreadingHTTPServer):
    request_queue_size = 128  # the stdlib default (5) drops connections under a burst of probes
    daemon_threads = True


class Handler(BaseHTTPRequestHandler):
    server_version = "ollama-twin"

    def _send(self, code: int, body: bytes, ctype: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        if self.path == "/":
            self._send(200, b"Ollama is running", "text/plain; charset=utf-8")
        elif self.path == "/api/version":
            self._send(200, json.dumps({"version": VERSION}).encode(), "application/json; charset=utf-8")
        elif self.path == "/api/tags":
            self._send(200, b'{"models":[]}', "application/json; charset=utf-8")
        else:
            self._send(404, b"404 page not found", "text/plain; charset=utf-8")

    do_HEAD = do_GET

    def log_message(self, fmt, *args):
        print(f"[GIN] {self.address_string()} | {fmt % args}", flush=True)


def parse_host(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":") if ":" in value else (value, "", "11434")
    return host or "127.0.0.1", int(port or 11434)


def main(argv: list[str]) -> int:
    if argv[:1] in (["--version"], ["-v"]):
        print(f"ollama version is {VERSION}")
        return 0
    if argv[:1] != ["serve"]:
        print("usage: ollama serve   (twin stand-in)", file=sys.stderr)
        return 1
    host, port = parse_host(os.environ.get("OLLAMA_HOST", "127.0.0.1:11434"))
    server = Server((host, port), Handler)
    print(f"Listening on {host}:{port} (version {VERSION}, twin stand-in)", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
