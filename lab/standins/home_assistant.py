#!/usr/bin/python3
"""`hass` stand-in (twin, dietpi): `hass -c <config dir>` serves Home Assistant's HTTP front door on :8123.

Read in home-assistant/core through the code index (the repository is too large to fetch here); the
index gives each file at one stored commit, without line numbers, so each fact names the file, the commit
and the code that makes it:

- homeassistant/helpers/http.py @022c44ca2b2dccf86e9ff201db1e2f6e3831efc4, request_handler_factory():
  `if (view.requires_auth or view.use_query_token_for_auth) and not authenticated:` raises aiohttp's
  HTTPUnauthorized, i.e. `401` with the text body `401: Unauthorized` (text/plain), and a
  `WWW-Authenticate: Bearer resource_metadata="<url>/.well-known/oauth-protected-resource"` header when
  the instance knows its URL for the request (RFC 9728; otherwise no header). `requires_auth = True` is
  HomeAssistantView's default.
- homeassistant/components/api/__init__.py @55899cb91bc1fac1fa556de52d55eb1f5415d458: APIStatusView,
  `url = URL_API` ("/api/"), requires auth, `json_message("API running.")`; every /api/ view (config,
  states, services, events, ...) requires auth. Unauthenticated, they are all the 401 above.
- homeassistant/components/frontend/__init__.py @784e52c3c4fec6c345a60447031a353fcb2e2cba:
  ManifestJSONView (`requires_auth = False`, `url = "/manifest.json"`) answers MANIFEST_JSON serialized
  with json_dumps_sorted (compact, keys sorted) as `application/manifest+json`; IndexView.get serves `/`
  and the registered panels' paths: `if not onboarding.async_is_onboarded(hass): return
  web.Response(status=302, headers={"location": "/onboarding.html"})`, else index.html as text/html;
  IndexView.resolve matches nothing else (aiohttp's `404: Not Found`). `onboarding.html` is a static path.
- homeassistant/components/onboarding/const.py: STEPS user, core_config, (analytics,) integration;
  HA keeps the steps done in `<config>/.storage/onboarding` (`{"data": {"done": [...]}}`). Here the
  instance counts as onboarded when user, core_config and integration are done.
- homeassistant/components/http/headers.py (setup_headers): responses of views get `Referrer-Policy:
  no-referrer`, `X-Content-Type-Options: nosniff`, `X-Frame-Options: SAMEORIGIN`; a raised 401 skips
  the middleware and has none of them.
- homeassistant/components/http/__init__.py: `server_port` defaults to SERVER_PORT (8123) and
  `server_host` to ["0.0.0.0", "::"] (`_DEFAULT_BIND`), from `http:` in configuration.yaml. Here:
  read from `<config>/configuration.yaml` (`http:` -> `server_port:`, `server_host:`), so a fault can
  move HA to another port; the IPv6 socket is v6-only, as aiohttp binds one site per host.
- Logs go to stdout/stderr (journald under systemd) in bootstrap.py's format
  `%(asctime)s.%(msecs)03d %(levelname)s (%(threadName)s) [%(name)s] %(message)s` (the index's older
  bootstrap.py has it without the milliseconds; current releases print them).

- homeassistant/components/webhook/__init__.py (the index's copy @ed7f0714cba35a97791d5eab8aaaa1d92fd0c963,
  and the current form, which the code index gives without a commit): WebhookView, `url =
  "/api/webhook/{webhook_id}"`, `requires_auth = False`, handles GET, HEAD, POST and PUT (the older copy:
  HEAD, POST, PUT); async_handle_webhook: "Always respond successfully to not give away if a hook exists or
  not": an id no automation registered is logged (`Received message for unregistered webhook %s from %s`,
  INFO in the current form, WARNING in the older) and answered `Response(status=200)`: 200, no body,
  `application/octet-stream`. A registered webhook trigger's handler returns None: the same 200. Here no
  automation exists, so every id is answered that way.

Twin-only: no user can authenticate (every /api/ request is 401); no integrations, websocket,
home-assistant.log or .storage writes; the index page is a stub of the real frontend's. Each webhook request
with a body (POST, PUT) is recorded, one JSON line {time, method, webhook_id, remote, content_type, body}, in
WEBHOOK_RECORD (env HASS_TWIN_WEBHOOK_RECORD; 0600), so the twin proof can read what the suite's nightly job
sent; the real Home Assistant would hand it to an automation instead.
"""
import argparse
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "2025.8.0"
DEFAULT_PORT = 8123
DEFAULT_HOSTS = ["0.0.0.0", "::"]
ONBOARDED_STEPS = {"user", "core_config", "integration"}
# the panels of a default_config install (IndexView serves `/` and /<panel>/...)
PANELS = {"lovelace", "config", "profile", "developer-tools", "history", "logbook", "map", "energy", "todo",
          "media-browser", "calendar"}
MANIFEST = {
    "background_color": "#FFFFFF",
    "description": "Home automation platform that puts local control and privacy first.",
    "dir": "ltr",
    "display": "standalone",
    "icons": [{"src": f"/static/icons/favicon-{s}x{s}.png", "sizes": f"{s}x{s}", "type": "image/png",
               "purpose": "any"} for s in (192, 384, 512, 1024)]
    + [{"src": f"/static/icons/maskable_icon-{s}x{s}.png", "sizes": f"{s}x{s}", "type": "image/png",
        "purpose": "maskable"} for s in (48, 72, 96, 128, 192, 384, 512)],
    "screenshots": [{"src": "/static/images/screenshots/screenshot-1.png", "sizes": "413x792", "type": "image/png"}],
    "lang": "en-US",
    "name": "Home Assistant",
    "short_name": "Home Assistant",
    "start_url": "/?homescreen=1",
    "id": "/?homescreen=1",
    "theme_color": "#03A9F4",
    "prefer_related_applications": True,
    "related_applications": [{"platform": "play", "id": "io.homeassistant.companion.android"}],
}
MANIFEST_JSON = json.dumps(MANIFEST, sort_keys=True, separators=(",", ":")).encode()
INDEX_HTML = (b'<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="manifest" href="/manifest.json">'
              b'<meta name="theme-color" content="#03A9F4"><title>Home Assistant</title></head>'
              b"<body><home-assistant></home-assistant></body></html>")
ONBOARDING_HTML = (b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Home Assistant</title></head>'
                   b"<body><ha-onboarding></ha-onboarding></body></html>")
WEBHOOK_PREFIX = "/api/webhook/"
DEFAULT_WEBHOOK_RECORD = "/run/hass-twin/webhooks.jsonl"
WEBHOOK_RECORD = os.environ.get("HASS_TWIN_WEBHOOK_RECORD", DEFAULT_WEBHOOK_RECORD)
MAX_WEBHOOK_BODY = 1024 * 1024
SECURITY_HEADERS = (("Referrer-Policy", "no-referrer"), ("X-Content-Type-Options", "nosniff"),
                    ("X-Frame-Options", "SAMEORIGIN"))


def log(level: str, name: str, message: str, thread: str = "MainThread") -> None:
    now = time.time()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)) + f".{int(now * 1000) % 1000:03d}"
    print(f"{stamp} {level} ({thread}) [{name}] {message}", flush=True)


def http_config(config_dir: str) -> tuple[list[str], int]:
    """`http:` -> server_host / server_port of configuration.yaml (a tiny reader: top-level `http:` block,
    scalar values or a `[a, b]` / `- a` list)."""
    hosts, port = DEFAULT_HOSTS, DEFAULT_PORT
    try:
        with open(os.path.join(config_dir, "configuration.yaml"), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return hosts, port
    in_http, key, items = False, None, []
    for raw in lines:
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not line.startswith((" ", "\t")):
            in_http = line.strip() == "http:"
            key = None
            continue
        if not in_http:
            continue
        stripped = line.strip()
        if stripped.startswith("- ") and key == "server_host":
            items.append(stripped[2:].strip().strip("'\""))
            hosts = items
            continue
        name, _, value = stripped.partition(":")
        key, value = name.strip(), value.strip()
        if key == "server_port" and value:
            port = int(value)
        elif key == "server_host":
            items = []
            if value.startswith("["):
                hosts = [v.strip().strip("'\"") for v in value.strip("[]").split(",") if v.strip()]
            elif value:
                hosts = [value.strip("'\"")]
    return hosts, port


def onboarded(config_dir: str) -> bool:
    try:
        with open(os.path.join(config_dir, ".storage", "onboarding"), encoding="utf-8") as f:
            done = set(json.load(f)["data"]["done"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return ONBOARDED_STEPS <= done


def make_handler(config_dir: str):
    class Handler(BaseHTTPRequestHandler):
        server_version = "Python/3.13 aiohttp/3.12"
        sys_version = ""
        protocol_version = "HTTP/1.1"

        def version_string(self) -> str:
            return self.server_version

        def _send(self, code: int, body: bytes, ctype: str, headers=(), secure=True) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (*headers, *(SECURITY_HEADERS if secure else ())):
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _webhook(self) -> bool:
            """POST/PUT/GET/HEAD /api/webhook/<id>: 200 with no body (and a record of what came)."""
            path = self.path.split("?", 1)[0]
            webhook_id = path[len(WEBHOOK_PREFIX):] if path.startswith(WEBHOOK_PREFIX) else ""
            if not webhook_id or "/" in webhook_id:
                return False
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, MAX_WEBHOOK_BODY)) if length else b""
            log("INFO", "homeassistant.components.webhook",
                f"Received message for unregistered webhook {webhook_id} from {self.client_address[0]}")
            if self.command in ("POST", "PUT"):
                record_webhook(self.command, webhook_id, self.client_address[0], self.headers.get("Content-Type", ""), body)
            self._send(200, b"", "application/octet-stream")
            return True

        def do_GET(self):
            if self._webhook():
                return
            path = self.path.split("?", 1)[0]
            first = path.strip("/").split("/", 1)[0]
            if path == "/manifest.json":
                self._send(200, MANIFEST_JSON, "application/manifest+json")
            elif path == "/onboarding.html":
                self._send(200, ONBOARDING_HTML, "text/html")
            elif path.startswith("/api/") or path == "/api":
                host = self.headers.get("Host")
                extra = [("WWW-Authenticate", f'Bearer resource_metadata="http://{host}'
                                              '/.well-known/oauth-protected-resource"')] if host else []
                self._send(401, b"401: Unauthorized", "text/plain; charset=utf-8", extra, secure=False)
            elif path == "/" or first in PANELS:
                if not onboarded(config_dir):
                    self._send(302, b"", "application/octet-stream", [("Location", "/onboarding.html")])
                else:
                    self._send(200, INDEX_HTML, "text/html; charset=utf-8")
            else:
                self._send(404, b"404: Not Found", "text/plain; charset=utf-8", secure=False)

        do_HEAD = do_GET

        def do_POST(self):
            if self._webhook():
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if self.path.startswith("/api/"):
                self._send(401, b"401: Unauthorized", "text/plain; charset=utf-8", secure=False)
            else:
                self._send(405, b"405: Method Not Allowed", "text/plain; charset=utf-8", secure=False)

        do_PUT = do_POST

        def log_message(self, fmt, *args):  # HA logs no access lines at INFO
            pass

    return Handler


def record_webhook(method: str, webhook_id: str, remote: str, content_type: str, body: bytes) -> None:
    """Append one received webhook request to WEBHOOK_RECORD (twin-only; see the docstring)."""
    line = json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "method": method, "webhook_id": webhook_id,
                       "remote": remote, "content_type": content_type, "body": body.decode("utf-8", "replace")})
    try:
        os.makedirs(os.path.dirname(WEBHOOK_RECORD), mode=0o700, exist_ok=True)
        fd = os.open(WEBHOOK_RECORD, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write(line + "\n")
    except OSError as e:
        log("ERROR", "homeassistant.components.webhook", f"twin: cannot record the webhook request: {e}")


class Server(ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, family):
        self.address_family = family
        super().__init__(address, handler, bind_and_activate=False)
        if family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            self.server_bind()
            self.server_activate()
        except BaseException:
            self.server_close()
            raise


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hass")
    parser.add_argument("-c", "--config", default=os.path.expanduser("~/.homeassistant"))
    parser.add_argument("--version", action="store_true")
    args, _ = parser.parse_known_args(argv)
    if args.version:
        print(VERSION)
        return 0
    config_dir = os.path.abspath(args.config)
    if not os.path.isdir(config_dir):
        print(f"Fatal Error: Specified configuration directory {config_dir} does not exist", file=sys.stderr)
        return 1
    log("INFO", "homeassistant.bootstrap", f"Config directory: {config_dir}")
    hosts, port = http_config(config_dir)
    servers = []
    for host in hosts:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            servers.append(Server((host, port), make_handler(config_dir), family))
        except OSError as e:
            log("ERROR", "homeassistant.components.http", f"Failed to create HTTP server at port {port}: {e}")
    if not servers:
        return 1
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    log("INFO", "homeassistant.components.http", f"Now listening on port {port} "
        f"({', '.join(hosts)}); onboarded: {onboarded(config_dir)}")
    log("INFO", "homeassistant.core", f"Starting Home Assistant {VERSION} (twin stand-in, running as uid {os.getuid()})")
    log("INFO", "homeassistant.bootstrap", "Home Assistant initialized in 0.05s")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
