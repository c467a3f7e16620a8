"""Install or remove the nightly job: the owner's systemd user units (deploy/), an explicit setup step.

    python -m conformance.deploy install [--args "--site=..."]   units into ~/.config/systemd/user, timer enabled
    python -m conformance.deploy remove                          timer stopped and disabled, units removed

Run it as the lab's owner on the Mini (it uses `systemctl --user`; the Mini lingers). The suite's own runs stay
read-only: this is the one command of the project that changes a host, and only the invoking user's units.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from .private import readable_by_others, write_private

ROOT = Path(__file__).resolve().parents[1]
UNITS = ("llm-lab-conformance.service", "llm-lab-conformance.timer")
USER_UNITS = Path.home() / ".config" / "systemd" / "user"
ENV_FILE = Path.home() / ".config" / "llm-lab-conformance" / "nightly.env"  # may hold the master key, the webhook URL


def _systemctl(*args: str) -> None:
    subprocess.run(["systemctl", "--user", *args], check=True)


def install(extra_args: str) -> None:
    USER_UNITS.mkdir(parents=True, exist_ok=True)
    for unit in UNITS:
        text = (ROOT / "deploy" / unit).read_text().replace("@CHECKOUT@", str(ROOT))
        (USER_UNITS / unit).write_text(text)
    write_env_file(ENV_FILE, extra_args)
    subprocess.run(["systemd-analyze", "--user", "verify", *(str(USER_UNITS / u) for u in UNITS)], check=True)
    _systemctl("daemon-reload")
    _systemctl("enable", "--now", UNITS[1])
    print(f"installed {', '.join(UNITS)} into {USER_UNITS}; next run: systemctl --user list-timers {UNITS[1]}")


def write_env_file(path: Path, extra_args: str) -> None:
    """The nightly job's environment file, 0600 when written; an existing one kept (no --args) is only checked."""
    if extra_args or not path.exists():
        write_private(path, f"NIGHTLY_ARGS={extra_args}\n")
    warning = readable_by_others(path, "the nightly job's environment file")
    if warning:
        print(f"warning: {warning}", file=sys.stderr)


def remove() -> None:
    subprocess.run(["systemctl", "--user", "disable", "--now", UNITS[1]], check=False)
    for unit in UNITS:
        (USER_UNITS / unit).unlink(missing_ok=True)
    _systemctl("daemon-reload")
    print(f"removed {', '.join(UNITS)} from {USER_UNITS} (the env file {ENV_FILE} is kept)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.deploy", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("install", "remove"))
    parser.add_argument("--args", default="", help="extra pytest options for the nightly run (NIGHTLY_ARGS)")
    args = parser.parse_args(argv)
    install(args.args) if args.action == "install" else remove()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
