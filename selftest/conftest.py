"""Self-tests: a guard refuses every connection outside loopback and the twin's own subnet."""
from __future__ import annotations

import ipaddress
import socket

import pytest

ALLOWED = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"), ipaddress.ip_network("10.213.0.0/24")]


class ForbiddenConnection(RuntimeError):
    pass


def allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address in ("localhost",)
    return any(ip in net for net in ALLOWED)


@pytest.fixture(autouse=True, scope="session")
def network_guard():
    """Any connect() to another address fails loudly, before a packet leaves."""
    original = socket.socket.connect
    original_ex = socket.socket.connect_ex

    def check(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if not allowed(host):
                raise ForbiddenConnection(f"self-tests may only reach loopback and the twin (10.213.0.0/24), not {host}")

    def connect(sock, address):
        check(sock, address)
        return original(sock, address)

    def connect_ex(sock, address):
        check(sock, address)
        return original_ex(sock, address)

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
    yield
    socket.socket.connect, socket.socket.connect_ex = original, original_ex

