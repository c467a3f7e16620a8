"""Files the runner never reads, whoever asks (the facts or an owner's test): secret by nature or by the inventory.

Secret by nature: the password databases (/etc/shadow, /etc/gshadow and their `-` backups; BSD's /etc/master.passwd
and /etc/spwd.db), SSH private keys (`id_*` but `*.pub`, and `*.pem` / `*.key`, under any `.ssh` directory; the host
keys /etc/ssh/ssh_host_*_key) and every process's environment (/proc/<pid>/environ: the nightly job's holds the
webhook URL, a service's its keys). Secret by the inventory: each path of the host marked `secret: true`.

A read (a `<file>` argument of the allowlist: head, sha256sum, shasum, grep, base64, plutil) of one is refused
twice over:
- by the path as written, here (`named`): an owner's test is refused before anything is sent; in a batch, the
  command's guard is a plain refusal;
- by the path AS RESOLVED ON THE HOST, in the batch, before the command runs: `__not_secret` compares the file with
  every secret file there by device and inode (`test -ef`), so a symlink (or a hard link, or a bind mount) to a
  secret is the secret. It uses shell builtins only (globs, `test`), so it runs no program the runner did not send.
  The processes' environments are compared only for an empty-looking file (procfs files have no size), so a plain
  file costs a few `stat`s.

Either way the command is not run (exit 126) and its stderr says so: `<path>: SECRET_FILE <what>`.
"""
from __future__ import annotations

import posixpath
import shlex
from collections.abc import Iterable
from fnmatch import fnmatchcase

SECRET_FILE = "is a secret file (not read):"

PASSWORD_DATABASES = ("/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/master.passwd",
                      "/etc/spwd.db")
# By the path as written (fnmatch: `*` spans `/` too), the kind of secret each pattern names.
_NAMED = [
    ("*/.ssh/id_*", "an SSH private key"), ("*/.ssh/*.pem", "an SSH private key"), ("*/.ssh/*.key", "an SSH private key"),
    ("/etc/ssh/ssh_host_*_key", "an SSH host key"),
    ("/proc/*/environ", "a process's environment"),
]
# On the host: the secret files to compare a read with (globs expanded by the host's shell; one that matches nothing
# stays a word naming no file, which `-ef` never equals). Every user's home the systems put them in.
_KEY_DIRS = ('"$HOME"/.ssh', "/root/.ssh", "/home/*/.ssh", "/var/root/.ssh", "/Users/*/.ssh")
_HOST_GLOBS = [f"{d}/{name}" for d in _KEY_DIRS for name in ("id_*", "*.pem", "*.key")] + ["/etc/ssh/ssh_host_*_key"]
_PROC_GLOBS = ["/proc/[0-9]*/environ", "/proc/[0-9]*/task/[0-9]*/environ"]


class SecretFiles:
    """The secret files of one host: the ones by nature, and the inventory's `secret: true` paths."""

    def __init__(self, documented: Iterable[str] = ()) -> None:
        self.documented = tuple(dict.fromkeys(documented))

    def named(self, path: str) -> str | None:
        """What secret the path as written names (e.g. "an SSH private key"), or None."""
        path = posixpath.normpath(path) if path.startswith("/") else path
        if path in self.documented:
            return "documented as secret in the inventory"
        if path in PASSWORD_DATABASES:
            return "a password database"
        for pattern, what in _NAMED:
            if fnmatchcase(path, pattern) and not path.endswith(".pub"):
                return what
        return None

    def guard(self, path: str) -> str:
        """The batch's shell condition under which a command may read `path` (true: not a secret)."""
        what = self.named(path)
        if what:
            return f"__refuse {shlex.quote(path)} {shlex.quote(what)}"
        return f"__not_secret {shlex.quote(path)}"

    def shell_functions(self) -> str:
        """The batch's `__refuse` and `__not_secret` (POSIX sh, builtins only)."""
        files = " ".join([shlex.quote(p) for p in (*self.documented, *PASSWORD_DATABASES)] + _HOST_GLOBS)
        say = f"""printf '%s: %s %s\\n' "$1" '{SECRET_FILE}' "$2" >&2"""
        return (
            f"__refuse() {{ {say}; return 1; }}\n"
            "__not_secret() {\n"
            f"  for __f in {files}; do\n"
            '    case $__f in *.pub) continue;; esac\n'
            '    if [ "$1" -ef "$__f" ]; then __refuse "$1" "it is $__f"; return 1; fi\n'
            "  done\n"
            '  [ -s "$1" ] && return 0\n'  # procfs files say size 0: only those are compared with every environment
            f"  for __f in {' '.join(_PROC_GLOBS)}; do\n"
            '''    if [ "$1" -ef "$__f" ]; then __refuse "$1" "it is $__f, a process's environment"; return 1; fi\n'''
            "  done\n"
            "  return 0\n"
            "}\n")
