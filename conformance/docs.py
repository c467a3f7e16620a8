"""The README's table of checks, generated from the inventory (so the docs cannot drift).

    python -m conformance.docs          print the table
    python -m conformance.docs --write  rewrite it in README.md between the markers
"""
from __future__ import annotations

import sys
from pathlib import Path

from .checks.catalog import local_checks
from .inventory import load_inventory
from .site import SiteView

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- checks:begin (python -m conformance.docs --write) -->", "<!-- checks:end -->"


def checks_table(inventory_path: Path = ROOT / "inventory.yaml") -> str:
    inventory = load_inventory(inventory_path)
    rows = ["| check id | documented fact | source |", "|---|---|---|"]
    for check in local_checks(inventory, SiteView(inventory), "mini"):
        rows.append(f"| `{check.id}` | {check.title.replace('|', '/')} | {check.source} |")
    return "\n".join(rows)


def readme_with_table(readme: str, table: str) -> str:
    head, _, rest = readme.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{table}\n{END}{tail}"


def main(argv: list[str]) -> int:
    table = checks_table()
    if "--write" in argv:
        readme = ROOT / "README.md"
        readme.write_text(readme_with_table(readme.read_text(encoding="utf-8"), table), encoding="utf-8")
    else:
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
