"""Discovery: what the lab has that the inventory does not say, proposed as inventory entries.

Two sources feed one writer: the live hosts (read-only, through the suite's runner) and a checkout of
the owner's own repo (`--from-repo`). Both yield `Proposal`s (proposal.py).
"""
