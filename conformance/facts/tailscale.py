"""Tailscale Serve's mappings of a host: `tailscale serve status --json` and its parser.

The JSON is tailscaled's ipn.ServeConfig marshalled by Go (tailscale/tailscale, cmd/tailscale/cli/serve_legacy.go
runServeStatus: `json.MarshalIndent(sc, "", "  ")`; no config at all prints `{}`). Its shape (ipn/serve.go):

    {"TCP": {"<port>": {"HTTPS": true, "HTTP": true, "TCPForward": "127.0.0.1:4000", "TerminateTLS": "..."}},
     "Web": {"<dnsname>:<port>": {"Handlers": {"<path>": {"Path": "/dir", "Proxy": "http://...", "Text": "..."}}}},
     "Services": {"svc:<name>": {"TCP": {...}, "Web": {...}, "Tun": true}},
     "AllowFunnel": {"<dnsname>:<port>": true}, "Foreground": {"<session>": {<a ServeConfig>}}}

every field omitted when empty. Real captures of the shape: a node-level HTTPS port with a path handler and
AllowFunnel (gbraad-cockpit/cockpit-tailscale issue #20), a Service with a TCP forward only (tailscale/tailscale
issue #18289); the owner's baseline names a node-level `themini.<tailnet>:8123` proxy and seven `svc:*` web
services (bebopbabailey/homelab-llm@1b54b73 docs/v2/inventory/MINI_BASELINE.md:28-37). Fixtures:
selftest/fixtures/tailscale/.

A mapping is read per serve (`node`, or the Service's name), port and path: a web handler's port is the number after
the last `:` of its Web key (the DNS name before it differs per tailnet and is kept only for display); a TCP port
with a TCPForward is a raw forward. Foreground configs (a `tailscale serve` running in a terminal, gone with it)
are not read: they are not the host's configuration.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

SERVE_STATUS_COMMAND = ["tailscale", "serve", "status", "--json"]


class ServeStatusError(ValueError):
    """What tailscale printed is not a ServeConfig this parser can read; the message says why."""


@dataclass(frozen=True)
class Served:
    """One mapping: where it is served (`node` or `svc:<name>`), its port, and what it leads to."""

    serve: str
    port: int
    path: str | None  # a web handler's path; None for a TCP forward
    target: str  # the Proxy URL, `text` / `files <dir>` / `redirect <url>` of a handler, or the TCPForward
    kind: str  # proxy | text | files | redirect | tcp-forward
    web_key: str = ""  # the Web key as printed, `<dnsname>:<port>` (display only)

    def describe(self) -> str:
        where = f"{self.serve} :{self.port}{self.path or ''}"
        return f"{where} -> {self.target}" if self.kind in ("proxy", "tcp-forward") else f"{where} -> {self.kind} {self.target}"


def parse_serve_status(stdout: str) -> list[Served]:
    """Every mapping of the node and of its Services, in the order tailscale printed them."""
    try:
        config = json.loads(stdout)
    except json.JSONDecodeError as e:
        raise ServeStatusError(f"not JSON: {e}") from None
    if not isinstance(config, dict):
        raise ServeStatusError(f"not a ServeConfig object: {type(config).__name__}")
    found = _mappings("node", config)
    services = _object(config, "Services")
    for name, service in services.items():
        if not isinstance(service, dict):
            raise ServeStatusError(f"Services[{name!r}]: not an object")
        found += _mappings(name, service)
    return found


def _object(value: dict, key: str) -> dict:
    got = value.get(key)
    if got is None:  # omitempty: an empty map is not printed
        return {}
    if not isinstance(got, dict):
        raise ServeStatusError(f"{key}: expected an object, found {type(got).__name__}")
    return got


def _port(text: str, where: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ServeStatusError(f"{where}: not a port: {text!r}")
    return int(text)


def _mappings(serve: str, config: dict) -> list[Served]:
    found: list[Served] = []
    for port, handler in _object(config, "TCP").items():
        if not isinstance(handler, dict):
            raise ServeStatusError(f"{serve} TCP[{port!r}]: not an object")
        forward = handler.get("TCPForward")
        if forward:
            found.append(Served(serve, _port(port, f"{serve} TCP"), None, str(forward), "tcp-forward"))
    for key, web in _object(config, "Web").items():
        host, sep, port = key.rpartition(":")
        if not sep:
            raise ServeStatusError(f"{serve} Web[{key!r}]: not <dnsname>:<port>")
        number = _port(port, f"{serve} Web[{key!r}]")
        if not isinstance(web, dict):
            raise ServeStatusError(f"{serve} Web[{key!r}]: not an object")
        for path, handler in _object(web, "Handlers").items():
            if not isinstance(handler, dict):
                raise ServeStatusError(f"{serve} Web[{key!r}].Handlers[{path!r}]: not an object")
            kind, target = _handler(handler)
            found.append(Served(serve, number, path, target, kind, key))
    return found


def _handler(handler: dict) -> tuple[str, str]:
    """What an HTTPHandler does (ipn/serve.go: one of Proxy, Path, Text, Redirect is set)."""
    for field, kind in (("Proxy", "proxy"), ("Path", "files"), ("Redirect", "redirect")):
        if handler.get(field):
            return kind, str(handler[field])
    if "Text" in handler:
        return "text", repr(handler["Text"])
    return "unknown", json.dumps(handler, sort_keys=True)
