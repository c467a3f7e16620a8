"""Shared helpers of the unit self-tests: fixture paths, a real-shell backend, a fake Mini.

The fake Mini is a real /bin/sh running the Runner's real batch script, with PATH pointing
at small shims (cat, stat, readlink, systemctl, ss, id, journalctl) that answer from a
fake root directory and canned files. So HostFacts, the Runner and the parsers run
unmodified; only the host is fake.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from conformance.checks.derive import host_checks
from conformance.facts.host import HostFacts
from conformance.facts.kinds import kind_of
from conformance.facts.needs import PLATFORM, Need
from conformance.facts.plan import HostPlan
from conformance.inventory import Inventory, load_inventory
from conformance.runner import ProcessBackend, RawResult, Runner
from conformance.runner.sshconfig import Files
from conformance.session import secret_env_keys
from conformance.site import SiteAddresses

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "selftest" / "fixtures"
INVENTORY = ROOT / "inventory.yaml"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def real_inventory() -> Inventory:
    return load_inventory(INVENTORY)


class ShellBackend(ProcessBackend):
    """The suite's own local transport (/bin/sh reading the script), with a chosen user and environment;
    remembers each script it ran."""

    def __init__(self, user: str = "tester", env: dict[str, str] | None = None, delay: float = 0.0) -> None:
        super().__init__(["/bin/sh", "-s"], user, env=env)
        self.delay = delay
        self.scripts: list[str] = []

    def run(self, script: str, deadline: float = 30.0) -> RawResult:
        self.scripts.append(script)
        time.sleep(self.delay)
        return super().run(script, deadline)


class FakeRootBackend(ShellBackend):
    """Like ShellBackend, but the runner's regular-file guard looks under the fake root, as the shims do."""

    def run(self, script: str, deadline: float = 30.0) -> RawResult:
        script = script.replace("__regular() {", "__regular_here() {", 1)
        script = script.replace("LC_ALL=C; export LC_ALL\n",
                                'LC_ALL=C; export LC_ALL\n__regular() { __regular_here "$FAKEROOT$1"; }\n', 1)
        return super().run(script, deadline)


_SHIMS = {
    "head": r'''n="$2"; shift 2; [ "$1" = "--" ] && shift
f="$FAKEROOT$1"
if /bin/grep -qxF -- "$1" "$FAKEDIR/denied"; then echo "head: cannot open '$1' for reading: Permission denied" >&2; exit 1
elif [ -d "$f" ]; then echo "head: error reading '$1': Is a directory" >&2; exit 1
elif [ -e "$f" ]; then exec /usr/bin/head -c "$n" -- "$f"
else echo "head: cannot open '$1' for reading: No such file or directory" >&2; exit 1; fi
''',
    "sha256sum": r'''[ "$1" = "--" ] && shift
f="$FAKEROOT$1"
if /bin/grep -qxF -- "$1" "$FAKEDIR/denied"; then echo "sha256sum: $1: Permission denied" >&2; exit 1
elif [ -e "$f" ]; then printf '%s  %s\n' "$(/usr/bin/sha256sum < "$f" | /usr/bin/cut -d' ' -f1)" "$1"
else echo "sha256sum: $1: No such file or directory" >&2; exit 1; fi
''',
    "sleep": r'''exec /bin/sleep "$@"
''',
    "stat": r'''fmt="$2"; shift 3; rc=0
for p in "$@"; do
  if /bin/grep -qxF -- "$p" "$FAKEDIR/denied"; then echo "stat: cannot statx '$p': Permission denied" >&2; rc=1
  elif [ -e "$FAKEROOT$p" ] || [ -L "$FAKEROOT$p" ]; then
    printf '%s%s\n' "$(/usr/bin/stat -c "${fmt%\%n}" -- "$FAKEROOT$p")" "$p"
  else echo "stat: cannot statx '$p': No such file or directory" >&2; rc=1; fi
done
exit $rc
''',
    "readlink": r'''[ "$1" = "--" ] && shift
exec /bin/readlink -- "$FAKEROOT$1"
''',
    "systemctl": r'''case " $* " in *" --user "*) f="$FAKEDIR/show-user.txt";; *) f="$FAKEDIR/show-system.txt";; esac
/bin/cat "$f"
''',
    "ss": r'''/bin/cat "$FAKEDIR/ss.txt"
''',
    # `tailscale serve status --json`: the canned JSON, or tailscaled's refusal when none is given
    "tailscale": r'''f="$FAKEDIR/tailscale-serve.json"
if [ -f "$f" ]; then exec /bin/cat "$f"; fi
echo "failed to connect to local tailscaled; it doesn't appear to be running (sudo systemctl start tailscaled ?)" >&2; exit 1
''',
    "id": r'''case "$1" in -un) echo "$FAKE_USER";; -Gn) echo "$FAKE_GROUPS";; esac
''',
    "journalctl": r'''/bin/cat "$FAKEDIR/journal.txt"; /bin/cat "$FAKEDIR/journal.err" >&2; exit "$(/bin/cat "$FAKEDIR/journal.rc")"
''',
    # the real OpenSSH client, resolving an alias (-G) with the config file under the fake root
    "ssh": r'''[ "$1" = "-G" ] && [ "$2" = "-F" ] || exit 255
shift 2; f="$FAKEROOT$1"; shift
exec /usr/bin/ssh -G -F "$f" "$@"
''',
}


class FakeMini:
    """A fake Linux host for HostFacts: files under a fake root, canned command answers."""

    def __init__(self, tmp_path: Path, user: str = "christopherbailey", groups: str = "christopherbailey systemd-journal") -> None:
        self.root = tmp_path / "root"
        self.dir = tmp_path / "answers"
        self.bin = tmp_path / "bin"
        for d in (self.root, self.dir, self.bin):
            d.mkdir(parents=True, exist_ok=True)
        for name, body in _SHIMS.items():
            shim = self.bin / name
            shim.write_text("#!/bin/sh\n" + body)
            shim.chmod(0o755)
        self.user, self.groups = user, groups
        self.journal("", "", 0)
        self.show("system", "")
        self.show("user", "")
        self.ss("")
        (self.dir / "denied").write_text("")

    def file(self, path: str, text: str) -> "FakeMini":
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return self

    def deny(self, path: str) -> "FakeMini":
        """The suite's user may not look at `path` (cat and stat answer Permission denied)."""
        with (self.dir / "denied").open("a") as f:
            f.write(path + "\n")
        return self

    def show(self, scope: str, text: str) -> "FakeMini":
        (self.dir / f"show-{scope}.txt").write_text(text)
        return self

    def ss(self, text: str) -> "FakeMini":
        (self.dir / "ss.txt").write_text(text)
        return self

    def tailscale_serve(self, json_text: str) -> "FakeMini":
        """What `tailscale serve status --json` prints."""
        (self.dir / "tailscale-serve.json").write_text(json_text)
        return self

    def journal(self, stdout: str, stderr: str = "", status: int = 0) -> "FakeMini":
        (self.dir / "journal.txt").write_text(stdout)
        (self.dir / "journal.err").write_text(stderr)
        (self.dir / "journal.rc").write_text(str(status))
        return self

    def backend(self) -> ShellBackend:
        env = {"PATH": str(self.bin), "FAKEROOT": str(self.root), "FAKEDIR": str(self.dir),
               "FAKE_USER": self.user, "FAKE_GROUPS": self.groups, "LC_ALL": "C"}
        return FakeRootBackend(self.user, env)

    def facts(self, inventory: Inventory, host_id: str = "mini", redactor=None) -> HostFacts:
        files = Files(str(self.root), home=f"/home/{self.user}")  # an ssh config's Includes, under the fake root
        return gathered(inventory, host_id, Runner(host_id, self.backend()), redactor, files=files)


def gathered(inventory: Inventory, host_id: str, runner: Runner, redactor=None, http=None, files=None,
             platform: bool = False) -> HostFacts:
    """The host's facts for every check of it (as a run selecting them all asks), gathered."""
    needs = [n for c in host_checks(inventory, SiteAddresses(inventory), host_id) for n in c.needs]
    facts = HostFacts(kind_of(inventory.host(host_id).os), HostPlan(needs + ([Need(PLATFORM)] if platform else [])),
                      runner, redactor, http, files=files, secret_keys=secret_env_keys(inventory, host_id))
    facts.gather()
    return facts


def mini_system_show(litellm_user: str = "christopherbailey") -> str:
    """systemctl-show-mini.txt re-ordered as the fact plan asks for the Mini's system units."""
    blocks = {b.split("Id=", 1)[1].split("\n", 1)[0]: b.strip("\n") for b in fixture("systemctl-show-mini.txt").split("\n\n")}
    text = "\n\n".join(blocks[u] for u in ("litellm-orch.service", "open-webui.service", "ollama.service")) + "\n"
    return text.replace("User=christopherbailey\nId=litellm-orch.service", f"User={litellm_user}\nId=litellm-orch.service")


def environ_without_pytest_vars() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}


_MAC_SHIMS = {
    "uname": 'echo Darwin\n',
    "sw_vers": 'printf "ProductName:\\tmacOS\\nProductVersion:\\t15.6\\nBuildVersion:\\t24G84\\n"\n',
    "launchctl": r'''if [ "$1 $2" = "print-disabled system" ]; then exec /bin/cat "$FAKEDIR/print-disabled.txt"; fi
label="${2#system/}"
if [ -f "$FAKEDIR/launchctl-$label.txt" ]; then exec /bin/cat "$FAKEDIR/launchctl-$label.txt"; fi
printf 'Bad request.\nCould not find service "%s" in domain for system\n' "$label" >&2; exit 113
''',
    "netstat": 'exec /bin/cat "$FAKEDIR/netstat.txt"\n',
    # BSD stat -L -f '%HT|%Lp|%Su|%Sg|%z|%N' with BSD's wording for a missing path
    "stat": r'''shift 3; rc=0
for p in "$@"; do
  f="$FAKEROOT$p"
  if [ -e "$f" ]; then
    t=$(/usr/bin/stat -L -c %F "$f"); case "$t" in "regular file"|"regular empty file") t="Regular File";; directory) t=Directory;; fifo) t="Fifo File";; *) t="$t";; esac
    printf '%s|%s|%s|%s|%s|%s\n' "$t" "$(/usr/bin/stat -L -c %a "$f")" "$(/bin/cat "$FAKEDIR/owner" 2>/dev/null || echo root)" wheel "$(/usr/bin/stat -L -c %s "$f")" "$p"
  else echo "stat: $p: stat: No such file or directory" >&2; rc=1; fi
done
exit $rc
''',
    "base64": 'exec /usr/bin/base64 "$@"\n',
}


class FakeMac(FakeMini):
    """A fake Mac Studio: macOS's command formats (the real captures in fixtures/darwin/)."""

    def __init__(self, tmp_path: Path, user: str = "christopherbailey") -> None:
        super().__init__(tmp_path, user=user, groups="staff")
        for name, body in _MAC_SHIMS.items():
            shim = self.bin / name
            shim.write_text("#!/bin/sh\n" + body)
            shim.chmod(0o755)
        self.netstat(fixture("darwin/netstat-an-p-tcp.txt"))

    def launchctl(self, label: str, text: str | None) -> "FakeMac":
        path = self.dir / f"launchctl-{label}.txt"
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(text)
        return self

    def print_disabled(self, text: str) -> "FakeMac":
        """What `launchctl print-disabled system` prints."""
        (self.dir / "print-disabled.txt").write_text(text)
        return self

    def netstat(self, text: str) -> "FakeMac":
        (self.dir / "netstat.txt").write_text(text)
        return self

    def binary(self, path: str, data: bytes) -> "FakeMac":
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return self

    def mac_facts(self, inventory: Inventory, host_id: str = "studio", redactor=None, http=None, platform=False):
        return gathered(inventory, host_id, Runner(host_id, self.backend()), redactor, http, platform=platform)
