"""Listening TCP sockets on macOS: `netstat -an -p tcp` and its parser.

Why netstat and not lsof: without root, macOS `lsof` lists only the caller's own sockets, so
the MLX servers of a root LaunchDaemon would be invisible; `netstat -an` lists every socket to
anyone (inspec/inspec #6219).

The format (Parse::Netstat::darwin's sample, https://metacpan.org/pod/Parse::Netstat::darwin):

    Active Internet connections (including servers)
    Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)
    tcp4       0      0  10.8.0.6.54433         1.2.3.4.443            ESTABLISHED
    tcp46      0      0  *.80                   *.*                    LISTEN

An address is `host.port`: the port follows the LAST dot (`::1.18970`, `127.0.0.1.8100`), and
`*` is the wildcard host. Columns are found by the header, because releases have changed them
(`-v` adds rxbytes/txbytes, pid/epid or `process:pid` with names holding spaces; see
studio-contract-facts.md A2); without a header the classic layout is assumed.
"""
from __future__ import annotations

from .sockets import Listening

NETSTAT_COMMAND = ["netstat", "-an", "-p", "tcp"]

WILDCARDS = {"tcp4": "0.0.0.0", "tcp6": "::", "tcp46": "*"}  # what `*` means, per protocol (see parse_netstat)

_CLASSIC_COLUMNS = {"Proto": 0, "Local Address": 3, "(state)": 5}  # the layout above, for a missing header


def parse_netstat(text: str) -> list[Listening]:
    """Every LISTEN row of tcp4, tcp6 and tcp46, in the order netstat printed them.

    The wildcard host `*` becomes the address Linux's `ss` (parse_ss) gives the same socket, so
    one documented address compares alike on the Mini and the Studio: tcp4 is an IPv4-only
    socket bound to INADDR_ANY (ss: `0.0.0.0`), tcp6 an IPv6-only one bound to in6addr_any
    (ss: `[::]`, parsed as `::`), tcp46 a dual-stack socket accepting both (ss: `*`).
    mlx-openai-server's default `--host 0.0.0.0` gives tcp4 `*.8100`, i.e. `0.0.0.0:8100`.

    IPv6 hosts lose their zone (`fe80::1%lo0` -> `fe80::1`), as parse_ss drops `%lo`. macOS
    truncates a long IPv6 host to 16 characters in this table (`2600:1700:5610:3.50624`), so
    only short ones (`::1`, wildcards) are reliable; IPv4 hosts are never truncated.
    """
    columns = _CLASSIC_COLUMNS
    found = []
    for line in text.splitlines():
        cols = line.split()
        if cols[:1] == ["Proto"]:  # not "Proto/ID", the header of the Multipath section
            columns = _header_columns(cols) or columns
            continue
        if not cols or cols[0] not in WILDCARDS:
            continue
        local_at, state_at = columns["Local Address"], columns["(state)"]
        if len(cols) <= max(local_at, state_at) or cols[state_at] != "LISTEN":
            continue
        host, dot, port = cols[local_at].rpartition(".")
        if not dot or not port.isdigit():
            continue
        host = WILDCARDS[cols[0]] if host == "*" else host.split("%", 1)[0]
        found.append(Listening(host, int(port)))
    return found


def _header_columns(words: list[str]) -> dict[str, int] | None:
    """Column index by name; `Local Address` and `Foreign Address` are one column each, two words."""
    names: list[str] = []
    for word in words:
        if word == "Address" and names and names[-1] in ("Local", "Foreign"):
            names[-1] += " Address"
        else:
            names.append(word)
    if "Local Address" not in names or "(state)" not in names:
        return None
    return {name: names.index(name) for name in ("Proto", "Local Address", "(state)") if name in names}
