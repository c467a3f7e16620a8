#!/usr/bin/python3
"""A small generic stand-in (twin, any host) for the services off the LLM path: canned answers on given listeners.

`generic_service.py --config FILE [--listen ADDR:PORT[/tcp] ...]`. It prints nothing a client sees that the config
does not hold: every answer is in the config, with the source its shape comes from (a config answer without a
`source` is refused at start), and the twin's catalog of them is lab/canned.py. The config (JSON):

    {"service": "prometheus",
     "listeners": [{"address": "127.0.0.1", "port": 9090}, {"address": "10.213.0.2", "port": 445, "tcp": true}],
     "answers": [
       {"method": ["GET"], "path": "/-/ready", "status": 200,
        "headers": [["Content-Type", "text/plain; charset=utf-8"]], "body": "Prometheus Server is Ready.\\n",
        "source": "prometheus/prometheus web/web.go: ..."},
       {"prefix": "/", "when": {"header": "authorization", "absent": true}, "status": 401, ...},
       {"path": "/api/health", "json": {"database": "ok"}, "json_style": "indent2", ...}],
     "otherwise": {"status": 404, "body": "...", "source": "..."}}

- A listener is HTTP unless `"tcp": true`: a bare TCP listener accepts and holds each connection, sending nothing,
  until the peer closes it (Samba's 139/445 as a port check sees them). Several addresses may share a port. An
  address with a `:` is IPv6 (v6-only).
- An answer matches a request by `method` (a string or a list; default GET and HEAD), `path` (exact, the query left
  out) or `prefix`, and `when` (optional): `{"header": name, "equals" | "prefix" | "not_equals": value}` or
  `{"header": name, "absent": true}`. The first answer that matches is sent; none: `otherwise` (default: a bare 404).
- An answer's body is `body` (text) or `json`, written as `json_style` says: `compact` (JavaScript's and Go's
  json.Marshal, the default), `python` (Python's json.dumps defaults: `", "`, `": "`), `indent2` (Go's
  json.MarshalIndent with two spaces), `jackson` (Jackson's pretty printer, as Elasticsearch's `?pretty`). A json
  body without a Content-Type header gets `application/json`. Content-Length is always set; a `Date` header
  comes after the answer's own headers unless `"date": false`. HEAD gets the headers only.
- Twin-only: one line per listener at start and one per request on stdout, `<service> <client> "<request line>"
  <status>` (the twin's format, no real server's).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import twinhttp  # noqa: E402  (next to this file)

DEFAULT_METHODS = ("GET", "HEAD")
STYLES = {"compact": {"separators": (",", ":")}, "python": {}, "indent2": {"indent": 2}}


class ConfigError(Exception):
    pass


def render_json(obj, style: str) -> bytes:
    if style == "jackson":
        return _jackson(obj, 0).encode()
    if style not in STYLES:
        raise ConfigError(f"unknown json_style {style!r}")
    return json.dumps(obj, ensure_ascii=False, **STYLES[style]).encode()


def _jackson(obj, depth: int) -> str:
    """Jackson's DefaultPrettyPrinter: two-space indent, `"key" : value`, empty containers as `{ }` / `[ ]`."""
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(obj, dict):
        if not obj:
            return "{ }"
        items = [f"{inner}{json.dumps(k)} : {_jackson(v, depth + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(obj, list):
        if not obj:
            return "[ ]"
        return "[ " + ", ".join(_jackson(v, depth + 1) for v in obj) + " ]"
    return json.dumps(obj, ensure_ascii=False)


class Answer:
    def __init__(self, spec: dict, where: str):
        if not spec.get("source"):
            raise ConfigError(f"{where}: every canned answer names its source")
        methods = spec.get("method", DEFAULT_METHODS)
        self.methods = {methods} if isinstance(methods, str) else set(methods)
        self.path, self.prefix, self.when = spec.get("path"), spec.get("prefix"), spec.get("when")
        self.status = int(spec.get("status", 200))
        self.headers = [tuple(h) for h in spec.get("headers", [])]
        if "json" in spec:
            self.body = render_json(spec["json"], spec.get("json_style", "compact"))
            if not any(name.lower() == "content-type" for name, _ in self.headers):
                self.headers.append(("Content-Type", "application/json"))
        else:
            self.body = str(spec.get("body", "")).encode()
        self.date = spec.get("date", True)

    def matches(self, method: str, path: str, headers) -> bool:
        if method not in self.methods:
            return False
        if self.path is not None and path != self.path:
            return False
        if self.prefix is not None and not path.startswith(self.prefix):
            return False
        if not self.when:
            return True
        value = headers.get(self.when["header"])
        if self.when.get("absent"):
            return value is None
        if "equals" in self.when:
            return value == self.when["equals"]
        if "not_equals" in self.when:
            return value is not None and value != self.when["not_equals"]
        return value is not None and value.startswith(self.when.get("prefix", ""))

    def send(self, handler: BaseHTTPRequestHandler) -> None:
        headers = [*self.headers, ("Content-Length", str(len(self.body)))]
        if self.date:
            headers.append(("Date", twinhttp.http_date()))
        twinhttp.respond(handler, self.status, headers, self.body)


NOT_FOUND = {"status": 404, "source": "the twin's default: no answer of the config matched"}


def load(config: dict) -> tuple[str, list[Answer], Answer]:
    service = config.get("service") or "generic"
    answers = [Answer(spec, f"{service} answer {i}") for i, spec in enumerate(config.get("answers", []))]
    otherwise = Answer({"method": [], **(config.get("otherwise") or NOT_FOUND)}, f"{service} otherwise")
    return service, answers, otherwise


def make_handler(service: str, answers: list[Answer], otherwise: Answer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            twinhttp.read_body(self)
            path = self.path.split("?", 1)[0]
            chosen = next((a for a in answers if a.matches(self.command, path, self.headers)), otherwise)
            chosen.send(self)

        do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _answer

        def log_message(self, fmt, *args):
            code = args[1] if len(args) > 1 else "-"
            print(f'{service} {self.client_address[0]} "{self.requestline}" {code}', flush=True)

    return Handler


def hold_tcp(address: str, port: int) -> socket.socket:
    """A bare TCP listener: accept, send nothing, keep each connection until the peer closes it."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.bind((address, port))
    sock.listen(64)

    def drain(conn: socket.socket) -> None:
        with conn:
            while True:
                try:
                    if not conn.recv(4096):
                        return
                except OSError:
                    return

    def accept_loop() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            threading.Thread(target=drain, args=(conn,), daemon=True).start()
    threading.Thread(target=accept_loop, daemon=True).start()
    return sock


def parse_listen(text: str) -> dict:
    """ADDR:PORT or [ADDR6]:PORT, optionally /tcp."""
    tcp = text.endswith("/tcp")
    text = text.removesuffix("/tcp")
    address, _, port = text.rpartition(":")
    return {"address": address.strip("[]") or "0.0.0.0", "port": int(port), "tcp": tcp}


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="generic_service.py")
    p.add_argument("--config", required=True)
    p.add_argument("--listen", action="append", default=[], help="ADDR:PORT[/tcp], instead of the config's")
    args = p.parse_args(argv)
    with open(args.config, encoding="utf-8") as f:
        config = json.load(f)
    try:
        service, answers, otherwise = load(config)
    except ConfigError as e:
        print(f"generic_service: {args.config}: {e}", file=sys.stderr)
        return 78  # EX_CONFIG
    listeners = [parse_listen(t) for t in args.listen] or config.get("listeners") or []
    if not listeners:
        print(f"generic_service: {args.config}: no listeners", file=sys.stderr)
        return 78
    handler = make_handler(service, answers, otherwise)
    servers = []
    for listener in listeners:
        address, port = listener["address"], int(listener["port"])
        if listener.get("tcp"):
            servers.append(hold_tcp(address, port))
        else:
            servers.append(twinhttp.Server((address, port), handler))
            twinhttp.serve_in_thread(servers[-1])
        print(f"{service}: listening on {address}:{port}{' (tcp)' if listener.get('tcp') else ''}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
