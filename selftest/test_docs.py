"""The README's check tables are the inventory's: regenerate with `python -m conformance.docs --write`."""
from conformance.docs import BEGIN, CONTRACT_BEGIN, CONTRACT_END, END, ROOT, readme_with_tables


def test_readme_tables_match_the_inventory():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert all(marker in readme for marker in (BEGIN, END, CONTRACT_BEGIN, CONTRACT_END))
    assert readme == readme_with_tables(readme), "a README table is stale: run python -m conformance.docs --write"
