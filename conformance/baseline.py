"""Record the baseline of the services that must not be modified (explicit, run on the host).

    python -m conformance.baseline [--site FILE] [--out baseline.yaml]

It reads the files' hashes through the same read-only runner as the suite and writes a YAML
file for the owner to commit; the suite's `<service>::unmodified:*` checks compare with it.
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

import yaml

from .checks.baseline import baseline_checks
from .facts.needs import HASH
from .inventory import InventoryError, load_inventory, load_site
from .session import SuiteSession
from .site import SiteAddresses

ROOT = Path(__file__).resolve().parents[1]


def record(session: SuiteSession) -> dict:
    checks = list(baseline_checks(session.inventory, session.site, session.local_host, None))
    session.select(checks)  # only the hashes are asked
    facts = session.facts(session.local_host)
    files = {}
    for path in [need.key for check in checks for need in check.needs if need.concept == HASH]:
        digest = facts.file_hash(path).value
        if digest is None:
            raise SystemExit(f"cannot record a baseline: {path} is missing or unreadable as {facts.user}")
        files[path] = digest
    return {"site": session.site.id, "recorded": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "recorded_by": f"{facts.user}@{session.local_host}", "files": files}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.baseline", description=__doc__.split("\n\n")[0])
    parser.add_argument("--inventory", default=str(ROOT / "inventory.yaml"))
    parser.add_argument("--site", default=None)
    parser.add_argument("--local-host", default="mini")
    parser.add_argument("--out", default=str(ROOT / "baseline.yaml"), help="file to write, or - for stdout")
    args = parser.parse_args(argv)
    try:
        inventory = load_inventory(args.inventory)
        site = load_site(args.site, inventory) if args.site else None
    except InventoryError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    data = record(SuiteSession(inventory, SiteAddresses(inventory, site), args.local_host))
    header = ("# Baseline of the services that must not be modified (recorded by python -m conformance.baseline).\n"
              "# Commit it; the suite's <service>::unmodified:* checks compare the files with these hashes.\n")
    text = header + yaml.safe_dump(data, sort_keys=False)
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"recorded {len(data['files'])} file hash(es) at site {data['site']} into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
