#!/usr/bin/python3
"""`tailscale` stand-in (twin, mini): `tailscale serve status --json`, from a state file.

Read in tailscale/tailscale at de9ec7ee25627e0e518f53c710a3fc3d947c86c1 (2026-08-22):
- cmd/tailscale/cli/serve_legacy.go:618-631 runServeStatus: with --json it prints `json.MarshalIndent(sc, "", "  ")`
  and a newline; client/local/serve.go:23-37: no config is an empty ServeConfig, so `{}`.
- ipn/serve.go:38-189: ServeConfig {TCP map[uint16]*TCPPortHandler, Web map[HostPort]*WebServerConfig, Services
  map[ServiceName]*ServiceConfig, AllowFunnel map[HostPort]bool, Foreground map[string]*ServeConfig}, all
  `omitempty` (ETag is `json:"-"`); ServiceConfig {TCP, Web, Tun (omitempty)}; TCPPortHandler {HTTPS, HTTP,
  TCPForward, TerminateTLS (omitempty), ProxyProtocol (omitzero)}; WebServerConfig {Handlers} (never omitted);
  HTTPHandler {Path, Proxy, Text, AcceptAppCaps, Redirect} (omitempty).
- Go's encoding/json writes struct fields in declaration order, sorts map keys as strings (so "443" < "4443" <
  "8123"), and escapes <, > and & as \\u003c, \\u003e, \\u0026.
The state file (TAILSCALE_TWIN_STATE, default /var/lib/tailscale-twin/serve.json) holds the ServeConfig as JSON, as
tailscaled keeps it in its state store (ipn/serve.go:51-52); twin tooling edits it to change a mapping (the owner's
`:8123` forward, docs/v2/inventory/MINI_BASELINE.md:37, is a node-level `TCP["8123"]` +
`Web["themini.<tailnet>:8123"]`). What it prints
is that config rewritten the way Go would marshal it, whatever order or empty fields the file has.

Only `serve status --json` is implemented; anything else says so and exits 64 (twin limitation).
"""
from __future__ import annotations

import json
import os
import sys

STATE_FILE = os.environ.get("TAILSCALE_TWIN_STATE", "/var/lib/tailscale-twin/serve.json")
HANDLER_FIELDS = ("Path", "Proxy", "Text", "AcceptAppCaps", "Redirect")
TCP_FIELDS = ("HTTPS", "HTTP", "TCPForward", "TerminateTLS", "ProxyProtocol")


def _present(value) -> bool:
    """Go's omitempty / omitzero: false, 0, "", nil and empty maps and slices are left out."""
    return value not in (None, False, 0, "") and value != {} and value != []


def _sorted_map(value: dict | None, convert) -> dict:
    return {str(k): convert(v) for k, v in sorted((value or {}).items(), key=lambda kv: str(kv[0]))}


def _fields(value: dict | None, names: tuple[str, ...]) -> dict:
    value = value or {}
    return {name: value[name] for name in names if _present(value.get(name))}


def _web(value: dict | None) -> dict:
    return {"Handlers": _sorted_map((value or {}).get("Handlers"), lambda h: _fields(h, HANDLER_FIELDS)) or None}


def _tcp_and_web(value: dict) -> dict:
    out = {}
    if _present(value.get("TCP")):
        out["TCP"] = _sorted_map(value["TCP"], lambda h: _fields(h, TCP_FIELDS))
    if _present(value.get("Web")):
        out["Web"] = _sorted_map(value["Web"], _web)
    return out


def marshal_serve_config(config: dict) -> dict:
    """The ServeConfig as Go marshals it: declaration order, omitempty, map keys sorted."""
    out = _tcp_and_web(config)
    if _present(config.get("Services")):
        out["Services"] = _sorted_map(config["Services"], lambda s: {**_tcp_and_web(s or {}),
                                                                    **({"Tun": True} if (s or {}).get("Tun") else {})})
    if _present(config.get("AllowFunnel")):
        out["AllowFunnel"] = _sorted_map(config["AllowFunnel"], bool)
    if _present(config.get("Foreground")):
        out["Foreground"] = _sorted_map(config["Foreground"], marshal_serve_config)
    return out


def go_json(value) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def main(argv: list[str]) -> int:
    if argv[:2] == ["serve", "status"] and "--json" in argv[2:]:
        try:
            with open(STATE_FILE, encoding="utf-8") as f:
                config = json.load(f) or {}
        except FileNotFoundError:
            config = {}
        sys.stdout.write(go_json(marshal_serve_config(config)) + "\n")
        return 0
    print(f"tailscale (twin stand-in): not implemented: {' '.join(argv) or '(no command)'}; "
          "only `tailscale serve status --json`", file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
