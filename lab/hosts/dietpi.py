"""dietpi: the DietPi host running Home Assistant Core as a systemd service, reached over Dropbear.

Laid out as DietPi's installer lays it out (MichaIng/DietPi, dietpi/dietpi-software, `To_Install 157
home-assistant`, read at d52164f8c3633b862ce5efa1b49662f301471316): the venv at /opt/homeassistant/.venv,
the config at /mnt/dietpi_userdata/homeassistant, `home-assistant.service` with
`ExecStart=/opt/homeassistant/.venv/bin/hass -c /mnt/dietpi_userdata/homeassistant`; except where the
lab's documents say otherwise (the inventory: "systemd-managed OS package install (no Docker), running as
root"): no `User=homeassistant`, and `Restart=always`. `hass` is a stand-in (lab/standins/home_assistant.py).
The SSH server is Dropbear, DietPi's default, run by systemd with keys made by dropbearkey.
"""
from .. import paths, topology as topo
from ..proc import run
from ..tree import Tree
from . import Context, Service, base

OWN = topo.OWNER
HA_HOME = "/opt/homeassistant"
HA_CONFIG = "/mnt/dietpi_userdata/homeassistant"
HASS = f"{HA_HOME}/.venv/bin/hass"

SSH_SERVER = "dropbear"
SERVICES = [Service("home-assistant.service", "system", 8123, "/manifest.json")]
MANAGED_USERS: list[str] = []

HA_UNIT = f"""\
[Unit]
Description=Home Assistant (DietPi)
Wants=network-online.target
After=network-online.target mariadb.service

[Service]
SyslogIdentifier=Home Assistant
ExecStart={HASS} -c {HA_CONFIG}
Restart=always
RestartForceExitStatus=100

[Install]
WantedBy=multi-user.target
"""

# Debian's dropbear package runs it like this (dropbear-bin alone has no unit): foreground, log to stderr
DROPBEAR_UNIT = """\
[Unit]
Description=Lightweight SSH server
Documentation=man:dropbear(8)
After=network.target

[Service]
ExecStart=/usr/sbin/dropbear -F -E -s -p 22 -r /etc/dropbear/dropbear_ed25519_host_key -r /etc/dropbear/dropbear_ecdsa_host_key
KillMode=process
Restart=on-failure

[Install]
WantedBy=multi-user.target
"""

CONFIGURATION_YAML = """\
# Loads default set of integrations. Do not remove.
default_config:
"""

# every onboarding step done: an instance in use (IndexView then serves the frontend, not a redirect)
ONBOARDING = """\
{
  "version": 4,
  "minor_version": 1,
  "key": "onboarding",
  "data": {
    "done": ["user", "core_config", "analytics", "integration"]
  }
}
"""


def provision(tree: Tree, ctx: Context) -> None:
    base.add_owner(tree, ctx, linger=False)  # in systemd-journal, as on mini
    _dropbear(tree)
    _home_assistant(tree)


def _enable(tree: Tree, unit: str) -> None:
    tree.symlink(f"/etc/systemd/system/{unit}", f"/etc/systemd/system/multi-user.target.wants/{unit}")


def _dropbear(tree: Tree) -> None:
    tree.remove("/etc/systemd/system/multi-user.target.wants/ssh.service")
    tree.remove("/etc/ssh/sshd_config.d/50-twin.conf")
    for unit in ("ssh.service", "ssh.socket", "sshd.service"):
        tree.symlink("/dev/null", f"/etc/systemd/system/{unit}")  # DietPi runs no OpenSSH server
    tree.write("/etc/systemd/system/dropbear.service", DROPBEAR_UNIT)
    _enable(tree, "dropbear.service")


def _home_assistant(tree: Tree) -> None:
    # DietPi's installer makes this user (Create_User ... homeassistant); the lab's HA runs as root, so it
    # owns nothing here, but a fault can switch the unit to it
    run(["useradd", "--root", tree.root, "-r", "-M", "-d", HA_HOME, "-s", "/usr/sbin/nologin", "-U", "homeassistant"])
    tree.mkdir(HA_HOME, 0o755)
    tree.install(paths.STANDINS / "home_assistant.py", HASS, 0o755)
    tree.write(f"{HA_CONFIG}/configuration.yaml", CONFIGURATION_YAML, 0o644)
    tree.write(f"{HA_CONFIG}/.HA_VERSION", "2025.8.0\n", 0o644)
    # HA writes .storage files 0600; 0644 here, so a fault that runs HA as another user changes only that
    tree.write(f"{HA_CONFIG}/.storage/onboarding", ONBOARDING, 0o644)
    tree.symlink(HA_CONFIG, f"{HA_HOME}/.homeassistant")
    tree.write("/etc/systemd/system/home-assistant.service", HA_UNIT)
    _enable(tree, "home-assistant.service")
