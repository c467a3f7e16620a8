#!/usr/bin/python3
"""`uv` stand-in (twin): `uv run PROG ARGS...` execs PROG from the twin's Python environment.

The real uv would sync the project's environment first; the twin has prepared environments in the bound
checkout (.venv; .venv-litellm for LiteLLM, whose pins the suite's cannot share), so `run` only maps PROG to one. The process is replaced (exec), so systemd supervises
the real program, as with uv.
"""
import os
import sys

CHECKOUT = "/home/christopherbailey/llm-lab-conformance"
TWIN_VENV = os.environ.get("UV_TWIN_VENV", f"{CHECKOUT}/.venv")
# LiteLLM has a venv of its own: 1.83.4 (the owner's pin) pins openai 2.x and httpx 0.x, the suite runs on openai 3.x
LITELLM_VENV = os.environ.get("UV_LITELLM_VENV", f"{CHECKOUT}/.venv-litellm")
# console scripts of a venv carry the outer machine's path in their shebang: run them as modules
MODULES = {"litellm": "litellm.proxy.proxy_cli", "uvicorn": "uvicorn", "python": None, "python3": None}
VENVS = {"litellm": LITELLM_VENV}  # the venv each program runs from (default: TWIN_VENV)


def main(argv: list[str]) -> int:
    if argv[:1] in (["--version"], ["version"]):
        print("uv 0.8.0 (twin stand-in)")
        return 0
    if len(argv) < 2 or argv[0] != "run":
        print("usage: uv run PROG [ARGS...]   (twin stand-in: only `run` is supported)", file=sys.stderr)
        return 2
    prog, args = argv[1], argv[2:]
    python = os.path.join(VENVS.get(prog, TWIN_VENV), "bin", "python")
    if prog in MODULES:
        module = MODULES[prog]
        os.execv(python, [python, *(["-m", module] if module else []), *args])
    candidate = os.path.join(TWIN_VENV, "bin", prog)
    if os.access(candidate, os.X_OK):
        os.execv(python, [python, candidate, *args])
    os.execvp(prog, [prog, *args])
    return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
