"""The library behind the LLM-lab conformance suite.

Data flows one way: inventory -> facts (gathered once per host, batched) -> checks
-> findings (evidence) -> report.
"""
