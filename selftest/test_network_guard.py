"""The self-tests' guard refuses lab addresses before any packet leaves."""
import socket

import pytest

from selftest.conftest import ForbiddenConnection


@pytest.mark.parametrize("address", ["192.168.1.72", "192.168.1.70", "8.8.8.8"])
def test_lab_and_outside_addresses_are_refused(address):
    with socket.socket() as s, pytest.raises(ForbiddenConnection):
        s.connect((address, 8100))


def test_loopback_is_allowed():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
