"""Self-tests: a guard refuses every connection outside loopback and the twin's own subnet."""
from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

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


TWIN_DIR = Path(__file__).parent / "twin"


def pytest_collection_modifyitems(items):
    """For `pytest-xdist --dist loadgroup` (make test): the twin proof is one group, run in order by one worker, while
    the other workers take the unit self-tests a file at a time (a module's fixtures and order as in one process).
    The twin proof is collected first, so it starts at once. Without xdist the marks do nothing."""
    for item in items:
        in_twin = Path(item.path).is_relative_to(TWIN_DIR)
        item.add_marker(pytest.mark.xdist_group("twin" if in_twin else item.nodeid.split("::", 1)[0]))
    items.sort(key=lambda item: not Path(item.path).is_relative_to(TWIN_DIR))
