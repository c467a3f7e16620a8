"""The digital twin of the documented LLM lab: systemd-nspawn hosts with real systemd, sshd and LiteLLM.

Entry points: ``python -m lab {up,down,status,exec,suite}`` (lab.cli) and the Python API in lab.api.
"""
