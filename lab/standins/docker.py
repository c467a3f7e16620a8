#!/usr/bin/python3
"""`docker` stand-in (twin, mini), WITHOUT an engine: what the owner's units ask of `/usr/bin/docker`.

The owner's openhands.service and open-terminal-mcp.service (bebopbabailey/homelab-llm@1b54b73
platform/ops/systemd/) run `ExecStartPre=-/usr/bin/docker rm -f N`, `ExecStart=/usr/bin/docker run --rm --name N --pull never [--cpus C
--memory M] -p 127.0.0.1:HP:CP [-e K=V | --env K] [-v A:B] [--add-host H:IP] IMAGE [ARGS...]` and
`ExecStop=-/usr/bin/docker stop N`; the owner reads `docker ps [-a] --format 'table {{.Names}}\\t{{.Image}}\\t
{{.Status}}\\t{{.Ports}}'` (services/openhands/RUNBOOK.md:71, docs/v2/inventory/MINI_BASELINE.md:310).

- `docker run ... IMAGE`: an attached `docker run` stays in the foreground for the container's life, which is
  what lets systemd supervise it. Here the "container" is the generic stand-in (generic_service.py next to this
  file) EXEC'D in place of this process, so the unit's main PID is the service itself: it listens on each
  published HOST address and port (`-p [IP:]HP:CP`, no IP: 0.0.0.0) and answers from the IMAGE's canned config,
  `<DOCKER_TWIN_IMAGES>/<image with / and : as _>.json` (a generic_service config; default dir
  /var/lib/docker-twin/images). Twin-only differences: no docker-proxy (the listener belongs to the stand-in's
  python3, not to docker-proxy), no container network, `-e`/`-v`/`--cpus`/`--memory`/`--add-host` are accepted
  and recorded only. An image the twin does not hold, with --pull never: `docker: Error response from daemon: No
  such image: IMAGE.` on stderr, exit 125 (docker run's status for a daemon error); a name a live container holds:
  `docker: Error response from daemon: Conflict. The container name "/N" is already in use by container "ID".
  You have to remove (or rename) that container to be able to reuse that name.`, exit 125.
- `docker rm -f N` kills it (SIGKILL) and forgets it (`docker rm N` refuses a running one); `docker stop N`
  sends SIGTERM, SIGKILL after 10 s (`-t S`: S seconds); both print N. An unknown name: `Error response from daemon: No such container: N`, exit 1.
- `docker ps [-a] [-q] [--format F]`: the default table `table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t
  {{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}` and its headers (CONTAINER ID, IMAGE, COMMAND, CREATED,
  STATUS, PORTS, NAMES; docker/cli cli/command/formatter/container.go, code index file 878820590), a `table`
  format padded as docker/cli's formatter does (text/tabwriter minwidth 10, padding 3: formatter.go postFormat,
  code index file 6853341640), a format without `table` raw. Values: the 12-hex short ID, the command quoted and
  cut to 20 characters with `…`, `RunningFor` "<duration> ago", `Status` "Up <duration>", ports
  `127.0.0.1:4031->3000/tcp` (as MINI_BASELINE.md:138 shows them), durations in docker/go-units HumanDuration's
  words. A container whose process is gone: with --rm it is gone (as docker removes it); without, `-a` lists it
  `Exited (0) ...` (twin: its real exit status is not kept).
A flag `docker run` does not know: `unknown flag: X` and `See 'docker run --help'.`, exit 125 (the docker CLI's
wording, approximated). State (twin-only): one JSON file per container in DOCKER_TWIN_STATE (default /var/lib/docker-twin/containers).
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import twinhttp  # noqa: E402  (next to this file)

IMAGES = os.environ.get("DOCKER_TWIN_IMAGES", "/var/lib/docker-twin/images")
STATE = os.environ.get("DOCKER_TWIN_STATE", "/var/lib/docker-twin/containers")
MARKER = "generic_service.py"
VALUE_FLAGS = {"--name", "--pull", "--cpus", "--memory", "-m", "-p", "--publish", "-e", "--env", "--env-file", "-v",
               "--volume", "--add-host", "--network", "--net", "--restart", "-w", "--workdir", "-u", "--user",
               "--entrypoint", "--label", "-l", "--hostname", "-h", "--mount", "--shm-size", "--ulimit"}
BOOL_FLAGS = {"--rm", "-d", "--detach", "-i", "--interactive", "-t", "--tty", "--init", "--privileged", "-it"}
HEADERS = {"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "RunningFor": "CREATED",
           "CreatedAt": "CREATED AT", "Status": "STATUS", "Ports": "PORTS", "Names": "NAMES"}
DEFAULT_TABLE = r"table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"


def daemon_error(message: str, status: int) -> int:
    print(f"docker: Error response from daemon: {message}", file=sys.stderr, flush=True)
    return status


def image_file(image: str) -> str:
    return os.path.join(IMAGES, image.replace("/", "_").replace(":", "_") + ".json")


def containers() -> list[dict]:
    try:
        names = sorted(os.listdir(STATE))
    except FileNotFoundError:
        return []
    found = []
    for name in names:
        if name.endswith(".json"):
            try:
                with open(os.path.join(STATE, name), encoding="utf-8") as f:
                    found.append(json.load(f))
            except (OSError, ValueError):
                continue
    return found


def alive(container: dict) -> bool:
    return twinhttp.process_alive(container.get("pid"), MARKER)


def find(name: str) -> dict | None:
    for container in containers():
        if name in (container["name"], container["id"], container["id"][:12]):
            return container
    return None


def forget(container: dict) -> None:
    try:
        os.unlink(os.path.join(STATE, container["name"] + ".json"))
    except FileNotFoundError:
        pass


def parse_publish(spec: str) -> tuple[str, int, str]:
    """`[IP:]HOSTPORT:CONTAINERPORT[/proto]` -> (ip, host port, "CONTAINERPORT/proto")."""
    spec, _, proto = spec.partition("/")
    parts = spec.split(":")
    ip = ":".join(parts[:-2]) if len(parts) > 2 else "0.0.0.0"
    return ip.strip("[]"), int(parts[-2]), f"{parts[-1]}/{proto or 'tcp'}"


def cmd_run(argv: list[str]) -> int:
    options: dict[str, list[str]] = {}
    flags: set[str] = set()
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if name in VALUE_FLAGS:
            if not eq:
                i += 1
                value = argv[i] if i < len(argv) else ""
            options.setdefault(name, []).append(value)
        elif arg in BOOL_FLAGS:
            flags.add(arg)
        else:
            print(f"unknown flag: {arg}\nSee 'docker run --help'.", file=sys.stderr)
            return 125
        i += 1
    if i >= len(argv):
        print('"docker run" requires at least 1 argument.', file=sys.stderr)
        return 125
    image, args = argv[i], argv[i + 1:]
    if not os.path.exists(image_file(image)):
        return daemon_error(f"No such image: {image}.", 125)
    name = (options.get("--name") or [f"twin_{secrets.token_hex(4)}"])[-1]
    existing = find(name)
    if existing and alive(existing):
        return daemon_error(f'Conflict. The container name "/{name}" is already in use by container '
                            f'"{existing["id"]}". You have to remove (or rename) that container to be able to '
                            "reuse that name.", 125)
    publish = [parse_publish(p) for p in options.get("-p", []) + options.get("--publish", [])]
    with open(image_file(image), encoding="utf-8") as f:
        command = json.load(f).get("cmd", "")
    record = {"id": secrets.token_hex(32), "name": name, "image": image,
              "command": " ".join([command, *args]).strip(), "created": time.time(), "pid": os.getpid(),
              "rm": "--rm" in flags, "ports": [f"{ip}:{hp}->{cp}" for ip, hp, cp in publish],
              "options": options}
    os.makedirs(STATE, exist_ok=True)
    with open(os.path.join(STATE, name + ".json"), "w", encoding="utf-8") as f:
        json.dump(record, f)
    listen = [f"[{ip}]:{hp}" if ":" in ip else f"{ip}:{hp}" for ip, hp, _ in publish]
    program = os.path.join(twinhttp.own_dir(), MARKER)
    os.execv(sys.executable, [sys.executable, program, "--config", image_file(image),
                              *[x for addr in listen for x in ("--listen", addr)]])
    return 0  # not reached


def cmd_stop(argv: list[str], force_kill: bool) -> int:
    timeout = 10.0
    names = []
    it = iter(argv)
    for arg in it:
        if arg in ("-t", "--time", "--timeout"):
            timeout = float(next(it, "10"))
        elif arg in ("-f", "--force"):
            force_kill = True
        elif not arg.startswith("-"):
            names.append(arg)
    status = 0
    for name in names:
        container = find(name)
        if container is None:
            print(f"Error response from daemon: No such container: {name}", file=sys.stderr, flush=True)
            status = 1
            continue
        if alive(container):
            os.kill(container["pid"], signal.SIGKILL if force_kill else signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while alive(container) and time.monotonic() < deadline:
                time.sleep(0.05)
            if alive(container):
                os.kill(container["pid"], signal.SIGKILL)
        if force_kill or container.get("rm"):
            forget(container)
        print(name, flush=True)
    return status


def cmd_rm(argv: list[str]) -> int:
    if "-f" in argv or "--force" in argv:
        return cmd_stop(argv, force_kill=True)
    status = 0
    for name in [a for a in argv if not a.startswith("-")]:
        container = find(name)
        if container is None:
            print(f"Error response from daemon: No such container: {name}", file=sys.stderr, flush=True)
            status = 1
        elif alive(container):  # docker's refusal, in the words of recent engines
            print(f'Error response from daemon: cannot remove container "/{container["name"]}": container is '
                  "running: stop the container before removing or force remove", file=sys.stderr, flush=True)
            status = 1
        else:
            forget(container)
            print(name, flush=True)
    return status


def human_duration(seconds: float) -> str:
    """docker/go-units duration.go HumanDuration."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{hours // 24 // 365} years"


def fields(container: dict, now: float) -> dict:
    command = container["command"]
    if len(command) > 20:
        command = command[:19] + "…"
    status = ("Up " + human_duration(now - container["created"]) if alive(container)
              else "Exited (0) " + human_duration(now - container["created"]) + " ago")
    return {"ID": container["id"][:12], "Image": container["image"], "Command": f'"{command}"',
            "RunningFor": human_duration(now - container["created"]) + " ago",
            "CreatedAt": time.strftime("%Y-%m-%d %H:%M:%S %z %Z", time.localtime(container["created"])),
            "Status": status, "Ports": ", ".join(container["ports"]), "Names": container["name"]}


def render(template: str, values: dict) -> str:
    out = template
    for key, value in values.items():
        out = out.replace("{{." + key + "}}", value).replace("{{ ." + key + " }}", value)
    return out


def tabwrite(rows: list[list[str]]) -> str:
    """Go text/tabwriter with minwidth 10, padding 3, ' ': a cell ended by a tab is padded to its column's width
    (its widest cell + 3, at least 10); the last cell of a line is not padded."""
    widths: dict[int, int] = {}
    for row in rows:
        for c, cell in enumerate(row[:-1]):
            widths[c] = max(widths.get(c, 10), len(cell) + 3)
    return "".join("".join(cell.ljust(widths[c]) if c < len(row) - 1 else cell for c, cell in enumerate(row)) + "\n"
                   for row in rows)


def cmd_ps(argv: list[str]) -> int:
    show_all, quiet, fmt = False, False, DEFAULT_TABLE
    it = iter(argv)
    for arg in it:
        if arg in ("-a", "--all"):
            show_all = True
        elif arg in ("-q", "--quiet"):
            quiet = True
        elif arg == "--format":
            fmt = next(it, fmt)
        elif arg.startswith("--format="):
            fmt = arg.split("=", 1)[1]
    now = time.time()
    listed = [c for c in containers() if alive(c) or (show_all and not c.get("rm"))]
    listed.sort(key=lambda c: c["created"], reverse=True)
    if quiet:
        sys.stdout.write("".join(c["id"][:12] + "\n" for c in listed))
        return 0
    table = fmt.startswith("table")
    template = fmt[len("table"):].strip() if table else fmt
    template = template.replace(r"\t", "\t").replace(r"\n", "\n")
    lines = [render(template, fields(c, now)) for c in listed]
    if not table:
        sys.stdout.write("".join(line + "\n" for line in lines))
        return 0
    header = render(template, HEADERS)
    sys.stdout.write(tabwrite([line.split("\t") for line in [header, *lines]]))
    return 0


def main(argv: list[str]) -> int:
    if not argv:
        print("Usage:  docker [OPTIONS] COMMAND (twin stand-in: run, rm, stop, ps)", file=sys.stderr)
        return 1
    command, rest = argv[0], argv[1:]
    if command == "container" and rest:
        command, rest = rest[0], rest[1:]
    if command == "run":
        return cmd_run(rest)
    if command == "rm":
        return cmd_rm(rest)
    if command == "stop":
        return cmd_stop(rest, force_kill=False)
    if command in ("ps", "ls"):
        return cmd_ps(rest)
    print(f"docker: twin stand-in: '{command}' is not implemented (run, rm, stop, ps only)", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
