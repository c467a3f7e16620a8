"""The owner in mini reaches studio and dietpi as the suite will: OpenSSH client, BatchMode, host keys
verified against his known_hosts (StrictHostKeyChecking=yes), his ~/.ssh/config (studio by alias, dietpi
by the Host whose HostName is its address). And the outer machine reaches all three hosts."""
import pytest

from lab import topology as topo

STRICT = ["ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=5"]


def from_mini(twin, *argv: str):
    return twin.exec_in("mini", [*STRICT, *argv], user=topo.OWNER, timeout=30)


def test_ssh_studio_from_mini_is_a_darwin_host(twin):
    cp = from_mini(twin, "studio", "uname", "-s")
    assert (cp.returncode, cp.stdout) == (0, "Darwin\n"), cp.stderr


def test_ssh_dietpi_by_address_from_mini_reaches_home_assistant(twin):
    cp = from_mini(twin, topo.HOSTS["dietpi"].address, "systemctl", "is-active", "home-assistant.service")
    assert (cp.returncode, cp.stdout) == (0, "active\n"), cp.stderr


def test_mini_owner_ssh_config_finds_dietpi_by_address_only(twin):
    config = twin.exec_in("mini", ["cat", f"{topo.OWNER_HOME}/.ssh/config"], user=topo.OWNER, check=True).stdout
    assert f"HostName {topo.HOSTS['dietpi'].address}" in config and f"HostName {topo.HOSTS['studio'].address}" in config


def test_an_unknown_host_key_is_refused(twin):
    """known_hosts really is what lets them in: with an empty one, BatchMode ssh refuses the host."""
    cp = from_mini(twin, "-o", "UserKnownHostsFile=/dev/null", "studio", "true")
    assert cp.returncode == 255 and "Host key verification failed" in cp.stderr


@pytest.mark.parametrize("host", sorted(topo.HOSTS))
def test_outer_machine_reaches_every_host_as_root_and_owner(twin, host):
    assert twin.exec_in(host, ["id", "-un"], check=True).stdout == "root\n"
    assert twin.exec_in(host, ["id", "-un"], user=topo.OWNER, check=True).stdout == f"{topo.OWNER}\n"


@pytest.mark.parametrize("host", sorted(set(topo.HOSTS) - {"mini"}))
def test_the_new_hosts_have_no_route_out(twin, host):
    assert twin.exec_in(host, ["ip", "-4", "route", "show", "default"], check=True).stdout.strip() == ""
