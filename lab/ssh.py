"""SSH from the outer machine into twin hosts: keys, known_hosts, ssh_config, and the command runner.

Host keys are generated per boot into the host's root and written to our known_hosts, so ssh runs with
StrictHostKeyChecking=yes against keys we know, never trust-on-first-use.
"""
import os
import shlex
import shutil
import subprocess
from pathlib import Path

from . import paths, topology as topo
from .proc import run

HOST_KEY_TYPES = ("ed25519", "ecdsa", "rsa")
DROPBEAR_KEY_TYPES = ("ed25519", "ecdsa")  # what dropbear 2022.83 offers here; RSA would only slow the first boot
DROPBEAR_KEY_DIR = "/etc/dropbear"  # Debian's dropbear package keeps them there (dropbear_<type>_host_key)


def ensure_client_keys() -> None:
    for key, comment in ((paths.admin_key(), "llm-lab-twin-admin"), (paths.owner_key(), "christopherbailey@twin")):
        if not key.exists():
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", key])


def install_host_keys(name: str, root: Path, server: str = "openssh") -> list[str]:
    """The host's ssh host keys, kept in LAB_DIR/hostkeys/<name> across boots (as a real host keeps them;
    RSA generation alone takes 0.1-2 s), installed into its /etc/ssh in place of the base image's
    (server "dropbear": dropbear's own keys in /etc/dropbear, and none in /etc/ssh).
    Returns the public key lines."""
    keydir = paths.lab_dir() / "hostkeys" / name
    keydir.mkdir(parents=True, exist_ok=True)
    if server == "dropbear":
        for old in (root / "etc/ssh").glob("ssh_host_*"):
            old.unlink()  # the base image's (the outer machine's) keys: never inside a twin host
        return _install_dropbear_keys(root, keydir)
    procs = [subprocess.Popen(["ssh-keygen", "-q", "-t", t, "-N", "", "-C", f"root@{name}",
                               "-f", keydir / f"ssh_host_{t}_key"], stdin=subprocess.DEVNULL)
             for t in HOST_KEY_TYPES if not (keydir / f"ssh_host_{t}_key.pub").exists()]
    for p in procs:  # generated in parallel, once
        if p.wait() != 0:
            raise RuntimeError(f"ssh-keygen failed in {keydir}")
    etc = root / "etc/ssh"
    for old in etc.glob("ssh_host_*"):
        old.unlink()
    for t in HOST_KEY_TYPES:
        for suffix, mode in (("", 0o600), (".pub", 0o644)):
            dst = etc / f"ssh_host_{t}_key{suffix}"
            shutil.copyfile(keydir / dst.name, dst)
            os.chmod(dst, mode)
    return [" ".join((keydir / f"ssh_host_{t}_key.pub").read_text().split()[:2]) for t in HOST_KEY_TYPES]


def _install_dropbear_keys(root: Path, keydir: Path) -> list[str]:
    """dropbearkey-generated host keys (once, persisted like the OpenSSH ones), public lines via `dropbearkey -y`."""
    target = root / DROPBEAR_KEY_DIR.lstrip("/")
    target.mkdir(mode=0o755, parents=True, exist_ok=True)
    lines = []
    for t in DROPBEAR_KEY_TYPES:
        key = keydir / f"dropbear_{t}_host_key"
        if not key.exists():
            run(["dropbearkey", "-t", t, "-f", key])
        shutil.copyfile(key, target / key.name)
        os.chmod(target / key.name, 0o600)
        out = run(["dropbearkey", "-y", "-f", key]).stdout
        pub = next((ln for ln in out.splitlines() if ln.startswith(("ssh-", "ecdsa-"))), None)
        if pub is None:
            raise RuntimeError(f"dropbearkey -y -f {key} printed no public key: {out!r}")
        lines.append(" ".join(pub.split()[:2]))
    return lines


def write_client_files(host_keys: dict[str, list[str]]) -> None:
    """known_hosts + ssh_config for every host that is up (host_keys: name -> public key lines)."""
    kh = []
    cfg = []
    for name, keys in sorted(host_keys.items()):
        addr = topo.host(name).address
        kh += [f"{name},{addr} {k}" for k in keys]
        # User: the owner, as the suite logs in from outside (`--ssh-config` this file); `lab exec` says user@host
        cfg += [f"Host {name}", f"  HostName {addr}", f"  User {topo.OWNER}", f"  IdentityFile {paths.admin_key()}",
                "  IdentitiesOnly yes",
                "  StrictHostKeyChecking yes", f"  UserKnownHostsFile {paths.known_hosts()}",
                "  GlobalKnownHostsFile /dev/null", "  BatchMode yes",
                # the default post-quantum kex (sntrup761) costs ~150 ms per connection here; the links are local
                "  KexAlgorithms curve25519-sha256", "  ConnectTimeout 5",
                "  ServerAliveInterval 15", "  LogLevel ERROR", ""]
    paths.known_hosts().write_text("\n".join(kh) + "\n")
    paths.ssh_config().write_text("\n".join(cfg))


def argv(host: str, command: list[str] | str, user: str = "root", connect_timeout: float | None = None) -> list[str]:
    """ssh argv running `command` (an argv, quoted with shlex.join, or a shell string) on a twin host."""
    remote = command if isinstance(command, str) else shlex.join(command)
    opts = ["-o", f"ConnectTimeout={connect_timeout}"] if connect_timeout else []
    return ["ssh", "-F", str(paths.ssh_config()), "-T", *opts, f"{user}@{host}", "--", remote]


def run_in(host: str, command, *, user="root", input=None, timeout=None, capture=True,
           connect_timeout=None) -> subprocess.CompletedProcess:
    """Run on a twin host; stdout/stderr/exit status are the remote command's (255 = ssh itself failed)."""
    return subprocess.run(argv(host, command, user, connect_timeout), input=input, text=True,
                          capture_output=capture, timeout=timeout,
                          stdin=None if input is not None else subprocess.DEVNULL)


def exec_in(host: str, command: list[str], user: str = "root"):
    """Replace this process with ssh: stdin/stdout/stderr and the exit status pass through untouched."""
    a = argv(host, command, user)
    os.execvp(a[0], a)
