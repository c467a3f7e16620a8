"""The README's tables of checks, generated from the inventory (so the docs cannot drift).

    python -m conformance.docs          print the tables
    python -m conformance.docs --write  rewrite them in README.md between their markers
"""
from __future__ import annotations

import sys
from pathlib import Path

from .checks.derive import host_checks
from .checks.contract import contract_checks
from .inventory import load_inventory
from .site import SiteAddresses

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- checks:begin (python -m conformance.docs --write) -->", "<!-- checks:end -->"
CONTRACT_BEGIN, CONTRACT_END = ("<!-- contract-checks:begin (python -m conformance.docs --write) -->",
                                "<!-- contract-checks:end -->")


def _table(checks) -> str:
    rows = ["| check id | documented fact | source |", "|---|---|---|"]
    rows += [f"| `{check.id}` | {check.title.replace('|', '/')} | {check.source} |" for check in checks]
    return "\n".join(rows)


def checks_table(inventory_path: Path = ROOT / "inventory.yaml") -> str:
    inventory = load_inventory(inventory_path)
    return _table(host_checks(inventory, SiteAddresses(inventory), "mini"))


def contract_table(inventory_path: Path = ROOT / "inventory.yaml") -> str:
    return _table(contract_checks(load_inventory(inventory_path)))


def readme_with_table(readme: str, table: str, begin: str = BEGIN, end: str = END) -> str:
    head, _, rest = readme.partition(begin)
    _, _, tail = rest.partition(end)
    return f"{head}{begin}\n{table}\n{end}{tail}"


def readme_with_tables(readme: str) -> str:
    readme = readme_with_table(readme, checks_table())
    return readme_with_table(readme, contract_table(), CONTRACT_BEGIN, CONTRACT_END)


def main(argv: list[str]) -> int:
    if "--write" in argv:
        readme = ROOT / "README.md"
        readme.write_text(readme_with_tables(readme.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(checks_table() + "\n\n" + contract_table())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
