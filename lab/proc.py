"""Running outer-machine commands, in one place that turns a failure into a readable error."""
import shlex
import subprocess
import sys


class LabError(Exception):
    """Something about the twin went wrong; the message is meant for a person."""


def log(msg: str) -> None:
    print(f"lab: {msg}", file=sys.stderr, flush=True)


def run(argv, *, check=True, input=None, timeout=None, capture=True) -> subprocess.CompletedProcess:
    argv = [str(a) for a in argv]
    try:
        cp = subprocess.run(argv, input=input, text=True, capture_output=capture, timeout=timeout,
                            stdin=None if input is not None else subprocess.DEVNULL)
    except FileNotFoundError:
        raise LabError(f"missing command: {argv[0]}") from None
    if check and cp.returncode != 0:
        err = (cp.stderr or "").strip() if capture else ""
        raise LabError(f"`{shlex.join(argv)}` failed with exit {cp.returncode}: {err}")
    return cp
