"""Listening sockets: `ss -ltnH` (needs no privilege to list every listener) and its parser."""
from __future__ import annotations

from dataclasses import dataclass

LISTENERS_COMMAND = ["ss", "-ltnH"]


@dataclass(frozen=True)
class Listening:
    address: str
    port: int

    @property
    def wildcard(self) -> bool:
        return self.address in ("0.0.0.0", "*", "::", "[::]")


def parse_ss(text: str) -> list[Listening]:
    """Lines like `LISTEN 0 4096 0.0.0.0:4000 0.0.0.0:*` or `... [::1]:631 [::]:*` or `... *:22 *:*`."""
    found = []
    for line in text.splitlines():
        cols = line.split()
        if len(cols) < 5:
            continue
        local = cols[3]
        address, _, port = local.rpartition(":")
        if not port.isdigit():
            continue
        address = address.split("%", 1)[0]  # 127.0.0.53%lo
        if address.startswith("[") and address.endswith("]"):
            address = address[1:-1]
        found.append(Listening(address, int(port)))
    return found
