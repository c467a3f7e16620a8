"""The README's check table is the inventory's: regenerate with `python -m conformance.docs --write`."""
from conformance.docs import BEGIN, END, ROOT, checks_table, readme_with_table


def test_readme_table_matches_the_inventory():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert BEGIN in readme and END in readme
    assert readme == readme_with_table(readme, checks_table()), "README table is stale: run python -m conformance.docs --write"
