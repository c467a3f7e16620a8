"""`python -m lab up|down|status|exec|suite|discover`: the twin's command line (a stable contract, see README.md)."""
import argparse
import json
import sys

from . import ssh, topology as topo
from .proc import LabError
from .state import require_up

USAGE = """\
python -m lab up [--edition founding|2026-05] [--keep-on-failure]   boot the twin (cleans up leftovers first), wait until ready
python -m lab down                     remove everything of the twin, report leftovers
python -m lab status [--json]          what is up (exit 0 up, 3 not up)
python -m lab exec HOST [--user U] -- CMD...   run CMD on a twin host (root by default)
python -m lab suite [--as-root] [-- PYTEST_ARGS]   run the suite inside mini (default: -m "local or studio or dietpi or contract")
python -m lab discover [--as-root] [-- ARGS]   run discovery inside mini (python -m conformance.discover ARGS)
python -m lab demo                     up, then the suite in mini; prints timings and the report path
python -m lab fault list | plant ID... | revert ID...   the fault catalog, by hand
"""


def _split(argv: list[str]) -> tuple[list[str], list[str]]:
    """Options before the first `--`, and everything after it, passed on untouched."""
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    return argv, []


def cmd_up(args) -> int:
    from . import api
    try:
        t = api.up(keep_on_failure=args.keep_on_failure, edition=args.edition)
    except LabError as e:
        print(f"lab up FAILED: {e}", file=sys.stderr)
        return 1
    print(f"twin up ({args.edition} edition): {t['twin_up']:.2f}s (all hosts running, user managers active)")
    mini = topo.host("mini").address
    print(f"LiteLLM ready: {t['mini:litellm-orch.service']:.2f}s (GET {mini}:4000/health/readiness = 200)")
    print("timings (s since start): " + ", ".join(f"{k}={v}" for k, v in t.items()))
    return 0


def cmd_down(args) -> int:
    from . import api
    r = api.down()
    if r["leftovers"] or r["errors"]:
        print("LEFTOVERS:\n  " + "\n  ".join(r["leftovers"] + r["errors"]), file=sys.stderr)
        return 1
    print(f"twin down in {r['seconds']}s; verified: no mounts, netns, links, cgroups or processes left")
    return 0


def cmd_status(args) -> int:
    from . import api
    s = api.status()
    if args.json:
        print(json.dumps(s, indent=2))
    else:
        for name, h in s["hosts"].items():
            if not h["running"]:
                print(f"{name}: down ({h['address']})")
                continue
            svc = " ".join(f"{u.removesuffix('.service')}={c}" for u, c in h.get("services", {}).items())
            users = " ".join(f"user@{u}={v}" for u, v in h.get("user_managers", {}).items())
            print(f"{name}: up {h['address']} (stands for {h['stands_for']}) nspawn={h['nspawn_pid']} "
                  f"init={h['init_pid']} system={h['system']}{' ' + users if users else ''} http: {svc}")
        print("twin is " + (f"UP ({s['edition']} edition)" if s["up"] else "NOT up"))
    return 0 if s["up"] else 3


def cmd_fault(args) -> int:
    from . import api, faults
    if args.action == "list":
        for f in faults.edition_catalog():
            print(f"{f.id:32} {f.description}\n{'':32} must fail: {', '.join(sorted(f.expect)) or 'nothing'}"
                  + (f"\n{'':32} not applicable: {', '.join(sorted(f.not_applicable))}" if f.not_applicable else "")
                  + (f"\n{'':32} cannot verify: {', '.join(sorted(f.cannot_verify))}" if f.cannot_verify else ""))
        return 0
    if not args.ids:
        print(f"lab fault {args.action}: name the fault(s), see `python -m lab fault list`", file=sys.stderr)
        return 2
    chosen = faults.by_id(args.ids)
    require_up("mini")
    (faults.plant if args.action == "plant" else faults.revert)(api, chosen)
    print(f"{args.action}ed: {', '.join(args.ids)}" + ("; revert with `python -m lab fault revert "
          + " ".join(args.ids) + "`" if args.action == "plant" else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    opts, rest = _split(argv)
    p = argparse.ArgumentParser(prog="python -m lab", usage=USAGE)
    sub = p.add_subparsers(dest="command", required=True)
    u = sub.add_parser("up")
    u.add_argument("--keep-on-failure", action="store_true")
    u.add_argument("--edition", default="founding", choices=sorted(topo.EDITIONS),
                   help="which documented lab to boot (default founding; 2026-05: bebopbabailey/homelab-llm@1b54b73)")
    sub.add_parser("down")
    sub.add_parser("status").add_argument("--json", action="store_true")
    e = sub.add_parser("exec")
    e.add_argument("host")
    e.add_argument("--user", default="root")
    e.add_argument("cmd", nargs="*")
    sub.add_parser("suite").add_argument("--as-root", action="store_true")
    sub.add_parser("discover").add_argument("--as-root", action="store_true")
    sub.add_parser("demo").add_argument("--edition", choices=sorted(topo.EDITIONS),
                                         help="default: the edition that is up, else founding")
    f = sub.add_parser("fault")
    f.add_argument("action", choices=["list", "plant", "revert"])
    f.add_argument("ids", nargs="*")
    args = p.parse_args(opts)
    try:
        if args.command == "exec":
            cmd = args.cmd + rest
            if not cmd:
                p.error("exec needs a command: python -m lab exec HOST -- CMD...")
            require_up(args.host)
            ssh.exec_in(args.host, cmd, args.user)  # does not return: ssh's own exit status is ours
        if args.command == "suite":
            from . import api  # imported here: `exec` stays quick without it
            return api.run_suite(rest or None, as_root=args.as_root)
        if args.command == "discover":
            from . import api
            return api.run_discover(rest, as_root=args.as_root)
        if args.command == "fault":
            return cmd_fault(args)
        if args.command == "demo":
            from .demo import demo
            return demo(args.edition)
        return {"up": cmd_up, "down": cmd_down, "status": cmd_status}[args.command](args)
    except (LabError, KeyError) as e:
        print(f"lab {args.command}: {e.args[0] if e.args else e}", file=sys.stderr)
        return 1
