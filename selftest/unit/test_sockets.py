"""`ss -ltnH` of iproute2 6.1 (Debian 12): every listener, IPv4 and IPv6, with and without -p.

The fixtures are real `ss` output of sockets bound for the purpose (a dual-stack `::`
socket shows as `*`, a v6-only one as `[::]`), with process names set to the Mini's.
"""
import pytest

from conformance.facts.sockets import LISTENERS_COMMAND, Listening, parse_ss
from conformance.runner import check_read_only
from ._support import fixture

EXPECTED = [
    Listening("127.0.0.53", 53),
    Listening("0.0.0.0", 3000),
    Listening("127.0.0.1", 631),
    Listening("0.0.0.0", 4000),
    Listening("::1", 631),
    Listening("::", 9000),
    Listening("*", 11434),
    Listening("*", 22),
]


def test_listeners_command_is_on_the_allowlist():
    check_read_only(LISTENERS_COMMAND)
    assert LISTENERS_COMMAND == ["ss", "-ltnH"]


@pytest.mark.parametrize("name", ["ss-ltnH.txt", "ss-ltnpH.txt"])
def test_every_listener_is_found_with_and_without_process_column(name):
    assert parse_ss(fixture(name)) == EXPECTED


def test_interface_suffix_is_dropped():
    assert Listening("127.0.0.53", 53) in parse_ss(fixture("ss-ltnH.txt"))
    assert not any("%" in l.address for l in parse_ss(fixture("ss-ltnH.txt")))


def test_ipv6_with_an_interface_suffix():
    # real `ss` output of a v6 socket bound to a device: the suffix follows the brackets
    found = parse_ss("LISTEN 0      128    [::1]%lo:8123    [::]:*\n")
    assert found == [Listening("::1", 8123)]


@pytest.mark.parametrize("address, wildcard", [("0.0.0.0", True), ("*", True), ("::", True),
                                               ("127.0.0.1", False), ("::1", False), ("192.168.1.71", False)])
def test_wildcard_addresses(address, wildcard):
    assert Listening(address, 1).wildcard is wildcard


def test_header_and_junk_lines_are_ignored():
    text = ("State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n"
            "\n"
            "LISTEN 0      4096         0.0.0.0:4000  0.0.0.0:*\n"
            "garbage\n")
    assert parse_ss(text) == [Listening("0.0.0.0", 4000)]


def test_empty_output_means_nothing_listens():
    assert parse_ss("") == []


def test_several_binds_of_one_port_are_each_a_listener():
    """Real `ss -ltnH` (iproute2 6.1) of three sockets bound to one port on 127.0.0.1, 127.0.0.2 and ::1 (a port
    with several bind addresses, as Samba's `interfaces = lo <LAN address>` gives): every bind is its own row."""
    found = parse_ss(fixture("ss-ltnH-several-binds.txt"))
    assert found == [Listening("127.0.0.2", 14450), Listening("127.0.0.1", 14450), Listening("::1", 14450)]
